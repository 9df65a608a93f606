//! Storage behind traits: the metadata store (SQLite here; PostgreSQL is the
//! scale-out seam) and the content-addressed blob store (file system here; S3
//! is the scale-out seam). The rest of Entrepot sees only the traits.

pub mod blob;
pub mod conformance;
pub mod copy;
pub mod fs;
pub mod meta;
pub mod s3;
pub mod sql;
pub mod testing;

pub use blob::{BlobInfo, BlobRead, BlobStore, ByteRange, ByteStream, Expected};
pub use fs::FsBlobStore;
pub use meta::*;
pub use s3::{S3BlobStore, S3Config};
pub use sql::{Dialect, SqlStore, SqliteStore};

/// What any store can fail with. Wire protocols map these to their own errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was hit: the name or version already exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The name is kept for what an upstream served under it.
    #[error("{0}")]
    Reserved(String),
    #[error("{algorithm} digest mismatch: expected {expected}, got {actual}")]
    DigestMismatch {
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    #[error("content exceeds the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("requested range is not satisfiable")]
    RangeNotSatisfiable { size: u64 },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("i/o error: {0}")]
    Io(std::io::Error),
    #[error("database error: {0}")]
    Database(String),
    /// The disk, the database or the bucket has no room left: the caller
    /// can do nothing about it, an operator can.
    #[error("storage is full: {0}")]
    Full(String),
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull
            || e.kind() == std::io::ErrorKind::QuotaExceeded
        {
            StoreError::Full(e.to_string())
        } else {
            StoreError::Io(e)
        }
    }
}

/// SQLite's `SQLITE_FULL` and PostgreSQL's `disk_full` class.
fn is_full(db: &dyn sqlx::error::DatabaseError) -> bool {
    let code = db.code();
    let code = code.as_deref().unwrap_or("");
    code == "13" || code.starts_with("531") || db.message().contains("disk is full")
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.message().to_owned())
            }
            sqlx::Error::Database(db) if is_full(db.as_ref()) => {
                StoreError::Full(db.message().to_owned())
            }
            sqlx::Error::Io(io) => StoreError::from(io),
            other => StoreError::Database(other.to_string()),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Database(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

//! The SQL metadata store, one implementation for SQLite (embedded) and
//! PostgreSQL (shared by any number of nodes), through sqlx's `Any` driver.
//! This file opens the store; each trait lives in its own file below `sql/`.
//!
//! The two schemas match column for column; times are fixed-width RFC 3339
//! text and JSON is text, so every query runs unchanged on both.
//! SQLite gets WAL, full fsync, and one writer connection beside a pool of
//! readers, so that writes never meet `SQLITE_BUSY` half-way through.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use entrepot_core::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

use crate::{StoreError, StoreResult};

mod accounts;
mod activity;
mod advisories;
mod alerts;
mod cache;
mod dependencies;
mod files;
mod governance;
mod hooks;
mod identities;
mod image_signing;
mod invitations;
mod jobs;
mod packages;
mod publishers;
mod repositories;
mod rows;
mod search;

/// PostgreSQL's search document, for the test that its index serves it.
#[doc(hidden)]
pub use search::PG_DOCUMENT as PG_SEARCH_DOCUMENT;
pub use search::PG_LABELS as PG_SEARCH_LABELS;
mod sessions;
mod sso;
mod tags;
mod tokens;
mod uploads;
mod upstream_cache;
mod upstreams;
mod versions;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    /// Reached only through `write` and `begin_write`, which tell the
    /// read cache.
    write_pool: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
    cache: Arc<cache::ReadCache>,
}

/// A use of the writer pool, for as long as it lives: the read cache
/// forgets what it kept as it starts and as it ends.
pub(crate) struct Writing<'a>(&'a SqlStore);

impl std::ops::Deref for Writing<'_> {
    type Target = AnyPool;
    fn deref(&self) -> &AnyPool {
        &self.0.write_pool
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.cache.bump();
    }
}

/// A write transaction of `begin_write`'s: the read cache forgets what it
/// kept as it begins and as it ends, committed or not. A transaction that
/// fails on a conflict is followed by a read of what the other writer
/// made, which must not be answered from before that writer's commit.
pub(crate) struct WriteTx {
    tx: Option<sqlx::Transaction<'static, sqlx::Any>>,
    cache: Arc<cache::ReadCache>,
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::Transaction<'static, sqlx::Any>;
    fn deref(&self) -> &Self::Target {
        self.tx
            .as_ref()
            .expect("a transaction is open until committed")
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.tx
            .as_mut()
            .expect("a transaction is open until committed")
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        self.cache.bump();
    }
}

/// The SQLite store is the same type; the name reads better at call sites.
pub type SqliteStore = SqlStore;

/// WAL with full fsync (an acknowledged publish survives a power cut), and
/// a 1 MiB page cache per connection: the OS caches the file anyway.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY; \
     PRAGMA cache_size = -1024;";

/// Formats a time as the schema stores it: fixed width, so text order is time order.
pub fn ts(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn now() -> String {
    ts(&Utc::now())
}

/// Applies the SQLite settings to every new connection.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute(SQLITE_PRAGMAS).await?;
        Ok(())
    })
}

impl SqlStore {
    /// Opens `sqlite://PATH` (creating it) or `postgres://…`, running the
    /// migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, true).await
    }

    /// Opens the store, running the migrations only when `migrate` is set
    /// (`serve --no-migrate` leaves them to `admin migrate`).
    pub async fn open_with(url: &str, migrate: bool) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            let base = url.split('?').next().unwrap_or(url);
            // The writer stays open: SQLite deletes the WAL index the read
            // cache watches when the last connection closes.
            let writer = AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(sqlite_pragmas)
                .connect(&format!("{base}?mode=rwc"))
                .await?;
            let reader = AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(sqlite_pragmas)
                .connect(&format!("{base}?mode=ro"))
                .await;
            // The read-only pool opens the file the writer has just created.
            let reader = match reader {
                Ok(r) => r,
                Err(e) => return Err(e.into()),
            };
            let path = base
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:");
            SqlStore {
                write_pool: writer,
                reader,
                dialect: Dialect::Sqlite,
                cache: Arc::new(cache::ReadCache::sqlite(path)),
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            SqlStore {
                write_pool: pool.clone(),
                reader: pool,
                dialect: Dialect::Postgres,
                cache: cache::ReadCache::postgres(url),
            }
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL {url}: use sqlite://PATH or postgres://…"
            )));
        };
        if migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Opens the SQLite database file at `path`.
    pub async fn open_path(path: &Path) -> StoreResult<Self> {
        Self::open(&format!("sqlite://{}", path.display())).await
    }

    /// Brings the schema up to date; safe to run on every start and from
    /// several nodes (the migrator takes a lock).
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&*self.write()).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&*self.write()).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The writer pool, for one write: see `Writing`.
    pub(crate) fn write(&self) -> Writing<'_> {
        self.cache.bump();
        Writing(self)
    }

    /// Commits a transaction of `begin_write`'s; the read cache forgets
    /// what it kept as the commit ends, as it did when it began.
    pub(crate) async fn commit(&self, mut tx: WriteTx) -> StoreResult<()> {
        let open = tx.tx.take().expect("a transaction is committed once");
        let done = open.commit().await;
        drop(tx);
        Ok(done?)
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to `busy_timeout`): a deferred one
    /// that reads first could not write after another process (an `admin`
    /// command beside a running server) committed, and would fail with
    /// "database is locked" (`SQLITE_BUSY_SNAPSHOT`) instead of waiting.
    pub(crate) async fn begin_write(&self) -> StoreResult<WriteTx> {
        self.cache.bump();
        let tx = match self.dialect {
            Dialect::Sqlite => self.write_pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.write_pool.begin().await?,
        };
        Ok(WriteTx {
            tx: Some(tx),
            cache: Arc::clone(&self.cache),
        })
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }
}

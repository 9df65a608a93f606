//! The files part of `PackageStore` in SQL: a version's files, added and
//! removed one by one, a package's files in one query, and whether anything
//! still references a blob.

use entrepot_core::{Digests, Id, PackageFile, Timestamp};
use sqlx::any::AnyRow;

use super::SqlStore;
use super::packages::touch_package_of_version;
use super::rows::{all_rows, int, json, opt_text, optional_row, text, time};
use super::ts;
use crate::meta::NewFile;
use crate::{StoreError, StoreResult};

fn file(row: &AnyRow) -> StoreResult<PackageFile> {
    let digests: Digests = serde_json::from_value(json(row, "digests")?)
        .map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(PackageFile {
        id: int(row, "id")?,
        version_id: int(row, "version_id")?,
        name: text(row, "name")?,
        size: int(row, "size")? as u64,
        sha256: text(row, "sha256")?,
        digests,
        content_type: opt_text(row, "content_type")?,
        created_at: time(row, "created_at")?,
    })
}

pub(super) async fn of_version(store: &SqlStore, version_id: Id) -> StoreResult<Vec<PackageFile>> {
    let query =
        sqlx::query("SELECT * FROM files WHERE version_id = $1 ORDER BY id").bind(version_id);
    all_rows(query, &store.reader, file).await
}

pub(super) async fn of_package(store: &SqlStore, package: Id) -> StoreResult<Vec<PackageFile>> {
    let query = sqlx::query(
        "SELECT f.* FROM files f JOIN versions v ON v.id = f.version_id WHERE v.package_id = $1 ORDER BY f.id",
    )
    .bind(package);
    all_rows(query, &store.reader, file).await
}

pub(super) async fn named(
    store: &SqlStore,
    package: Id,
    name: &str,
) -> StoreResult<Option<PackageFile>> {
    let query = sqlx::query(
        "SELECT f.* FROM files f JOIN versions v ON v.id = f.version_id
         WHERE v.package_id = $1 AND f.name = $2 AND v.deleted_at IS NULL
         ORDER BY f.id LIMIT 1",
    )
    .bind(package)
    .bind(name);
    optional_row(query, &store.reader, file).await
}

/// Adds a file to a live version; `NotFound` when the version is deleted.
pub(super) async fn add(
    store: &SqlStore,
    version: Id,
    f: NewFile,
    at: Timestamp,
) -> StoreResult<PackageFile> {
    let mut tx = store.begin_write().await?;
    let live = sqlx::query("SELECT id FROM versions WHERE id = $1 AND deleted_at IS NULL")
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
    if live.is_none() {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(
        "INSERT INTO files (version_id, name, size, sha256, digests, content_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
    )
    .bind(version)
    .bind(&f.name)
    .bind(f.size as i64)
    .bind(&f.sha256)
    .bind(serde_json::to_string(&f.digests).expect("digests serialize"))
    .bind(&f.content_type)
    .bind(ts(&at))
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query("UPDATE versions SET updated_at = $1 WHERE id = $2")
        .bind(ts(&at))
        .bind(version)
        .execute(&mut **tx)
        .await?;
    touch_package_of_version(&mut tx, version).await?;
    store.commit(tx).await?;
    file(&row)
}

pub(super) async fn remove(store: &SqlStore, version: Id, names: &[String]) -> StoreResult<u64> {
    let mut tx = store.begin_write().await?;
    let mut removed = 0;
    for name in names {
        removed += sqlx::query("DELETE FROM files WHERE version_id = $1 AND name = $2")
            .bind(version)
            .bind(name)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    }
    touch_package_of_version(&mut tx, version).await?;
    store.commit(tx).await?;
    Ok(removed)
}

/// A file of a version, a repository's blob link, or a part of an open
/// upload: any of them keeps the blob.
pub(super) async fn blob_referenced(store: &SqlStore, sha256: &str) -> StoreResult<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM files WHERE sha256 = $1)
              + (SELECT COUNT(*) FROM blob_links WHERE sha256 = $1)
              + (SELECT COUNT(*) FROM uploads WHERE parts LIKE $2)",
    )
    .bind(sha256)
    .bind(format!("%{sha256}%"))
    .fetch_one(&*store.write())
    .await?;
    Ok(count > 0)
}

//! The versions part of `PackageStore` in SQL: publishing a version with its
//! files and tags in one transaction, finding and listing versions, soft
//! delete and restore, metadata edits, and purging.

use entrepot_core::{Id, Timestamp, Version};
use sqlx::any::AnyRow;

use super::packages::touch_package_of_version;
use super::rows::{all_rows, found, int, json, opt_int, opt_time, optional_row, text, time};
use super::ts;
use super::{Dialect, SqlStore};
use crate::meta::NewVersion;
use crate::{StoreError, StoreResult};

fn version(row: &AnyRow) -> StoreResult<Version> {
    Ok(Version {
        id: int(row, "id")?,
        package_id: int(row, "package_id")?,
        name: text(row, "name")?,
        metadata: json(row, "metadata")?,
        publisher_id: opt_int(row, "publisher_id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        deleted_at: opt_time(row, "deleted_at")?,
    })
}

pub(super) async fn publish(store: &SqlStore, v: NewVersion) -> StoreResult<Version> {
    let at = ts(&v.at);
    let mut tx = store.begin_write().await?;
    // The package row first, as every other write to the package takes it
    // first (tag moves, deletes, restores): on PostgreSQL they wait for
    // each other in that one order, never in a deadlock over a tag.
    sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
        .bind(&at)
        .bind(v.package_id)
        .execute(&mut **tx)
        .await?;
    let row = sqlx::query(
        "INSERT INTO versions (package_id, name, metadata, publisher_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
    )
    .bind(v.package_id)
    .bind(&v.name)
    .bind(v.metadata.to_string())
    .bind(v.publisher_id)
    .bind(&at)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("version {} already exists", v.name))
        }
        other => other,
    })?;
    let created = version(&row)?;
    for f in &v.files {
        sqlx::query(
            "INSERT INTO files (version_id, name, size, sha256, digests, content_type, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(created.id)
        .bind(&f.name)
        .bind(f.size as i64)
        .bind(&f.sha256)
        .bind(serde_json::to_string(&f.digests).expect("digests serialize"))
        .bind(&f.content_type)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
    }
    for tag in &v.tags {
        sqlx::query(
            "INSERT INTO tags (package_id, name, version_id, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
             updated_at = excluded.updated_at",
        )
        .bind(v.package_id)
        .bind(tag)
        .bind(created.id)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
        super::tags::forget_deleted(&mut tx, v.package_id, tag).await?;
    }
    store.commit(tx).await?;
    Ok(created)
}

pub(super) async fn by_name(
    store: &SqlStore,
    package: Id,
    name: &str,
) -> StoreResult<Option<Version>> {
    let query = sqlx::query("SELECT * FROM versions WHERE package_id = $1 AND name = $2")
        .bind(package)
        .bind(name);
    optional_row(query, &store.reader, version).await
}

pub(super) async fn by_id(store: &SqlStore, id: Id) -> StoreResult<Option<Version>> {
    let query = sqlx::query("SELECT * FROM versions WHERE id = $1").bind(id);
    optional_row(query, &store.reader, version).await
}

pub(super) async fn of_package(
    store: &SqlStore,
    package: Id,
    include_deleted: bool,
) -> StoreResult<Vec<Version>> {
    let filter = if include_deleted {
        ""
    } else {
        "AND deleted_at IS NULL"
    };
    let sql = format!("SELECT * FROM versions WHERE package_id = $1 {filter} ORDER BY id");
    all_rows(sqlx::query(&sql).bind(package), &store.reader, version).await
}

/// A page of live versions, newest first, and their number.
pub(super) async fn page(
    store: &SqlStore,
    package: Id,
    limit: u32,
    offset: u64,
) -> StoreResult<(Vec<Version>, u64)> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM versions WHERE package_id = $1 AND deleted_at IS NULL",
    )
    .bind(package)
    .fetch_one(&store.reader)
    .await?;
    let query = sqlx::query(
        "SELECT * FROM versions WHERE package_id = $1 AND deleted_at IS NULL
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(package)
    .bind(i64::from(limit))
    .bind(i64::try_from(offset).unwrap_or(i64::MAX));
    let versions = all_rows(query, &store.reader, version).await?;
    Ok((versions, u64::try_from(count).unwrap_or(0)))
}

/// Deletes a live version (`Some`) or restores a deleted one (`None`).
pub(super) async fn set_deleted(
    store: &SqlStore,
    id: Id,
    deleted_at: Option<Timestamp>,
) -> StoreResult<()> {
    if let Some(at) = deleted_at {
        return soft_delete(store, id, at, false).await;
    }
    let mut tx = store.begin_write().await?;
    // The package row first, as a delete and a tag move take it first: on
    // PostgreSQL they then wait for each other in one order, never in a
    // deadlock over the tags.
    touch_package_of_version(&mut tx, id).await?;
    let done = sqlx::query(
        "UPDATE versions SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    found(&done)?;
    // Its tags come back, but for those set on another version since.
    sqlx::query(
        "INSERT INTO tags (package_id, name, version_id, updated_at)
         SELECT v.package_id, d.name, d.version_id, $2
         FROM deleted_tags d JOIN versions v ON v.id = d.version_id
         WHERE d.version_id = $1
         ON CONFLICT (package_id, name) DO NOTHING",
    )
    .bind(id)
    .bind(super::now())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM deleted_tags WHERE version_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    store.commit(tx).await?;
    Ok(())
}

/// Soft-deletes a live version and sets its tags aside; with `keep_one`,
/// not the package's last live version. The package row is written
/// first, so that deletes in one package run one after the other (a
/// row lock on PostgreSQL; SQLite has one writer) and each sees what
/// the previous one did.
pub(super) async fn soft_delete(
    store: &SqlStore,
    id: Id,
    at: Timestamp,
    keep_one: bool,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    touch_package_of_version(&mut tx, id).await?;
    let done =
        sqlx::query("UPDATE versions SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(ts(&at))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    found(&done)?;
    if keep_one {
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM versions WHERE deleted_at IS NULL
             AND package_id = (SELECT package_id FROM versions WHERE id = $1)",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        if others == 0 {
            return Err(StoreError::Invalid(
                "the last live version of a package cannot be deleted".into(),
            ));
        }
    }
    // A tag never points at a deleted version; it is kept aside for a
    // restore.
    sqlx::query(
        "INSERT INTO deleted_tags (version_id, name)
         SELECT version_id, name FROM tags WHERE version_id = $1
         ON CONFLICT (version_id, name) DO NOTHING",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM tags WHERE version_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    store.commit(tx).await?;
    Ok(())
}

pub(super) async fn update_metadata(
    store: &SqlStore,
    id: Id,
    metadata: serde_json::Value,
    at: Timestamp,
) -> StoreResult<()> {
    let done = sqlx::query("UPDATE versions SET metadata = $1, updated_at = $2 WHERE id = $3")
        .bind(metadata.to_string())
        .bind(ts(&at))
        .bind(id)
        .execute(&*store.write())
        .await?;
    found(&done)
}

/// Removes a version for good. On PostgreSQL its download rows are locked
/// first: a download flush locks its row, then the package's day
/// (migration 0024's trigger), and the delete's trigger takes the
/// package's days before its cascade reaches the download rows, so without
/// this the two could wait on each other, or the package keep a count
/// flushed while the version went.
pub(super) async fn purge(store: &SqlStore, id: Id) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    if store.dialect() == Dialect::Postgres {
        sqlx::query("SELECT version_id FROM downloads WHERE version_id = $1 FOR UPDATE")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM versions WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    store.commit(tx).await
}

/// Versions deleted before `cutoff`, of live packages: the purge job's work.
pub(super) async fn expired(store: &SqlStore, cutoff: Timestamp) -> StoreResult<Vec<Id>> {
    Ok(sqlx::query_scalar(
        "SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id
         WHERE v.deleted_at IS NOT NULL AND v.deleted_at < $1 AND p.deleted_at IS NULL ORDER BY v.id",
    )
    .bind(ts(&cutoff))
    .fetch_all(&store.reader)
    .await?)
}

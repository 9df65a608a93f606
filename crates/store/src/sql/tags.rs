//! The tags part of `PackageStore` in SQL: a tag names one live version of
//! its package, and moving or removing one marks the package changed.

use entrepot_core::{Id, Tag, Timestamp};

use super::SqlStore;
use super::packages::touch_package;
use super::rows::{all_rows, found, int, text, time};
use super::{now, ts};
use crate::StoreResult;

/// Points `name` at a live version of the package; `NotFound` otherwise.
/// The package row is written first, as a delete writes it first: a tag
/// move and a delete in one package run one after the other (a row lock
/// on PostgreSQL; SQLite has one writer), so a tag never ends up on a
/// version deleted meanwhile.
pub(super) async fn set(
    store: &SqlStore,
    package: Id,
    name: &str,
    version_id: Id,
    at: Timestamp,
) -> StoreResult<()> {
    let mut tx = store.begin_write().await?;
    sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(package)
        .execute(&mut **tx)
        .await?;
    let done = sqlx::query(
        "INSERT INTO tags (package_id, name, version_id, updated_at)
         SELECT $1, $2, id, $4 FROM versions WHERE id = $3 AND package_id = $1 AND deleted_at IS NULL
         ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
         updated_at = excluded.updated_at",
    )
    .bind(package)
    .bind(name)
    .bind(version_id)
    .bind(ts(&at))
    .execute(&mut **tx)
    .await?;
    found(&done)?;
    forget_deleted(&mut tx, package, name).await?;
    store.commit(tx).await?;
    Ok(())
}

/// A tag set anew is no longer the one a deleted version had: restoring
/// that version must not bring it back (were it removed again later).
pub(super) async fn forget_deleted(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    package: Id,
    name: &str,
) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM deleted_tags WHERE name = $1
         AND version_id IN (SELECT id FROM versions WHERE package_id = $2)",
    )
    .bind(name)
    .bind(package)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn remove(store: &SqlStore, package: Id, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tags WHERE package_id = $1 AND name = $2")
        .bind(package)
        .bind(name)
        .execute(&*store.write())
        .await?;
    if done.rows_affected() > 0 {
        touch_package(store, package).await?;
    }
    Ok(done.rows_affected() > 0)
}

pub(super) async fn of_package(store: &SqlStore, package: Id) -> StoreResult<Vec<Tag>> {
    let query = sqlx::query("SELECT * FROM tags WHERE package_id = $1 ORDER BY name").bind(package);
    all_rows(query, &store.reader, |r| {
        Ok(Tag {
            package_id: int(r, "package_id")?,
            name: text(r, "name")?,
            version_id: int(r, "version_id")?,
            updated_at: time(r, "updated_at")?,
        })
    })
    .await
}

/// The tags with their versions' names, by tag name.
pub(super) async fn with_versions(
    store: &SqlStore,
    package: Id,
) -> StoreResult<Vec<(String, String)>> {
    let query = sqlx::query(
        "SELECT t.name AS tag, v.name AS version FROM tags t
         JOIN versions v ON v.id = t.version_id AND v.deleted_at IS NULL
         WHERE t.package_id = $1 ORDER BY t.name",
    )
    .bind(package);
    all_rows(query, &store.reader, |r| {
        Ok((text(r, "tag")?, text(r, "version")?))
    })
    .await
}

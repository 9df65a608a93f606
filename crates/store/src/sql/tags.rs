//! The tags part of `PackageStore` in SQL: a tag names one live version of
//! its package, and moving or removing one marks the package changed.

use entrepot_core::{Id, Tag, Timestamp};

use super::SqlStore;
use super::packages::touch_package;
use super::rows::{all_rows, found, int, text, time};
use super::ts;
use crate::StoreResult;

/// Points `name` at a live version of the package; `NotFound` otherwise.
pub(super) async fn set(
    store: &SqlStore,
    package: Id,
    name: &str,
    version_id: Id,
    at: Timestamp,
) -> StoreResult<()> {
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
    .execute(&store.writer)
    .await?;
    found(&done)?;
    touch_package(store, package).await
}

pub(super) async fn remove(store: &SqlStore, package: Id, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM tags WHERE package_id = $1 AND name = $2")
        .bind(package)
        .bind(name)
        .execute(&store.writer)
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

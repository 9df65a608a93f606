//! What the upstream cache's housekeeping reads and drops, and the names an
//! owner's index keeps because it served them from an upstream.

use chrono::{NaiveDate, NaiveTime};
use entrepot_core::{Id, PackageType, Timestamp};

use super::rows::{all_rows, int, opt_text, parse, text, time};
use super::{Dialect, SqlStore, ts};
use crate::StoreResult;
use crate::meta::CachedVersion;

pub(super) async fn reserve_owner_name(
    store: &SqlStore,
    (owner, format, name): (Id, PackageType, &str),
    upstream: Id,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO fallthrough_names (owner_id, format, name, upstream_id, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (owner_id, format, name) DO NOTHING",
    )
    .bind(owner)
    .bind(format.as_str())
    .bind(name)
    .bind(upstream)
    .bind(ts(&at))
    .execute(&*store.write())
    .await?;
    Ok(())
}

pub(super) async fn release_owner_name(
    store: &SqlStore,
    (owner, format, name): (Id, PackageType, &str),
) -> StoreResult<bool> {
    let done = sqlx::query(
        "DELETE FROM fallthrough_names WHERE owner_id = $1 AND format = $2 AND name = $3",
    )
    .bind(owner)
    .bind(format.as_str())
    .bind(name)
    .execute(&*store.write())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `create_package` must refuse `name`, inside its transaction.
/// Names are kept PEP 503-normalised (`Foo_Bar` and `foo-bar` are one),
/// which is also how cargo tells twins apart.
pub(super) async fn owner_name_reserved(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    (owner, format, name): (Id, PackageType, &str),
) -> StoreResult<bool> {
    let name = entrepot_core::names::pep503(name);
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT upstream_id FROM fallthrough_names
         WHERE owner_id = $1 AND format = $2 AND name = $3",
    )
    .bind(owner)
    .bind(format.as_str())
    .bind(name)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(found.is_some())
}

pub(super) async fn cached_versions(store: &SqlStore) -> StoreResult<Vec<CachedVersion>> {
    let query = sqlx::query(
        "SELECT v.id AS version_id, v.package_id, a.login, p.package_type, p.name AS package,
                v.name AS version, v.created_at,
                CAST(COALESCE((SELECT SUM(f.size) FROM files f WHERE f.version_id = v.id), 0)
                     AS BIGINT) AS bytes,
                (SELECT MAX(d.day) FROM downloads d WHERE d.version_id = v.id) AS last_day
         FROM versions v
         JOIN packages p ON p.id = v.package_id
         JOIN upstreams u ON u.account_id = p.owner_id
         JOIN accounts a ON a.id = u.account_id
         ORDER BY v.id",
    );
    all_rows(query, &store.reader, |row| {
        let created = time(row, "created_at")?;
        // A day's downloads count as a use at the day's end: never older
        // than the truth.
        let downloaded = opt_text(row, "last_day")?
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .map(|d| {
                d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
                    .and_utc()
            });
        Ok(CachedVersion {
            version_id: int(row, "version_id")?,
            package_id: int(row, "package_id")?,
            upstream: text(row, "login")?,
            package_type: parse(row, "package_type")?,
            package: text(row, "package")?,
            version: text(row, "version")?,
            bytes: u64::try_from(int(row, "bytes")?).unwrap_or(0),
            last_used: downloaded.map_or(created, |d| d.max(created)),
        })
    })
    .await
}

pub(super) async fn old_documents(
    store: &SqlStore,
    before: Timestamp,
) -> StoreResult<Vec<(Id, String, u64)>> {
    // Bytes, not characters: each dialect words it its own way.
    let length = match store.dialect() {
        Dialect::Postgres => "OCTET_LENGTH(body)",
        Dialect::Sqlite => "LENGTH(CAST(body AS BLOB))",
    };
    let sql = format!(
        "SELECT account_id, path, CAST({length} AS BIGINT) AS bytes
         FROM upstream_documents WHERE fetched_at < $1 ORDER BY account_id, path"
    );
    let query = sqlx::query(&sql).bind(ts(&before));
    all_rows(query, &store.reader, |row| {
        Ok((
            int(row, "account_id")?,
            text(row, "path")?,
            u64::try_from(int(row, "bytes")?).unwrap_or(0),
        ))
    })
    .await
}

pub(super) async fn drop_document(
    store: &SqlStore,
    upstream: Id,
    path: &str,
    before: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "DELETE FROM upstream_documents WHERE account_id = $1 AND path = $2 AND fetched_at < $3",
    )
    .bind(upstream)
    .bind(path)
    .bind(ts(&before))
    .execute(&*store.write())
    .await?;
    Ok(done.rows_affected() > 0)
}

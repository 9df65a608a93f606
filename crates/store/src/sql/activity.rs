//! `ActivityStore` in SQL: download counts per version and day, and the
//! audit log.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use entrepot_core::{AuditEntry, Id};

use super::rows::{all_rows, int, opt_int, opt_text, parse, placeholders, text, time};
use super::{Dialect, SqlStore, ts};
use crate::StoreResult;
use crate::meta::{ActivityStore, DownloadDay, DownloadSummary, NewAuditEntry, PackageTotals};

/// Adds `count` downloads of a version on a day. A version purged since it
/// was downloaded counts nothing: its count is dropped rather than refused,
/// so that the flush holding it does not fail ever after.
fn add_downloads(
    version: Id,
    day: NaiveDate,
    count: i64,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments<'static>> {
    sqlx::query(
        "INSERT INTO downloads (version_id, day, count)
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM versions WHERE id = $1)
         ON CONFLICT (version_id, day) DO UPDATE SET count = downloads.count + excluded.count",
    )
    .bind(version)
    .bind(day.to_string())
    .bind(count)
}

/// Packages or versions counted by one statement at most (bound
/// parameters).
const TOTALS_AT_ONCE: usize = 500;

#[async_trait]
impl ActivityStore for SqlStore {
    async fn record_downloads(
        &self,
        version_id: Id,
        day: NaiveDate,
        count: i64,
    ) -> StoreResult<()> {
        add_downloads(version_id, day, count)
            .execute(&*self.write())
            .await?;
        Ok(())
    }

    async fn record_many_downloads(
        &self,
        counts: &[(Id, NaiveDate, i64)],
    ) -> (usize, StoreResult<()>) {
        if self.dialect == Dialect::Postgres {
            // One row and one package day locked at a time, as a purge
            // expects (`versions::purge`): a transaction holding many could
            // deadlock with it, or with another node's flush.
            for (written, &(version, day, count)) in counts.iter().enumerate() {
                if let Err(e) = self.record_downloads(version, day, count).await {
                    return (written, Err(e));
                }
            }
            return (counts.len(), Ok(()));
        }
        // SQLite has one writer: one transaction, one sync to disk.
        let done = async {
            let mut tx = self.begin_write().await?;
            for &(version, day, count) in counts {
                add_downloads(version, day, count)
                    .execute(&mut **tx)
                    .await?;
            }
            self.commit(tx).await
        }
        .await;
        match done {
            Ok(()) => (counts.len(), Ok(())),
            Err(e) => (0, Err(e)),
        }
    }

    async fn downloads(&self, package: Id) -> StoreResult<Vec<DownloadDay>> {
        let query = sqlx::query(
            "SELECT d.version_id, d.day, d.count FROM downloads d JOIN versions v ON v.id = d.version_id
             WHERE v.package_id = $1 ORDER BY d.day, d.version_id",
        )
        .bind(package);
        all_rows(query, &self.reader, |r| {
            Ok(DownloadDay {
                version_id: int(r, "version_id")?,
                day: parse(r, "day")?,
                count: int(r, "count")?,
            })
        })
        .await
    }

    async fn download_summary(
        &self,
        package: Id,
        since: NaiveDate,
        versions: &[Id],
    ) -> StoreResult<DownloadSummary> {
        // By day from the package's own counts (migration 0024): one row a
        // day, however many versions it has.
        let total: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM package_downloads WHERE package_id = $1",
        )
        .bind(package)
        .fetch_one(&self.reader)
        .await?;
        let by_day = sqlx::query(
            "SELECT day, count AS n FROM package_downloads \
             WHERE package_id = $1 AND day >= $2 AND count <> 0 ORDER BY day",
        )
        .bind(package)
        .bind(since.to_string());
        let by_day = all_rows(by_day, &self.reader, |r| {
            Ok((parse(r, "day")?, int(r, "n")?))
        })
        .await?;
        let mut by_version = Vec::with_capacity(versions.len());
        for chunk in versions.chunks(TOTALS_AT_ONCE) {
            let sql = format!(
                "SELECT d.version_id, CAST(SUM(d.count) AS BIGINT) AS n FROM downloads d \
                 JOIN versions v ON v.id = d.version_id \
                 WHERE v.package_id = $1 AND d.version_id IN ({}) \
                 GROUP BY d.version_id ORDER BY d.version_id",
                placeholders(2, chunk.len())
            );
            let query = chunk
                .iter()
                .fold(sqlx::query(&sql).bind(package), |q, id| q.bind(*id));
            by_version.extend(
                all_rows(query, &self.reader, |r| {
                    Ok((int(r, "version_id")?, int(r, "n")?))
                })
                .await?,
            );
        }
        by_version.sort_unstable();
        Ok(DownloadSummary {
            total,
            by_version,
            by_day,
        })
    }

    async fn package_totals(&self, packages: &[Id]) -> StoreResult<HashMap<Id, PackageTotals>> {
        let load = self.package_totals_now(packages);
        if self.cache.sees_every_table() {
            self.cache
                .get(
                    &self.reader,
                    |m| &mut m.package_totals,
                    packages.to_vec(),
                    load,
                )
                .await
        } else {
            load.await
        }
    }

    async fn audit(&self, e: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, action, package_id, version_id, detail, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.actor_id)
        .bind(&e.action)
        .bind(e.package_id)
        .bind(e.version_id)
        .bind(&e.detail)
        .bind(ts(&e.at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn audit_log(&self, package: Id) -> StoreResult<Vec<AuditEntry>> {
        let query =
            sqlx::query("SELECT * FROM audit_log WHERE package_id = $1 ORDER BY id").bind(package);
        all_rows(query, &self.reader, audit_entry).await
    }

    async fn version_audit(&self, version: Id, action: &str) -> StoreResult<Vec<AuditEntry>> {
        let query = sqlx::query(
            "SELECT * FROM audit_log WHERE version_id = $1 AND action = $2 ORDER BY id",
        )
        .bind(version)
        .bind(action);
        all_rows(query, &self.reader, audit_entry).await
    }
}

fn audit_entry(r: &sqlx::any::AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: int(r, "id")?,
        actor_id: opt_int(r, "actor_id")?,
        action: text(r, "action")?,
        package_id: opt_int(r, "package_id")?,
        version_id: opt_int(r, "version_id")?,
        detail: opt_text(r, "detail")?,
        at: time(r, "at")?,
    })
}

impl SqlStore {
    /// [`ActivityStore::package_totals`] read from the database.
    async fn package_totals_now(&self, packages: &[Id]) -> StoreResult<HashMap<Id, PackageTotals>> {
        let mut totals = HashMap::with_capacity(packages.len());
        for chunk in packages.chunks(TOTALS_AT_ONCE) {
            let list = placeholders(1, chunk.len());
            // Correlated subqueries, each served by an index: live versions
            // by versions_live, downloads by package_downloads' key.
            let sql = format!(
                "SELECT p.id, \
                 (SELECT COUNT(*) FROM versions v WHERE v.package_id = p.id AND v.deleted_at IS NULL) AS live, \
                 (SELECT CAST(COALESCE(SUM(d.count), 0) AS BIGINT) FROM package_downloads d \
                  WHERE d.package_id = p.id) AS downloads \
                 FROM packages p WHERE p.id IN ({list})"
            );
            let query = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id));
            for (id, counted) in all_rows(query, &self.reader, |r| {
                Ok((
                    int(r, "id")?,
                    PackageTotals {
                        versions: u64::try_from(int(r, "live")?).unwrap_or(0),
                        downloads: int(r, "downloads")?,
                    },
                ))
            })
            .await?
            {
                totals.insert(id, counted);
            }
        }
        Ok(totals)
    }
}

//! `ActivityStore` in SQL: download counts per version and day, and the
//! audit log.

use async_trait::async_trait;
use chrono::NaiveDate;
use entrepot_core::{AuditEntry, Id};

use super::rows::{all_rows, int, opt_int, opt_text, parse, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::{ActivityStore, DownloadDay, DownloadSummary, NewAuditEntry};

#[async_trait]
impl ActivityStore for SqlStore {
    async fn record_downloads(
        &self,
        version_id: Id,
        day: NaiveDate,
        count: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO downloads (version_id, day, count) VALUES ($1, $2, $3)
             ON CONFLICT (version_id, day) DO UPDATE SET count = downloads.count + excluded.count",
        )
        .bind(version_id)
        .bind(day.to_string())
        .bind(count)
        .execute(&*self.write())
        .await?;
        Ok(())
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
    ) -> StoreResult<DownloadSummary> {
        let by_version = sqlx::query(
            "SELECT d.version_id, CAST(SUM(d.count) AS BIGINT) AS n FROM downloads d
             JOIN versions v ON v.id = d.version_id
             WHERE v.package_id = $1 GROUP BY d.version_id ORDER BY d.version_id",
        )
        .bind(package);
        let by_version = all_rows(by_version, &self.reader, |r| {
            Ok((int(r, "version_id")?, int(r, "n")?))
        })
        .await?;
        let by_day = sqlx::query(
            "SELECT d.day, CAST(SUM(d.count) AS BIGINT) AS n FROM downloads d
             JOIN versions v ON v.id = d.version_id
             WHERE v.package_id = $1 AND d.day >= $2 GROUP BY d.day ORDER BY d.day",
        )
        .bind(package)
        .bind(since.to_string());
        let by_day = all_rows(by_day, &self.reader, |r| {
            Ok((parse(r, "day")?, int(r, "n")?))
        })
        .await?;
        Ok(DownloadSummary {
            total: by_version.iter().map(|(_, n)| n).sum(),
            by_version,
            by_day,
        })
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
        all_rows(query, &self.reader, |r| {
            Ok(AuditEntry {
                id: int(r, "id")?,
                actor_id: opt_int(r, "actor_id")?,
                action: text(r, "action")?,
                package_id: opt_int(r, "package_id")?,
                version_id: opt_int(r, "version_id")?,
                detail: opt_text(r, "detail")?,
                at: time(r, "at")?,
            })
        })
        .await
    }
}

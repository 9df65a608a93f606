//! `AlertStore` in SQL: dependency alerts, inserted once per advisory,
//! dependent package and dependency, then updated in place.

use async_trait::async_trait;
use entrepot_core::Id;
use entrepot_core::alert::DependencyAlert;
use entrepot_core::dependency::{Dependency, key};
use sqlx::any::AnyRow;

use super::rows::{
    all_rows, boolean, int, opt_int, opt_text, opt_time, optional_row, parse, placeholders, text,
    time,
};
use super::{SqlStore, ts};
use crate::meta::AlertStore;
use crate::{StoreError, StoreResult};

fn alert(row: &AnyRow) -> StoreResult<DependencyAlert> {
    Ok(DependencyAlert {
        id: int(row, "id")?,
        advisory_id: int(row, "advisory_id")?,
        package_id: int(row, "package_id")?,
        dependency: Dependency {
            ecosystem: parse(row, "ecosystem")?,
            name: text(row, "name")?,
            range: text(row, "requirement")?,
            kind: parse(row, "kind")?,
            condition: opt_text(row, "applies_to")?,
        },
        state: parse(row, "state")?,
        admits_patched: boolean(row, "admits_patched")?,
        dismissed_reason: opt_text(row, "dismissed_reason")?
            .map(|r| r.parse())
            .transpose()
            .map_err(|e: entrepot_core::UnknownValue| StoreError::Database(e.to_string()))?,
        dismissed_comment: opt_text(row, "dismissed_comment")?,
        dismissed_by: opt_int(row, "dismissed_by")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        dismissed_at: opt_time(row, "dismissed_at")?,
        fixed_at: opt_time(row, "fixed_at")?,
        auto_dismissed_at: opt_time(row, "auto_dismissed_at")?,
    })
}

#[async_trait]
impl AlertStore for SqlStore {
    async fn save_alert(&self, a: &DependencyAlert) -> StoreResult<DependencyAlert> {
        let d = &a.dependency;
        let query = if a.id == 0 {
            sqlx::query(
                "INSERT INTO dependency_alerts (advisory_id, package_id, ecosystem, name, name_key,
                     requirement, kind, applies_to, state, admits_patched, dismissed_reason,
                     dismissed_comment, dismissed_by, created_at, updated_at, dismissed_at,
                     fixed_at, auto_dismissed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
                 RETURNING *",
            )
        } else {
            sqlx::query(
                "UPDATE dependency_alerts SET advisory_id = $1, package_id = $2, ecosystem = $3,
                     name = $4, name_key = $5, requirement = $6, kind = $7, applies_to = $8,
                     state = $9, admits_patched = $10, dismissed_reason = $11,
                     dismissed_comment = $12, dismissed_by = $13, created_at = $14,
                     updated_at = $15, dismissed_at = $16, fixed_at = $17, auto_dismissed_at = $18
                 WHERE id = $19 RETURNING *",
            )
        };
        let opt_ts = |t: &Option<entrepot_core::Timestamp>| t.as_ref().map(ts);
        let mut query = query
            .bind(a.advisory_id)
            .bind(a.package_id)
            .bind(d.ecosystem.as_str())
            .bind(&d.name)
            .bind(key(d.ecosystem, &d.name))
            .bind(&d.range)
            .bind(d.kind.as_str())
            .bind(&d.condition)
            .bind(a.state.as_str())
            .bind(a.admits_patched)
            .bind(
                a.dismissed_reason
                    .map(entrepot_core::DismissedReason::as_str),
            )
            .bind(&a.dismissed_comment)
            .bind(a.dismissed_by)
            .bind(ts(&a.created_at))
            .bind(ts(&a.updated_at))
            .bind(opt_ts(&a.dismissed_at))
            .bind(opt_ts(&a.fixed_at))
            .bind(opt_ts(&a.auto_dismissed_at));
        if a.id != 0 {
            query = query.bind(a.id);
        }
        let row = query
            .fetch_optional(&*self.write())
            .await?
            .ok_or(StoreError::NotFound)?;
        alert(&row)
    }

    async fn alert(&self, id: Id) -> StoreResult<Option<DependencyAlert>> {
        let query = sqlx::query("SELECT * FROM dependency_alerts WHERE id = $1").bind(id);
        optional_row(query, &self.reader, alert).await
    }

    async fn alerts_of_advisory(&self, advisory: Id) -> StoreResult<Vec<DependencyAlert>> {
        let query =
            sqlx::query("SELECT * FROM dependency_alerts WHERE advisory_id = $1 ORDER BY id")
                .bind(advisory);
        all_rows(query, &self.reader, alert).await
    }

    async fn alerts_of_packages(&self, packages: &[Id]) -> StoreResult<Vec<DependencyAlert>> {
        let mut found = Vec::new();
        for chunk in packages.chunks(500) {
            let sql = format!(
                "SELECT * FROM dependency_alerts WHERE package_id IN ({})",
                placeholders(1, chunk.len())
            );
            let query = chunk.iter().fold(sqlx::query(&sql), |q, id| q.bind(*id));
            found.extend(all_rows(query, &self.reader, alert).await?);
        }
        found.sort_by_key(|a| std::cmp::Reverse(a.id));
        Ok(found)
    }
}

//! `GovernanceStore` in SQL: owners' cleanup rules, each kept as the JSON
//! of its `RuleSpec`, and their immutable-tag patterns.

use async_trait::async_trait;
use entrepot_core::cleanup::{CleanupRule, RuleSpec};
use entrepot_core::immutable::ImmutableTag;
use entrepot_core::{Id, PackageType, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, json_of, json_text, opt_text, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::GovernanceStore;

fn rule(row: &AnyRow) -> StoreResult<CleanupRule> {
    Ok(CleanupRule {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        spec: json_of(row, "spec")?,
        created_at: time(row, "created_at")?,
    })
}

fn immutable(row: &AnyRow) -> StoreResult<ImmutableTag> {
    Ok(ImmutableTag {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        format: opt_text(row, "format")?
            .map(|f| {
                f.parse()
                    .map_err(|e| crate::StoreError::Database(format!("column format: {e}")))
            })
            .transpose()?,
        pattern: text(row, "pattern")?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl GovernanceStore for SqlStore {
    async fn add_cleanup_rule(
        &self,
        owner: Id,
        spec: &RuleSpec,
        at: Timestamp,
    ) -> StoreResult<CleanupRule> {
        let row = sqlx::query(
            "INSERT INTO cleanup_rules (owner_id, spec, created_at) VALUES ($1, $2, $3)
             RETURNING *",
        )
        .bind(owner)
        .bind(json_text(spec)?)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        rule(&row)
    }

    async fn cleanup_rules(&self, owner: Option<Id>) -> StoreResult<Vec<CleanupRule>> {
        let query = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM cleanup_rules WHERE owner_id = $1 ORDER BY id")
                    .bind(owner)
            }
            None => sqlx::query("SELECT * FROM cleanup_rules ORDER BY id"),
        };
        all_rows(query, &self.reader, rule).await
    }

    async fn remove_cleanup_rule(&self, owner: Id, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM cleanup_rules WHERE owner_id = $1 AND id = $2")
            .bind(owner)
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_immutable_tag(
        &self,
        owner: Id,
        format: Option<PackageType>,
        pattern: &str,
        at: Timestamp,
    ) -> StoreResult<ImmutableTag> {
        let row = sqlx::query(
            "INSERT INTO immutable_tags (owner_id, format, pattern, created_at)
             VALUES ($1, $2, $3, $4) RETURNING *",
        )
        .bind(owner)
        .bind(format.map(PackageType::as_str))
        .bind(pattern)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        immutable(&row)
    }

    async fn immutable_tags(&self, owner: Option<Id>) -> StoreResult<Vec<ImmutableTag>> {
        let query = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM immutable_tags WHERE owner_id = $1 ORDER BY id")
                    .bind(owner)
            }
            None => sqlx::query("SELECT * FROM immutable_tags ORDER BY id"),
        };
        all_rows(query, &self.reader, immutable).await
    }

    async fn remove_immutable_tag(&self, owner: Id, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM immutable_tags WHERE owner_id = $1 AND id = $2")
            .bind(owner)
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

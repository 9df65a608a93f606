//! `GovernanceStore` in SQL: owners' cleanup rules, each kept as the JSON
//! of its `RuleSpec`.

use async_trait::async_trait;
use entrepot_core::cleanup::{CleanupRule, RuleSpec};
use entrepot_core::{Id, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, json_of, json_text, time};
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
}

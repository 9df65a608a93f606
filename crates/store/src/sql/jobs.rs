//! `JobStore` in SQL: one node at a time holds a named background job, by
//! a claim that lapses at a set time.

use async_trait::async_trait;
use entrepot_core::Timestamp;

use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::JobStore;

#[async_trait]
impl JobStore for SqlStore {
    async fn claim_job(
        &self,
        name: &str,
        node: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO jobs (name, claimed_until, claimed_by) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET claimed_until = excluded.claimed_until,
             claimed_by = excluded.claimed_by WHERE jobs.claimed_until <= $4",
        )
        .bind(name)
        .bind(ts(&until))
        .bind(node)
        .bind(ts(&now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

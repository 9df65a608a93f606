//! `JobStore` in SQL: one node at a time holds a named background job, by
//! a claim that lapses at a set time.

use async_trait::async_trait;
use entrepot_core::Timestamp;

use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::{JobStore, PoolUse};

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
        .execute(&*self.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn pools(&self) -> Vec<PoolUse> {
        let usage = |pool: &'static str, p: &sqlx::AnyPool| PoolUse {
            pool,
            open: p.size(),
            idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
            max: p.options().get_max_connections(),
        };
        match self.dialect {
            super::Dialect::Sqlite => {
                vec![
                    usage("writer", &self.write_pool),
                    usage("reader", &self.reader),
                ]
            }
            super::Dialect::Postgres => vec![usage("shared", &self.write_pool)],
        }
    }
}

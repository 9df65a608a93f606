//! Jobs that one node of many runs (the hourly purge): a node claims the
//! job in the shared store for a while, and the others stand aside.

use chrono::{TimeDelta, Utc};

use crate::{Registry, ServiceResult};

impl Registry {
    /// Claims the job `name` for `node` for `period` from now, if no other
    /// node's claim is in force; true when this node won.
    pub async fn claim_job(
        &self,
        name: &str,
        node: &str,
        period: TimeDelta,
    ) -> ServiceResult<bool> {
        let now = Utc::now();
        Ok(self.meta.claim_job(name, node, now + period, now).await?)
    }
}

//! Jobs that one node of many runs (the hourly purge): a node claims the
//! job in the shared store for a while, and the others stand aside. The
//! purge itself removes what was deleted longer ago than the retention.

use chrono::{TimeDelta, Utc};

use crate::{Maintenance, ServiceResult};

/// What one run of the purge job removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    pub packages: usize,
    pub versions: usize,
    pub blobs: usize,
}

impl Maintenance<'_> {
    /// Claims the job `name` for `node` for `period` from now, if no other
    /// node's claim is in force; true when this node won.
    pub async fn claim_job(self, name: &str, node: &str, period: TimeDelta) -> ServiceResult<bool> {
        let now = Utc::now();
        Ok(self.meta.claim_job(name, node, now + period, now).await?)
    }

    /// Removes packages and versions deleted longer ago than the retention
    /// period, then every blob nothing references (older than the grace
    /// period). Idempotent, so running it twice or on two nodes is harmless.
    pub async fn purge_expired(
        self,
        blob_grace: std::time::Duration,
    ) -> ServiceResult<PurgeReport> {
        self.purge_expired_watched(blob_grace, &entrepot_store::copy::Silent)
            .await
    }

    /// `purge_expired`, telling `progress` how the blobs go (`admin gc`).
    pub async fn purge_expired_watched(
        self,
        blob_grace: std::time::Duration,
        progress: &dyn entrepot_store::copy::Progress,
    ) -> ServiceResult<PurgeReport> {
        let cutoff = Utc::now() - self.limits.retention;
        let mut report = PurgeReport::default();
        for id in self.meta.expired_packages(cutoff).await? {
            self.meta.purge_package(id).await?;
            report.packages += 1;
        }
        for id in self.meta.expired_versions(cutoff).await? {
            self.meta.purge_version(id).await?;
            report.versions += 1;
        }
        let collectable = self
            .blobs()
            .collectable_blobs_watched(blob_grace, progress)
            .await?;
        progress.start("removing blobs", Some(collectable.len() as u64));
        for digest in collectable {
            progress.advance(1, 0);
            // Checked again at the last moment: a publish may have just
            // referenced the same content.
            if self.blobs().discard_blob(&digest).await? {
                report.blobs += 1;
            }
        }
        if report != PurgeReport::default() {
            tracing::info!(?report, "purged expired packages, versions and blobs");
        }
        Ok(report)
    }
}

/// What `/readyz` found: each store's trouble, if any.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database: Option<String>,
    pub blobs: Option<String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.is_none() && self.blobs.is_none()
    }
}

/// The bytes the readiness probe writes and reads back.
const PROBE: &[u8] = b"entrepot readiness probe\n";

impl Maintenance<'_> {
    /// Whether this node can serve: the database takes a write (a read-only
    /// or full database fails here, not in the next request) and the blob
    /// store keeps and returns a small blob.
    pub async fn readiness(self, node: &str) -> Readiness {
        let now = Utc::now();
        let database = self
            .meta
            .claim_job("readiness-probe", node, now, now)
            .await
            .err()
            .map(|e| e.to_string());
        Readiness {
            database,
            blobs: self.probe_blobs().await.err(),
        }
    }

    async fn probe_blobs(self) -> Result<(), String> {
        use futures::TryStreamExt;
        let body: entrepot_store::ByteStream = Box::pin(futures::stream::once(async {
            Ok(bytes::Bytes::from_static(PROBE))
        }));
        let info = self
            .blob_store
            .put(body, entrepot_store::Expected::default())
            .await
            .map_err(|e| e.to_string())?;
        let read = self
            .blob_store
            .get(&info.sha256, None)
            .await
            .map_err(|e| e.to_string())?;
        let back: Vec<bytes::Bytes> = read.stream.try_collect().await.map_err(|e| e.to_string())?;
        if back.concat() == PROBE {
            Ok(())
        } else {
            Err("the blob store returned other bytes than it was given".into())
        }
    }
}

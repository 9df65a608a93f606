//! What `/metrics` reports of the stores: the blob store's latency per
//! operation, measured around every call by a wrapper the registry puts
//! on whatever backend it is given, and the database's pools, round trip
//! and delivery queue, read when asked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use entrepot_store::{
    BlobInfo, BlobRead, BlobStore, ByteRange, ByteStream, Expected, PoolUse, StoreResult,
};

use crate::{Maintenance, Stats};

/// Upper bounds (seconds) of the latency buckets: 0.5 ms to 10 s.
pub const BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram of fixed buckets, updated without a lock.
#[derive(Debug, Default)]
pub struct Latency {
    /// Observations in each bucket (not cumulative), then above the last.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// A histogram as read: cumulative counts per upper bound, the count and
/// the sum in seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencySnapshot {
    pub cumulative: Vec<(f64, u64)>,
    pub count: u64,
    pub sum_seconds: f64,
}

impl Latency {
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    #[must_use]
    pub fn snapshot(&self) -> LatencySnapshot {
        let mut running = 0;
        let mut cumulative = Vec::with_capacity(BUCKETS.len());
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            running += n.load(Ordering::Relaxed);
            cumulative.push((*bound, running));
        }
        let count = running + self.buckets[BUCKETS.len()].load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)] // microseconds summed: exact to 2^53
        let sum_seconds = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        LatencySnapshot {
            cumulative,
            count,
            sum_seconds,
        }
    }
}

/// The blob store's operations, as `/metrics` labels them.
pub const BLOB_OPERATIONS: [&str; 5] = ["put", "get", "stat", "delete", "list"];

/// Latency of each blob store operation, in `BLOB_OPERATIONS`' order.
#[derive(Debug, Default)]
pub struct BlobLatency(pub [Latency; BLOB_OPERATIONS.len()]);

/// The blob store, timed. `put` counts until the blob is durable, so it
/// includes the time the body takes to arrive; `get` counts until the
/// stream is open, not until the client has read it.
pub(crate) struct TimedBlobs {
    pub(crate) inner: Arc<dyn BlobStore>,
    pub(crate) stats: Arc<Stats>,
}

impl TimedBlobs {
    fn record(&self, operation: usize, started: Instant) {
        self.stats.blob_latency.0[operation].observe(started.elapsed());
    }
}

#[async_trait]
impl BlobStore for TimedBlobs {
    async fn put(&self, body: ByteStream, expected: Expected) -> StoreResult<BlobInfo> {
        let started = Instant::now();
        let done = self.inner.put(body, expected).await;
        self.record(0, started);
        done
    }

    async fn get(&self, sha256: &str, range: Option<ByteRange>) -> StoreResult<BlobRead> {
        let started = Instant::now();
        let done = self.inner.get(sha256, range).await;
        self.record(1, started);
        done
    }

    async fn size(&self, sha256: &str) -> StoreResult<Option<u64>> {
        let started = Instant::now();
        let done = self.inner.size(sha256).await;
        self.record(2, started);
        done
    }

    async fn modified(&self, sha256: &str) -> StoreResult<Option<std::time::SystemTime>> {
        let started = Instant::now();
        let done = self.inner.modified(sha256).await;
        self.record(2, started);
        done
    }

    async fn delete(&self, sha256: &str) -> StoreResult<()> {
        let started = Instant::now();
        let done = self.inner.delete(sha256).await;
        self.record(3, started);
        done
    }

    async fn list(&self) -> StoreResult<Vec<String>> {
        let started = Instant::now();
        let done = self.inner.list().await;
        self.record(4, started);
        done
    }
}

/// The database as `/metrics` sees it at one moment.
#[derive(Debug, Clone)]
pub struct DatabaseUse {
    pub pools: Vec<PoolUse>,
    /// The round trip of the simplest query, if it succeeded.
    pub ping: Option<Duration>,
    /// Webhook deliveries waiting to be sent, if the count could be read.
    pub pending_deliveries: Option<u64>,
}

impl Maintenance<'_> {
    /// Reads the pools, times a round trip, and counts waiting deliveries.
    pub async fn database_use(self) -> DatabaseUse {
        let started = Instant::now();
        let ping = self.meta.ping().await.ok().map(|()| started.elapsed());
        DatabaseUse {
            pools: self.meta.pools(),
            ping,
            pending_deliveries: self.meta.pending_deliveries().await.ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_cumulative_buckets_and_the_sum() {
        let latency = Latency::default();
        latency.observe(Duration::from_micros(300));
        latency.observe(Duration::from_millis(3));
        latency.observe(Duration::from_secs(20));
        let seen = latency.snapshot();
        assert_eq!(seen.count, 3);
        assert_eq!(seen.cumulative[0], (0.000_5, 1));
        assert_eq!(seen.cumulative[3], (0.005, 2));
        assert_eq!(seen.cumulative.last(), Some(&(10.0, 2)));
        assert!((seen.sum_seconds - 20.0033).abs() < 1e-9);
    }
}

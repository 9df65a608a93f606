//! Download counts kept in memory until written in batches, and read as if
//! written: a download costs no database write, and a read of counts costs
//! no write either (under load a read that flushed first queued behind
//! every publish for the database's one writer).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use entrepot_core::{Id, Version};
use entrepot_store::{DownloadDay, DownloadSummary, MetadataStore, StoreResult};
use tokio::sync::{RwLock, RwLockReadGuard};

/// One version's count for one day, and the package it counts towards.
type Counts = HashMap<(Id, NaiveDate), (Id, i64)>;

#[derive(Default)]
pub(crate) struct DownloadBuffer {
    counts: Mutex<Counts>,
    /// Held exclusively while counts move from the buffer to the store, and
    /// shared by a reader across its read of the store and of the buffer:
    /// each count is then seen once, in one or the other.
    gate: RwLock<()>,
}

impl DownloadBuffer {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().expect("download buffer lock")
    }

    pub(crate) fn count(&self, version: &Version, day: NaiveDate) {
        self.counts()
            .entry((version.id, day))
            .or_insert((version.package_id, 0))
            .1 += 1;
    }

    /// Held while reading the store's counts and adding the buffer's.
    pub(crate) async fn reading(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().await
    }

    /// Writes the buffered counts. A count the store refuses stays for the
    /// next flush; one of a version purged since is dropped by the store.
    pub(crate) async fn flush(&self, meta: &dyn MetadataStore) -> StoreResult<()> {
        let _writing = self.gate.write().await;
        let pending = std::mem::take(&mut *self.counts());
        let mut entries = pending.into_iter();
        while let Some(((version, day), (package, count))) = entries.next() {
            if let Err(e) = meta.record_downloads(version, day, count).await {
                let mut buffer = self.counts();
                for (key, (package, n)) in
                    std::iter::once(((version, day), (package, count))).chain(entries)
                {
                    buffer.entry(key).or_insert((package, 0)).1 += n;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Adds the buffer's counts of `package` to its days read from the
    /// store, keeping them ordered by day, then version.
    pub(crate) fn add_days(&self, package: Id, days: &mut Vec<DownloadDay>) {
        let mut added = false;
        for (&(version, day), &(of, count)) in self.counts().iter() {
            if of != package {
                continue;
            }
            added = true;
            match days
                .iter_mut()
                .find(|d| d.version_id == version && d.day == day)
            {
                Some(d) => d.count += count,
                None => days.push(DownloadDay {
                    version_id: version,
                    day,
                    count,
                }),
            }
        }
        if added {
            days.sort_by_key(|d| (d.day, d.version_id));
        }
    }

    /// Adds the buffer's counts of `package` to its summary read from the
    /// store (asked about `versions`, by day from `since`).
    pub(crate) fn add_summary(
        &self,
        package: Id,
        since: NaiveDate,
        versions: &[Id],
        summary: &mut DownloadSummary,
    ) {
        let mut added = false;
        for (&(version, day), &(of, count)) in self.counts().iter() {
            if of != package {
                continue;
            }
            added = true;
            summary.total += count;
            if day >= since {
                add_to(&mut summary.by_day, day, count);
            }
            if versions.contains(&version) {
                add_to(&mut summary.by_version, version, count);
            }
        }
        if added {
            summary.by_day.sort_unstable();
            summary.by_version.sort_unstable();
        }
    }

    /// The buffer's counts of each of `packages` that has any.
    pub(crate) fn by_package(&self, packages: &[Id]) -> HashMap<Id, i64> {
        let mut sums = HashMap::new();
        for &(package, count) in self.counts().values() {
            if packages.contains(&package) {
                *sums.entry(package).or_insert(0) += count;
            }
        }
        sums
    }
}

fn add_to<K: PartialEq>(rows: &mut Vec<(K, i64)>, key: K, count: i64) {
    match rows.iter_mut().find(|(k, _)| *k == key) {
        Some((_, n)) => *n += count,
        None => rows.push((key, count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: Id, package_id: Id) -> Version {
        Version {
            id,
            package_id,
            name: format!("1.0.{id}"),
            metadata: serde_json::json!({}),
            publisher_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            deleted_at: None,
        }
    }

    #[test]
    fn buffered_counts_add_to_what_the_store_read() {
        let buffer = DownloadBuffer::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let yesterday = today.pred_opt().unwrap();
        buffer.count(&version(1, 10), today);
        buffer.count(&version(1, 10), today);
        buffer.count(&version(2, 10), yesterday);
        buffer.count(&version(3, 20), today);

        let mut days = vec![DownloadDay {
            version_id: 1,
            day: today,
            count: 5,
        }];
        buffer.add_days(10, &mut days);
        let days: Vec<_> = days
            .iter()
            .map(|d| (d.day, d.version_id, d.count))
            .collect();
        assert_eq!(days, [(yesterday, 2, 1), (today, 1, 7)]);

        let mut summary = DownloadSummary {
            total: 5,
            by_version: vec![(1, 5)],
            by_day: vec![(today, 5)],
        };
        buffer.add_summary(10, today, &[1, 2], &mut summary);
        assert_eq!(summary.total, 8);
        assert_eq!(summary.by_version, [(1, 7), (2, 1)]);
        assert_eq!(summary.by_day, [(today, 7)], "yesterday is before `since`");

        assert_eq!(buffer.by_package(&[10, 30]), HashMap::from([(10, 3)]));
    }
}

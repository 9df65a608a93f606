//! Download counts kept in memory until written in batches, and read as if
//! written: a download costs no database write, and a read of counts costs
//! no write either (under load a read that flushed first queued behind
//! every publish for the database's one writer).

use std::collections::{HashMap, HashSet};
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

    /// Writes the buffered counts. Those the store did not take stay for
    /// the next flush; one of a version purged since is dropped by the
    /// store.
    pub(crate) async fn flush(&self, meta: &dyn MetadataStore) -> StoreResult<()> {
        let _writing = self.gate.write().await;
        let pending = std::mem::take(&mut *self.counts());
        if pending.is_empty() {
            return Ok(());
        }
        // In one order, so that flushes lock rows alike.
        let mut entries: Vec<_> = pending.into_iter().collect();
        entries.sort_unstable_by_key(|&(key, _)| key);
        let rows: Vec<_> = entries
            .iter()
            .map(|&((version, day), (_, count))| (version, day, count))
            .collect();
        let (written, done) = meta.record_many_downloads(&rows).await;
        if done.is_err() {
            let mut buffer = self.counts();
            for (key, (package, n)) in entries.into_iter().skip(written) {
                buffer.entry(key).or_insert((package, 0)).1 += n;
            }
        }
        done
    }

    /// Adds the buffer's counts of `package` to its days read from the
    /// store, keeping them ordered by day, then version.
    pub(crate) fn add_days(&self, package: Id, days: &mut Vec<DownloadDay>) {
        let mine = self.of_package(package);
        if mine.is_empty() {
            return;
        }
        let mut at: HashMap<(Id, NaiveDate), usize> = days
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.version_id, d.day), i))
            .collect();
        for (version, day, count) in mine {
            if let Some(&i) = at.get(&(version, day)) {
                days[i].count += count;
            } else {
                at.insert((version, day), days.len());
                days.push(DownloadDay {
                    version_id: version,
                    day,
                    count,
                });
            }
        }
        days.sort_by_key(|d| (d.day, d.version_id));
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
        let mine = self.of_package(package);
        if mine.is_empty() {
            return;
        }
        let asked: HashSet<Id> = versions.iter().copied().collect();
        let mut by_day: HashMap<NaiveDate, i64> = summary.by_day.drain(..).collect();
        let mut by_version: HashMap<Id, i64> = summary.by_version.drain(..).collect();
        for (version, day, count) in mine {
            summary.total += count;
            if day >= since {
                *by_day.entry(day).or_insert(0) += count;
            }
            if asked.contains(&version) {
                *by_version.entry(version).or_insert(0) += count;
            }
        }
        summary.by_day = by_day.into_iter().collect();
        summary.by_day.sort_unstable();
        summary.by_version = by_version.into_iter().collect();
        summary.by_version.sort_unstable();
    }

    /// The buffer's counts of `package`: copied out, so that the lock every
    /// download takes is held only for the copy.
    fn of_package(&self, package: Id) -> Vec<(Id, NaiveDate, i64)> {
        self.counts()
            .iter()
            .filter(|(_, (of, _))| *of == package)
            .map(|(&(version, day), &(_, count))| (version, day, count))
            .collect()
    }

    /// The buffer's counts of each of `packages` that has any.
    pub(crate) fn by_package(&self, packages: &[Id]) -> HashMap<Id, i64> {
        let wanted: std::collections::HashSet<Id> = packages.iter().copied().collect();
        let mut sums = HashMap::new();
        for &(package, count) in self.counts().values() {
            if wanted.contains(&package) {
                *sums.entry(package).or_insert(0) += count;
            }
        }
        sums
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

//! Housekeeping of what was cached from upstreams: versions unused for
//! longer than the maximum age go, then the least recently used until the
//! cache fits its size; documents not fetched for the maximum age go too.
//! Only packages owned by an upstream are ever candidates, so local
//! packages are never touched, and a file's bytes stay as long as any
//! other version (local or not) shares them: the blob collector decides.

use chrono::{TimeDelta, Utc};
use entrepot_store::CachedVersion;

use crate::{ServiceResult, Upstreams};

/// How much the cache keeps (`--upstream-cache-max-age`,
/// `--upstream-cache-max-size`); nothing set keeps everything.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// Versions not downloaded for this long are evicted.
    pub max_age: Option<TimeDelta>,
    /// The most bytes of files (and of the blobs versions link, such as
    /// an image's layers) the cache keeps.
    pub max_bytes: Option<u64>,
}

impl CachePolicy {
    pub fn is_unbounded(&self) -> bool {
        self.max_age.is_none() && self.max_bytes.is_none()
    }
}

/// What one pass evicted (or, dry, would evict), and what stays.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PruneReport {
    /// The versions evicted, least recently used first.
    pub evicted: Vec<CachedVersion>,
    pub evicted_bytes: u64,
    pub documents: usize,
    pub document_bytes: u64,
    pub kept_versions: usize,
    pub kept_bytes: u64,
}

/// The versions `policy` evicts from `cached`, least recently used first,
/// and what stays: those unused since `now - max_age`, then the oldest
/// until the rest fits `max_bytes`.
pub fn plan(
    mut cached: Vec<CachedVersion>,
    policy: CachePolicy,
    now: chrono::DateTime<Utc>,
) -> (Vec<CachedVersion>, Vec<CachedVersion>) {
    cached.sort_by(|a, b| {
        a.last_used
            .cmp(&b.last_used)
            .then(a.version_id.cmp(&b.version_id))
    });
    let too_old = |c: &CachedVersion| policy.max_age.is_some_and(|age| c.last_used < now - age);
    let (mut evicted, mut kept): (Vec<_>, Vec<_>) = cached.into_iter().partition(too_old);
    if let Some(limit) = policy.max_bytes {
        let mut total: u64 = kept.iter().map(|c| c.bytes).sum();
        let over = kept
            .iter()
            .take_while(|c| {
                let go = total > limit;
                total = total.saturating_sub(c.bytes);
                go
            })
            .count();
        evicted.extend(kept.drain(..over));
    }
    (evicted, kept)
}

impl Upstreams<'_> {
    /// Evicts from the upstream cache what `policy` (the configured one
    /// when `None`) does not keep; with `dry_run`, only says what it would.
    pub async fn prune_cache(
        self,
        policy: Option<CachePolicy>,
        dry_run: bool,
    ) -> ServiceResult<PruneReport> {
        let policy = policy.unwrap_or(self.limits.upstream_cache);
        let now = Utc::now();
        let mut cached = self.meta.cached_versions().await?;
        if policy.max_bytes.is_some() {
            self.count_linked(&mut cached).await?;
        }
        let (evicted, kept) = plan(cached, policy, now);
        let mut report = PruneReport {
            evicted_bytes: evicted.iter().map(|c| c.bytes).sum(),
            kept_versions: kept.len(),
            kept_bytes: kept.iter().map(|c| c.bytes).sum(),
            ..PruneReport::default()
        };
        let documents = match policy.max_age {
            Some(age) => self.meta.old_upstream_documents(now - age).await?,
            None => Vec::new(),
        };
        if !dry_run {
            let emptied = emptied_packages(&evicted, &kept);
            for version in &evicted {
                self.meta.purge_version(version.version_id).await?;
            }
            for package in emptied {
                self.meta.purge_package(package).await?;
            }
        }
        for (upstream, path, bytes) in documents {
            let dropped = dry_run
                || match policy.max_age {
                    Some(age) => {
                        self.meta
                            .drop_upstream_document(upstream, &path, now - age)
                            .await?
                    }
                    None => false,
                };
            if dropped {
                report.documents += 1;
                report.document_bytes += bytes;
            }
        }
        report.evicted = evicted;
        if !dry_run && (!report.evicted.is_empty() || report.documents > 0) {
            tracing::info!(
                versions = report.evicted.len(),
                bytes = report.evicted_bytes,
                documents = report.documents,
                "evicted from the upstream cache"
            );
        }
        Ok(report)
    }
}

impl Upstreams<'_> {
    /// Adds to each cached version the blobs its format links beyond its
    /// files (an image's config and layers), each stored blob counted once,
    /// for the most recently used cached version holding it: evicting older
    /// versions then frees about what they alone hold.
    async fn count_linked(self, cached: &mut [CachedVersion]) -> ServiceResult<()> {
        let upstreams = self.known_upstreams().await?;
        let mut order: Vec<usize> = (0..cached.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse((cached[i].last_used, cached[i].version_id)));
        let mut counted = std::collections::HashSet::new();
        for i in order {
            let c = &cached[i];
            let Some(format) = self.catalog.format(c.package_type) else {
                continue;
            };
            let upstream = upstreams.iter().find(|u| u.name == c.upstream);
            let (Some(upstream), true) = (upstream, format.links_blobs()) else {
                continue;
            };
            let Some(version) = self.meta.version_by_id(c.version_id).await? else {
                continue;
            };
            let mut bytes = 0;
            for digest in format.linked_blobs(&version) {
                let link = self
                    .meta
                    .blob_link(upstream.account_id, c.package_type, &c.package, &digest)
                    .await?;
                // Stored once by content, whichever images hold it.
                if let Some(link) = link
                    && counted.insert(link.sha256)
                {
                    bytes += link.size;
                }
            }
            cached[i].bytes += bytes;
        }
        Ok(())
    }
}

impl Upstreams<'_> {
    /// `prune_cache` with the configured limits, for a site administrator
    /// (the web page); a policy that keeps everything is refused.
    pub async fn prune_cache_as(
        self,
        actor: &entrepot_core::Actor,
        dry_run: bool,
    ) -> ServiceResult<PruneReport> {
        crate::upstreams::site_admin(actor, !dry_run)?;
        if self.limits.upstream_cache.is_unbounded() {
            return Err(crate::ServiceError::Invalid(
                "no limit is configured: set --upstream-cache-max-age or \
                 --upstream-cache-max-size (or run `entrepot admin upstream prune` with limits)"
                    .into(),
            ));
        }
        self.prune_cache(None, dry_run).await
    }
}

/// The packages none of whose versions stay.
fn emptied_packages(evicted: &[CachedVersion], kept: &[CachedVersion]) -> Vec<entrepot_core::Id> {
    let staying: std::collections::HashSet<_> = kept.iter().map(|c| c.package_id).collect();
    let mut gone: Vec<_> = evicted
        .iter()
        .map(|c| c.package_id)
        .filter(|p| !staying.contains(p))
        .collect();
    gone.sort_unstable();
    gone.dedup();
    gone
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_core::PackageType;

    fn cached(id: i64, package_id: i64, bytes: u64, days_ago: i64) -> CachedVersion {
        CachedVersion {
            version_id: id,
            package_id,
            upstream: "npmjs".into(),
            package_type: PackageType::Npm,
            package: format!("p{package_id}"),
            version: format!("1.0.{id}"),
            bytes,
            last_used: Utc::now() - TimeDelta::days(days_ago),
        }
    }

    fn ids(v: &[CachedVersion]) -> Vec<i64> {
        v.iter().map(|c| c.version_id).collect()
    }

    #[test]
    fn nothing_set_keeps_everything() {
        let (evicted, kept) = plan(
            vec![cached(1, 1, 10, 400)],
            CachePolicy::default(),
            Utc::now(),
        );
        assert!(evicted.is_empty());
        assert_eq!(ids(&kept), [1]);
    }

    #[test]
    fn age_then_size_evict_the_least_recently_used_first() {
        let all = vec![
            cached(1, 1, 100, 1),
            cached(2, 1, 100, 50),
            cached(3, 2, 100, 10),
            cached(4, 3, 100, 5),
        ];
        let policy = CachePolicy {
            max_age: Some(TimeDelta::days(30)),
            max_bytes: Some(150),
        };
        let (evicted, kept) = plan(all, policy, Utc::now());
        assert_eq!(
            ids(&evicted),
            [2, 3, 4],
            "too old, then oldest until it fits"
        );
        assert_eq!(ids(&kept), [1]);
        assert_eq!(emptied_packages(&evicted, &kept), [2, 3]);
    }

    #[test]
    fn a_cache_that_fits_loses_nothing() {
        let all = vec![cached(1, 1, 100, 1), cached(2, 1, 50, 2)];
        let policy = CachePolicy {
            max_age: None,
            max_bytes: Some(150),
        };
        let (evicted, kept) = plan(all, policy, Utc::now());
        assert!(evicted.is_empty());
        assert_eq!(kept.len(), 2);
    }
}

//! `admin fsck`: checks that what the metadata promises is there and true —
//! every file's blob present with its size and SHA-256, every tag on a live
//! version of its package, no version without files, no upload session left
//! behind or missing a part — and, through each format's own check, that the indexes clients
//! read agree with the metadata. Blobs nothing references are reported (the
//! collector removes them; they are not faults).
//!
//! `repair` fixes only what has one right fix: a dangling tag is removed, an
//! abandoned or broken upload session deleted, orphan blobs past the grace period
//! collected. A missing or corrupt blob, or an empty version, is reported
//! for a person to decide.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::Utc;
use entrepot_core::{Package, PackageType, Version};
use entrepot_store::PackageFilter;
use futures::StreamExt;
use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

use crate::{Maintenance, ServiceResult};

/// What to check and whether to repair.
#[derive(Debug, Clone, Copy)]
pub struct FsckOptions {
    pub repair: bool,
    /// Reads every blob through to check its SHA-256 (slow on big stores).
    pub verify_digests: bool,
    /// Upload sessions untouched this long are abandoned.
    pub upload_age: Duration,
    /// Unreferenced blobs younger than this may still be on their way.
    pub blob_grace: Duration,
}

impl Default for FsckOptions {
    fn default() -> Self {
        FsckOptions {
            repair: false,
            verify_digests: true,
            upload_age: Duration::from_hours(24),
            blob_grace: crate::blobs::BLOB_GRACE,
        }
    }
}

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `missing-blob`, `blob-size`, `blob-digest`, `unreadable-blob`, `dangling-tag`,
    /// `empty-version`, `abandoned-upload`, `broken-upload`, or a format's `index`.
    pub kind: &'static str,
    /// What it is about: `TYPE OWNER/NAME@VERSION FILE`, an upload id, …
    pub subject: String,
    pub detail: String,
    pub repaired: bool,
}

#[derive(Debug, Default)]
pub struct FsckReport {
    pub faults: Vec<Fault>,
    pub orphan_blobs: Vec<String>,
    /// Orphan blobs removed by `repair`.
    pub collected: usize,
    pub packages: usize,
    pub versions: usize,
    pub files: usize,
}

impl FsckReport {
    /// Faults left as they were.
    pub fn unrepaired(&self) -> usize {
        self.faults.iter().filter(|f| !f.repaired).count()
    }
}

/// A format's check of its indexes for one live package and its live
/// versions: the problems found, as sentences.
pub type IndexCheck<'a> = dyn Fn(&Package, &[Version]) -> BoxFuture<'static, ServiceResult<Vec<String>>>
    + Send
    + Sync
    + 'a;

fn subject(package: &Package) -> String {
    format!(
        "{} {}/{}",
        package.package_type, package.owner_login, package.name
    )
}

impl Maintenance<'_> {
    /// Checks the whole registry; see the module's documentation.
    pub async fn fsck(
        self,
        options: FsckOptions,
        index_check: &IndexCheck<'_>,
        progress: &dyn entrepot_store::copy::Progress,
    ) -> ServiceResult<FsckReport> {
        let mut report = FsckReport::default();
        let mut verified: HashMap<String, Option<String>> = HashMap::new();
        let mut packages = Vec::new();
        let all = self
            .meta
            .list_packages(PackageFilter {
                include_deleted: true,
                ..PackageFilter::default()
            })
            .await?;
        progress.start("packages", Some(all.len() as u64));
        for package in all {
            progress.advance(1, 0);
            let versions = self.meta.versions(package.id, true).await?;
            report.packages += 1;
            let live: HashSet<i64> = versions
                .iter()
                .filter(|v| v.deleted_at.is_none())
                .map(|v| v.id)
                .collect();
            for version in &versions {
                report.versions += 1;
                let files = self.meta.files(version.id).await?;
                let at = format!("{}@{}", subject(&package), version.name);
                if files.is_empty() {
                    report.faults.push(Fault {
                        kind: "empty-version",
                        subject: at.clone(),
                        detail: "the version has no files".into(),
                        repaired: false,
                    });
                }
                for file in files {
                    report.files += 1;
                    let about = format!("{at} {}", file.name);
                    if let Some(fault) = self
                        .check_blob(&file.sha256, file.size, options, &mut verified)
                        .await?
                    {
                        report.faults.push(Fault {
                            subject: about,
                            ..fault
                        });
                    }
                }
            }
            if package.deleted_at.is_none() {
                for tag in self.meta.tags(package.id).await? {
                    if live.contains(&tag.version_id) {
                        continue;
                    }
                    let repaired =
                        options.repair && self.meta.remove_tag(package.id, &tag.name).await?;
                    report.faults.push(Fault {
                        kind: "dangling-tag",
                        subject: format!("{} tag {}", subject(&package), tag.name),
                        detail: "the tag points at no live version of the package".into(),
                        repaired,
                    });
                }
            }
            let live_versions: Vec<Version> = versions
                .into_iter()
                .filter(|v| v.deleted_at.is_none())
                .collect();
            packages.push((package, live_versions));
        }
        for (package, versions) in &packages {
            if package.deleted_at.is_some() {
                continue;
            }
            // A package whose index cannot be built is a fault of its own;
            // the others are still checked.
            let problems = index_check(package, versions)
                .await
                .unwrap_or_else(|e| vec![format!("the index could not be checked: {e}")]);
            for problem in problems {
                report.faults.push(Fault {
                    kind: "index",
                    subject: subject(package),
                    detail: problem,
                    repaired: false,
                });
            }
        }
        if options.verify_digests {
            self.fsck_linked_blobs(options, &mut verified, &mut report)
                .await?;
        }
        self.fsck_leftovers(options, &mut report).await?;
        Ok(report)
    }

    /// The digests of blobs that belong to a repository rather than to a
    /// version's files (an image's layers and configs): the format's index
    /// check finds them missing or of the wrong size, this reads them.
    async fn fsck_linked_blobs(
        self,
        options: FsckOptions,
        verified: &mut HashMap<String, Option<String>>,
        report: &mut FsckReport,
    ) -> ServiceResult<()> {
        let everything = Utc::now() + chrono::TimeDelta::days(1);
        for package_type in PackageType::ALL {
            for link in self.meta.links_before(*package_type, everything).await? {
                if let Some(fault) = self
                    .check_blob(&link.sha256, link.size, options, verified)
                    .await?
                    && matches!(fault.kind, "blob-digest" | "unreadable-blob")
                {
                    report.faults.push(Fault {
                        subject: format!(
                            "{package_type} repository {} blob {}",
                            link.repository, link.digest
                        ),
                        ..fault
                    });
                }
            }
        }
        Ok(())
    }

    /// Abandoned upload sessions (faults) and orphan blobs (reported).
    async fn fsck_leftovers(
        self,
        options: FsckOptions,
        report: &mut FsckReport,
    ) -> ServiceResult<()> {
        let cutoff = Utc::now()
            - chrono::TimeDelta::from_std(options.upload_age).unwrap_or(chrono::TimeDelta::MAX);
        for id in self.meta.stale_uploads(cutoff).await? {
            let repaired = options.repair && self.meta.delete_upload(&id).await?;
            report.faults.push(Fault {
                kind: "abandoned-upload",
                subject: format!("upload {id}"),
                detail: format!(
                    "untouched for more than {} seconds",
                    options.upload_age.as_secs()
                ),
                repaired,
            });
        }
        // The live sessions: each part they hold must still be there, or
        // the upload can never be finished (`repair` ends it, and the
        // client starts over).
        let stale: HashSet<String> = self.meta.stale_uploads(cutoff).await?.into_iter().collect();
        let everything = Utc::now() + chrono::TimeDelta::days(1);
        for id in self.meta.stale_uploads(everything).await? {
            if stale.contains(&id) {
                continue;
            }
            let Some(session) = self.meta.upload(&id).await? else {
                continue;
            };
            for (n, (sha256, size)) in session.parts.iter().enumerate() {
                let problem = match self.blob_store.size(sha256).await? {
                    None => format!("part {n} (blob sha256:{sha256}) is missing"),
                    Some(stored) if stored != *size => format!(
                        "part {n} (blob sha256:{sha256}) has {stored} bytes, the session says {size}"
                    ),
                    Some(_) => continue,
                };
                let repaired = options.repair && self.meta.delete_upload(&id).await?;
                report.faults.push(Fault {
                    kind: "broken-upload",
                    subject: format!("upload {id}"),
                    detail: problem,
                    repaired,
                });
                break;
            }
        }
        report.orphan_blobs = self.blobs().collectable_blobs(options.blob_grace).await?;
        if options.repair {
            for digest in &report.orphan_blobs {
                // Checked again at the last moment, as the collector does.
                if !self.meta.blob_referenced(digest).await? {
                    self.blob_store.delete(digest).await?;
                    report.collected += 1;
                }
            }
        }
        Ok(())
    }

    /// Whether the blob `sha256` is there with `size` bytes and, if asked,
    /// that digest. Each blob is read once however many files share it.
    async fn check_blob(
        self,
        sha256: &str,
        size: u64,
        options: FsckOptions,
        verified: &mut HashMap<String, Option<String>>,
    ) -> ServiceResult<Option<Fault>> {
        let fault = |kind, detail: String| {
            Some(Fault {
                kind,
                subject: String::new(),
                detail,
                repaired: false,
            })
        };
        let Some(stored) = self.blob_store.size(sha256).await? else {
            return Ok(fault(
                "missing-blob",
                format!("blob sha256:{sha256} is missing"),
            ));
        };
        if stored != size {
            return Ok(fault(
                "blob-size",
                format!("blob sha256:{sha256} has {stored} bytes, the metadata says {size}"),
            ));
        }
        if !options.verify_digests {
            return Ok(None);
        }
        if !verified.contains_key(sha256) {
            let mut read = match self.blob_store.get(sha256, None).await {
                Ok(read) => read,
                Err(e) => {
                    return Ok(fault(
                        "unreadable-blob",
                        format!("blob sha256:{sha256} cannot be read: {e}"),
                    ));
                }
            };
            let mut hasher = Sha256::new();
            let mut problem = None;
            while let Some(chunk) = read.stream.next().await {
                match chunk {
                    Ok(bytes) => hasher.update(&bytes),
                    Err(e) => {
                        problem = Some(format!("blob sha256:{sha256} cannot be read: {e}"));
                        break;
                    }
                }
            }
            let problem = problem.or_else(|| {
                let actual = hex::encode(hasher.finalize());
                (actual != sha256)
                    .then(|| format!("blob sha256:{sha256} holds bytes whose SHA-256 is {actual}"))
            });
            verified.insert(sha256.to_owned(), problem);
        }
        Ok(verified[sha256]
            .clone()
            .and_then(|detail| fault("blob-digest", detail)))
    }
}

//! Online garbage collection for images: a blob a repository holds that no
//! manifest of that repository names (live, or deleted but restorable) and
//! no open upload holds is unlinked once older than a grace period; the
//! blob store's collector then removes bytes nothing references. The
//! service collects; this format says what a manifest names.

use entrepot_core::PackageType;
use entrepot_service::{Registry, ServiceResult};

use crate::metadata::ManifestMetadata;

/// Blob links and uploads younger than this are never collected: a push
/// uploads its blobs before the manifest that names them.
pub const GRACE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Upload sessions idle this long are abandoned.
pub const STALE_UPLOAD: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// What a collection removed (or, dry, would remove).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    /// `OWNER/IMAGE@DIGEST` of each unlinked blob.
    pub blobs: Vec<String>,
    pub uploads: Vec<String>,
}

/// Runs one collection; with `dry_run`, only reports.
pub async fn collect(
    registry: &Registry,
    grace: chrono::TimeDelta,
    dry_run: bool,
) -> ServiceResult<Collected> {
    let names = |version: &entrepot_core::Version| ManifestMetadata::of(version).named_digests();
    let collected = Collected {
        blobs: registry
            .blobs()
            .collect_links(PackageType::Container, grace, &names, dry_run)
            .await?,
        uploads: registry
            .blobs()
            .collect_uploads(STALE_UPLOAD, dry_run)
            .await?,
    };
    if !dry_run && !collected.blobs.is_empty() {
        tracing::info!(
            blobs = collected.blobs.len(),
            uploads = collected.uploads.len(),
            "collected image blobs"
        );
    }
    Ok(collected)
}

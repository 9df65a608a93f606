//! Online garbage collection for images: a blob a repository holds that no
//! manifest of that repository names (live, or deleted but restorable) and
//! no open upload holds is unlinked once older than a grace period; the
//! blob store's collector then removes bytes nothing references.

use std::collections::{HashMap, HashSet};

use entrepot_core::PackageType;
use entrepot_service::{Registry, ServiceResult};
use serde_json::Value;

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

fn digests_named_by(metadata: &Value, into: &mut HashSet<String>) {
    for key in ["config", "subject"] {
        if let Some(d) = metadata.get(key).and_then(Value::as_str) {
            into.insert(d.to_owned());
        }
    }
    for key in ["layers", "manifests"] {
        for d in metadata
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(d) = d.as_str() {
                into.insert(d.to_owned());
            }
        }
    }
}

/// Runs one collection; with `dry_run`, only reports.
pub async fn collect(
    registry: &Registry,
    grace: chrono::TimeDelta,
    dry_run: bool,
) -> ServiceResult<Collected> {
    let now = chrono::Utc::now();
    let meta = &registry.meta;
    let mut named: HashMap<(i64, String), HashSet<String>> = HashMap::new();
    let mut collected = Collected::default();
    for link in meta
        .links_before(PackageType::Container, now - grace)
        .await?
    {
        let key = (link.owner_id, link.repository.clone());
        if !named.contains_key(&key) {
            let mut digests = HashSet::new();
            if let Some(package) = meta
                .package(
                    link.owner_id,
                    PackageType::Container,
                    &link.repository,
                    true,
                )
                .await?
            {
                for version in meta.versions(package.id, true).await? {
                    digests_named_by(&version.metadata, &mut digests);
                }
            }
            named.insert(key.clone(), digests);
        }
        if named[&key].contains(&link.digest) {
            continue;
        }
        let owner = meta
            .account_by_id(link.owner_id)
            .await?
            .map(|a| a.login)
            .unwrap_or_default();
        collected
            .blobs
            .push(format!("{owner}/{}@{}", link.repository, link.digest));
        if !dry_run {
            meta.unlink_blob(
                link.owner_id,
                PackageType::Container,
                &link.repository,
                &link.digest,
            )
            .await?;
        }
    }
    for id in meta.stale_uploads(now - STALE_UPLOAD).await? {
        let Some(session) = meta.upload(&id).await? else {
            continue;
        };
        collected.uploads.push(id.clone());
        if !dry_run {
            meta.delete_upload(&id).await?;
            for (sha, _) in session.parts {
                registry.discard_blob(&sha).await?;
            }
        }
    }
    if !dry_run && !collected.blobs.is_empty() {
        tracing::info!(
            blobs = collected.blobs.len(),
            uploads = collected.uploads.len(),
            "collected image blobs"
        );
    }
    Ok(collected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_names_its_config_layers_children_and_subject() {
        let metadata = serde_json::json!({
            "config": "sha256:c", "subject": "sha256:s",
            "layers": ["sha256:l1", "sha256:l2"], "manifests": ["sha256:m"],
        });
        let mut named = HashSet::new();
        digests_named_by(&metadata, &mut named);
        let mut all: Vec<_> = named.into_iter().collect();
        all.sort();
        assert_eq!(
            all,
            ["sha256:c", "sha256:l1", "sha256:l2", "sha256:m", "sha256:s"]
        );
    }
}

//! `admin fsck`'s look at an image repository: what a pull reads after
//! the manifest. Layers and configs are not files of any version (a
//! repository holds them as blob links), so the blob check alone never
//! looks at them.

use entrepot_core::{Package, PackageType, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;
use futures::TryStreamExt;
use serde_json::Value;

use crate::document::{Needs, config_and_layers, is_index, needs};

/// Each live version (a manifest) is stored under its own digest, and an
/// image manifest's config and layers (non-distributable layers excepted,
/// as at push) are linked to the repository and present in the blob store
/// with the linked size. An index's children are not checked: a push
/// accepts an index whose children are absent, as the distribution spec
/// allows, so an absent child is not a disagreement.
pub async fn check(
    state: AppState,
    package: Package,
    live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    let registry = &state.registry;
    for v in &live {
        let Some(file) = registry.packages().files(v.id).await?.into_iter().next() else {
            continue; // an empty version, reported as such
        };
        if v.name != format!("sha256:{}", file.sha256) {
            problems.push(format!(
                "manifest {} is stored as blob sha256:{}, so a pull by digest gets other bytes",
                v.name, file.sha256
            ));
        }
        // A missing or damaged manifest blob is the blob check's to report.
        let Ok(read) = registry.blobs().read_blob(&file.sha256, None).await else {
            continue;
        };
        let Ok(chunks) = read.stream.try_collect::<Vec<_>>().await else {
            continue;
        };
        let Ok(doc) = serde_json::from_slice::<Value>(&chunks.concat()) else {
            problems.push(format!("manifest {} is not JSON", v.name));
            continue;
        };
        let media_type = file
            .content_type
            .as_deref()
            .or_else(|| doc.get("mediaType").and_then(Value::as_str))
            .unwrap_or("");
        if is_index(media_type) {
            continue;
        }
        let (config, layers) = config_and_layers(&doc);
        for descriptor in config.into_iter().chain(layers) {
            let digest = match needs(descriptor) {
                Needs::Blob(digest) => digest,
                Needs::Nothing => continue,
                Needs::NoDigest => {
                    problems.push(format!(
                        "manifest {} has a descriptor without a digest",
                        v.name
                    ));
                    continue;
                }
            };
            let Some(link) = registry
                .blobs()
                .blob_link(
                    package.owner_id,
                    PackageType::Container,
                    &package.name,
                    digest,
                )
                .await?
            else {
                problems.push(format!(
                    "manifest {} names blob {digest}, which the repository does not hold",
                    v.name
                ));
                continue;
            };
            match registry.blobs().blob_size(&link.sha256).await? {
                None => problems.push(format!(
                    "blob {digest} of manifest {} is missing from the blob store",
                    v.name
                )),
                Some(size) if size != link.size => problems.push(format!(
                    "blob {digest} of manifest {} has {size} bytes, the repository says {}",
                    v.name, link.size
                )),
                Some(_) => {}
            }
        }
    }
    Ok(problems)
}

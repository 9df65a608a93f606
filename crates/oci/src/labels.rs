//! What an image declares about itself for its package page: the source
//! repository, description and licenses, from the manifest's annotations
//! or its image config's labels (GitHub reads both).

use entrepot_core::{Account, PackageType};
use futures::TryStreamExt;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::name::RepoName;

const SOURCE: &str = "org.opencontainers.image.source";
const DESCRIPTION: &str = "org.opencontainers.image.description";
const LICENSES: &str = "org.opencontainers.image.licenses";

/// Image configs larger than this are not read for labels.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// What an image declares about itself.
pub struct ImageInfo {
    pub source: Option<String>,
    pub description: Option<String>,
    pub licenses: Option<String>,
}

impl ImageInfo {
    /// Read from the manifest `doc`'s annotations first, then from its
    /// config's labels (the config is already in `owner`'s `repo`, since
    /// pushes check that first).
    pub async fn of(ctx: &Ctx, owner: &Account, repo: &RepoName, doc: &Value) -> ImageInfo {
        let pick = |map: Option<&Value>, key: &str| {
            map.and_then(|m| m.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let annotations = doc.get("annotations");
        let mut info = ImageInfo {
            source: pick(annotations, SOURCE),
            description: pick(annotations, DESCRIPTION),
            licenses: pick(annotations, LICENSES),
        };
        let incomplete =
            info.source.is_none() || info.description.is_none() || info.licenses.is_none();
        if incomplete
            && let Some(config) = doc.pointer("/config/digest").and_then(Value::as_str)
            && let Some(config) = read_config(ctx, owner, repo, config).await
        {
            let labels = config.pointer("/config/Labels");
            info.source = info.source.or_else(|| pick(labels, SOURCE));
            info.description = info.description.or_else(|| pick(labels, DESCRIPTION));
            info.licenses = info.licenses.or_else(|| pick(labels, LICENSES));
        }
        // GitHub's limits: 512 characters of description, 256 of licenses.
        info.description = info.description.map(|d| d.chars().take(512).collect());
        info.licenses = info.licenses.map(|l| l.chars().take(256).collect());
        info
    }
}

/// The image config `digest` of `owner`'s `repo` as JSON, if it is there,
/// small enough and readable.
async fn read_config(ctx: &Ctx, owner: &Account, repo: &RepoName, digest: &str) -> Option<Value> {
    let registry = &ctx.state.registry;
    let link = registry
        .blobs()
        .blob_link(owner.id, PackageType::Container, &repo.image, digest)
        .await
        .ok()??;
    if link.size > MAX_CONFIG_BYTES {
        return None;
    }
    let read = registry.blobs().read_blob(&link.sha256, None).await.ok()?;
    let chunks = read.stream.try_collect::<Vec<bytes::Bytes>>().await.ok()?;
    serde_json::from_slice(&chunks.concat()).ok()
}

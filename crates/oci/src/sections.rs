//! What an image's page shows beyond its manifest file, as Docker Hub and
//! GitHub show it: an index's platforms; an image's platform, command and
//! creation time, its layers with their sizes, and its labels. Read from
//! the stored manifest and image config, each within a bound.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entrepot_core::{Id, Package, PackageType, Version};
use entrepot_service::format::{Section, VersionView, Weight, human_size};
use entrepot_service::{Registry, ServiceResult};
use futures::TryStreamExt;
use serde_json::Value;

/// Manifests larger than this are not read for the page.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Image configs larger than this are not read for the page.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Rows a table shows at most.
const MAX_ROWS: usize = 200;
/// An index's images whose manifests are read for their sizes, at most.
const MAX_SIZED_PLATFORMS: usize = 16;
/// Views kept; past this the cache starts again (a page view reads at most
/// a few blobs to fill it back).
const MAX_CACHED: usize = 1024;

/// The views already read, by package and manifest digest: a manifest
/// never changes, so neither does what its page shows.
#[derive(Default)]
pub struct ViewCache(Mutex<HashMap<(Id, String), Arc<VersionView>>>);

impl ViewCache {
    fn get(&self, key: &(Id, String)) -> Option<Arc<VersionView>> {
        self.0.lock().ok()?.get(key).cloned()
    }

    fn put(&self, key: (Id, String), view: Arc<VersionView>) {
        if let Ok(mut views) = self.0.lock() {
            if views.len() >= MAX_CACHED {
                views.clear();
            }
            views.insert(key, view);
        }
    }
}

/// What `version`'s page shows; nothing beyond its files where its
/// manifest or a blob cannot be read, since it is only a view of them (the
/// page still shows). Kept in `cache` once read.
pub async fn view(
    cache: Arc<ViewCache>,
    registry: Registry,
    package: Package,
    version: Version,
) -> ServiceResult<VersionView> {
    let key = (package.id, version.name.clone());
    let mut view = if let Some(view) = cache.get(&key) {
        VersionView::clone(&view)
    } else {
        match read(&registry, &package, &version).await {
            Ok(view) => {
                cache.put(key, Arc::new(view.clone()));
                view
            }
            Err(e) => {
                tracing::warn!(error = %e, "an image's page leaves out its layers");
                VersionView::default()
            }
        }
    };
    // Signatures come and go with the manifest unchanged: read each time.
    match signatures(&registry, &package, &version).await {
        Ok(Some(section)) => view.sections.push(section),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "an image's page leaves out its signatures"),
    }
    Ok(view)
}

/// The manifest's signatures, each checked against the keys the package
/// requires; none when it has none and no key is required.
async fn signatures(
    registry: &Registry,
    package: &Package,
    version: &Version,
) -> ServiceResult<Option<Section>> {
    let signing = registry.image_signing();
    let keys = signing.required_keys(package).await?;
    let reports = signing
        .reports(package, &version.name, keys.clone())
        .await?;
    if reports.is_empty() && keys.is_empty() {
        return Ok(None);
    }
    let mut rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            let signer = match (&r.checked.verified_by, &r.checked.issuer) {
                (Some(key), _) => key.clone(),
                (None, Some(issuer)) => format!("key ID {issuer}"),
                (None, None) => "unknown key".into(),
            };
            let status = match &r.checked.problem {
                None => "verified".to_owned(),
                Some(_) if keys.is_empty() => "not checked: the package requires no key".into(),
                Some(problem) => problem.clone(),
            };
            let format = match r.format {
                entrepot_core::image_signing::SignatureFormat::SimpleSigning => "simple signing",
                entrepot_core::image_signing::SignatureFormat::Sigstore => "sigstore",
            };
            let pushed = r
                .created_at
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default();
            vec![format.to_owned(), signer, status, pushed]
        })
        .collect();
    if rows.is_empty() {
        rows.push(vec![
            "none".into(),
            String::new(),
            "unsigned: not served while the package requires signing keys".into(),
            String::new(),
        ]);
    }
    Ok(Some(Section {
        title: "Signatures".into(),
        columns: vec![
            "Format".into(),
            "Signed by".into(),
            "Status".into(),
            "Pushed".into(),
        ],
        rows,
    }))
}

async fn read(
    registry: &Registry,
    package: &Package,
    version: &Version,
) -> ServiceResult<VersionView> {
    let Some(manifest) = manifest(registry, version).await? else {
        return Ok(VersionView::default());
    };
    if let Some(children) = manifest.get("manifests").and_then(Value::as_array) {
        let sizes = platform_sizes(registry, package, children).await?;
        return Ok(VersionView {
            sections: vec![platforms(children, &sizes)],
            weight: Weight::Unshown,
        });
    }
    let mut sections = Vec::new();
    let config = match manifest.pointer("/config/digest").and_then(Value::as_str) {
        Some(digest) => config(registry, package, digest).await?,
        None => None,
    };
    if let Some(config) = &config {
        sections.push(image(config));
    }
    sections.push(layers(&manifest));
    if let Some(labels) = config.as_ref().and_then(labels) {
        sections.push(labels);
    }
    Ok(VersionView {
        sections,
        weight: Weight::Bytes(image_size(&manifest)),
    })
}

/// The manifest `version` stored, if small enough.
async fn manifest(registry: &Registry, version: &Version) -> ServiceResult<Option<Value>> {
    let files = registry.packages().files(version.id).await?;
    match files.first() {
        Some(file) => json(registry, &file.sha256, file.size, MAX_MANIFEST_BYTES).await,
        None => Ok(None),
    }
}

/// What pulling an image downloads: its config and layers, as pushed.
fn image_size(manifest: &Value) -> u64 {
    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    layers
        .iter()
        .chain(manifest.get("config"))
        .filter_map(|l| l.get("size").and_then(Value::as_u64))
        .fold(0u64, u64::saturating_add)
}

/// The image size of each of an index's first images, read from their
/// manifests in this package (never another's), by digest.
async fn platform_sizes(
    registry: &Registry,
    package: &Package,
    children: &[Value],
) -> ServiceResult<HashMap<String, u64>> {
    let mut sizes = HashMap::new();
    for child in children.iter().take(MAX_SIZED_PLATFORMS) {
        let digest = text(child, "/digest");
        let Some(version) = registry.packages().version(package.id, digest).await? else {
            continue;
        };
        if let Some(manifest) = manifest(registry, &version).await? {
            sizes.insert(digest.to_owned(), image_size(&manifest));
        }
    }
    Ok(sizes)
}

/// The image config `digest` of `package`'s repository, if small enough.
async fn config(
    registry: &Registry,
    package: &Package,
    digest: &str,
) -> ServiceResult<Option<Value>> {
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
        return Ok(None);
    };
    json(registry, &link.sha256, link.size, MAX_CONFIG_BYTES).await
}

/// The blob `sha256` read as JSON, when it is at most `limit` bytes; parsed
/// off the executor's threads.
async fn json(
    registry: &Registry,
    sha256: &str,
    size: u64,
    limit: u64,
) -> ServiceResult<Option<Value>> {
    if size > limit {
        return Ok(None);
    }
    let read = registry.blobs().read_blob(sha256, None).await?;
    let mut bytes = Vec::new();
    let mut stream = read.stream;
    while let Some(chunk) = stream.try_next().await? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    let parsed = tokio::task::spawn_blocking(move || serde_json::from_slice::<Value>(&bytes).ok())
        .await
        .map_err(|e| entrepot_service::ServiceError::Internal(e.to_string()))?;
    Ok(parsed)
}

/// An index's children: the platform each serves, its digest, and the
/// size of its image where its manifest was read (an attestation's is
/// small; a manifest's own few bytes are not the image's).
fn platforms(children: &[Value], sizes: &HashMap<String, u64>) -> Section {
    let rows = children
        .iter()
        .take(MAX_ROWS)
        .map(|child| {
            let attests = child
                .pointer("/annotations/vnd.docker.reference.digest")
                .and_then(Value::as_str);
            let platform = match attests {
                Some(image) => format!("attestation of {}", short(image)),
                None => platform(child.get("platform").unwrap_or(&Value::Null)),
            };
            let digest = text(child, "/digest");
            vec![
                platform,
                short(digest),
                sizes
                    .get(digest)
                    .map(|s| human_size(*s))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    Section {
        title: "Platforms".into(),
        columns: vec!["Platform".into(), "Digest".into(), "Size".into()],
        rows,
    }
}

/// The image's platform, command and creation time, from its config.
fn image(config: &Value) -> Section {
    let mut rows = vec![vec!["Platform".to_owned(), platform(config)]];
    let mut add = |name: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            rows.push(vec![name.to_owned(), value]);
        }
    };
    let list = |pointer: &str| {
        config.pointer(pointer).and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    add(
        "Created",
        config
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned),
    );
    add("Entrypoint", list("/config/Entrypoint"));
    add("Command", list("/config/Cmd"));
    add(
        "Working directory",
        config
            .pointer("/config/WorkingDir")
            .and_then(Value::as_str)
            .map(str::to_owned),
    );
    add(
        "User",
        config
            .pointer("/config/User")
            .and_then(Value::as_str)
            .map(str::to_owned),
    );
    add(
        "Exposed ports",
        config
            .pointer("/config/ExposedPorts")
            .and_then(Value::as_object)
            .map(|ports| ports.keys().cloned().collect::<Vec<_>>().join(", ")),
    );
    for row in &mut rows {
        row[1] = bounded(&row[1]);
    }
    Section {
        title: "Image".into(),
        columns: vec!["Property".into(), "Value".into()],
        rows,
    }
}

/// The manifest's layers, in order, with their sizes and the total.
fn layers(manifest: &Value) -> Section {
    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    // Sizes as pushed: a non-distributable layer's is never checked.
    let total = layers
        .iter()
        .filter_map(|l| l.get("size").and_then(Value::as_u64))
        .fold(0u64, u64::saturating_add);
    let rows = layers
        .iter()
        .take(MAX_ROWS)
        .enumerate()
        .map(|(i, layer)| {
            vec![
                (i + 1).to_string(),
                short(text(layer, "/digest")),
                size(layer.get("size")),
                bounded(text(layer, "/mediaType")),
            ]
        })
        .collect();
    Section {
        title: format!("Layers ({}, {} in all)", layers.len(), human_size(total)),
        columns: vec![
            "#".into(),
            "Digest".into(),
            "Size".into(),
            "Media type".into(),
        ],
        rows,
    }
}

/// The config's labels, sorted by name; none when it has none.
fn labels(config: &Value) -> Option<Section> {
    let labels = config
        .pointer("/config/Labels")
        .and_then(Value::as_object)?;
    if labels.is_empty() {
        return None;
    }
    let mut rows: Vec<Vec<String>> = labels
        .iter()
        .take(MAX_ROWS)
        .map(|(k, v)| vec![bounded(k), bounded(v.as_str().unwrap_or_default())])
        .collect();
    rows.sort();
    Some(Section {
        title: "Labels".into(),
        columns: vec!["Label".into(), "Value".into()],
        rows,
    })
}

/// `os/architecture/variant`, as `docker` writes a platform.
fn platform(value: &Value) -> String {
    let part = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or("");
    let mut out = format!("{}/{}", part("os"), part("architecture"));
    if !part("variant").is_empty() {
        out.push('/');
        out.push_str(part("variant"));
    }
    if out == "/" {
        "unknown".to_owned()
    } else {
        bounded(&out)
    }
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A digest as people read one: its algorithm and 12 hex digits.
fn short(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) => {
            format!("{algorithm}:{}", hex.chars().take(12).collect::<String>())
        }
        None => bounded(digest),
    }
}

fn size(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_u64)
        .map(human_size)
        .unwrap_or_default()
}

/// At most 200 characters of a text a pusher chose.
fn bounded(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_index_lists_its_platforms_and_attestations() {
        let index = json!([
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:aaaaaaaaaaaaaaaaaaaa", "size": 1234,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:bbbbbbbbbbbbbbbbbbbb", "size": 566,
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.digest": "sha256:aaaaaaaaaaaaaaaaaaaa", "vnd.docker.reference.type": "attestation-manifest"}}
        ]);
        let sizes = HashMap::from([("sha256:aaaaaaaaaaaaaaaaaaaa".to_owned(), 1234)]);
        let section = platforms(index.as_array().unwrap(), &sizes);
        assert_eq!(
            section.rows,
            vec![
                vec![
                    "linux/arm64/v8".to_owned(),
                    "sha256:aaaaaaaaaaaa".into(),
                    "1.2 KiB".into()
                ],
                vec![
                    "attestation of sha256:aaaaaaaaaaaa".to_owned(),
                    "sha256:bbbbbbbbbbbb".into(),
                    String::new()
                ],
            ]
        );
    }

    #[test]
    fn an_image_shows_its_config_layers_and_labels() {
        let config = json!({
            "architecture": "amd64", "os": "linux", "created": "2026-01-02T03:04:05Z",
            "config": {"Entrypoint": ["/app"], "Cmd": ["--serve"], "ExposedPorts": {"8080/tcp": {}},
                       "Labels": {"org.opencontainers.image.source": "https://github.com/acme/app", "a": "b"}}
        });
        let shown = image(&config);
        assert_eq!(
            shown.rows[0],
            vec!["Platform".to_owned(), "linux/amd64".into()]
        );
        assert!(
            shown
                .rows
                .contains(&vec!["Entrypoint".to_owned(), "/app".into()])
        );
        assert!(
            shown
                .rows
                .contains(&vec!["Exposed ports".to_owned(), "8080/tcp".into()])
        );
        let manifest = json!({"layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:cccccccccccccccc", "size": 3_145_728},
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:dddddddddddddddd", "size": 1024}
        ]});
        assert_eq!(image_size(&manifest), 3_145_728 + 1024);
        let listed = layers(&manifest);
        assert_eq!(listed.title, "Layers (2, 3.0 MiB in all)");
        assert_eq!(listed.rows[0][2], "3.0 MiB");
        let found = labels(&config).unwrap();
        assert_eq!(found.rows[0], vec!["a".to_owned(), "b".into()]);
        assert_eq!(labels(&json!({"config": {}})), None);
    }
}

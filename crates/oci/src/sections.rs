//! What an image's page shows beyond its manifest file, as Docker Hub and
//! GitHub show it: an index's platforms; an image's platform, command and
//! creation time, its layers with their sizes, and its labels. Read from
//! the stored manifest and image config, each within a bound.

use entrepot_core::{Package, PackageType, Version};
use entrepot_service::format::{Section, human_size};
use entrepot_service::{Registry, ServiceResult};
use futures::TryStreamExt;
use serde_json::Value;

/// Manifests larger than this are not read for the page.
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Image configs larger than this are not read for the page.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Rows a table shows at most.
const MAX_ROWS: usize = 200;

/// The sections of `version`'s page; none where its manifest or a blob
/// cannot be read, since they are only a view of it (the page still shows).
pub async fn sections(
    registry: Registry,
    package: Package,
    version: Version,
) -> ServiceResult<Vec<Section>> {
    match read(registry, package, version).await {
        Ok(sections) => Ok(sections),
        Err(e) => {
            tracing::warn!(error = %e, "an image's page leaves out its layers");
            Ok(Vec::new())
        }
    }
}

async fn read(
    registry: Registry,
    package: Package,
    version: Version,
) -> ServiceResult<Vec<Section>> {
    let files = registry.packages().files(version.id).await?;
    let Some(file) = files.first() else {
        return Ok(Vec::new());
    };
    let Some(manifest) = json(&registry, &file.sha256, file.size, MAX_MANIFEST_BYTES).await? else {
        return Ok(Vec::new());
    };
    if let Some(children) = manifest.get("manifests").and_then(Value::as_array) {
        return Ok(vec![platforms(children)]);
    }
    let mut out = Vec::new();
    let config = match manifest.pointer("/config/digest").and_then(Value::as_str) {
        Some(digest) => config(&registry, &package, digest).await?,
        None => None,
    };
    if let Some(config) = &config {
        out.push(image(config));
    }
    out.push(layers(&manifest));
    if let Some(labels) = config.as_ref().and_then(labels) {
        out.push(labels);
    }
    Ok(out)
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

/// An index's children: the platform each serves, its digest and size.
fn platforms(children: &[Value]) -> Section {
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
            vec![
                platform,
                short(text(child, "/digest")),
                size(child.pointer("/size")),
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
        let section = platforms(index.as_array().unwrap());
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
                    "566 B".into()
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
        let listed = layers(&manifest);
        assert_eq!(listed.title, "Layers (2, 3.0 MiB in all)");
        assert_eq!(listed.rows[0][2], "3.0 MiB");
        let found = labels(&config).unwrap();
        assert_eq!(found.rows[0], vec!["a".to_owned(), "b".into()]);
        assert_eq!(labels(&json!({"config": {}})), None);
    }
}

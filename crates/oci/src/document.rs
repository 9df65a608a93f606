//! Manifest and index documents: the media types served, the structure the
//! image and index specifications require of a push, and the blobs an
//! image manifest needs in its repository.

use serde_json::Value;
use sha2::Digest as _;

use crate::error::{OciError, OciResult};
use crate::name::{Digest, Reference};

/// Manifests larger than this are refused (the spec asks for at least 4 MB).
pub const MAX_MANIFEST_BYTES: usize = 8 * 1024 * 1024;
/// `?tag=` parameters accepted on one push.
const MAX_TAGS: usize = 100;

pub const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
const INDEX_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Whether `media_type` is an index (a manifest list), whose children need
/// not be in the repository.
pub fn is_index(media_type: &str) -> bool {
    INDEX_TYPES.contains(&media_type)
}

/// Non-distributable ("foreign") layers need not be in the registry.
fn non_distributable(media_type: &str) -> bool {
    media_type.contains("nondistributable") || media_type.contains("foreign")
}

/// What a descriptor of an image manifest asks of its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs<'a> {
    /// The blob with this digest.
    Blob(&'a str),
    /// Nothing: a non-distributable layer.
    Nothing,
    /// The descriptor has no digest.
    NoDigest,
}

/// An image manifest's config, if it has one, and its layers.
pub fn config_and_layers(doc: &Value) -> (Option<&Value>, &[Value]) {
    let layers = doc
        .get("layers")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    (doc.get("config"), layers)
}

/// What `descriptor` (a config or a layer) asks of the repository.
pub fn needs(descriptor: &Value) -> Needs<'_> {
    let media_type = descriptor
        .get("mediaType")
        .and_then(Value::as_str)
        .unwrap_or("");
    match descriptor.get("digest").and_then(Value::as_str) {
        None => Needs::NoDigest,
        Some(_) if non_distributable(media_type) => Needs::Nothing,
        Some(digest) => Needs::Blob(digest),
    }
}

/// A descriptor: a media type, a valid digest and a size.
fn check_descriptor(d: &Value, what: &str) -> Result<(), String> {
    let ok = d.get("mediaType").is_some_and(Value::is_string)
        && d.get("digest")
            .and_then(Value::as_str)
            .is_some_and(|t| Digest::parse(t).is_some())
        && d.get("size").is_some_and(Value::is_u64);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} is not a descriptor (mediaType, digest and size)"
        ))
    }
}

/// The structure the image and index specifications require: an image
/// manifest's `config` and `layers`, an index's `manifests`, each entry
/// a descriptor. Clients and garbage collection rely on it.
pub fn check_shape(media_type: &str, doc: &Value) -> Result<(), String> {
    let list = |key: &str| -> Result<(), String> {
        let items = doc
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("`{key}` must be an array of descriptors"))?;
        for (i, item) in items.iter().enumerate() {
            check_descriptor(item, &format!("{key}[{i}]"))?;
        }
        Ok(())
    };
    if is_index(media_type) {
        return list("manifests");
    }
    let config = doc
        .get("config")
        .ok_or("an image manifest needs a `config` descriptor")?;
    check_descriptor(config, "config")?;
    list("layers")
}

/// A pushed manifest that passed every check of its own.
pub struct Pushed {
    pub doc: Value,
    pub bytes: bytes::Bytes,
    pub media_type: String,
    pub sha256: String,
    pub sha512: String,
    /// The digest the client named it by (sha256 or sha512).
    pub named_digest: String,
    /// The reference tag and every `?tag=`.
    pub tags: Vec<String>,
    /// The `?tag=` tags alone, echoed as `OCI-Tag`.
    pub extra: Vec<String>,
}

impl Pushed {
    /// Checks a manifest pushed as `reference` with `content_type` and
    /// the `?tag=` parameters `extra`: JSON, a supported media type agreed
    /// on by header and body, schema version 2, the specification's shape,
    /// and the digest it was pushed by.
    pub fn parse(
        reference: &str,
        content_type: Option<&str>,
        extra: Vec<String>,
        bytes: bytes::Bytes,
    ) -> OciResult<Pushed> {
        let doc: Value = serde_json::from_slice(&bytes)
            .map_err(|e| OciError::manifest_invalid(format!("the manifest is not JSON: {e}")))?;
        let header_type = content_type.map(|v| v.split(';').next().unwrap_or(v).trim());
        let body_type = doc.get("mediaType").and_then(Value::as_str);
        let supported = |t: &str| MANIFEST_TYPES.contains(&t);
        let media_type = match (header_type, body_type) {
            (Some(h), Some(b)) if supported(h) && h != b => {
                return Err(OciError::manifest_invalid(
                    "the mediaType does not match the Content-Type",
                ));
            }
            (Some(h), _) if supported(h) => h.to_owned(),
            (_, Some(b)) if supported(b) => b.to_owned(),
            _ => {
                return Err(OciError::manifest_invalid(
                    "unsupported manifest media type",
                ));
            }
        };
        if doc.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
            return Err(OciError::manifest_invalid("schemaVersion must be 2"));
        }
        check_shape(&media_type, &doc).map_err(OciError::manifest_invalid)?;
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let sha512 = hex::encode(sha2::Sha512::digest(&bytes));
        let mut tags = Vec::new();
        let named_digest = match Reference::parse(reference)? {
            Reference::Digest(wanted) => {
                let matches = match &wanted {
                    Digest::Sha256(h) => *h == sha256,
                    Digest::Sha512(h) => *h == sha512,
                };
                if !matches {
                    return Err(OciError::digest_invalid(
                        "the manifest does not match its digest",
                    ));
                }
                reference.to_owned()
            }
            Reference::Tag(tag) => {
                tags.push(tag);
                format!("sha256:{sha256}")
            }
        };
        if extra.len() > MAX_TAGS {
            return Err(OciError::new(
                axum::http::StatusCode::URI_TOO_LONG,
                crate::error::Code::ManifestInvalid,
                "too many tags",
            ));
        }
        if let Some(bad) = extra.iter().find(|t| !crate::name::is_tag(t)) {
            return Err(OciError::manifest_invalid(format!("invalid tag: {bad}")));
        }
        tags.extend(extra.iter().cloned());
        Ok(Pushed {
            doc,
            bytes,
            media_type,
            sha256,
            sha512,
            named_digest,
            tags,
            extra,
        })
    }

    /// The digest of the manifest this one refers to, echoed as
    /// `OCI-Subject`.
    pub fn subject(&self) -> Option<&str> {
        self.doc.pointer("/subject/digest").and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const IMAGE: &str = "application/vnd.oci.image.manifest.v1+json";

    fn image() -> Value {
        json!({
            "schemaVersion": 2, "mediaType": IMAGE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", "c".repeat(64)), "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": format!("sha256:{}", "a".repeat(64)), "size": 1}],
        })
    }

    fn push(reference: &str, content_type: Option<&str>, doc: &Value) -> OciResult<Pushed> {
        let bytes = bytes::Bytes::from(serde_json::to_vec(doc).unwrap());
        Pushed::parse(reference, content_type, Vec::new(), bytes)
    }

    #[test]
    fn a_push_needs_an_agreed_media_type_and_the_specs_shape() {
        let ok = push("v1", Some(IMAGE), &image()).unwrap();
        assert_eq!(ok.named_digest, format!("sha256:{}", ok.sha256));
        assert_eq!(ok.tags, ["v1"]);
        let index = "application/vnd.oci.image.index.v1+json";
        let message = |r: OciResult<Pushed>| r.err().unwrap().message;
        assert_eq!(
            message(push("v1", Some(index), &image())),
            "the mediaType does not match the Content-Type"
        );
        let mut no_layers = image();
        no_layers["layers"] = json!(7);
        assert_eq!(
            message(push("v1", None, &no_layers)),
            "`layers` must be an array of descriptors"
        );
        assert_eq!(
            message(push("sha256:abc", None, &image())),
            "invalid digest: sha256:abc"
        );
        let other = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            message(push(&other, None, &image())),
            "the manifest does not match its digest"
        );
    }

    #[test]
    fn foreign_layers_and_descriptors_without_digests_are_told_apart() {
        let doc = image();
        let (config, layers) = config_and_layers(&doc);
        assert!(matches!(needs(config.unwrap()), Needs::Blob(_)));
        assert!(matches!(needs(&layers[0]), Needs::Blob(_)));
        let foreign = json!({"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": "sha256:x"});
        assert_eq!(needs(&foreign), Needs::Nothing);
        assert_eq!(needs(&json!({"mediaType": "x"})), Needs::NoDigest);
    }
}

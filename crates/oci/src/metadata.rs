//! What a manifest says about itself, kept as its version's metadata: the
//! referrers API, pulls by tag or sha512 digest, and the image collector
//! read it back without fetching the manifest. Only this format decodes it.
//!
//! Stored as JSON with the keys the manifest uses (`mediaType`,
//! `artifactType`, …). Reading is lenient: a field of an unexpected type
//! reads as absent, as it did when the JSON was read key by key.

use std::collections::BTreeMap;

use entrepot_core::Version;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ManifestMetadata {
    #[serde(rename = "mediaType", deserialize_with = "lenient")]
    pub media_type: Option<String>,
    /// The manifest's `artifactType`, else its config's media type.
    #[serde(rename = "artifactType", deserialize_with = "lenient")]
    pub artifact_type: Option<String>,
    /// The digest of the manifest this one refers to (a signature's image).
    #[serde(deserialize_with = "lenient")]
    pub subject: Option<String>,
    /// The manifest's annotations, echoed by the referrers API as pushed.
    pub annotations: Option<Value>,
    /// The config's digest.
    #[serde(deserialize_with = "lenient")]
    pub config: Option<String>,
    #[serde(deserialize_with = "strings")]
    pub layers: Vec<String>,
    /// An index's children.
    #[serde(deserialize_with = "strings")]
    pub manifests: Vec<String>,
    #[serde(deserialize_with = "lenient")]
    pub size: Option<u64>,
    /// The manifest's SHA-512, hex, for pulls by a sha512 digest.
    #[serde(deserialize_with = "lenient")]
    pub sha512: Option<String>,
    /// The digest the client first named it by (sha256 or sha512).
    #[serde(deserialize_with = "lenient")]
    pub digest: Option<String>,
    /// Tags pushed with a sha512 digest, and that digest: a pull by such a
    /// tag reports the digest the client chose.
    #[serde(deserialize_with = "string_map")]
    pub tag_digests: BTreeMap<String, String>,
    /// The image's declared licenses (the REST API shows them).
    #[serde(skip_serializing_if = "Option::is_none", deserialize_with = "lenient")]
    pub license: Option<String>,
}

impl ManifestMetadata {
    /// What a pushed manifest `doc` says about itself.
    pub fn describe(
        doc: &Value,
        media_type: &str,
        size: usize,
        sha512: &str,
        digest: &str,
    ) -> Self {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let digests = |key: &str| -> Vec<String> {
            doc.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|d| text(d.get("digest"))).collect())
                .unwrap_or_default()
        };
        let artifact_type = match doc.get("artifactType") {
            Some(t) => text(Some(t)),
            None => text(doc.pointer("/config/mediaType")),
        };
        ManifestMetadata {
            media_type: Some(media_type.to_owned()),
            artifact_type,
            subject: text(doc.pointer("/subject/digest")),
            annotations: doc.get("annotations").filter(|a| !a.is_null()).cloned(),
            config: text(doc.pointer("/config/digest")),
            layers: digests("layers"),
            manifests: digests("manifests"),
            size: Some(size as u64),
            sha512: Some(sha512.to_owned()),
            digest: Some(digest.to_owned()),
            tag_digests: BTreeMap::new(),
            license: None,
        }
    }

    /// The metadata a version of this format holds.
    pub fn of(version: &Version) -> Self {
        ManifestMetadata::deserialize(&version.metadata).unwrap_or_default()
    }

    /// As stored in a version.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("manifest metadata serializes")
    }

    /// Remembers that `tags` were pushed by `named_digest`, when the client
    /// named it by sha512 (sha256 is what a tag reports anyway).
    pub fn remember_tag_digests(&mut self, named_digest: &str, tags: &[String]) {
        if named_digest.starts_with("sha256:") {
            return;
        }
        for tag in tags {
            self.tag_digests
                .insert(tag.clone(), named_digest.to_owned());
        }
    }

    /// The digest a pull by `tag` reports: the one the tag was pushed by,
    /// else the one the manifest was first pushed by.
    pub fn digest_of_tag(&self, tag: &str) -> Option<&str> {
        self.tag_digests
            .get(tag)
            .or(self.digest.as_ref())
            .map(String::as_str)
    }

    /// Every digest the manifest names: its config, layers, children and
    /// subject, which the repository must keep while the manifest is there.
    pub fn named_digests(&self) -> Vec<String> {
        self.config
            .iter()
            .chain(&self.subject)
            .chain(&self.layers)
            .chain(&self.manifests)
            .cloned()
            .collect()
    }
}

fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(T::deserialize(Value::deserialize(d)?).ok())
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    })
}

fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest() -> Value {
        json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:c", "size": 2},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:l", "size": 1}],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:s", "size": 3},
            "annotations": {"a": "b"},
        })
    }

    #[test]
    fn a_manifest_is_stored_with_the_keys_and_types_it_always_was() {
        let mut m = ManifestMetadata::describe(
            &manifest(),
            "application/vnd.oci.image.manifest.v1+json",
            120,
            "ff",
            "sha512:ff",
        );
        m.remember_tag_digests("sha512:ff", &["v1".into()]);
        m.license = Some("MIT".into());
        assert_eq!(
            m.to_json(),
            json!({
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.oci.image.config.v1+json",
                "subject": "sha256:s",
                "annotations": {"a": "b"},
                "config": "sha256:c",
                "layers": ["sha256:l"],
                "manifests": [],
                "size": 120,
                "sha512": "ff",
                "digest": "sha512:ff",
                "tag_digests": {"v1": "sha512:ff"},
                "license": "MIT",
            })
        );
        let index = ManifestMetadata::describe(
            &json!({"schemaVersion": 2, "manifests": []}),
            "application/vnd.oci.image.index.v1+json",
            40,
            "ee",
            "sha256:dd",
        );
        let stored = index.to_json();
        assert_eq!(stored["artifactType"], Value::Null);
        assert_eq!(stored["annotations"], Value::Null);
        assert_eq!(stored["subject"], Value::Null);
        assert_eq!(stored["config"], Value::Null);
        assert_eq!(stored["tag_digests"], json!({}));
        assert!(stored.get("license").is_none());
    }

    #[test]
    fn stored_rows_read_back_and_odd_fields_read_as_absent() {
        let stored = json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": 7, "subject": null, "annotations": null,
            "config": "sha256:c", "layers": ["sha256:l", 3], "manifests": [],
            "size": 120, "sha512": "ff", "digest": "sha256:aa",
            "tag_digests": {"v1": "sha512:ff", "v2": false},
        });
        let m = ManifestMetadata::deserialize(&stored).unwrap();
        assert_eq!(m.artifact_type, None);
        assert_eq!(m.layers, ["sha256:l"]);
        assert_eq!(m.size, Some(120));
        assert_eq!(m.digest_of_tag("v1"), Some("sha512:ff"));
        assert_eq!(m.digest_of_tag("v2"), Some("sha256:aa"));
        assert_eq!(ManifestMetadata::deserialize(&Value::Null).ok(), None);
    }

    #[test]
    fn a_manifest_names_its_config_layers_children_and_subject() {
        let m = ManifestMetadata::deserialize(&json!({
            "config": "sha256:c", "subject": "sha256:s",
            "layers": ["sha256:l1", "sha256:l2"], "manifests": ["sha256:m"],
        }))
        .unwrap();
        let mut all = m.named_digests();
        all.sort();
        assert_eq!(
            all,
            ["sha256:c", "sha256:l1", "sha256:l2", "sha256:m", "sha256:s"]
        );
    }
}

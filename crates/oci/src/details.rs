//! The Details panel of an image: the OCI annotations its manifest was
//! pushed with, and the licences push read from them or from the config's
//! labels (`labels::ImageInfo`). The config's other labels are not kept in
//! the version's metadata, so a home page, source or authors given only
//! as labels do not show. Images have no keywords nor dependencies.

use entrepot_core::Version;
use entrepot_http::format::{Details, person_name};

use crate::metadata::ManifestMetadata;

const LICENSES: &str = "org.opencontainers.image.licenses";
const URL: &str = "org.opencontainers.image.url";
const SOURCE: &str = "org.opencontainers.image.source";
const AUTHORS: &str = "org.opencontainers.image.authors";

/// What `version`'s manifest says of the image.
pub fn of(version: &Version) -> Details {
    from_metadata(&ManifestMetadata::of(version))
}

fn from_metadata(m: &ManifestMetadata) -> Details {
    let annotation = |key: &str| {
        let value = m.annotations.as_ref()?.get(key)?.as_str()?.trim();
        (!value.is_empty()).then(|| value.to_owned())
    };
    Details {
        license: text(m.license.as_deref()).or_else(|| annotation(LICENSES)),
        homepage: annotation(URL),
        source: annotation(SOURCE),
        authors: annotation(AUTHORS).map(|a| authors(&a)).unwrap_or_default(),
        ..Details::default()
    }
}

/// Non-blank text, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// `org.opencontainers.image.authors` is free text; a comma separates
/// people, whose addresses are left out.
fn authors(field: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in field.split(',').filter_map(person_name) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize as _;
    use serde_json::{Value, json};

    const MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

    /// The metadata `manifests::record` stores for a pushed manifest `doc`
    /// whose image declared `licenses`, read back as
    /// `ManifestMetadata::of` reads it.
    fn pushed(doc: &Value, licenses: Option<&str>) -> ManifestMetadata {
        let mut m = ManifestMetadata::describe(doc, MEDIA_TYPE, 1024, "ab", "sha256:cd");
        m.remember_tag_digests("sha256:cd", &["latest".to_owned()]);
        m.license = licenses.map(str::to_owned);
        ManifestMetadata::deserialize(&m.to_json()).unwrap()
    }

    fn manifest(annotations: &Value) -> Value {
        json!({
            "schemaVersion": 2,
            "mediaType": MEDIA_TYPE,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": "sha256:aa", "size": 1469},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:bb", "size": 3_370_706}],
            "annotations": annotations,
        })
    }

    #[test]
    fn an_annotated_image_gives_its_details() {
        let doc = manifest(&json!({
            "org.opencontainers.image.created": "2025-01-01T00:00:00Z",
            "org.opencontainers.image.description": "Says hello",
            "org.opencontainers.image.licenses": "Apache-2.0",
            "org.opencontainers.image.url": "https://hello.example",
            "org.opencontainers.image.source": "https://github.com/alice/hello",
            "org.opencontainers.image.authors": "Alice Liddell <alice@example.com>, Bob, ops@example.com",
        }));
        let details = from_metadata(&pushed(&doc, Some("Apache-2.0")));
        assert_eq!(details.license.as_deref(), Some("Apache-2.0"));
        assert_eq!(details.homepage.as_deref(), Some("https://hello.example"));
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(details.source_directory, None);
        assert_eq!(details.authors, ["Alice Liddell", "Bob"]);
        assert!(details.keywords.is_empty() && details.dependencies.is_empty());
    }

    #[test]
    fn licenses_from_labels_show_without_annotations() {
        let mut doc = manifest(&Value::Null);
        doc.as_object_mut().unwrap().remove("annotations");
        let details = from_metadata(&pushed(&doc, Some("MIT")));
        assert_eq!(
            details,
            Details {
                license: Some("MIT".into()),
                ..Details::default()
            }
        );
        let odd = manifest(&json!({
            "org.opencontainers.image.url": 7,
            "org.opencontainers.image.source": " ",
            "org.opencontainers.image.authors": "ops@example.com",
        }));
        assert_eq!(from_metadata(&pushed(&odd, None)), Details::default());
    }
}

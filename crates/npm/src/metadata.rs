//! What npm keeps in a version's metadata: the manifest (package.json) it
//! was published with, less what is rebuilt on read (the tarball URL) or
//! kept at package level (the README), plus `npm deprecate`'s message.
//! Stored as the JSON object the client sent, so that any field npm adds
//! later is kept and served back unchanged.

use entrepot_core::{Lifecycle, Version};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A version's manifest. The fields the registry reads are typed; every
/// other field of package.json is kept as sent. A field whose value is not
/// of the type the registry reads stays among the others, as sent, and the
/// registry reads it as absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Manifest {
    pub name: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    /// `npm deprecate`'s message; clients warn with it on install.
    pub deprecated: Option<String>,
    /// The README some clients send in the manifest; never stored here.
    pub readme: Option<String>,
    /// Where the tarball is and what it hashes to.
    pub dist: Option<Dist>,
    /// Every other field, as published.
    pub fields: Map<String, Value>,
}

/// A manifest's `dist`: the publisher's claims about the tarball, which
/// the publish checked against the bytes it stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Dist {
    /// Subresource integrity, `sha512-BASE64`.
    pub integrity: Option<String>,
    /// The hex SHA-1.
    pub shasum: Option<String>,
    /// The download URL; rebuilt from the server's URL on every read.
    pub tarball: Option<String>,
    pub fields: Map<String, Value>,
}

/// Takes `key` out of `map` if it holds a string; anything else stays.
fn take_string(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(_)) => match map.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// Puts the typed fields back over the others: a typed value wins.
fn put_strings<const N: usize>(map: &mut Map<String, Value>, typed: [(&str, Option<String>); N]) {
    for (key, value) in typed {
        if let Some(value) = value {
            map.insert(key.to_owned(), Value::String(value));
        }
    }
}

impl From<Map<String, Value>> for Dist {
    fn from(mut fields: Map<String, Value>) -> Self {
        Dist {
            integrity: take_string(&mut fields, "integrity"),
            shasum: take_string(&mut fields, "shasum"),
            tarball: take_string(&mut fields, "tarball"),
            fields,
        }
    }
}

impl From<Dist> for Map<String, Value> {
    fn from(dist: Dist) -> Self {
        let mut map = dist.fields;
        put_strings(
            &mut map,
            [
                ("integrity", dist.integrity),
                ("shasum", dist.shasum),
                ("tarball", dist.tarball),
            ],
        );
        map
    }
}

impl From<Map<String, Value>> for Manifest {
    fn from(mut fields: Map<String, Value>) -> Self {
        let dist = match fields.remove("dist") {
            Some(Value::Object(dist)) => Some(Dist::from(dist)),
            Some(other) => {
                fields.insert("dist".into(), other);
                None
            }
            None => None,
        };
        Manifest {
            name: take_string(&mut fields, "name"),
            version: take_string(&mut fields, "version"),
            description: take_string(&mut fields, "description"),
            deprecated: take_string(&mut fields, "deprecated"),
            readme: take_string(&mut fields, "readme"),
            dist,
            fields,
        }
    }
}

impl From<Manifest> for Map<String, Value> {
    fn from(m: Manifest) -> Self {
        let mut map = m.fields;
        put_strings(
            &mut map,
            [
                ("name", m.name),
                ("version", m.version),
                ("description", m.description),
                ("deprecated", m.deprecated),
                ("readme", m.readme),
            ],
        );
        if let Some(dist) = m.dist {
            map.insert("dist".into(), Value::Object(dist.into()));
        }
        map
    }
}

impl Dist {
    /// The hex SHA-512 that `integrity` names, if it names one.
    pub fn sha512(&self) -> Option<String> {
        self.integrity.as_deref().and_then(sha512_of_integrity)
    }

    /// The hex SHA-1 of `shasum`, lowercase.
    pub fn sha1(&self) -> Option<String> {
        self.shasum.as_deref().map(str::to_ascii_lowercase)
    }
}

/// The hex SHA-512 inside an SRI `integrity` value (`sha512-BASE64`).
pub fn sha512_of_integrity(integrity: &str) -> Option<String> {
    use base64::Engine;
    integrity.split_whitespace().find_map(|part| {
        let b64 = part.strip_prefix("sha512-")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        (bytes.len() == 64).then(|| hex::encode(bytes))
    })
}

impl Manifest {
    /// The manifest `version` was published with; empty if what is stored
    /// is not an object.
    pub fn of(version: &Version) -> Manifest {
        Manifest::from_value(version.metadata.clone())
    }

    /// A manifest as a client sent it; empty if it is not an object.
    pub fn from_value(value: Value) -> Manifest {
        serde_json::from_value(value).unwrap_or_default()
    }

    pub fn to_value(&self) -> Value {
        Value::Object(self.clone().into())
    }

    /// The manifest as stored: without what is rebuilt on read (the
    /// tarball URL) or kept at package level (the README).
    #[must_use]
    pub fn for_storage(mut self) -> Manifest {
        self.readme = None;
        for transient in ["readme", "readmeFilename", "_attachments"] {
            self.fields.remove(transient);
        }
        if let Some(dist) = &mut self.dist {
            dist.tarball = None;
            dist.fields.remove("tarball");
        }
        self
    }

    /// The URL of `repository` in package.json (a string, or an object
    /// with a `url`).
    pub fn repository_url(&self) -> Option<&str> {
        match self.fields.get("repository") {
            Some(Value::String(url)) => Some(url),
            Some(Value::Object(r)) => r.get("url").and_then(Value::as_str),
            _ => None,
        }
    }

    pub fn lifecycle(&self) -> Lifecycle {
        match &self.deprecated {
            Some(message) => Lifecycle::Deprecated {
                reason: Some(message.clone()),
            },
            None => Lifecycle::Available,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_stored_manifest_reads_and_writes_back_unchanged() {
        let stored = json!({
            "name": "@alice/hello", "version": "1.0.0", "description": "hi",
            "deprecated": "use 2", "license": "MIT", "keywords": ["a"],
            "repository": {"type": "git", "url": "https://github.com/alice/hello"},
            "dist": {"integrity": "sha512-x", "shasum": "abc", "fileCount": 3},
        });
        let manifest = Manifest::from_value(stored.clone());
        assert_eq!(manifest.deprecated.as_deref(), Some("use 2"));
        assert_eq!(
            manifest.dist.as_ref().unwrap().shasum.as_deref(),
            Some("abc")
        );
        assert_eq!(
            manifest.repository_url(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(manifest.to_value(), stored);
        assert_eq!(serde_json::to_value(&manifest).unwrap(), stored);
    }

    #[test]
    fn a_field_of_another_type_is_kept_and_read_as_absent() {
        let stored = json!({"deprecated": false, "dist": "odd", "name": 7});
        let manifest = Manifest::from_value(stored.clone());
        assert_eq!(manifest.deprecated, None);
        assert_eq!(manifest.dist, None);
        assert_eq!(manifest.lifecycle(), Lifecycle::Available);
        assert_eq!(manifest.to_value(), stored);
        assert_eq!(
            Manifest::from_value(json!("not an object")),
            Manifest::default()
        );
    }

    #[test]
    fn storage_drops_the_readme_and_the_tarball_url() {
        let sent = json!({"name": "x", "readme": "# Hi", "readmeFilename": "README.md",
            "_attachments": {}, "dist": {"tarball": "http://x/t.tgz", "shasum": "abc"}});
        let stored = Manifest::from_value(sent).for_storage().to_value();
        assert_eq!(stored, json!({"name": "x", "dist": {"shasum": "abc"}}));
    }

    #[test]
    fn integrity_strings_yield_the_sha512() {
        use base64::Engine;
        let digest = [7u8; 64];
        let sri = format!(
            "sha1-abc sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        assert_eq!(sha512_of_integrity(&sri), Some(hex::encode(digest)));
        assert_eq!(sha512_of_integrity("sha256-xyz"), None);
        let dist = Manifest::from_value(json!({"dist": {"integrity": sri, "shasum": "ABC"}}))
            .dist
            .unwrap();
        assert_eq!(dist.sha512(), Some(hex::encode(digest)));
        assert_eq!(dist.sha1().as_deref(), Some("abc"));
    }

    #[test]
    fn a_deprecated_version_says_why() {
        let manifest = Manifest::from_value(json!({"deprecated": "use 2"}));
        assert_eq!(
            manifest.lifecycle(),
            Lifecycle::Deprecated {
                reason: Some("use 2".into())
            }
        );
    }
}

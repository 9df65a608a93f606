//! What a crate version keeps in `Version.metadata`: its index line and
//! the manifest's descriptive fields. Only this crate decodes it; everyone
//! else reads a version through `FormatSpec` (its lifecycle).

use entrepot_core::{Lifecycle, Version};
use serde::{Deserialize, Serialize};

use crate::index::{IndexLine, NewCrate};

/// A version's stored metadata: the index line (flattened, so that its
/// keys, `yanked` among them, sit at the top), and the manifest's fields
/// for the package page and the REST API (`license` is where the REST API
/// looks for it). Rows written by every release so far read back; a
/// missing manifest field reads as empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMetadata {
    #[serde(flatten)]
    pub line: IndexLine,
    #[serde(default)]
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    pub repository: Option<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

impl VersionMetadata {
    /// What a publish of `krate` stores: `line` and the manifest's fields,
    /// with the description as the package shows it.
    pub fn new(krate: NewCrate, line: IndexLine, description: Option<String>) -> Self {
        VersionMetadata {
            line,
            authors: krate.authors,
            description,
            documentation: krate.documentation,
            homepage: krate.homepage,
            repository: krate.repository,
            license: krate.license,
            license_file: krate.license_file,
            keywords: krate.keywords,
            categories: krate.categories,
        }
    }

    /// The version's metadata, if it is readable (a version without a
    /// readable index line is left out of the index).
    pub fn of(version: &Version) -> Result<Self, serde_json::Error> {
        Self::from_json(version.metadata.clone())
    }

    pub fn from_json(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// The JSON stored in `Version.metadata`.
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    /// Whether `version` is yanked; one whose metadata cannot be read is
    /// not (nothing marked it).
    pub fn is_yanked(version: &Version) -> bool {
        Self::of(version).is_ok_and(|m| m.line.yanked)
    }

    /// Where the version stands: yanked (cargo gives no reason) or available.
    pub fn lifecycle(version: &Version) -> Lifecycle {
        if Self::is_yanked(version) {
            Lifecycle::Yanked { reason: None }
        } else {
            Lifecycle::Available
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_rows_read_back_and_write_the_same_keys() {
        let stored = json!({
            "name": "tiny", "vers": "1.0.0", "deps": [], "cksum": "00",
            "features": {}, "yanked": true, "authors": ["A"],
            "description": "d", "documentation": null, "homepage": null,
            "repository": null, "license": "MIT", "license_file": null,
            "keywords": [], "categories": []
        });
        let metadata = VersionMetadata::from_json(stored.clone()).unwrap();
        assert!(metadata.line.yanked);
        assert_eq!(metadata.license.as_deref(), Some("MIT"));
        assert_eq!(metadata.to_json().unwrap(), stored);
        let line_only = json!({
            "name": "tiny", "vers": "1.0.0", "deps": [], "cksum": "00",
            "features": {}, "yanked": false
        });
        let metadata = VersionMetadata::from_json(line_only).unwrap();
        assert_eq!((metadata.license, metadata.authors.len()), (None, 0));
        assert!(VersionMetadata::from_json(json!({ "yanked": true })).is_err());
    }
}

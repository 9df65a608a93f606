//! What a gem version stores in `Version.metadata`: the fields of its
//! gemspec the indexes and the API serve, its platform, and the `.gem`'s
//! checksum. Written by push; read by the indexes, the API, `admin fsck`
//! and the format's description of itself. Nobody outside this crate
//! decodes it. The JSON keys and types are those the stored rows have, so
//! every row ever written still reads.

use std::collections::BTreeMap;

use entrepot_core::Version;
use serde::{Deserialize, Serialize};

/// One requirement, e.g. `(">=", "1.0")`.
pub type Constraint = (String, String);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub name: String,
    /// `runtime` or `development`.
    pub kind: String,
    pub requirements: Vec<Constraint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GemSpec {
    pub name: String,
    pub version: String,
    /// `ruby` for pure-Ruby gems.
    pub platform: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub email: Vec<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    #[serde(default)]
    pub required_ruby_version: Vec<Constraint>,
    #[serde(default)]
    pub required_rubygems_version: Vec<Constraint>,
    /// `YYYY-MM-DD`, the gem's build date.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub rubygems_version: Option<String>,
    #[serde(default)]
    pub specification_version: Option<i64>,
    /// Hex SHA-256 of the `.gem` file (the compact index's checksum).
    #[serde(default)]
    pub sha256: String,
}

impl GemSpec {
    /// The spec `version` holds, if it reads (the indexes leave out a
    /// version whose spec does not).
    pub fn of(version: &Version) -> Option<GemSpec> {
        GemSpec::deserialize(&version.metadata).ok()
    }

    /// The JSON stored in `Version.metadata`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("strings, lists and numbers render as JSON")
    }

    /// `VERSION` or `VERSION-PLATFORM`: the version's name here and in every
    /// index.
    pub fn full_version(&self) -> String {
        if self.platform == "ruby" {
            self.version.clone()
        } else {
            format!("{}-{}", self.version, self.platform)
        }
    }

    /// `NAME-VERSION[-PLATFORM]`, the stem of the file names.
    pub fn full_name(&self) -> String {
        format!("{}-{}", self.name, self.full_version())
    }

    pub fn runtime_dependencies(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().filter(|d| d.kind == "runtime")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_specs_keep_their_keys_and_types() {
        let stored = json!({
            "name": "tinygem",
            "version": "1.0.0",
            "platform": "x86_64-linux",
            "dependencies": [{ "name": "basegem", "kind": "runtime", "requirements": [["~>", "1.0"]] }],
            "sha256": "ab",
        });
        let spec = GemSpec::deserialize(&stored).unwrap();
        assert_eq!(spec.full_name(), "tinygem-1.0.0-x86_64-linux");
        let written = spec.to_json();
        assert_eq!(written["dependencies"], stored["dependencies"]);
        for key in [
            "name", "version", "platform", "summary", "metadata", "sha256",
        ] {
            assert!(written.get(key).is_some(), "{key}");
        }
    }
}

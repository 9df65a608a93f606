//! What a Maven version keeps in `Version.metadata`: its coordinates, the
//! repository its URLs name, and, once its POM is deployed, the POM's
//! facts for the package page and the REST API. Only this crate decodes
//! it; everyone else reads a version through `FormatSpec`.

use entrepot_core::Version;
use serde::{Deserialize, Serialize};

/// A version's stored metadata. The keys are those every release has
/// written: `group_id`, `artifact_id` and `repository`, and with a POM
/// its facts beside them (absent ones as `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMetadata {
    pub group_id: String,
    pub artifact_id: String,
    /// `OWNER/REPOSITORY`, as the repository was named at deploy time.
    pub repository: String,
    /// Read from the POM; `None` until the POM is deployed.
    #[serde(flatten)]
    pub pom: Option<PomFacts>,
}

/// What the POM says about its project, as the package page and the REST
/// API show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PomFacts {
    pub name: Option<String>,
    pub description: Option<String>,
    pub url: Option<String>,
    /// Always written with the POM's facts, so that its presence tells a
    /// version with a POM from one without.
    pub licenses: Vec<String>,
    /// The licences in one line: the REST API's `license` field.
    pub license: Option<String>,
    pub scm: Option<String>,
    pub packaging: Option<String>,
    /// The POM's `<dependencies>`, resolved as far as the POM and its
    /// parents in the registry say (`parents`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<crate::pom_deps::PomDependency>,
}

impl VersionMetadata {
    /// The version's metadata, if it records its coordinates.
    pub fn of(version: &Version) -> Option<Self> {
        serde_json::from_value(version.metadata.clone()).ok()
    }

    /// The JSON stored in `Version.metadata`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("string fields render as JSON")
    }

    /// `groupId:artifactId`, as the ecosystem writes it.
    pub fn coordinates(&self) -> String {
        format!("{}:{}", self.group_id, self.artifact_id)
    }

    /// The POM's `<packaging>`, Maven's `jar` when it says none (or has
    /// not been deployed).
    pub fn packaging(&self) -> &str {
        self.pom
            .as_ref()
            .and_then(|p| p.packaging.as_deref())
            .unwrap_or("jar")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_with_and_without_a_pom_read_back_and_write_the_same_keys() {
        let bare = json!({
            "group_id": "com.example", "artifact_id": "tiny", "repository": "alice/lib"
        });
        let m: VersionMetadata = serde_json::from_value(bare.clone()).unwrap();
        assert_eq!(m.pom, None);
        assert_eq!(m.packaging(), "jar");
        assert_eq!(m.to_json(), bare);
        let full = json!({
            "group_id": "com.example", "artifact_id": "tiny", "repository": "alice/lib",
            "name": "Tiny", "description": null, "url": null, "licenses": ["MIT", "Apache-2.0"],
            "license": "MIT, Apache-2.0", "scm": null, "packaging": "war"
        });
        let m: VersionMetadata = serde_json::from_value(full.clone()).unwrap();
        assert_eq!(m.packaging(), "war");
        assert_eq!(m.coordinates(), "com.example:tiny");
        assert_eq!(m.to_json(), full);
    }
}

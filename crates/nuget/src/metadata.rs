//! What a NuGet version stores in `Version.metadata`: its nuspec, whether
//! it is listed, and the `.nupkg`'s size and SHA-512 (the v2 feed's
//! `PackageSize` and `PackageHash`). Written by push, unlist and relist;
//! read by the feeds, `admin fsck` and the format's description of itself.
//! Nobody outside this crate decodes it. The JSON keys and types are those
//! the stored rows have, so every row ever written still reads.

use entrepot_core::Version;
use serde::{Deserialize, Serialize};

use crate::nuspec::Nuspec;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionMetadata {
    pub nuspec: Nuspec,
    /// Unlisted versions stay installable by their exact number but are
    /// left out of searches and of "latest" (nuget.org's rule).
    pub listed: bool,
    pub size: u64,
    /// Hex SHA-512 of the `.nupkg`.
    pub sha512: String,
    /// The icon's file name among the version's files (`icon/NAME`).
    #[serde(default)]
    pub icon_file: Option<String>,
    /// The README's file name among the version's files.
    #[serde(default)]
    pub readme_file: Option<String>,
}

impl VersionMetadata {
    /// The metadata `version` holds, if it reads (the feeds leave out a
    /// version whose metadata does not).
    pub fn of(version: &Version) -> Option<VersionMetadata> {
        VersionMetadata::deserialize(&version.metadata).ok()
    }

    /// The JSON stored in `Version.metadata`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("strings, numbers and flags render as JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_metadata_keeps_its_keys_and_types() {
        let stored = json!({
            "nuspec": { "id": "Tiny.Demo", "version": "1.0.0" },
            "listed": false,
            "size": 42,
            "sha512": "ab",
        });
        let read: VersionMetadata = VersionMetadata::deserialize(&stored).unwrap();
        assert!(!read.listed);
        assert_eq!(read.nuspec.id, "Tiny.Demo");
        let written = read.to_json();
        for key in [
            "nuspec",
            "listed",
            "size",
            "sha512",
            "icon_file",
            "readme_file",
        ] {
            assert!(written.get(key).is_some(), "{key}");
        }
        assert_eq!(written["size"], json!(42));
        assert_eq!(written["nuspec"]["id"], json!("Tiny.Demo"));
    }
}

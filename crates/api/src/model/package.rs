//! GitHub's `package` and `package-version`, each with Entrepot's
//! `download_count`, and the version's `metadata`
//! (`{package_type, container: {tags}}`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::repository::MinimalRepository;
use super::user::SimpleUser;

/// GitHub's `package` shape, plus a total `download_count` and, for a
/// cached package, `cached_from`.
#[derive(Debug, Serialize)]
#[expect(clippy::struct_field_names, reason = "GitHub's field names")]
pub struct Package {
    pub id: i64,
    pub name: String,
    pub package_type: &'static str,
    pub owner: SimpleUser,
    pub version_count: usize,
    pub visibility: &'static str,
    pub url: String,
    pub html_url: String,
    /// `null` when the package is connected to no repository.
    pub repository: Option<MinimalRepository>,
    pub created_at: String,
    pub updated_at: String,
    pub download_count: i64,
    /// The upstream registry the package was cached from (its owner), if
    /// it was: an Entrepot extension, absent for local packages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached_from: Option<String>,
}

/// GitHub's `package-version` shape, plus `download_count`.
#[derive(Debug, Serialize)]
pub struct PackageVersion {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub package_html_url: String,
    pub html_url: String,
    pub created_at: String,
    pub updated_at: String,
    pub metadata: VersionMetadata,
    pub download_count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// A version's `metadata`: its package type and, for formats with tags
/// (containers), the tags on it under the format's key (`container`).
#[derive(Debug, Serialize)]
pub struct VersionMetadata {
    pub package_type: &'static str,
    #[serde(flatten)]
    pub tagged: BTreeMap<&'static str, Tags>,
}

/// `{"tags": [...]}`: the tags that point at a version.
#[derive(Debug, Serialize)]
pub struct Tags {
    pub tags: Vec<String>,
}

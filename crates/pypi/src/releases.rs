//! A project as its index pages show it: its live releases in PEP 440
//! order, each with its core metadata and its distributions.

use std::collections::HashMap;

use entrepot_core::{Actor, Package, PackageFile, PackageType};
use entrepot_http::AppState;

use crate::error::Result;
use crate::metadata::CoreMetadata;
use crate::pep440::{Version, normalize_name};

/// One distribution file as the index lists it.
pub struct Dist {
    pub filename: String,
    pub url: String,
    pub sha256: String,
    /// Unknown for an upstream whose index does not say (PEP 700).
    pub size: Option<u64>,
    pub uploaded: Option<chrono::DateTime<chrono::Utc>>,
    pub requires_python: Option<String>,
    /// The SHA-256 of its core metadata file, where one is stored.
    pub metadata_sha256: Option<String>,
    /// The yank's reason (empty when none was given), if yanked.
    pub yanked: Option<String>,
}

/// One live release whose name is a PEP 440 version.
pub struct Release {
    pub version: Version,
    pub metadata: CoreMetadata,
    /// Its distributions by file name; core metadata files are not listed.
    pub dists: Vec<Dist>,
}

/// The project `project` (any spelling of its name) of `owner`, as
/// `actor` may see it.
pub async fn readable(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
) -> Result<Package> {
    Ok(state
        .registry
        .packages()
        .readable_package(actor, owner, PackageType::Pypi, &normalize_name(project))
        .await?)
}

/// A project's live releases (ascending) and their files; a release whose
/// name is not a PEP 440 version is left out.
pub async fn releases(state: &AppState, package: &Package) -> Result<Vec<Release>> {
    let registry = &state.registry;
    let mut files_by_version: HashMap<i64, Vec<PackageFile>> = HashMap::new();
    for f in registry.packages().package_files(package.id).await? {
        files_by_version.entry(f.version_id).or_default().push(f);
    }
    let mut out = Vec::new();
    for v in registry.packages().versions(package.id, false).await? {
        let Some(parsed) = Version::parse(&v.name) else {
            continue;
        };
        let files = files_by_version.remove(&v.id).unwrap_or_default();
        let metadata = CoreMetadata::of(&v);
        let yanked = metadata.yanked.reason().map(str::to_owned);
        let mut dists = Vec::new();
        for f in files.iter().filter(|f| !f.name.ends_with(".metadata")) {
            let metadata_sha256 = files
                .iter()
                .find(|m| m.name == format!("{}.metadata", f.name))
                .map(|m| m.sha256.clone());
            dists.push(Dist {
                url: state.config.url(&format!(
                    "/pypi/{}/files/{}/{}/{}",
                    package.owner_login, package.name, v.name, f.name
                )),
                filename: f.name.clone(),
                sha256: f.sha256.clone(),
                size: Some(f.size),
                uploaded: Some(f.created_at),
                requires_python: metadata.requires_python.clone(),
                metadata_sha256,
                yanked: yanked.clone(),
            });
        }
        dists.sort_by(|a, b| a.filename.cmp(&b.filename));
        out.push(Release {
            version: parsed,
            metadata,
            dists,
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(out)
}

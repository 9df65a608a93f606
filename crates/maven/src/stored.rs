//! What the repository holds for a package, as the layout lists it: live
//! versions in deploy order, and a version's files.

use entrepot_core::{Package, PackageFile, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;

use crate::error::{Result, not_found};

/// The package's live versions, oldest first: the order
/// `maven-metadata.xml` lists them in.
pub async fn live_versions(state: &AppState, package: &Package) -> ServiceResult<Vec<Version>> {
    let mut versions = state
        .registry
        .packages()
        .versions(package.id, false)
        .await?;
    in_deploy_order(&mut versions);
    Ok(versions)
}

/// Sorts versions oldest first (by creation, then id).
pub fn in_deploy_order(versions: &mut [Version]) {
    versions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
}

/// The live version `name`, if there is one.
pub async fn version_of(
    state: &AppState,
    package: &Package,
    name: &str,
) -> Result<Option<Version>> {
    Ok(state
        .registry
        .packages()
        .version(package.id, name)
        .await?
        .filter(|v| v.deleted_at.is_none()))
}

/// The names of a version's files.
pub async fn file_names(state: &AppState, v: &Version) -> ServiceResult<Vec<String>> {
    Ok(state
        .registry
        .packages()
        .files(v.id)
        .await?
        .into_iter()
        .map(|f| f.name)
        .collect())
}

/// A live version's file, or 404.
pub async fn stored_file(
    state: &AppState,
    package: &Package,
    version: &str,
    file: &str,
) -> Result<(Version, PackageFile)> {
    let v = version_of(state, package, version)
        .await?
        .ok_or_else(not_found)?;
    let stored = state
        .registry
        .packages()
        .files(v.id)
        .await?
        .into_iter()
        .find(|f| f.name == file)
        .ok_or_else(not_found)?;
    Ok((v, stored))
}

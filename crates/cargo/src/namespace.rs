//! An owner's registry as the endpoints find things in it: the owner the
//! URL names, a crate by the name cargo writes, a version and its
//! `.crate`, each answered as the caller may see it.

use entrepot_core::{Account, Actor, Package, PackageFile, PackageType, Version};
use entrepot_http::AppState;
use entrepot_service::{ServiceError, ServiceResult};

use crate::reply::{CargoError, Result};

/// The owner named in the URL; an unknown one is reported like a hidden
/// one (401 to anonymous callers, so that cargo sends its token).
pub async fn owner_account(state: &AppState, actor: &Actor, login: &str) -> Result<Account> {
    state
        .registry
        .accounts()
        .account_by_login(login)
        .await?
        .ok_or_else(|| {
            ServiceError::unseen(actor, format!("no user or organization named `{login}`")).into()
        })
}

/// The owner's live crates, whether or not the caller may read them.
pub async fn crates_of(state: &AppState, owner: &Account) -> Result<Vec<Package>> {
    Ok(state
        .registry
        .packages()
        .namespace_packages(owner, PackageType::Cargo)
        .await?)
}

/// The live crate `name` names, matched as the index matches names
/// (case-insensitively, since index files are lowercase), whether or not
/// the caller may read it.
async fn find_crate(state: &AppState, owner: &Account, name: &str) -> Result<Option<Package>> {
    if let Some(package) = state
        .registry
        .packages()
        .package_named(owner.id, PackageType::Cargo, name, false)
        .await?
    {
        return Ok(Some(package));
    }
    let lower = name.to_ascii_lowercase();
    Ok(crates_of(state, owner)
        .await?
        .into_iter()
        .find(|p| p.name.to_ascii_lowercase() == lower))
}

/// The crate `name`, if `actor` may read it; otherwise what a missing
/// crate gets (`Registry::readable_in_namespace`: 404, or 401 to anonymous
/// callers where the registry requires a token, so that cargo retries
/// with it).
pub async fn readable_crate(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    name: &str,
) -> Result<Package> {
    let candidate = find_crate(state, owner, name).await?;
    Ok(state
        .registry
        .packages()
        .readable_in_namespace(
            actor,
            owner,
            PackageType::Cargo,
            candidate,
            format!(
                "crate `{name}` does not exist in {}'s registry",
                owner.login
            ),
        )
        .await?)
}

/// The live version `version` of `package`, or 404 in cargo's words.
pub async fn live_version(state: &AppState, package: &Package, version: &str) -> Result<Version> {
    state
        .registry
        .packages()
        .version(package.id, version)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| no_version(package, version))
}

pub fn no_version(package: &Package, version: &str) -> CargoError {
    CargoError::not_found(format!(
        "crate `{}` does not have a version `{version}`",
        package.name
    ))
}

/// The version's `.crate` file, if it has one.
pub async fn crate_file(state: &AppState, version: &Version) -> ServiceResult<Option<PackageFile>> {
    Ok(state
        .registry
        .packages()
        .files(version.id)
        .await?
        .into_iter()
        .find(|f| {
            std::path::Path::new(&f.name)
                .extension()
                .is_some_and(|e| e == "crate")
        }))
}

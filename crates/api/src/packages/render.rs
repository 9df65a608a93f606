//! Builds the `package` and `package-version` models of a package from the
//! stores: its repository, version count, tags and download totals.

use std::collections::BTreeMap;

use entrepot_core::{Account, Package, Version};
use entrepot_http::format::FormatSpec;
use entrepot_http::{ApiError, AppState};
use entrepot_store::PackageTotals;
use percent_encoding::utf8_percent_encode;
use serde_json::Value;

use crate::model::iso;
use crate::model::package::{self as model, Tags, VersionMetadata};
use crate::model::repository::MinimalRepository;
use crate::model::user::SimpleUser;
use crate::shared::{PATH_SEGMENT, package_urls};

/// GitHub's `package` shape, plus a total `download_count`.
pub async fn package(
    state: &AppState,
    owner: &Account,
    package: &Package,
) -> Result<model::Package, ApiError> {
    let totals = state.registry.packages().totals(&[package.id]).await?;
    let totals = totals.get(&package.id).copied().unwrap_or_default();
    package_counted(state, owner, package, totals).await
}

/// [`package`] with its totals already counted (for a whole page at once).
pub async fn package_counted(
    state: &AppState,
    owner: &Account,
    package: &Package,
    totals: PackageTotals,
) -> Result<model::Package, ApiError> {
    let registry = &state.registry;
    let config = &state.config;
    let urls = package_urls(config, owner, package);
    let repository = match package.repository_id {
        Some(id) => match registry.accounts().repository_by_id(id).await? {
            Some(repo) => registry
                .accounts()
                .account_by_id(repo.owner_id)
                .await?
                .map(|repo_owner| MinimalRepository::new(config, &repo, &repo_owner)),
            None => None,
        },
        None => None,
    };
    Ok(model::Package {
        id: package.id,
        name: package.name.clone(),
        package_type: package.package_type.as_str(),
        owner: SimpleUser::new(config, owner),
        version_count: usize::try_from(totals.versions).unwrap_or(usize::MAX),
        visibility: package.visibility.as_str(),
        url: urls.api,
        html_url: urls.html,
        repository,
        created_at: iso(&package.created_at),
        updated_at: iso(&package.updated_at),
        download_count: totals.downloads,
        cached_from: package
            .owner_is_upstream
            .then(|| package.owner_login.clone()),
    })
}

/// GitHub's `package-version` shape, plus `download_count`.
pub async fn version(
    state: &AppState,
    owner: &Account,
    package: &Package,
    version: &Version,
    downloads: i64,
) -> Result<model::PackageVersion, ApiError> {
    let urls = package_urls(&state.config, owner, package);
    let mut tagged = BTreeMap::new();
    if let Some(key) = state
        .format(package.package_type)
        .and_then(FormatSpec::rest_tags_key)
    {
        let tags: Vec<String> = state
            .registry
            .packages()
            .tags(package.id)
            .await?
            .into_iter()
            .filter(|t| t.version_id == version.id)
            .map(|t| t.name)
            .collect();
        tagged.insert(key, Tags { tags });
    }
    let version_query = utf8_percent_encode(&version.name, PATH_SEGMENT).to_string();
    Ok(model::PackageVersion {
        id: version.id,
        name: version.name.clone(),
        url: format!("{}/versions/{}", urls.api, version.id),
        html_url: format!("{}?version={version_query}", urls.html),
        package_html_url: urls.html,
        created_at: iso(&version.created_at),
        updated_at: iso(&version.updated_at),
        metadata: VersionMetadata {
            package_type: package.package_type.as_str(),
            tagged,
        },
        download_count: downloads,
        license: version
            .metadata
            .get("license")
            .and_then(Value::as_str)
            .map(str::to_owned),
        description: package.description.clone(),
        deleted_at: version.deleted_at.as_ref().map(iso),
    })
}

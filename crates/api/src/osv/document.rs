//! The OSV document of an advisory, built by `entrepot_core::osv` from the
//! package's owner, live versions and URLs.

use entrepot_core::osv;
use entrepot_core::{Account, Advisory, Package, Version};
use entrepot_http::AppState;
use serde_json::Value;

use super::error::{OsvError, Result};
use crate::shared::package_urls;

/// What a package's documents need: its owner and its live versions.
pub(super) async fn package_facts(
    state: &AppState,
    package: &Package,
) -> Result<(Account, Vec<Version>)> {
    let registry = &state.registry;
    let owner = registry
        .accounts()
        .account_by_id(package.owner_id)
        .await?
        .ok_or_else(OsvError::not_found)?;
    let versions = registry.packages().versions(package.id, false).await?;
    Ok((owner, versions))
}

/// The OSV document of an advisory on `package`, whose live versions are
/// `versions`.
pub(super) fn document(
    state: &AppState,
    advisory: &Advisory,
    package: &Package,
    owner: &Account,
    versions: &[Version],
) -> Value {
    let newest = versions.iter().max_by_key(|v| v.created_at);
    let format = state.format(package.package_type);
    let name = format.map_or_else(
        || package.name.clone(),
        |f| f.ecosystem_name(package, newest),
    );
    let context = osv::Context {
        name,
        affected_versions: versions
            .iter()
            .filter(|v| advisory.affects(&v.name))
            .map(|v| v.name.clone())
            .collect(),
        references: vec![
            (
                "ADVISORY",
                state
                    .config
                    .url(&format!("/advisories/{}", advisory.ghsa_id)),
            ),
            ("PACKAGE", package_urls(&state.config, owner, package).html),
        ],
    };
    osv::to_osv(advisory, &context)
}

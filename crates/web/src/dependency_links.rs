//! The Details panel's dependencies: a version's own (as its format reads
//! them) or, for an image, what its attached SBOMs name (as the dependency
//! graph last read them, grouped by ecosystem), each linked to its package
//! here where the viewer may read one (else to a search for its name).

use std::collections::HashMap;

use entrepot_core::{Actor, Ecosystem, Package, Version};
use entrepot_http::AppState;
use entrepot_http::format::{Dependency, Details};
use entrepot_service::ServiceError;

/// Fills `details.dependencies` of an image from its SBOMs, and returns
/// the page path of each dependency found here, by its place in the list.
pub async fn resolve(
    state: &AppState,
    actor: &Actor,
    package: &Package,
    version: Option<&Version>,
    details: &mut Details,
) -> Result<HashMap<usize, String>, ServiceError> {
    let registry = &state.registry;
    let names: Vec<(Ecosystem, String)> =
        if let Some(ecosystem) = Ecosystem::of(package.package_type) {
            details
                .dependencies
                .iter()
                .map(|d| (ecosystem, d.name.clone()))
                .collect()
        } else {
            let Some(version) = version else {
                return Ok(HashMap::new());
            };
            let held = registry
                .graph()
                .image_dependencies(actor, package, version)
                .await?;
            details.dependencies = held
                .iter()
                .map(|d| Dependency {
                    name: d.name.clone(),
                    requirement: d.range.clone(),
                    kind: d.ecosystem.as_str().to_owned(),
                })
                .collect();
            // Cut as a format's own details are.
            *details = std::mem::take(details).bounded();
            held.into_iter()
                .take(details.dependencies.len())
                .map(|d| (d.ecosystem, d.name))
                .collect()
        };
    let wanted: Vec<(Ecosystem, &str)> = names.iter().map(|(e, n)| (*e, n.as_str())).collect();
    Ok(registry
        .graph()
        .locate(actor, package, &wanted)
        .await?
        .into_iter()
        .map(|(i, found, owner)| (i, crate::package_path(&owner, &found)))
        .collect())
}

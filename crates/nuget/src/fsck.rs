//! `admin fsck`'s look at a NuGet package's flat container, rendered from
//! the same items the feed serves.

use std::collections::BTreeSet;

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;

use crate::feed::Item;
use crate::metadata::VersionMetadata;
use crate::view::items_of;

/// Every live version's stored metadata parses (the feed leaves out one
/// that does not); the flat container's version list is exactly the live
/// versions; and each version's `.nupkg` is there with the size and
/// SHA-512 the v2 feed announces (`PackageSize`, `PackageHash`).
pub async fn check(
    state: AppState,
    package: Package,
    live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    for v in &live {
        if VersionMetadata::of(v).is_none() {
            problems.push(format!(
                "version {}'s stored metadata does not parse, so the feed leaves it out",
                v.name
            ));
        }
    }
    let items = items_of(&state.registry, &package).await?;
    let listed: BTreeSet<String> = items.iter().map(Item::lower_version).collect();
    let wanted: BTreeSet<String> = live.iter().map(|v| v.name.clone()).collect();
    if listed != wanted {
        problems.push(format!(
            "the flat container lists {listed:?}, the live versions are {wanted:?}"
        ));
    }
    for item in &items {
        let lver = item.lower_version();
        let nupkg = format!("{}.{lver}.nupkg", package.name);
        let files = state.registry.packages().files(item.id).await?;
        match files.iter().find(|f| f.name == nupkg) {
            None => problems.push(format!("version {lver} has no {nupkg}")),
            Some(f) => {
                if f.digests.sha512.as_deref() != Some(item.stored.sha512.as_str()) {
                    problems.push(format!(
                        "{nupkg}'s sha512 is not the PackageHash the v2 feed announces"
                    ));
                }
                if f.size != item.stored.size {
                    problems.push(format!(
                        "{nupkg} has {} bytes, its metadata announces {}",
                        f.size, item.stored.size
                    ));
                }
            }
        }
    }
    Ok(problems)
}

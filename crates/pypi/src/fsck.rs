//! `admin fsck`'s look at a project's simple index, rendered from the same
//! list of releases and files the index pages are made from.
//!
//! Each link's `#sha256=` and `core-metadata` hash are the stored files'
//! own digests, and `core-metadata` is advertised exactly when the
//! `.metadata` file is stored: they cannot disagree with the metadata, and
//! the blob check holds the bytes to those digests.

use std::collections::HashSet;

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::{ServiceError, ServiceResult};

use crate::distribution::check_filename;
use crate::pep440;
use crate::releases::releases;

/// Every live version is in the index (one whose name is not a PEP 440
/// version is left out) with at least one distribution; each distribution
/// is named for this project and version (pip skips links that are not);
/// and no core-metadata file is stored without its distribution.
pub async fn check(
    state: AppState,
    package: Package,
    live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    for v in &live {
        if pep440::Version::parse(&v.name).is_none() {
            problems.push(format!(
                "version {} is not a PEP 440 version, so the index leaves it out",
                v.name
            ));
        }
    }
    let releases = releases(&state, &package)
        .await
        .map_err(|e| ServiceError::Internal(e.message))?;
    for release in &releases {
        let version = &release.version;
        let shown = version.normalized();
        if release.dists.is_empty() {
            problems.push(format!("version {shown} has no distribution in the index"));
        }
        for d in &release.dists {
            let filetype = if d.filename.to_ascii_lowercase().ends_with(".whl") {
                "bdist_wheel"
            } else {
                "sdist"
            };
            if let Err(e) = check_filename(&d.filename, &package.name, version, filetype) {
                problems.push(e.message);
            }
        }
    }
    for v in &live {
        let files = state.registry.packages().files(v.id).await?;
        let names: HashSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
        for f in &files {
            if let Some(dist) = f.name.strip_suffix(".metadata")
                && !names.contains(dist)
            {
                problems.push(format!(
                    "version {} holds {} without its distribution {dist}",
                    v.name, f.name
                ));
            }
        }
    }
    Ok(problems)
}

//! `admin fsck`'s look at a crate's sparse index file, rendered by the
//! same code that serves it.
//!
//! A line's `yanked` is read from the same stored field the yank endpoints
//! write, so it cannot disagree with the version; it is not checked.

use std::collections::{BTreeSet, HashMap};

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::{ServiceError, ServiceResult};

use crate::index::IndexLine;
use crate::metadata::VersionMetadata;
use crate::names::canonical;
use crate::namespace::crate_file;
use crate::sparse::render;

/// Every live version (yanked ones are live) has a readable index line
/// (one that is not is left out of the file); the file has exactly one
/// line per live version, each naming this crate; and each line's `cksum`
/// is the sha256 of the version's `.crate`, which cargo checks the
/// download against.
pub async fn check(
    state: AppState,
    package: Package,
    live_versions: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    for v in &live_versions {
        if VersionMetadata::of(v).is_err() {
            problems.push(format!(
                "version {} has no readable index line, so the index leaves it out",
                v.name
            ));
        }
    }
    let file = render(&state, &package)
        .await
        .map_err(|e| ServiceError::Internal(e.detail().to_owned()))?;
    let body = String::from_utf8_lossy(file.body()).into_owned();
    let by_name: HashMap<&str, &Version> =
        live_versions.iter().map(|v| (v.name.as_str(), v)).collect();
    let mut listed = BTreeSet::new();
    for (n, text) in body.lines().enumerate() {
        let line: IndexLine = match serde_json::from_str(text) {
            Ok(l) => l,
            Err(e) => {
                problems.push(format!("index line {} does not parse: {e}", n + 1));
                continue;
            }
        };
        if canonical(&line.name) != canonical(&package.name) {
            problems.push(format!(
                "index line for {} names crate {}",
                line.vers, line.name
            ));
        }
        if !listed.insert(line.vers.clone()) {
            problems.push(format!("the index lists {} twice", line.vers));
        }
        let Some(version) = by_name.get(line.vers.as_str()) else {
            problems.push(format!(
                "the index lists {}, which is not a live version",
                line.vers
            ));
            continue;
        };
        let Some(krate) = crate_file(&state, version).await? else {
            problems.push(format!("version {} has no .crate file", line.vers));
            continue;
        };
        if krate.sha256 != line.cksum {
            problems.push(format!(
                "version {}'s index cksum {} is not its .crate's sha256 {}",
                line.vers, line.cksum, krate.sha256
            ));
        }
    }
    for v in &live_versions {
        if !listed.contains(&v.name) {
            problems.push(format!("the index has no line for live version {}", v.name));
        }
    }
    Ok(problems)
}

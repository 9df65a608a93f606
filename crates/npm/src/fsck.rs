//! `admin fsck`'s look at a package's packument: rendered by the same code
//! the registry serves it with, so the check reads what npm would.

use std::collections::BTreeSet;

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;

use crate::metadata::Manifest;
use crate::name::NpmName;
use crate::view::{View, tarball_url};

/// The packument lists exactly the live versions; each version's
/// `dist.tarball` is the URL of its own tarball, whose recorded digests
/// (rendered as `dist.integrity` and `dist.shasum`) exist and agree with
/// the `dist` the stored manifest was published with; every dist-tag names
/// a listed version and `latest` exists.
pub async fn check(
    state: AppState,
    package: Package,
    live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    let name = NpmName {
        scope: package.owner_login.clone(),
        name: package.name.clone(),
    };
    let base = state.config.site.base_url().as_str().to_owned();
    let view = View::load(&state.registry, package)
        .await
        .map_err(|e| e.0)?;
    let doc = view.full(&base, &name);
    let listed: BTreeSet<&str> = doc["versions"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let wanted: BTreeSet<&str> = live.iter().map(|v| v.name.as_str()).collect();
    for missing in wanted.difference(&listed) {
        problems.push(format!(
            "the packument does not list live version {missing}"
        ));
    }
    for extra in listed.difference(&wanted) {
        problems.push(format!(
            "the packument lists {extra}, which is not a live version"
        ));
    }
    for (version, files) in &view.versions {
        let v = &version.name;
        let dist = &doc["versions"][v]["dist"];
        let Some(file) = files.first() else {
            problems.push(format!("version {v} has no tarball"));
            continue;
        };
        let expected_name = name.tarball(v);
        if file.name != expected_name {
            problems.push(format!(
                "version {v}'s tarball is stored as {}, not {expected_name}",
                file.name
            ));
        }
        if dist["tarball"].as_str() != Some(tarball_url(&base, &name, v).as_str()) {
            problems.push(format!(
                "version {v}'s dist.tarball is not its tarball's URL"
            ));
        }
        // `dist.integrity` and `dist.shasum` are rendered from the file's
        // recorded digests; without them the publisher's claim is served
        // unchecked.
        if file.digests.sha512.is_none() && file.digests.sha1.is_none() {
            problems.push(format!(
                "version {v}'s tarball has no recorded sha512 or sha1 to check dist against"
            ));
        }
        // The manifest as published keeps the publisher's dist, which the
        // publish checked against the tarball: they must still agree.
        let stored = Manifest::of(version).dist.unwrap_or_default();
        let (claimed_sha512, claimed_sha1) = (stored.sha512(), stored.sha1());
        if claimed_sha512.is_some_and(|c| file.digests.sha512.as_ref().is_some_and(|d| *d != c))
            || claimed_sha1.is_some_and(|c| file.digests.sha1.as_ref().is_some_and(|d| *d != c))
        {
            problems.push(format!(
                "version {v}'s stored dist disagrees with its tarball's recorded digests"
            ));
        }
    }
    let tags = doc["dist-tags"].as_object().cloned().unwrap_or_default();
    for (tag, target) in &tags {
        if !target.as_str().is_some_and(|t| listed.contains(t)) {
            problems.push(format!(
                "dist-tag {tag} names {target}, which is not listed"
            ));
        }
    }
    if !listed.is_empty() && !tags.contains_key("latest") {
        problems.push("the packument has no latest dist-tag".to_owned());
    }
    Ok(problems)
}

//! `admin fsck`'s look at a gem's compact index, rendered by the same code
//! that serves `/info/NAME` and `/versions`.

use std::collections::BTreeSet;

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;

use crate::index::{Index, md5_hex};
use crate::view::entries_of;

/// Every version (yanked ones too, which `/versions` still names) has a
/// readable spec naming this gem and version; every live version has its
/// `.gem`, and the spec's checksum (which `/info` shows and downloads
/// serve by) is that file's; `/info/NAME` lists exactly the live versions;
/// and the last `/versions` line for the gem carries the MD5 of the
/// `/info/NAME` served now, which is how Bundler decides to refetch it.
pub async fn check(
    state: AppState,
    package: Package,
    live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    let (entries, unreadable) = entries_of(&state.registry, &package).await?;
    for v in unreadable {
        problems.push(format!(
            "version {} has no readable spec, so the indexes leave it out",
            v.name
        ));
    }
    let by_id: std::collections::HashMap<i64, &Version> = live.iter().map(|v| (v.id, v)).collect();
    for entry in &entries {
        let spec = &entry.spec;
        let Some(version) = by_id.get(&entry.id) else {
            continue;
        };
        if spec.name != package.name || spec.full_version() != version.name {
            problems.push(format!(
                "version {}'s spec names {}",
                version.name,
                spec.full_name()
            ));
        }
        let gem = format!("{}.gem", spec.full_name());
        let files = state.registry.packages().files(version.id).await?;
        match files.iter().find(|f| f.name == gem) {
            None => problems.push(format!("version {} has no {gem}", version.name)),
            Some(f) if f.sha256 != spec.sha256 => problems.push(format!(
                "version {}'s spec checksum {} is not its {gem}'s sha256 {}",
                version.name, spec.sha256, f.sha256
            )),
            Some(_) => {}
        }
    }
    let mut index = Index::default();
    index.gems.insert(package.name.clone(), entries);
    let Some(info) = index.info(&package.name) else {
        if !live.is_empty() {
            problems.push("/info has no document for a gem with live versions".to_owned());
        }
        return Ok(problems);
    };
    let listed: BTreeSet<&str> = info
        .lines()
        .skip(1)
        .filter_map(|l| l.split(' ').next())
        .collect();
    let wanted: BTreeSet<&str> = live.iter().map(|v| v.name.as_str()).collect();
    if listed != wanted {
        problems.push(format!(
            "/info/{} lists {listed:?}, the versions not yanked are {wanted:?}",
            package.name
        ));
    }
    let versions = index.versions();
    let prefix = format!("{} ", package.name);
    let md5 = md5_hex(info.as_bytes());
    match versions.lines().rev().find(|l| l.starts_with(&prefix)) {
        None => problems.push("/versions has no line for the gem".to_owned()),
        Some(last) if !last.ends_with(&format!(" {md5}")) => problems.push(format!(
            "the last /versions line for the gem ({last}) does not carry the MD5 of /info/{}, {md5}",
            package.name
        )),
        Some(_) => {}
    }
    Ok(problems)
}

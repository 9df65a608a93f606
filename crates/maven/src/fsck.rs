//! `admin fsck`'s look at an artifact's `maven-metadata.xml` files,
//! rendered by the same code the layout serves them with.
//!
//! The checksum files need no check: each is the stored digest of its file
//! (or computed from the bytes when none was stored), so it cannot disagree
//! with a blob the blob check found whole.

use std::collections::BTreeSet;

use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;

use crate::maven_metadata;
use crate::metadata::VersionMetadata;
use crate::stored::{file_names, in_deploy_order};

/// The values of every `<tag>…</tag>` in `xml`, as a client's parser
/// would read them (the rendering escapes nothing, so this reads it back
/// literally and catches a version that breaks the document).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// The package is reachable (connected to the repository its URLs name);
/// every live version names the package's coordinates; the artifact-level
/// document lists exactly the live versions; and each SNAPSHOT version has
/// a SNAPSHOT-level document.
pub async fn check(
    state: AppState,
    package: Package,
    mut live: Vec<Version>,
) -> ServiceResult<Vec<String>> {
    let mut problems = Vec::new();
    if package.repository_id.is_none() {
        problems.push(
            "the package is connected to no repository, so no /maven/OWNER/REPO/ URL reaches it"
                .to_owned(),
        );
    }
    // The order the layout lists them in.
    in_deploy_order(&mut live);
    let Some(newest) = live.last() else {
        return Ok(problems);
    };
    let Some(coordinates) = VersionMetadata::of(newest) else {
        problems.push(format!(
            "version {} does not record its groupId and artifactId",
            newest.name
        ));
        return Ok(problems);
    };
    let (group, artifact) = (&coordinates.group_id, &coordinates.artifact_id);
    if format!("{group}.{artifact}") != package.name {
        problems.push(format!(
            "version {} names {group}:{artifact}, not this package",
            newest.name
        ));
    }
    for v in &live {
        let same = VersionMetadata::of(v)
            .is_some_and(|m| m.group_id == *group && m.artifact_id == *artifact);
        if !same {
            problems.push(format!(
                "version {} names other coordinates than {group}:{artifact}",
                v.name
            ));
        }
    }
    let rendered: Vec<(String, chrono::DateTime<chrono::Utc>)> = live
        .iter()
        .map(|v| (v.name.clone(), v.updated_at))
        .collect();
    let xml = maven_metadata::artifact(group, artifact, &rendered);
    let listed: BTreeSet<&str> = elements(&xml, "version").into_iter().collect();
    let wanted: BTreeSet<&str> = live.iter().map(|v| v.name.as_str()).collect();
    if listed != wanted {
        problems.push(format!(
            "maven-metadata.xml lists {listed:?}, the live versions are {wanted:?}"
        ));
    }
    for v in live.iter().filter(|v| v.name.ends_with("-SNAPSHOT")) {
        let names = file_names(&state, v).await?;
        // The document is made from these names, so when there is one it
        // names builds that are held.
        if maven_metadata::snapshot(group, artifact, &v.name, &names).is_none() {
            problems.push(format!(
                "SNAPSHOT version {} holds no timestamped build, so it has no maven-metadata.xml",
                v.name
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_read_back_in_order() {
        let xml = "<a><version>1</version><version>2&lt;</version></a>";
        assert_eq!(elements(xml, "version"), ["1", "2&lt;"]);
        assert!(elements(xml, "value").is_empty());
    }
}

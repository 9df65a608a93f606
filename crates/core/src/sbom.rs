//! What a container image's SBOM says it holds: the packages of the
//! ecosystems advisories name, found by their purls in an SPDX 2.x or
//! CycloneDX JSON document (bare, or as the predicate of an in-toto
//! statement whose `predicateType` names either),
//! each read as a dependency on exactly the version the image carries, so
//! that an advisory alerts the image as it alerts a package.

use std::collections::HashSet;

use serde::Deserialize;

use crate::dependency::{Dependency, DependencyKind, MAX_PER_VERSION};
use crate::model::Ecosystem;

/// The largest SBOM read; bigger ones are left unread.
pub const MAX_SBOM_BYTES: usize = 8 << 20;

/// Whether an artifact or layer of `media_type` is an SBOM this reads.
pub fn is_sbom(media_type: &str) -> bool {
    let base = media_type.split(';').next().unwrap_or_default().trim();
    matches!(
        base,
        "application/spdx+json" | "text/spdx+json" | "application/vnd.cyclonedx+json"
    )
}

/// The parts of either document this reads; the rest is skipped unread.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Document {
    /// SPDX.
    packages: Vec<SpdxPackage>,
    /// CycloneDX.
    components: Vec<Component>,
    /// An in-toto statement's SBOM, when `predicateType` says it is one.
    predicate: Option<Box<Document>>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpdxPackage {
    #[serde(rename = "externalRefs")]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExternalRef {
    #[serde(rename = "referenceType")]
    reference_type: String,
    #[serde(rename = "referenceLocator")]
    reference_locator: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    purl: Option<String>,
    components: Vec<Component>,
}

/// The dependencies an SBOM names, at most `MAX_PER_VERSION`, each once;
/// none from a document that is not JSON of either kind.
pub fn dependencies(document: &[u8]) -> Vec<Dependency> {
    if document.len() > MAX_SBOM_BYTES {
        return Vec::new();
    }
    let Ok(mut doc) = serde_json::from_slice::<Document>(document) else {
        return Vec::new();
    };
    if let Some(inner) = doc.predicate.take() {
        let kind = doc.predicate_type.to_ascii_lowercase();
        if !(kind.contains("spdx") || kind.contains("cyclonedx")) {
            return Vec::new();
        }
        doc = *inner;
    }
    let mut purls: Vec<&str> = doc
        .packages
        .iter()
        .flat_map(|p| &p.external_refs)
        .filter(|r| r.reference_type == "purl")
        .map(|r| r.reference_locator.as_str())
        .collect();
    let mut stack: Vec<&Component> = doc.components.iter().collect();
    while let Some(c) = stack.pop() {
        purls.extend(c.purl.as_deref());
        stack.extend(&c.components);
    }
    let mut seen = HashSet::new();
    purls
        .into_iter()
        .filter_map(from_purl)
        .filter(|d| seen.insert((d.ecosystem, d.name.clone(), d.range.clone())))
        .take(MAX_PER_VERSION)
        .collect()
}

/// A purl with a version, as a dependency on exactly that version in its
/// ecosystem's range syntax; `None` for other ecosystems (`deb`, `apk`…).
fn from_purl(purl: &str) -> Option<Dependency> {
    let (ecosystem, name, version) = crate::osv::parse_purl(purl)?;
    let version = version?;
    let range = match ecosystem {
        Ecosystem::Npm => version,
        Ecosystem::Maven | Ecosystem::Nuget => format!("[{version}]"),
        Ecosystem::Rubygems => format!("= {version}"),
        Ecosystem::Pip => format!("=={version}"),
        Ecosystem::Rust => format!("={version}"),
    };
    Dependency::new(ecosystem, &name, &range, DependencyKind::Runtime, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::DependencyRange;

    fn summary(deps: &[Dependency]) -> Vec<(Ecosystem, &str, &str)> {
        deps.iter()
            .map(|d| (d.ecosystem, d.name.as_str(), d.range.as_str()))
            .collect()
    }

    #[test]
    fn an_spdx_document_names_its_packages_by_purl() {
        let spdx = br#"{"spdxVersion": "SPDX-2.3", "packages": [
            {"name": "lodash", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}]},
            {"name": "lib", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/%40alice/lib@1.0.0"}]},
            {"name": "tiny", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:maven/com.example/tiny@1.0.0"}]},
            {"name": "bash", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/bash@5.2"}]},
            {"name": "unversioned", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/left-pad"}]},
            {"name": "again", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}]},
            {"name": "cpe", "externalRefs": [{"referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"}]}
        ]}"#;
        assert_eq!(
            summary(&dependencies(spdx)),
            vec![
                (Ecosystem::Npm, "lodash", "4.17.20"),
                (Ecosystem::Npm, "@alice/lib", "1.0.0"),
                (Ecosystem::Maven, "com.example:tiny", "[1.0.0]"),
            ]
        );
    }

    #[test]
    fn cyclonedx_components_nest_and_in_toto_wraps() {
        let cdx = br#"{"predicateType": "https://cyclonedx.org/bom", "predicate": {"bomFormat": "CycloneDX", "components": [
            {"purl": "pkg:pypi/requests@2.31.0", "components": [{"purl": "pkg:cargo/serde@1.0.200"}]},
            {"purl": "pkg:gem/rack@3.0.0"},
            {"purl": "pkg:nuget/Newtonsoft.Json@13.0.1"}
        ]}}"#;
        let deps = dependencies(cdx);
        let mut found = summary(&deps);
        found.sort();
        assert_eq!(
            found,
            vec![
                (Ecosystem::Rubygems, "rack", "= 3.0.0"),
                (Ecosystem::Nuget, "Newtonsoft.Json", "[13.0.1]"),
                (Ecosystem::Pip, "requests", "==2.31.0"),
                (Ecosystem::Rust, "serde", "=1.0.200"),
            ]
        );
    }

    #[test]
    fn each_exact_range_admits_its_version_alone() {
        for (ecosystem, range, version, other) in [
            (Ecosystem::Npm, "4.17.20", "4.17.20", "4.17.21"),
            (Ecosystem::Maven, "[1.0.0]", "1.0.0", "1.0.1"),
            (Ecosystem::Rubygems, "= 3.0.0", "3.0.0", "3.0.1"),
            (Ecosystem::Nuget, "[13.0.1]", "13.0.1", "13.0.2"),
            (Ecosystem::Pip, "==2.31.0", "2.31.0", "2.31.1"),
            (Ecosystem::Rust, "=1.0.200", "1.0.200", "1.0.201"),
        ] {
            let parsed = DependencyRange::parse(ecosystem, range)
                .unwrap_or_else(|| panic!("{ecosystem:?} {range}"));
            assert_eq!(parsed.admits(version), Some(true), "{ecosystem:?} {range}");
            assert_eq!(parsed.admits(other), Some(false), "{ecosystem:?} {range}");
        }
    }

    #[test]
    fn what_is_not_an_sbom_names_nothing() {
        assert!(dependencies(b"not json").is_empty());
        assert!(dependencies(b"[1, 2]").is_empty());
        assert!(dependencies(br#"{"packages": "no"}"#).is_empty());
        assert!(is_sbom("application/spdx+json"));
        assert!(is_sbom("application/vnd.cyclonedx+json; version=1.5"));
        assert!(!is_sbom("application/vnd.oci.image.config.v1+json"));
        // A provenance statement is no SBOM, whatever its predicate holds.
        let provenance = br#"{"predicateType": "https://slsa.dev/provenance/v1", "predicate": {"packages": [
            {"externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/lodash@4.17.20"}]}]}}"#;
        assert!(dependencies(provenance).is_empty());
    }
}

//! The publish API's JSON and the index lines made from it. The two differ
//! in small ways (cargo's docs list them): a renamed dependency is `name`
//! = real name and `explicit_name_in_toml` = alias in the publish body, but
//! `name` = alias and `package` = real name in the index; `version_req`
//! becomes `req`; and the registry computes `cksum`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::names;

/// `PUT /api/v1/crates/new`'s JSON (cargo's `NewCrate`). Unknown fields
/// are ignored and missing ones take cargo's defaults, as the web API asks.
#[derive(Debug, Clone, Deserialize)]
pub struct NewCrate {
    pub name: String,
    pub vers: String,
    #[serde(default)]
    pub deps: Vec<NewDependency>,
    #[serde(default)]
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub authors: Vec<String>,
    /// Cut to the limit every format shares.
    #[serde(default, deserialize_with = "description_within_limit")]
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    /// The README's text (cargo sends the contents, not the path), cut to
    /// the limit every format shares.
    #[serde(default, deserialize_with = "readme_within_limit")]
    pub readme: Option<String>,
    pub readme_file: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub repository: Option<String>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

fn text_within<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
    max: usize,
) -> Result<Option<String>, D::Error> {
    let mut text = Option::<String>::deserialize(deserializer)?;
    if let Some(t) = &mut text {
        entrepot_core::limits::truncate(t, max);
    }
    Ok(text)
}

fn description_within_limit<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    text_within(deserializer, entrepot_core::limits::MAX_DESCRIPTION_BYTES)
}

fn readme_within_limit<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    text_within(deserializer, entrepot_core::limits::MAX_README_BYTES)
}

#[derive(Debug, Clone, Deserialize)]
pub struct NewDependency {
    /// The real package name, even when renamed.
    pub name: String,
    pub version_req: String,
    #[serde(default)]
    pub features: Vec<String>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default = "yes")]
    pub default_features: bool,
    pub target: Option<String>,
    pub kind: Option<String>,
    /// The dependency's index URL; `None` means this registry (cargo sends
    /// crates.io's git index URL for crates.io dependencies).
    pub registry: Option<String>,
    /// The name the dependent uses, when it renamed the dependency.
    pub explicit_name_in_toml: Option<String>,
}

fn yes() -> bool {
    true
}

/// One dependency on an index line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDependency {
    pub name: String,
    pub req: String,
    pub features: Vec<String>,
    pub optional: bool,
    pub default_features: bool,
    pub target: Option<String>,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// One line of an index file: one version of a crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexLine {
    pub name: String,
    pub vers: String,
    pub deps: Vec<IndexDependency>,
    pub cksum: String,
    pub features: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features2: Option<BTreeMap<String, Vec<String>>>,
    pub yanked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust_version: Option<String>,
    /// The publish time, added when the line is served (never stored, so
    /// that it always is the version's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubtime: Option<String>,
}

/// Whether a feature uses the syntax cargo before 1.60 cannot read
/// (`dep:` and `?/`), which belongs in `features2`.
fn is_new_syntax(values: &[String]) -> bool {
    values
        .iter()
        .any(|v| v.starts_with("dep:") || v.contains("?/"))
}

/// Checks a dependency of the publish body and turns it into its index
/// form. `own_index` lists the URLs by which this registry's index is
/// known, so that a dependency naming it is written as "this registry".
pub fn dependency(dep: &NewDependency, own_index: &[String]) -> Result<IndexDependency, String> {
    if !names::is_plausible_dependency(&dep.name) {
        return Err(format!("invalid dependency name `{}`", dep.name));
    }
    if let Some(alias) = &dep.explicit_name_in_toml
        && !names::is_plausible_dependency(alias)
    {
        return Err(format!(
            "invalid name `{alias}` for the dependency `{}`",
            dep.name
        ));
    }
    if semver::VersionReq::parse(&dep.version_req).is_err() {
        return Err(format!(
            "the dependency `{}` has an invalid version requirement `{}`",
            dep.name, dep.version_req
        ));
    }
    let kind = dep.kind.clone().unwrap_or_else(|| "normal".into());
    if !matches!(kind.as_str(), "normal" | "dev" | "build") {
        return Err(format!(
            "the dependency `{}` has an unknown kind `{kind}`",
            dep.name
        ));
    }
    let registry = dep.registry.clone().filter(|url| {
        let trimmed = url.trim_end_matches('/');
        !own_index
            .iter()
            .any(|own| own.trim_end_matches('/') == trimmed)
    });
    let (name, package) = match &dep.explicit_name_in_toml {
        Some(alias) if *alias != dep.name => (alias.clone(), Some(dep.name.clone())),
        _ => (dep.name.clone(), None),
    };
    Ok(IndexDependency {
        name,
        req: dep.version_req.clone(),
        features: dep.features.clone(),
        optional: dep.optional,
        default_features: dep.default_features,
        target: dep.target.clone(),
        kind,
        registry,
        package,
    })
}

/// The index line of a new version (not yanked) with checksum `cksum`.
pub fn line(
    krate: &NewCrate,
    deps: Vec<IndexDependency>,
    cksum: &str,
    rust_version: Option<String>,
) -> IndexLine {
    // Namespaced and weak features go to `features2` (with `v: 2`), as
    // crates.io writes them, so that no cargo misreads them.
    let (features2, features): (BTreeMap<_, _>, BTreeMap<_, _>) = krate
        .features
        .clone()
        .into_iter()
        .partition(|(_, values)| is_new_syntax(values));
    let has_new = !features2.is_empty();
    IndexLine {
        name: krate.name.clone(),
        vers: krate.vers.clone(),
        deps,
        cksum: cksum.to_owned(),
        features,
        features2: has_new.then_some(features2),
        yanked: false,
        links: krate.links.clone(),
        v: has_new.then_some(2),
        rust_version,
        pubtime: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How cargo names crates.io in a publish body's dependencies.
    const CRATES_IO_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

    fn dep(json: serde_json::Value) -> NewDependency {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn the_readme_and_description_of_a_publish_are_cut_to_the_limits() {
        use entrepot_core::limits::{MAX_DESCRIPTION_BYTES, MAX_README_BYTES};
        let long = "x".repeat(MAX_README_BYTES + 10);
        let krate: NewCrate = serde_json::from_value(serde_json::json!({
            "name": "tiny", "vers": "1.0.0", "description": long, "readme": long,
        }))
        .unwrap();
        assert_eq!(krate.description.unwrap().len(), MAX_DESCRIPTION_BYTES);
        assert_eq!(krate.readme.unwrap().len(), MAX_README_BYTES);
        let bare: NewCrate =
            serde_json::from_value(serde_json::json!({"name": "tiny", "vers": "1.0.0"})).unwrap();
        assert!(bare.description.is_none() && bare.readme.is_none());
    }

    #[test]
    fn publish_dependencies_become_index_dependencies() {
        let own = vec!["sparse+http://x/cargo/alice/index/".to_owned()];
        let renamed = dependency(
            &dep(serde_json::json!({
                "name": "real", "version_req": "^1", "explicit_name_in_toml": "alias",
                "features": ["f"], "optional": true, "default_features": false,
                "target": "cfg(unix)", "kind": "build"
            })),
            &own,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&renamed).unwrap(),
            serde_json::json!({
                "name": "alias", "package": "real", "req": "^1", "features": ["f"],
                "optional": true, "default_features": false, "target": "cfg(unix)", "kind": "build"
            })
        );
        let crates_io = dependency(
            &dep(serde_json::json!({"name": "serde", "version_req": "^1.0", "registry": CRATES_IO_INDEX})),
            &own,
        )
        .unwrap();
        assert_eq!(crates_io.registry.as_deref(), Some(CRATES_IO_INDEX));
        assert_eq!(crates_io.kind, "normal");
        assert!(crates_io.default_features);
        let ours = dependency(
            &dep(serde_json::json!({"name": "a", "version_req": "1", "registry": "sparse+http://x/cargo/alice/index"})),
            &own,
        )
        .unwrap();
        assert_eq!(ours.registry, None);
        for bad in [
            serde_json::json!({"name": "a/b", "version_req": "1"}),
            serde_json::json!({"name": "a", "version_req": "not a req"}),
            serde_json::json!({"name": "a", "version_req": "1", "kind": "weird"}),
        ] {
            assert!(dependency(&dep(bad.clone()), &own).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_feature_syntax_goes_to_features2() {
        let krate: NewCrate = serde_json::from_value(serde_json::json!({
            "name": "a", "vers": "1.0.0",
            "features": {"plain": ["x"], "ns": ["dep:serde"], "weak": ["serde?/std"]}
        }))
        .unwrap();
        let l = line(&krate, Vec::new(), "00", None);
        assert_eq!(l.features.keys().collect::<Vec<_>>(), ["plain"]);
        assert_eq!(l.features2.unwrap().len(), 2);
        assert_eq!(l.v, Some(2));
        let plain: NewCrate =
            serde_json::from_value(serde_json::json!({"name": "a", "vers": "1.0.0"})).unwrap();
        let text = serde_json::to_string(&line(&plain, Vec::new(), "00", None)).unwrap();
        assert_eq!(
            text,
            r#"{"name":"a","vers":"1.0.0","deps":[],"cksum":"00","features":{},"yanked":false}"#
        );
    }
}

//! The Details panel of a crate version: the manifest fields and the index
//! line's dependencies that the publish stored in its metadata.

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details, person_name};

use crate::index::IndexDependency;
use crate::metadata::VersionMetadata;

/// What `version`'s manifest says of it; nothing if its metadata does not
/// read (the index leaves such a version out too).
pub fn of(version: &Version) -> Details {
    VersionMetadata::of(version)
        .map(|m| from_metadata(&m))
        .unwrap_or_default()
}

fn from_metadata(m: &VersionMetadata) -> Details {
    Details {
        license: license(m),
        homepage: text(m.homepage.as_deref()).or_else(|| text(m.documentation.as_deref())),
        source: text(m.repository.as_deref()),
        source_directory: None,
        keywords: m
            .keywords
            .iter()
            .filter_map(|k| text(Some(k.as_str())))
            .collect(),
        authors: authors(&m.authors),
        dependencies: m.line.deps.iter().map(dependency).collect(),
    }
}

/// Non-blank text, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The SPDX `license`, else a pointer to the `license-file` a crate
/// with a non-standard licence ships.
fn license(m: &VersionMetadata) -> Option<String> {
    text(m.license.as_deref())
        .or_else(|| text(m.license_file.as_deref()).map(|file| format!("see file {file}")))
}

/// `authors` entries (`Name <email>`) without their addresses, each once.
fn authors(authors: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in authors.iter().filter_map(|a| person_name(a)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// An index dependency under its real name (`package` when renamed), its
/// kind in the words every format shares; an optional one is `optional`
/// whatever its kind, as that is what a reader needs to know of it.
fn dependency(dep: &IndexDependency) -> Dependency {
    let kind = if dep.optional {
        "optional"
    } else {
        match dep.kind.as_str() {
            "dev" => "development",
            "build" => "build",
            _ => "runtime",
        }
    };
    Dependency {
        name: dep.package.clone().unwrap_or_else(|| dep.name.clone()),
        requirement: dep.req.clone(),
        kind: kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{self, NewCrate, NewDependency};
    use serde_json::json;

    fn dep(name: &str, requirement: &str, kind: &str) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind: kind.into(),
        }
    }

    /// The metadata `publish_crate` stores for cargo's publish body `body`,
    /// read back as `VersionMetadata::of` reads it.
    fn published(body: serde_json::Value) -> VersionMetadata {
        let krate: NewCrate = serde_json::from_value(body).unwrap();
        let deps = krate
            .deps
            .iter()
            .map(|d: &NewDependency| index::dependency(d, &[]).unwrap())
            .collect();
        let line = index::line(&krate, deps, "00", None);
        let stored = VersionMetadata::new(krate, line, None).to_json().unwrap();
        VersionMetadata::from_json(stored).unwrap()
    }

    #[test]
    fn a_published_crate_gives_every_detail() {
        let m = published(json!({
            "name": "hello", "vers": "1.2.0", "description": "Says hello",
            "authors": ["Alice Liddell <alice@example.com>", "Bob", "bob@example.com"],
            "homepage": "https://hello.example", "documentation": "https://docs.rs/hello",
            "repository": "https://github.com/alice/hello", "license": "MIT OR Apache-2.0",
            "license_file": null, "keywords": ["greeting", "cli"], "categories": ["command-line-utilities"],
            "readme": null, "readme_file": "README.md", "links": null, "rust_version": "1.80",
            "features": {"color": ["dep:anstyle"]},
            "deps": [
                {"name": "serde", "version_req": "^1.0", "features": ["derive"], "optional": false,
                 "default_features": true, "target": null, "kind": "normal",
                 "registry": "https://github.com/rust-lang/crates.io-index"},
                {"name": "anstyle", "version_req": "^1", "features": [], "optional": true,
                 "default_features": true, "target": null, "kind": "normal", "registry": null},
                {"name": "cc", "version_req": "^1.1", "features": [], "optional": false,
                 "default_features": true, "target": null, "kind": "build", "registry": null},
                {"name": "hello-test-kit", "version_req": "=0.3.1", "features": [],
                 "optional": false, "default_features": true, "target": null, "kind": "dev",
                 "registry": null, "explicit_name_in_toml": "kit"}
            ]
        }));
        let details = from_metadata(&m);
        assert_eq!(details.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(details.homepage.as_deref(), Some("https://hello.example"));
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(details.source_directory, None);
        assert_eq!(details.keywords, ["greeting", "cli"]);
        assert_eq!(details.authors, ["Alice Liddell", "Bob"]);
        assert_eq!(
            details.dependencies,
            [
                dep("serde", "^1.0", "runtime"),
                dep("anstyle", "^1", "optional"),
                dep("cc", "^1.1", "build"),
                dep("hello-test-kit", "=0.3.1", "development"),
            ]
        );
    }

    #[test]
    fn a_license_file_and_the_documentation_stand_in() {
        let m = published(json!({
            "name": "odd", "vers": "0.1.0", "license_file": "LICENSE.txt",
            "documentation": "https://docs.rs/odd", "authors": [], "deps": []
        }));
        let details = from_metadata(&m);
        assert_eq!(details.license.as_deref(), Some("see file LICENSE.txt"));
        assert_eq!(details.homepage.as_deref(), Some("https://docs.rs/odd"));
        assert_eq!(details.source, None);
        assert!(details.keywords.is_empty() && details.authors.is_empty());
        assert!(details.dependencies.is_empty());
    }

    #[test]
    fn metadata_that_does_not_read_gives_nothing() {
        assert!(VersionMetadata::from_json(json!({"yanked": true})).is_err());
        let line_only = VersionMetadata::from_json(json!({
            "name": "tiny", "vers": "1.0.0", "deps": [], "cksum": "00",
            "features": {}, "yanked": false
        }))
        .unwrap();
        assert_eq!(from_metadata(&line_only), Details::default());
    }
}

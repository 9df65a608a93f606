//! The Details panel of a gem version: its gemspec as push read and stored
//! it. Gems have no keywords; where the code is comes from the spec's
//! `metadata` (`source_code_uri`, else GitHub's `github_repo`).

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details, person_name};

use crate::metadata::{Constraint, GemSpec};

/// What `version`'s gemspec says of it; nothing if its metadata does not
/// read (the indexes leave such a version out too).
pub fn of(version: &Version) -> Details {
    GemSpec::of(version)
        .map(|spec| from_spec(&spec))
        .unwrap_or_default()
}

fn from_spec(spec: &GemSpec) -> Details {
    let uri = |key: &str| text(spec.metadata.get(key).map(String::as_str));
    Details {
        license: license(&spec.licenses),
        homepage: text(spec.homepage.as_deref()).or_else(|| uri("homepage_uri")),
        source: uri("source_code_uri").or_else(|| uri("github_repo")),
        source_directory: None,
        keywords: Vec::new(),
        authors: authors(&spec.authors),
        dependencies: spec
            .dependencies
            .iter()
            .map(|d| Dependency {
                name: d.name.clone(),
                requirement: requirement(&d.requirements),
                kind: d.kind.clone(),
            })
            .collect(),
    }
}

/// Non-blank text, trimmed.
fn text(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The `licenses` in one line, as rubygems.org lists them.
fn license(licenses: &[String]) -> Option<String> {
    let names: Vec<&str> = licenses
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// `authors` without any address, each once.
fn authors(authors: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in authors.iter().filter_map(|a| person_name(a)) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A requirement as `gem` prints it (`~> 1.0, >= 1.0.2`); empty for the
/// `>= 0` that `gem build` writes for "any version".
fn requirement(constraints: &[Constraint]) -> String {
    if constraints.iter().all(|(op, v)| op == ">=" && v == "0") {
        String::new()
    } else {
        crate::spec::requirement_text(constraints, ", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::TINY;
    use serde::Deserialize as _;

    fn dep(name: &str, requirement: &str, kind: &str) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind: kind.into(),
        }
    }

    /// The spec `push::publish` stores for a gem whose `metadata.gz` is
    /// `yaml`, read back as `GemSpec::of` reads it.
    fn pushed(yaml: &str) -> GemSpec {
        let mut spec = GemSpec::from_yaml(&crate::yaml::load(yaml).unwrap()).unwrap();
        spec.sha256 = "ab".repeat(32);
        GemSpec::deserialize(&spec.to_json()).unwrap()
    }

    /// `gem build`'s YAML for a gem with the usual `metadata` links.
    fn built() -> String {
        TINY.replace(
            "authors:\n- Alice\n",
            "authors:\n- Alice Liddell\n- Bob <bob@example.com>\n- alice@example.com\n",
        )
        .replace(
            "licenses:\n- MIT\n",
            "licenses:\n- MIT\n- Ruby\n",
        )
        .replace(
            "  github_repo: ssh://github.com/alice/tinygem\n",
            "  homepage_uri: https://tinygem.example\n  source_code_uri: https://github.com/alice/tinygem\n  github_repo: ssh://github.com/alice/tinygem\n",
        )
        .replace(
            "    - - \"~>\"\n      - !ruby/object:Gem::Version\n        version: '1.0'\n",
            "    - - \"~>\"\n      - !ruby/object:Gem::Version\n        version: '1.0'\n    - - \">=\"\n      - !ruby/object:Gem::Version\n        version: 1.0.2\n",
        )
    }

    #[test]
    fn a_pushed_gem_gives_every_detail() {
        let spec = pushed(&built());
        assert_eq!(spec.metadata.len(), 3, "the YAML was changed as meant");
        let details = from_spec(&spec);
        assert_eq!(details.license.as_deref(), Some("MIT, Ruby"));
        assert_eq!(
            details.homepage.as_deref(),
            Some("https://example.com/tinygem")
        );
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/tinygem")
        );
        assert_eq!(details.source_directory, None);
        assert!(details.keywords.is_empty());
        assert_eq!(details.authors, ["Alice Liddell", "Bob"]);
        assert_eq!(
            details.dependencies,
            [
                dep("basegem", "~> 1.0, >= 1.0.2", "runtime"),
                dep("rake", "", "development"),
            ]
        );
    }

    #[test]
    fn the_metadata_links_stand_in() {
        let spec = pushed(&built().replace("homepage: https://example.com/tinygem\n", ""));
        let details = from_spec(&spec);
        assert_eq!(details.homepage.as_deref(), Some("https://tinygem.example"));
        let spec = pushed(TINY);
        let details = from_spec(&spec);
        assert_eq!(
            details.source.as_deref(),
            Some("ssh://github.com/alice/tinygem")
        );
        assert_eq!(details.license.as_deref(), Some("MIT"));
        assert_eq!(details.authors, ["Alice"]);
    }
}

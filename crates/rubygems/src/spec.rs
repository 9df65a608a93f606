//! Reading a gemspec: the fields the indexes and pages need (`GemSpec`,
//! what a version stores), from the safe YAML tree of a `.gem`'s
//! `metadata.gz`, with the checks the indexes rely on.

use std::collections::BTreeMap;

use crate::metadata::{Constraint, Dependency, GemSpec};
use crate::version::{is_valid_platform, is_valid_version};
use crate::yaml::Node;

/// The longest free-text field kept.
const MAX_TEXT: usize = 64 * 1024;
const MAX_NAME: usize = 128;

/// RubyGems' rule for gem names, plus a length limit.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && name.chars().any(|c| c.is_ascii_alphanumeric())
        && !name.starts_with(['.', '-'])
}

fn text(node: Option<&Node>) -> Option<String> {
    match node? {
        Node::Str(s) => Some(s.chars().take(MAX_TEXT).collect()),
        Node::Int(i) => Some(i.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// A summary or description, cut to the limit every format shares.
fn description_of(node: Option<&Node>) -> Option<String> {
    let mut text = text(node)?;
    entrepot_core::limits::truncate(&mut text, entrepot_core::limits::MAX_DESCRIPTION_BYTES);
    Some(text)
}

fn texts(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(Node::Seq(items)) => items
            .iter()
            .filter_map(|n| text(Some(n)))
            .take(1000)
            .collect(),
        other => text(other).into_iter().collect(),
    }
}

fn version_of(node: Option<&Node>) -> Option<String> {
    let node = node?;
    let v = match node {
        Node::Map { .. } => text(node.get("version")),
        other => text(Some(other)),
    }?;
    is_valid_version(&v).then_some(v)
}

/// `Gem::Requirement` as YAML writes it: `requirements: [[op, version]…]`.
fn requirement_of(node: Option<&Node>) -> Result<Vec<Constraint>, String> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let Some(Node::Seq(items)) = node.get("requirements") else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .take(100)
        .map(|item| match item {
            Node::Seq(pair) if pair.len() == 2 => {
                let op = text(pair.first()).unwrap_or_default();
                let version = version_of(pair.get(1));
                match (op.as_str(), version) {
                    ("=" | "!=" | ">" | "<" | ">=" | "<=" | "~>", Some(v)) => Ok((op, v)),
                    _ => Err("the gemspec has an invalid requirement".to_owned()),
                }
            }
            _ => Err("the gemspec has an invalid requirement".to_owned()),
        })
        .collect()
}

impl GemSpec {
    /// Reads the gemspec tree; the checks here are what the indexes rely on.
    pub fn from_yaml(doc: &Node) -> Result<GemSpec, String> {
        if doc.class() != Some("Gem::Specification") {
            return Err("metadata.gz is not a Gem::Specification".into());
        }
        let name = text(doc.get("name")).unwrap_or_default();
        if !is_valid_name(&name) {
            return Err(format!("invalid gem name: {name:?}"));
        }
        let version = version_of(doc.get("version")).ok_or("the gemspec has no valid version")?;
        let platform = text(doc.get("platform")).unwrap_or_else(|| "ruby".into());
        if !is_valid_platform(&platform) {
            return Err(format!("invalid platform: {platform:?}"));
        }
        let mut dependencies = Vec::new();
        if let Some(Node::Seq(items)) = doc.get("dependencies") {
            for dep in items.iter().take(1000) {
                let name = text(dep.get("name")).unwrap_or_default();
                if !is_valid_name(&name) {
                    return Err(format!("invalid dependency name: {name:?}"));
                }
                let requirement = dep
                    .get("requirement")
                    .or_else(|| dep.get("version_requirements"));
                let kind = match text(dep.get("type")).as_deref() {
                    Some(":development" | "development") => "development",
                    _ => "runtime",
                };
                dependencies.push(Dependency {
                    name,
                    kind: kind.into(),
                    requirements: requirement_of(requirement)?,
                });
            }
        }
        let mut metadata = BTreeMap::new();
        if let Some(Node::Map { entries, .. }) = doc.get("metadata") {
            for (k, v) in entries.iter().take(100) {
                if let (Some(k), Some(v)) = (text(Some(k)), text(Some(v))) {
                    metadata.insert(k, v);
                }
            }
        }
        let date = text(doc.get("date")).and_then(|d| {
            let day = d.get(..10)?;
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .ok()
                .map(|_| day.to_owned())
        });
        Ok(GemSpec {
            name,
            version,
            platform,
            summary: description_of(doc.get("summary")),
            description: description_of(doc.get("description")),
            authors: texts(doc.get("authors")),
            email: texts(doc.get("email")),
            homepage: text(doc.get("homepage")),
            licenses: texts(doc.get("licenses")),
            metadata,
            dependencies,
            required_ruby_version: requirement_of(doc.get("required_ruby_version"))?,
            required_rubygems_version: requirement_of(doc.get("required_rubygems_version"))?,
            date,
            rubygems_version: text(doc.get("rubygems_version")),
            specification_version: match doc.get("specification_version") {
                Some(Node::Int(i)) => Some(*i),
                _ => None,
            },
            sha256: String::new(),
        })
    }
}

/// `>= 1.0, < 2` as `gem` prints a requirement; `>= 0` when empty.
pub fn requirement_text(requirements: &[Constraint], separator: &str) -> String {
    if requirements.is_empty() {
        return ">= 0".into();
    }
    requirements
        .iter()
        .map(|(op, v)| format!("{op} {v}"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const TINY: &str = r#"--- !ruby/object:Gem::Specification
name: tinygem
version: !ruby/object:Gem::Version
  version: 1.0.0
platform: ruby
authors:
- Alice
bindir: bin
cert_chain: []
date: 2026-11-21 00:00:00.000000000 Z
dependencies:
- !ruby/object:Gem::Dependency
  name: basegem
  requirement: &1 !ruby/object:Gem::Requirement
    requirements:
    - - "~>"
      - !ruby/object:Gem::Version
        version: '1.0'
  type: :runtime
  prerelease: false
  version_requirements: *1
- !ruby/object:Gem::Dependency
  name: rake
  requirement: !ruby/object:Gem::Requirement
    requirements:
    - - ">="
      - !ruby/object:Gem::Version
        version: '0'
  type: :development
  prerelease: false
description: A tiny gem
email: alice@example.com
executables: []
extensions: []
extra_rdoc_files: []
files:
- lib/tinygem.rb
homepage: https://example.com/tinygem
licenses:
- MIT
metadata:
  github_repo: ssh://github.com/alice/tinygem
post_install_message:
rdoc_options: []
require_paths:
- lib
required_ruby_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '2.7'
required_rubygems_version: !ruby/object:Gem::Requirement
  requirements:
  - - ">="
    - !ruby/object:Gem::Version
      version: '0'
requirements: []
rubygems_version: 3.3.15
signing_key:
specification_version: 4
summary: Says hi
test_files: []
"#;

    #[test]
    fn a_long_description_is_cut_to_the_limit() {
        use entrepot_core::limits::MAX_DESCRIPTION_BYTES;
        // Three bytes a character: within the character limit of other
        // text, past the byte limit of a description.
        let long = "€".repeat(MAX_DESCRIPTION_BYTES);
        let yaml = TINY.replace("description: A tiny gem", &format!("description: {long}"));
        let spec = GemSpec::from_yaml(&crate::yaml::load(&yaml).unwrap()).unwrap();
        let description = spec.description.unwrap();
        assert_eq!(description.len(), MAX_DESCRIPTION_BYTES - 1);
        assert!(long.starts_with(&description));
    }

    #[test]
    fn a_gemspec_written_by_gem_build_is_read() {
        let spec = GemSpec::from_yaml(&crate::yaml::load(TINY).unwrap()).unwrap();
        assert_eq!(spec.name, "tinygem");
        assert_eq!(spec.full_name(), "tinygem-1.0.0");
        assert_eq!(spec.date.as_deref(), Some("2026-11-21"));
        assert_eq!(spec.dependencies.len(), 2);
        assert_eq!(
            spec.dependencies[0].requirements,
            [("~>".into(), "1.0".into())]
        );
        assert_eq!(spec.dependencies[1].kind, "development");
        assert_eq!(spec.required_ruby_version, [(">=".into(), "2.7".into())]);
        assert_eq!(
            spec.metadata["github_repo"],
            "ssh://github.com/alice/tinygem"
        );
        assert_eq!(spec.email, ["alice@example.com"]);
        assert_eq!(spec.specification_version, Some(4));
    }

    #[test]
    fn names_and_versions_that_would_escape_a_path_are_refused() {
        for (from, to) in [
            ("name: tinygem", "name: ../etc"),
            ("version: 1.0.0", "version: 1.0/0"),
            ("platform: ruby", "platform: x86/../../a"),
        ] {
            let doc = crate::yaml::load(&TINY.replace(from, to)).unwrap();
            assert!(GemSpec::from_yaml(&doc).is_err(), "{to}");
        }
    }
}

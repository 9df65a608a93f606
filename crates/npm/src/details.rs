//! The Details panel of an npm version: what its package.json says, read
//! from the manifest stored at publish (or cached from an upstream), with
//! the legacy shapes npm still accepts (`licenses`, `{type}` licences,
//! string keywords) so that old packages show something too.

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details, person_name};
use serde_json::{Map, Value};

use crate::metadata::Manifest;

/// Each dependency field of package.json and the kind it means.
const DEPENDENCY_FIELDS: [(&str, &str); 4] = [
    ("dependencies", "runtime"),
    ("devDependencies", "development"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
];

/// What `version`'s package.json says of it.
pub fn of(version: &Version) -> Details {
    from_fields(&Manifest::of(version).fields)
}

/// Reads the untyped fields of a manifest; a field of an unexpected type
/// is left out.
fn from_fields(fields: &Map<String, Value>) -> Details {
    let (source, source_directory) = repository(fields.get("repository"));
    Details {
        license: license(fields),
        homepage: text(fields.get("homepage")),
        source,
        source_directory,
        keywords: keywords(fields.get("keywords")),
        authors: authors(fields),
        dependencies: dependencies(fields),
    }
}

/// A non-empty string, trimmed.
fn text(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// `license` as an SPDX string or a legacy `{type}` object, else the
/// legacy `licenses` array, several joined as npm now asks them written:
/// `(MIT OR Apache-2.0)`.
fn license(fields: &Map<String, Value>) -> Option<String> {
    let one = |v: &Value| text(Some(v)).or_else(|| text(v.get("type")));
    if let Some(license) = fields.get("license").and_then(one) {
        return Some(license);
    }
    let all: Vec<String> = fields
        .get("licenses")?
        .as_array()?
        .iter()
        .filter_map(one)
        .collect();
    match all.len() {
        0 => None,
        1 => all.into_iter().next(),
        _ => Some(format!("({})", all.join(" OR "))),
    }
}

/// `repository` as a string (`github:o/r`, a URL) or `{url, directory}`.
fn repository(value: Option<&Value>) -> (Option<String>, Option<String>) {
    match value {
        Some(Value::String(_)) => (text(value), None),
        Some(Value::Object(r)) => (text(r.get("url")), text(r.get("directory"))),
        _ => (None, None),
    }
}

/// `keywords` as an array, or the string of comma or space separated
/// words old manifests have.
fn keywords(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(words)) => words.iter().filter_map(|w| text(Some(w))).collect(),
        Some(Value::String(words)) => words
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// `author`, then `contributors` and `maintainers`, each a
/// `Name <email> (url)` string or a `{name}` object; names only, each once.
fn authors(fields: &Map<String, Value>) -> Vec<String> {
    let people = fields.get("author").into_iter().chain(
        ["contributors", "maintainers"]
            .into_iter()
            .filter_map(|key| fields.get(key)?.as_array())
            .flatten(),
    );
    let mut names: Vec<String> = Vec::new();
    for person in people {
        let name = match person {
            Value::String(s) => person_name(s),
            Value::Object(p) => p.get("name").and_then(Value::as_str).and_then(person_name),
            _ => None,
        };
        if let Some(name) = name.filter(|n| !names.contains(n)) {
            names.push(name);
        }
    }
    names
}

/// Every dependency field's entries with their kind. npm copies optional
/// dependencies into `dependencies` too; they are listed once, optional.
fn dependencies(fields: &Map<String, Value>) -> Vec<Dependency> {
    let optional = fields
        .get("optionalDependencies")
        .and_then(Value::as_object);
    let mut out = Vec::new();
    for (field, kind) in DEPENDENCY_FIELDS {
        let Some(Value::Object(deps)) = fields.get(field) else {
            continue;
        };
        for (name, requirement) in deps {
            let Some(requirement) = requirement.as_str() else {
                continue;
            };
            if kind == "runtime" && optional.is_some_and(|o| o.contains_key(name)) {
                continue;
            }
            out.push(Dependency {
                name: name.clone(),
                requirement: requirement.to_owned(),
                kind: kind.to_owned(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dep(name: &str, requirement: &str, kind: &str) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind: kind.into(),
        }
    }

    /// The manifest as `publish_version` stores it: what `npm publish`
    /// sent, through `Manifest::for_storage`.
    fn stored(manifest: Value) -> Map<String, Value> {
        Manifest::from_value(manifest).for_storage().fields
    }

    #[test]
    fn a_published_manifest_gives_every_detail() {
        let fields = stored(json!({
            "name": "@alice/hello", "version": "1.2.0", "description": "Says hello",
            "license": "MIT", "homepage": "https://github.com/alice/hello#readme",
            "repository": {"type": "git", "url": "git+https://github.com/alice/hello.git",
                "directory": "packages/hello"},
            "keywords": ["greeting", "hello"],
            "author": "Alice Liddell <alice@example.com> (https://alice.example)",
            "contributors": [{"name": "Bob", "email": "bob@example.com"}, "Alice Liddell"],
            "maintainers": [{"name": "carol", "email": "carol@example.com"}],
            "dependencies": {"chalk": "^5.3.0", "fsevents": "^2.3.0"},
            "devDependencies": {"typescript": "~5.4.0"},
            "peerDependencies": {"react": ">=18"},
            "optionalDependencies": {"fsevents": "^2.3.0"},
            "readme": "# Hello", "_id": "@alice/hello@1.2.0",
            "dist": {"integrity": "sha512-x", "shasum": "abc",
                "tarball": "http://localhost/npm/@alice/hello/-/hello-1.2.0.tgz"},
        }));
        let details = from_fields(&fields);
        assert_eq!(details.license.as_deref(), Some("MIT"));
        assert_eq!(
            details.homepage.as_deref(),
            Some("https://github.com/alice/hello#readme")
        );
        assert_eq!(
            details.source.as_deref(),
            Some("git+https://github.com/alice/hello.git")
        );
        assert_eq!(details.source_directory.as_deref(), Some("packages/hello"));
        assert_eq!(details.keywords, ["greeting", "hello"]);
        assert_eq!(details.authors, ["Alice Liddell", "Bob", "carol"]);
        assert_eq!(
            details.dependencies,
            [
                dep("chalk", "^5.3.0", "runtime"),
                dep("typescript", "~5.4.0", "development"),
                dep("react", ">=18", "peer"),
                dep("fsevents", "^2.3.0", "optional"),
            ]
        );
    }

    #[test]
    fn legacy_shapes_are_read() {
        let fields = stored(json!({
            "name": "old", "version": "0.1.0",
            "licenses": [{"type": "MIT", "url": "x"}, {"type": "Apache-2.0"}],
            "repository": "github:bob/old", "keywords": "legacy, old tool",
            "author": {"name": "Bob Builder", "url": "https://bob.example"},
        }));
        let details = from_fields(&fields);
        assert_eq!(details.license.as_deref(), Some("(MIT OR Apache-2.0)"));
        assert_eq!(details.source.as_deref(), Some("github:bob/old"));
        assert_eq!(details.source_directory, None);
        assert_eq!(details.keywords, ["legacy", "old", "tool"]);
        assert_eq!(details.authors, ["Bob Builder"]);
        let object = stored(json!({"license": {"type": "ISC", "url": "u"}}));
        assert_eq!(license(&object).as_deref(), Some("ISC"));
    }

    #[test]
    fn odd_types_are_left_out() {
        let fields = stored(json!({
            "license": 7, "homepage": ["x"], "repository": true, "keywords": {"a": 1},
            "author": "bob@example.com", "contributors": "nobody",
            "dependencies": ["a"], "devDependencies": {"x": {"version": "1"}, "y": "1"},
        }));
        let details = from_fields(&fields);
        assert_eq!(
            details,
            Details {
                dependencies: vec![dep("y", "1", "development")],
                ..Details::default()
            }
        );
        assert_eq!(from_fields(&Map::new()), Details::default());
    }
}

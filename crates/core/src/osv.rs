//! Advisories in the OSV schema (ossf/osv-schema), and the names, package
//! URLs and version ranges OSV scanners send and read.
//!
//! OSV names a package the way its own ecosystem does (`@scope/name`,
//! `groupId:artifactId`), so matching works on a canonical form per
//! ecosystem: PyPI's normalised name, NuGet's and crates.io's
//! case-insensitive ones, Maven's coordinates with `:` read as `.` (the
//! form GitHub Packages names Maven packages by).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::advisory::{Advisory, Op, parse_range};
use crate::model::{Ecosystem, Timestamp};

/// The version of the OSV schema our documents follow.
pub const SCHEMA_VERSION: &str = "1.7.5";

/// Every ecosystem advisories exist in, in OSV's spelling.
pub const ECOSYSTEMS: &[Ecosystem] = &[
    Ecosystem::Npm,
    Ecosystem::Maven,
    Ecosystem::Rubygems,
    Ecosystem::Nuget,
    Ecosystem::Pip,
    Ecosystem::Rust,
];

/// OSV's name of an ecosystem.
pub fn ecosystem_label(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => "npm",
        Ecosystem::Maven => "Maven",
        Ecosystem::Rubygems => "RubyGems",
        Ecosystem::Nuget => "NuGet",
        Ecosystem::Pip => "PyPI",
        Ecosystem::Rust => "crates.io",
    }
}

/// Reads an OSV ecosystem, ignoring case and a `:suffix` (`Maven:…`).
pub fn ecosystem_from_label(label: &str) -> Option<Ecosystem> {
    let base = label.split(':').next().unwrap_or(label).trim();
    ECOSYSTEMS
        .iter()
        .copied()
        .find(|e| ecosystem_label(*e).eq_ignore_ascii_case(base))
}

/// The form under which two spellings of a name are the same package.
pub fn canonical_name(ecosystem: Ecosystem, name: &str) -> String {
    let name = name.trim();
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Rubygems => name.to_owned(),
        Ecosystem::Maven => name.replace(':', "."),
        Ecosystem::Nuget => name.to_ascii_lowercase(),
        Ecosystem::Rust => crate::names::crate_canonical(name),
        Ecosystem::Pip => crate::names::pep503(name),
    }
}

/// The purl type of an ecosystem.
fn purl_type(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => "npm",
        Ecosystem::Maven => "maven",
        Ecosystem::Rubygems => "gem",
        Ecosystem::Nuget => "nuget",
        Ecosystem::Pip => "pypi",
        Ecosystem::Rust => "cargo",
    }
}

/// Percent-encodes a purl segment (everything but unreserved characters).
fn purl_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn purl_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The package URL (purl) of a package named as its ecosystem names it.
pub fn purl(ecosystem: Ecosystem, name: &str) -> String {
    let path = match ecosystem {
        Ecosystem::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, rest)) => {
                format!(
                    "{}/{}",
                    purl_segment(&format!("@{scope}")),
                    purl_segment(rest)
                )
            }
            None => purl_segment(name),
        },
        Ecosystem::Maven => match name.split_once(':') {
            Some((group, artifact)) => {
                format!("{}/{}", purl_segment(group), purl_segment(artifact))
            }
            None => purl_segment(name),
        },
        Ecosystem::Pip => purl_segment(&canonical_name(ecosystem, name)),
        _ => purl_segment(name),
    };
    format!("pkg:{}/{path}", purl_type(ecosystem))
}

/// `purl`, at `version` (a version or, in a dependency graph, a range)
/// when there is one.
pub fn purl_at(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    let purl = purl(ecosystem, name);
    if version.is_empty() {
        purl
    } else {
        format!("{purl}@{}", purl_segment(version))
    }
}

/// A purl read back: the ecosystem, the package's name as its ecosystem
/// writes it, and the version if the purl has one. Qualifiers and
/// subpaths are ignored.
pub fn parse_purl(purl: &str) -> Option<(Ecosystem, String, Option<String>)> {
    let rest = purl.trim().strip_prefix("pkg:")?.trim_start_matches('/');
    let rest = rest.split(['?', '#']).next()?;
    let (kind, path) = rest.split_once('/')?;
    let ecosystem = ECOSYSTEMS
        .iter()
        .copied()
        .find(|e| purl_type(*e).eq_ignore_ascii_case(kind))?;
    let (path, version) = match path.rsplit_once('@') {
        // `@` at the start of a segment is an npm scope, not a version.
        Some((p, v)) if !p.is_empty() && !p.ends_with('/') => (p, Some(purl_decode(v)?)),
        _ => (path, None),
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(purl_decode)
        .collect::<Option<_>>()?;
    let name = match (ecosystem, segments.as_slice()) {
        (_, [name]) => name.clone(),
        (Ecosystem::Npm, [scope, name]) => format!("{scope}/{name}"),
        (Ecosystem::Maven, [group, artifact]) => format!("{group}:{artifact}"),
        _ => return None,
    };
    Some((ecosystem, name, version))
}

/// A vulnerable range as OSV events, or `None` where OSV's events cannot
/// say it (a `>` lower bound, two upper bounds): the affected versions,
/// listed beside the ranges, then say it alone.
pub fn events(ecosystem: Ecosystem, range: Option<&str>) -> Option<Vec<Value>> {
    let Some(range) = range else {
        return Some(vec![json!({"introduced": "0"})]);
    };
    let constraints = parse_range(ecosystem, range).ok()?;
    let mut introduced = None;
    let mut upper = None;
    for c in constraints {
        let slot = match c.op {
            Op::Ge => &mut introduced,
            Op::Lt | Op::Le => &mut upper,
            Op::Eq => {
                if introduced.is_some() || upper.is_some() {
                    return None;
                }
                introduced = Some(json!({"introduced": c.version}));
                upper = Some(json!({"last_affected": c.version}));
                continue;
            }
            Op::Gt => return None,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(match c.op {
            Op::Ge => json!({"introduced": c.version}),
            Op::Lt => json!({"fixed": c.version}),
            _ => json!({"last_affected": c.version}),
        });
    }
    let mut out = vec![introduced.unwrap_or_else(|| json!({"introduced": "0"}))];
    out.extend(upper);
    Some(out)
}

/// OSV's timestamp form: RFC 3339 in UTC with a `Z`.
pub fn timestamp(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What the OSV document needs beside the advisory.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The package's name as its ecosystem writes it.
    pub name: String,
    /// The package's published versions the advisory affects.
    pub affected_versions: Vec<String>,
    /// OSV reference types (`ADVISORY`, `PACKAGE`, …) and URLs.
    pub references: Vec<(&'static str, String)>,
}

/// OSV's credit types are GitHub's, in capitals.
fn credit_type(github: &str) -> String {
    github.to_ascii_uppercase()
}

/// The advisory as an OSV document.
pub fn to_osv(advisory: &Advisory, context: &Context) -> Value {
    let ecosystem = advisory.ecosystem;
    let mut doc = Map::new();
    doc.insert("schema_version".into(), json!(SCHEMA_VERSION));
    doc.insert("id".into(), json!(advisory.ghsa_id));
    doc.insert("modified".into(), json!(timestamp(&advisory.updated_at)));
    if let Some(t) = &advisory.published_at {
        doc.insert("published".into(), json!(timestamp(t)));
    }
    if let Some(t) = &advisory.withdrawn_at {
        doc.insert("withdrawn".into(), json!(timestamp(t)));
    }
    doc.insert(
        "aliases".into(),
        json!(advisory.cve_id.iter().collect::<Vec<_>>()),
    );
    doc.insert("summary".into(), json!(advisory.summary));
    doc.insert("details".into(), json!(advisory.description));
    if let Some(vector) = &advisory.cvss_vector {
        let kind = if vector.starts_with("CVSS:4.") {
            "CVSS_V4"
        } else {
            "CVSS_V3"
        };
        doc.insert("severity".into(), json!([{"type": kind, "score": vector}]));
    }
    let affected: Vec<Value> = advisory
        .vulnerabilities
        .iter()
        .map(|v| {
            let mut entry = Map::new();
            entry.insert(
                "package".into(),
                json!({
                    "ecosystem": ecosystem_label(ecosystem),
                    "name": context.name,
                    "purl": purl(ecosystem, &context.name),
                }),
            );
            if let Some(events) = events(ecosystem, v.vulnerable_version_range.as_deref()) {
                entry.insert(
                    "ranges".into(),
                    json!([{"type": "ECOSYSTEM", "events": events}]),
                );
            }
            let versions: Vec<&String> = context
                .affected_versions
                .iter()
                .filter(|version| {
                    v.vulnerable_version_range
                        .as_deref()
                        .is_none_or(|r| crate::advisory::affects(ecosystem, r, version))
                })
                .collect();
            entry.insert("versions".into(), json!(versions));
            entry.insert(
                "database_specific".into(),
                json!({
                    "vulnerable_version_range": v.vulnerable_version_range,
                    "first_patched_version": v.first_patched_version(),
                }),
            );
            Value::Object(entry)
        })
        .collect();
    doc.insert("affected".into(), Value::Array(affected));
    doc.insert(
        "references".into(),
        context
            .references
            .iter()
            .map(|(kind, url)| json!({"type": kind, "url": url}))
            .collect(),
    );
    doc.insert(
        "credits".into(),
        advisory
            .credits
            .iter()
            .map(|c| json!({"name": c.login, "type": credit_type(&c.credit_type)}))
            .collect(),
    );
    doc.insert(
        "database_specific".into(),
        json!({
            "severity": advisory.severity.map(|s| s.as_str().to_ascii_uppercase()),
            "cwe_ids": advisory.cwe_ids,
            "github_reviewed": advisory.published_at.is_some(),
            "github_reviewed_at": advisory.published_at.as_ref().map(timestamp),
        }),
    );
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems_read_back_from_their_labels() {
        for e in ECOSYSTEMS {
            assert_eq!(ecosystem_from_label(ecosystem_label(*e)), Some(*e));
        }
        assert_eq!(ecosystem_from_label("pypi"), Some(Ecosystem::Pip));
        assert_eq!(
            ecosystem_from_label("Maven:https://repo"),
            Some(Ecosystem::Maven)
        );
        assert_eq!(ecosystem_from_label("Go"), None);
    }

    #[test]
    fn names_meet_in_their_canonical_form() {
        assert_eq!(
            canonical_name(Ecosystem::Pip, "Zope.Interface__x"),
            canonical_name(Ecosystem::Pip, "zope-interface-x")
        );
        assert_eq!(
            canonical_name(Ecosystem::Maven, "com.example:lib"),
            "com.example.lib"
        );
        assert_eq!(
            canonical_name(Ecosystem::Rust, "Foo-Bar"),
            canonical_name(Ecosystem::Rust, "foo_bar")
        );
        assert_eq!(canonical_name(Ecosystem::Nuget, "Alice.Lib"), "alice.lib");
        assert_ne!(
            canonical_name(Ecosystem::Npm, "@alice/Lib"),
            canonical_name(Ecosystem::Npm, "@alice/lib")
        );
    }

    #[test]
    fn purls_round_trip() {
        for (e, name, purl_text) in [
            (Ecosystem::Npm, "@alice/lib", "pkg:npm/%40alice/lib"),
            (Ecosystem::Npm, "lodash", "pkg:npm/lodash"),
            (
                Ecosystem::Maven,
                "com.example:lib",
                "pkg:maven/com.example/lib",
            ),
            (Ecosystem::Rubygems, "rack", "pkg:gem/rack"),
            (Ecosystem::Nuget, "Alice.Lib", "pkg:nuget/Alice.Lib"),
            (Ecosystem::Rust, "serde_json", "pkg:cargo/serde_json"),
        ] {
            assert_eq!(purl(e, name), purl_text);
            assert_eq!(parse_purl(purl_text), Some((e, name.to_owned(), None)));
        }
        assert_eq!(purl(Ecosystem::Pip, "My.Package"), "pkg:pypi/my-package");
        assert_eq!(
            parse_purl("pkg:npm/%40alice/lib@1.0.0"),
            Some((Ecosystem::Npm, "@alice/lib".into(), Some("1.0.0".into())))
        );
        assert_eq!(
            parse_purl("pkg:npm/@alice/lib@1.0.0?x=y"),
            Some((Ecosystem::Npm, "@alice/lib".into(), Some("1.0.0".into())))
        );
        assert_eq!(parse_purl("pkg:golang/x/y@1"), None);
        assert_eq!(parse_purl("not a purl"), None);
    }

    #[test]
    fn ranges_become_events() {
        let e = Ecosystem::Npm;
        assert_eq!(
            events(e, Some("< 1.0.1")).unwrap(),
            vec![json!({"introduced": "0"}), json!({"fixed": "1.0.1"})]
        );
        assert_eq!(
            events(e, Some(">= 1.0.0, <= 1.2.0")).unwrap(),
            vec![
                json!({"introduced": "1.0.0"}),
                json!({"last_affected": "1.2.0"})
            ]
        );
        assert_eq!(
            events(e, Some("= 1.2.3")).unwrap(),
            vec![
                json!({"introduced": "1.2.3"}),
                json!({"last_affected": "1.2.3"})
            ]
        );
        assert_eq!(events(e, None).unwrap(), vec![json!({"introduced": "0"})]);
        assert_eq!(events(e, Some("> 1.0.0")), None);
        assert_eq!(events(e, Some("< 1, < 2")), None);
    }
}

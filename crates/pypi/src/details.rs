//! The Details panel of a PyPI release: its core metadata as twine sent it
//! with the upload. Publishers fill these fields in many ways (a licence's
//! whole text, `Label, URL` lines with any label, authors only in
//! `Author-email`), so each is read leniently and what does not read is
//! left out.

use entrepot_core::Version;
use entrepot_http::format::{Dependency, Details, person_name};
use serde_json::Value;

use crate::metadata::CoreMetadata;

/// `Project-URL` labels, normalised as PEP 753 does, that name a home
/// page, best first.
const HOMEPAGE_LABELS: [&str; 4] = ["homepage", "home", "documentation", "docs"];
/// `Project-URL` labels that name where the code is.
const SOURCE_LABELS: [&str; 5] = ["source", "repository", "sourcecode", "code", "github"];

/// What `version`'s core metadata says of it.
pub fn of(version: &Version) -> Details {
    from_metadata(&CoreMetadata::of(version))
}

fn from_metadata(m: &CoreMetadata) -> Details {
    Details {
        license: license(m),
        homepage: known(m.home_page.as_deref()).or_else(|| project_url(m, &HOMEPAGE_LABELS)),
        source: project_url(m, &SOURCE_LABELS),
        source_directory: None,
        keywords: keywords(m.keywords.as_deref()),
        authors: authors(m),
        dependencies: m
            .requires_dist
            .iter()
            .filter_map(|r| requirement(r))
            .collect(),
    }
}

/// A field's text, trimmed, unless blank or old setuptools' `UNKNOWN`.
fn known(value: Option<&str>) -> Option<String> {
    let value = value?.trim();
    (!value.is_empty() && value != "UNKNOWN").then(|| value.to_owned())
}

/// `License-Expression` (PEP 639) if it was kept, else the first line of
/// `License` (which some publishers fill with the whole licence text),
/// else the names of the `License ::` classifiers.
fn license(m: &CoreMetadata) -> Option<String> {
    let expression = m.other.get("license_expression").and_then(Value::as_str);
    if let Some(expression) = known(expression) {
        return Some(expression);
    }
    let first_line = |text: &str| known(text.lines().find(|l| !l.trim().is_empty()));
    if let Some(license) = m.license.as_deref().and_then(first_line) {
        return Some(license);
    }
    let names: Vec<&str> = m
        .classifiers
        .iter()
        .filter(|c| c.starts_with("License ::"))
        .filter_map(|c| c.rsplit("::").next().map(str::trim))
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

/// The first `Label, URL` line whose label is among `labels`, in their
/// order; labels compare as PEP 753 normalises them (`Source Code` is
/// `sourcecode`).
fn project_url(m: &CoreMetadata, labels: &[&str]) -> Option<String> {
    let urls: Vec<(String, &str)> = m
        .project_urls
        .iter()
        .filter_map(|line| {
            let (label, url) = line.split_once(',')?;
            let label = label
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            Some((label, url.trim()))
        })
        .filter(|(_, url)| !url.is_empty())
        .collect();
    labels.iter().find_map(|wanted| {
        urls.iter()
            .find(|(label, _)| label == wanted)
            .map(|(_, url)| (*url).to_owned())
    })
}

/// `Keywords`: comma separated, or space separated when there is no comma.
fn keywords(value: Option<&str>) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    let words: Vec<&str> = if value.contains(',') {
        value.split(',').collect()
    } else {
        value.split_whitespace().collect()
    };
    words
        .into_iter()
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `Author`, then the names in `Author-email` (PEP 621 backends put the
/// authors there as `Name <email>, …`), then a `Maintainer` if one was
/// kept; each once, without addresses.
fn authors(m: &CoreMetadata) -> Vec<String> {
    let maintainer = m.other.get("maintainer").and_then(Value::as_str);
    let mut names: Vec<String> = Vec::new();
    for field in [m.author.as_deref(), m.author_email.as_deref(), maintainer]
        .into_iter()
        .flatten()
    {
        for person in people(field) {
            let name = person_name(person).filter(|n| n != "UNKNOWN");
            if let Some(name) = name.filter(|n| !names.contains(n)) {
                names.push(name);
            }
        }
    }
    names
}

/// The comma separated people of a field; a comma inside quotes or `<…>`
/// does not separate (`"Doe, Jane" <jane@example.com>`).
fn people(field: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted, mut angled) = (Vec::new(), 0, false, false);
    for (at, c) in field.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' => angled = true,
            '>' => angled = false,
            ',' if !quoted && !angled => {
                out.push(&field[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    out.push(&field[start..]);
    out
}

/// A `Requires-Dist` line (`name[extras] (specifier) ; marker`): the name,
/// the specifier (or the URL of `name @ URL`), and `optional` when the
/// marker makes it part of an extra.
fn requirement(line: &str) -> Option<Dependency> {
    let (spec, marker) = line.split_once(';').unwrap_or((line, ""));
    let spec = spec.trim();
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(spec.len());
    let (name, mut rest) = spec.split_at(end);
    if name.is_empty() {
        return None;
    }
    rest = rest.trim_start();
    if rest.starts_with('[') {
        rest = rest.find(']').map_or("", |close| &rest[close + 1..]);
    }
    let rest = rest.trim();
    let requirement = match rest.strip_prefix('@') {
        Some(url) => url.trim(),
        None => rest.trim_start_matches('(').trim_end_matches(')').trim(),
    };
    let marker: String = marker.chars().filter(|c| !c.is_whitespace()).collect();
    let extra = marker.contains("extra==") || marker.contains("==extra");
    Some(Dependency {
        name: name.to_owned(),
        requirement: requirement.to_owned(),
        kind: if extra { "optional" } else { "runtime" }.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::Yank;
    use serde_json::json;

    fn dep(name: &str, requirement: &str, kind: &str) -> Dependency {
        Dependency {
            name: name.into(),
            requirement: requirement.into(),
            kind: kind.into(),
        }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|&s| s.to_owned()).collect()
    }

    /// Core metadata as `Upload::core_metadata` builds it from twine's form
    /// and `to_value` stores it, read back as `CoreMetadata::of` reads it.
    fn stored(m: &CoreMetadata) -> CoreMetadata {
        serde_json::from_value(m.to_value()).unwrap()
    }

    fn uploaded() -> CoreMetadata {
        CoreMetadata {
            name: Some("Hello_World".into()),
            version: Some("1.2.0".into()),
            summary: Some("Says hello".into()),
            description_content_type: Some("text/markdown".into()),
            author: None,
            author_email: Some(
                "Alice Liddell <alice@example.com>, \"Doe, Jane\" <jane@example.com>, bob@example.com"
                    .into(),
            ),
            license: Some("MIT License\n\nCopyright (c) 2024 Alice\n\nPermission is hereby granted".into()),
            keywords: Some("greeting, hello world,cli".into()),
            home_page: None,
            requires_python: Some(">=3.9".into()),
            requires_dist: strings(&[
                "requests>=2.31,<3",
                "typing-extensions (>=4.0) ; python_version < \"3.11\"",
                "rich[jupyter]>=13; extra == 'pretty'",
                "hello-native @ https://example.com/hello_native-1.0.tar.gz",
            ]),
            project_urls: strings(&[
                "Documentation, https://hello.readthedocs.io",
                "Homepage, https://hello.example",
                "Source Code, https://github.com/alice/hello",
            ]),
            classifiers: strings(&["License :: OSI Approved :: MIT License"]),
            yanked: Yank::Flag(false),
            other: serde_json::Map::new(),
        }
    }

    #[test]
    fn an_uploaded_release_gives_every_detail() {
        let details = from_metadata(&stored(&uploaded()));
        assert_eq!(details.license.as_deref(), Some("MIT License"));
        assert_eq!(details.homepage.as_deref(), Some("https://hello.example"));
        assert_eq!(
            details.source.as_deref(),
            Some("https://github.com/alice/hello")
        );
        assert_eq!(details.source_directory, None);
        assert_eq!(details.keywords, ["greeting", "hello world", "cli"]);
        assert_eq!(details.authors, ["Alice Liddell", "Doe, Jane"]);
        assert_eq!(
            details.dependencies,
            [
                dep("requests", ">=2.31,<3", "runtime"),
                dep("typing-extensions", ">=4.0", "runtime"),
                dep("rich", ">=13", "optional"),
                dep(
                    "hello-native",
                    "https://example.com/hello_native-1.0.tar.gz",
                    "runtime"
                ),
            ]
        );
    }

    #[test]
    fn older_fields_stand_in() {
        let mut m = uploaded();
        m.license = None;
        m.home_page = Some("https://old.example".into());
        m.project_urls = strings(&["Code, https://git.example/hello"]);
        m.keywords = Some("greeting hello".into());
        m.author = Some("Alice Liddell, Bob Builder".into());
        m.author_email = Some("alice@example.com".into());
        let details = from_metadata(&stored(&m));
        assert_eq!(details.license.as_deref(), Some("MIT License"));
        assert_eq!(details.homepage.as_deref(), Some("https://old.example"));
        assert_eq!(details.source.as_deref(), Some("https://git.example/hello"));
        assert_eq!(details.keywords, ["greeting", "hello"]);
        assert_eq!(details.authors, ["Alice Liddell", "Bob Builder"]);
    }

    #[test]
    fn a_license_expression_wins_when_kept() {
        let mut m = uploaded();
        m.other
            .insert("license_expression".into(), json!("MIT OR Apache-2.0"));
        m.other.insert("maintainer".into(), json!("Carol"));
        let details = from_metadata(&stored(&m));
        assert_eq!(details.license.as_deref(), Some("MIT OR Apache-2.0"));
        assert_eq!(details.authors, ["Alice Liddell", "Doe, Jane", "Carol"]);
    }

    #[test]
    fn odd_or_missing_metadata_gives_nothing() {
        let empty: CoreMetadata = serde_json::from_value(json!({"version": "1.0"})).unwrap();
        assert_eq!(from_metadata(&empty), Details::default());
        let mut m = CoreMetadata {
            license: Some("UNKNOWN".into()),
            home_page: Some("UNKNOWN".into()),
            author: Some("UNKNOWN".into()),
            requires_dist: strings(&["", "(>=1)", "; extra == 'x'"]),
            project_urls: strings(&["no comma here", "Source,  "]),
            ..CoreMetadata::default()
        };
        m.other.insert("license_expression".into(), json!(7));
        assert_eq!(from_metadata(&stored(&m)), Details::default());
    }
}

//! Security advisories on packages: the data, and which versions a
//! vulnerable version range covers, in each ecosystem's own version order.
//!
//! Ranges use GitHub's `vulnerable_version_range` syntax: comma-separated
//! constraints that must all hold, each an operator (`<`, `<=`, `>`, `>=`,
//! `=`) and a version (`< 1.0.1`, `>= 1.0.0, < 1.0.1`, `= 1.2.3`).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::model::{AdvisoryState, Ecosystem, Id, Severity, Timestamp};

/// The package a vulnerability names, as GitHub writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
}

/// One affected product of an advisory (GitHub's
/// `repository-advisory-vulnerability`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub package: AdvisoryPackage,
    pub vulnerable_version_range: Option<String>,
    pub patched_versions: Option<String>,
    #[serde(default)]
    pub vulnerable_functions: Vec<String>,
}

impl Vulnerability {
    /// The first patched version, as GitHub's global advisories show it:
    /// the first entry of `patched_versions`.
    pub fn first_patched_version(&self) -> Option<&str> {
        self.patched_versions
            .as_deref()
            .and_then(|p| p.split(',').next())
            .map(str::trim)
            .filter(|p| !p.is_empty())
    }
}

/// Someone credited on an advisory: a login and GitHub's credit type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub login: String,
    #[serde(rename = "type")]
    pub credit_type: String,
}

/// GitHub's `security-advisory-credit-types`.
pub const CREDIT_TYPES: &[&str] = &[
    "analyst",
    "finder",
    "reporter",
    "coordinator",
    "remediation_developer",
    "remediation_reviewer",
    "remediation_verifier",
    "tool",
    "sponsor",
    "other",
];

/// An advisory on one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: Id,
    /// `GHSA-xxxx-xxxx-xxxx`.
    pub ghsa_id: String,
    pub package_id: Id,
    pub ecosystem: Ecosystem,
    /// The package's name, kept beside its id so lists filter by name.
    pub package_name: String,
    pub summary: String,
    /// Markdown.
    pub description: String,
    pub severity: Option<Severity>,
    pub cvss_vector: Option<String>,
    pub cve_id: Option<String>,
    pub cwe_ids: Vec<String>,
    pub vulnerabilities: Vec<Vulnerability>,
    pub credits: Vec<Credit>,
    pub state: AdvisoryState,
    pub author_id: Option<Id>,
    /// The site administrator who published it.
    pub publisher_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
    pub withdrawn_at: Option<Timestamp>,
}

impl Advisory {
    /// Whether `version` of the advisory's package falls in any of its
    /// vulnerable ranges. A vulnerability without a range affects every
    /// version, as on GitHub.
    pub fn affects(&self, version: &str) -> bool {
        self.vulnerabilities.iter().any(|v| {
            v.vulnerable_version_range
                .as_deref()
                .is_none_or(|range| affects(self.ecosystem, range, version))
        })
    }
}

/// A constraint's comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

/// One parsed constraint of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    pub op: Op,
    pub version: String,
}

/// Parses a `vulnerable_version_range`, checking every version in it
/// against the ecosystem's version syntax.
pub fn parse_range(ecosystem: Ecosystem, range: &str) -> Result<Vec<Constraint>, String> {
    let mut constraints = Vec::new();
    for part in range.split(',') {
        let part = part.trim();
        let (op, rest) = if let Some(r) = part.strip_prefix(">=") {
            (Op::Ge, r)
        } else if let Some(r) = part.strip_prefix("<=") {
            (Op::Le, r)
        } else if let Some(r) = part.strip_prefix("==") {
            (Op::Eq, r)
        } else if let Some(r) = part.strip_prefix('>') {
            (Op::Gt, r)
        } else if let Some(r) = part.strip_prefix('<') {
            (Op::Lt, r)
        } else if let Some(r) = part.strip_prefix('=') {
            (Op::Eq, r)
        } else {
            (Op::Eq, part)
        };
        let version = rest.trim();
        if version.is_empty() {
            return Err(format!("`{range}` is not a version range"));
        }
        if compare(ecosystem, version, version).is_none() {
            return Err(format!("`{version}` is not a {ecosystem} version"));
        }
        constraints.push(Constraint {
            op,
            version: version.to_owned(),
        });
    }
    Ok(constraints)
}

/// Whether `version` falls in `range`. An unreadable range or version
/// matches nothing.
pub fn affects(ecosystem: Ecosystem, range: &str, version: &str) -> bool {
    let Ok(constraints) = parse_range(ecosystem, range) else {
        return false;
    };
    constraints.iter().all(|c| {
        compare(ecosystem, version, &c.version).is_some_and(|o| match c.op {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Eq => o == Ordering::Equal,
        })
    })
}

/// Orders two versions as the ecosystem does; `None` if either is not a
/// version there.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match ecosystem {
        Ecosystem::Npm | Ecosystem::Rust => Some(semver_of(a)?.cmp_precedence(&semver_of(b)?)),
        Ecosystem::Maven => Some(maven::cmp(&maven::key(a)?, &maven::key(b)?)),
        Ecosystem::Rubygems => Some(gem::compare(&gem::segments(a)?, &gem::segments(b)?)),
        Ecosystem::Nuget => Some(nuget::key(a)?.cmp(&nuget::key(b)?)),
        Ecosystem::Pip => Some(pep440::key(a)?.cmp(&pep440::key(b)?)),
    }
}

/// Semantic versions; a leading `v` and missing minor or patch numbers
/// (`2.0`, as advisories often write) are accepted.
pub(crate) fn semver_of(text: &str) -> Option<semver::Version> {
    let text = text.trim().trim_start_matches(['v', '=']);
    if let Ok(v) = semver::Version::parse(text) {
        return Some(v);
    }
    let split = text.find(['-', '+']).unwrap_or(text.len());
    let (core, rest) = text.split_at(split);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 2 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return None;
    }
    let padded = format!("{core}{}{rest}", ".0".repeat(3 - parts.len()));
    semver::Version::parse(&padded).ok()
}

/// Maven's `ComparableVersion`, in its basic form: numbers and qualifiers
/// split on `.`, `-` and digit/letter changes; trailing zeros and release
/// qualifiers dropped; `alpha < beta < milestone < rc < snapshot < release
/// < sp`, unknown qualifiers after those, in text order.
mod maven {
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    pub(super) enum Item {
        /// A qualifier known to Maven (rank) or not (rank 7 and its text).
        Qualifier(u8, String),
        Number(u64),
    }

    fn qualifier(text: &str) -> Item {
        let rank = match text {
            "alpha" | "a" => 0,
            "beta" | "b" => 1,
            "milestone" | "m" => 2,
            "rc" | "cr" => 3,
            "snapshot" => 4,
            "" | "ga" | "final" | "release" => 5,
            "sp" => 6,
            _ => 7,
        };
        Item::Qualifier(
            rank,
            if rank == 7 {
                text.to_owned()
            } else {
                String::new()
            },
        )
    }

    const RELEASE: Item = Item::Qualifier(5, String::new());

    pub(super) fn key(text: &str) -> Option<Vec<Item>> {
        let text = text.trim().to_ascii_lowercase();
        if text.is_empty() || text.chars().any(char::is_whitespace) {
            return None;
        }
        let mut items = Vec::new();
        let mut current = String::new();
        let mut digits = false;
        let flush = |current: &mut String, items: &mut Vec<Item>, digits: bool| {
            if digits {
                items.push(Item::Number(current.parse().unwrap_or(u64::MAX)));
            } else {
                items.push(qualifier(current));
            }
            current.clear();
        };
        for c in text.chars() {
            if c == '.' || c == '-' || c == '_' {
                flush(&mut current, &mut items, digits);
                digits = false;
                continue;
            }
            let is_digit = c.is_ascii_digit();
            if !current.is_empty() && is_digit != digits {
                flush(&mut current, &mut items, digits);
            }
            digits = is_digit;
            current.push(c);
        }
        flush(&mut current, &mut items, digits);
        // `1.0.0` equals `1`, `1-ga` equals `1`.
        while items.len() > 1
            && matches!(items.last(), Some(Item::Number(0) | Item::Qualifier(5, _)))
        {
            items.pop();
        }
        Some(items)
    }

    /// Compares item by item; a missing item is `0` against a number and
    /// the release marker against a qualifier.
    pub(super) fn cmp(a: &[Item], b: &[Item]) -> std::cmp::Ordering {
        for i in 0..a.len().max(b.len()) {
            let (x, y) = (a.get(i), b.get(i));
            let filler = |other: &Item| match other {
                Item::Number(_) => Item::Number(0),
                Item::Qualifier(..) => RELEASE,
            };
            let (x, y) = match (x, y) {
                (Some(x), Some(y)) => (x.clone(), y.clone()),
                (Some(x), None) => (x.clone(), filler(x)),
                (None, Some(y)) => (filler(y), y.clone()),
                (None, None) => break,
            };
            match x.cmp(&y) {
                std::cmp::Ordering::Equal => {}
                other => return other,
            }
        }
        std::cmp::Ordering::Equal
    }
}

/// `Gem::Version`: segments split on `.` and digit/letter changes; numbers
/// beat letters, letters compare as text, missing segments are `0`.
mod gem {
    use std::cmp::Ordering;

    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) enum Segment {
        Number(u64),
        Text(String),
    }

    pub(super) fn segments(text: &str) -> Option<Vec<Segment>> {
        let text = text.trim();
        if text.is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || !text.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        // RubyGems reads `-` as `.pre.`.
        let text = text.replace('-', ".pre.");
        let mut out = Vec::new();
        for part in text.split('.') {
            let mut current = String::new();
            for c in part.chars() {
                if !current.is_empty()
                    && current.ends_with(|p: char| p.is_ascii_digit()) != c.is_ascii_digit()
                {
                    out.push(segment(&current));
                    current.clear();
                }
                current.push(c);
            }
            if !current.is_empty() {
                out.push(segment(&current));
            }
        }
        Some(out)
    }

    fn segment(text: &str) -> Segment {
        match text.parse() {
            Ok(n) => Segment::Number(n),
            Err(_) => Segment::Text(text.to_owned()),
        }
    }

    pub(super) fn compare(left: &[Segment], right: &[Segment]) -> Ordering {
        let zero = Segment::Number(0);
        for i in 0..left.len().max(right.len()) {
            let x = left.get(i).unwrap_or(&zero);
            let y = right.get(i).unwrap_or(&zero);
            let o = match (x, y) {
                (Segment::Number(x), Segment::Number(y)) => x.cmp(y),
                (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
                (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

/// NuGet's SemVer 2.0 with up to four numbers (`1.0.0.1`); a missing
/// number is `0`, build metadata is ignored, pre-release labels compare
/// case-insensitively.
mod nuget {
    use std::cmp::Ordering;

    #[derive(Debug, PartialEq, Eq)]
    pub(super) struct Key {
        numbers: [u64; 4],
        pre: Option<Vec<Label>>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    enum Label {
        Number(u64),
        Text(String),
    }

    pub(super) fn key(text: &str) -> Option<Key> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let text = text.split('+').next()?;
        let (release, pre) = match text.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (text, None),
        };
        let parts: Vec<&str> = release.split('.').collect();
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        let mut numbers = [0; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part.parse().ok()?;
        }
        let pre = match pre {
            None => None,
            Some("") => return None,
            Some(p) => Some(
                p.split('.')
                    .map(|l| {
                        if l.is_empty() {
                            None
                        } else {
                            Some(match l.parse() {
                                Ok(n) => Label::Number(n),
                                Err(_) => Label::Text(l.to_ascii_lowercase()),
                            })
                        }
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(Key { numbers, pre })
    }

    impl PartialOrd for Key {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }

    impl Ord for Key {
        fn cmp(&self, other: &Self) -> Ordering {
            self.numbers.cmp(&other.numbers).then_with(|| {
                match (&self.pre, &other.pre) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Greater,
                    (Some(_), None) => Ordering::Less,
                    // Numbers sort before text, as SemVer says; a longer
                    // list of equal labels is greater.
                    (Some(a), Some(b)) => a.cmp(b),
                }
            })
        }
    }
}

/// PEP 440, without local versions' ordering: epoch, release (trailing
/// zeros ignored), pre-release (`a`, `b`, `rc`), post-release and
/// development releases, in the order `1.0.dev0 < 1.0a1 < 1.0 < 1.0.post1`.
mod pep440 {
    #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
    pub(super) struct Key {
        epoch: u64,
        release: Vec<u64>,
        /// (0 dev-only, 1 a, 2 b, 3 rc, 4 final) and its number.
        pre: (u8, u64),
        /// 0 none, else 1 + the number.
        post: u64,
        /// `u64::MAX` when not a development release.
        dev: u64,
    }

    /// Splits a leading number off `text`.
    fn number(text: &str) -> (Option<u64>, &str) {
        let end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        (text[..end].parse().ok(), &text[end..])
    }

    fn strip_sep(text: &str) -> &str {
        text.strip_prefix(['.', '-', '_']).unwrap_or(text)
    }

    pub(super) fn key(text: &str) -> Option<Key> {
        let lower = text.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix('v').unwrap_or(&lower);
        let public = lower.split('+').next()?;
        let (epoch, rest) = match public.split_once('!') {
            Some((e, r)) => (e.parse().ok()?, r),
            None => (0, public),
        };
        let mut release = Vec::new();
        let mut rest = rest;
        loop {
            let (n, after) = number(rest);
            release.push(n?);
            match after.strip_prefix('.') {
                Some(next) if next.starts_with(|c: char| c.is_ascii_digit()) => rest = next,
                _ => {
                    rest = after;
                    break;
                }
            }
        }
        while release.len() > 1 && release.last() == Some(&0) {
            release.pop();
        }
        let mut pre = None;
        let candidate = strip_sep(rest);
        for (word, class) in [
            ("alpha", 1),
            ("beta", 2),
            ("preview", 3),
            ("pre", 3),
            ("rc", 3),
            ("a", 1),
            ("b", 2),
            ("c", 3),
        ] {
            if let Some(after) = candidate.strip_prefix(word) {
                let (n, after) = number(strip_sep(after));
                pre = Some((class, n.unwrap_or(0)));
                rest = after;
                break;
            }
        }
        let mut post = 0;
        let candidate = strip_sep(rest);
        for word in ["post", "rev", "r"] {
            if let Some(after) = candidate.strip_prefix(word) {
                let (n, after) = number(strip_sep(after));
                post = n.unwrap_or(0) + 1;
                rest = after;
                break;
            }
        }
        if post == 0
            && let Some(after) = rest.strip_prefix('-')
        {
            let (n, after) = number(after);
            if let Some(n) = n {
                post = n + 1;
                rest = after;
            }
        }
        let mut dev = u64::MAX;
        if let Some(after) = strip_sep(rest).strip_prefix("dev") {
            let (n, after) = number(strip_sep(after));
            dev = n.unwrap_or(0);
            rest = after;
        }
        if !rest.is_empty() {
            return None;
        }
        let pre = match pre {
            Some(p) => p,
            None if post == 0 && dev != u64::MAX => (0, 0),
            None => (4, 0),
        };
        Some(Key {
            epoch,
            // Trailing zeros are gone, so plain comparison pads with zeros.
            release,
            pre,
            post,
            dev,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(e: Ecosystem, range: &str, yes: &[&str], no: &[&str]) {
        for v in yes {
            assert!(affects(e, range, v), "{e} {v} should be in `{range}`");
        }
        for v in no {
            assert!(!affects(e, range, v), "{e} {v} should not be in `{range}`");
        }
    }

    #[test]
    fn npm_and_cargo_use_semver() {
        for e in [Ecosystem::Npm, Ecosystem::Rust] {
            hits(
                e,
                "< 1.0.1",
                &["1.0.0", "0.9.9", "1.0.1-beta.1"],
                &["1.0.1", "1.1.0"],
            );
            hits(e, ">= 1.0.0, < 1.0.1", &["1.0.0"], &["0.9.0", "1.0.1"]);
            hits(e, "= 1.2.3", &["1.2.3"], &["1.2.4"]);
            hits(e, "<= 2.0", &["2.0.0", "1.9.9"], &["2.0.1"]);
            hits(e, "1.2.3", &["1.2.3"], &["1.2.30"]);
            hits(
                e,
                "> 1.0.0-alpha.1",
                &["1.0.0-alpha.2", "1.0.0-beta"],
                &["1.0.0-alpha.1"],
            );
            assert!(!affects(e, "< 1.0.1", "not-a-version"));
            assert!(!affects(e, "<", "1.0.0"));
        }
    }

    #[test]
    fn maven_orders_numbers_and_qualifiers() {
        let e = Ecosystem::Maven;
        hits(
            e,
            "< 2.0",
            &["1.9", "2.0-alpha-1", "2.0-beta", "2.0-RC1", "2.0-SNAPSHOT"],
            &["2.0", "2.0.0", "2.0-ga", "2.0-sp1", "2.0.1", "10.0"],
        );
        hits(e, "= 1.0", &["1", "1.0.0", "1.0-final"], &["1.0.1"]);
        assert_eq!(compare(e, "1.0-alpha", "1.0-beta"), Some(Ordering::Less));
        assert_eq!(compare(e, "1.0-rc1", "1.0-cr1"), Some(Ordering::Equal));
        assert_eq!(compare(e, "1.10", "1.9"), Some(Ordering::Greater));
    }

    #[test]
    fn rubygems_numbers_beat_letters() {
        let e = Ecosystem::Rubygems;
        hits(
            e,
            ">= 1.0.0, < 1.2",
            &["1.0", "1.1.9", "1.2.a", "1.2.0.rc1"],
            &["0.9", "1.2", "1.2.0", "1.10"],
        );
        assert_eq!(compare(e, "1.0.a", "1.0"), Some(Ordering::Less));
        assert_eq!(compare(e, "1.0.b1", "1.0.a2"), Some(Ordering::Greater));
        assert_eq!(compare(e, "1.0.0-rc1", "1.0.0"), Some(Ordering::Less));
        assert_eq!(compare(e, "junk!", "1.0"), None);
    }

    #[test]
    fn nuget_uses_semver_two_with_four_parts() {
        let e = Ecosystem::Nuget;
        hits(
            e,
            "< 1.0.1",
            &["1.0.0", "1.0.0.9", "1.0.1-beta", "1.0.1-RC.1"],
            &["1.0.1", "1.0.1.0", "1.0.1.1"],
        );
        assert_eq!(
            compare(e, "1.0.0-Beta", "1.0.0-beta"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare(e, "1.0.0-alpha.2", "1.0.0-alpha.10"),
            Some(Ordering::Less)
        );
        assert_eq!(compare(e, "1.0.0+build", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare(e, "1.2.3.4.5", "1.0"), None);
    }

    #[test]
    fn pypi_follows_pep_440() {
        let e = Ecosystem::Pip;
        let order = [
            "1.0.dev0",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b1",
            "1.0rc1",
            "1.0",
            "1.0.post1",
            "1.0.1",
            "1!0.1",
        ];
        for pair in order.windows(2) {
            assert_eq!(
                compare(e, pair[0], pair[1]),
                Some(Ordering::Less),
                "{} < {}",
                pair[0],
                pair[1]
            );
        }
        assert_eq!(compare(e, "1.0", "1.0.0"), Some(Ordering::Equal));
        assert_eq!(compare(e, "1.0alpha1", "1.0a1"), Some(Ordering::Equal));
        hits(
            e,
            "< 2.0",
            &["1.9", "2.0rc1", "2.0.dev3"],
            &["2.0", "2.0.post1"],
        );
        assert_eq!(compare(e, "banana", "1.0"), None);
    }

    #[test]
    fn advisories_match_any_vulnerability() {
        let vulnerability = |range: Option<&str>| Vulnerability {
            package: AdvisoryPackage {
                ecosystem: Ecosystem::Npm,
                name: "x".into(),
            },
            vulnerable_version_range: range.map(str::to_owned),
            patched_versions: Some("1.0.1".into()),
            vulnerable_functions: vec![],
        };
        let mut advisory = Advisory {
            id: 1,
            ghsa_id: "GHSA-2222-3333-4444".into(),
            package_id: 1,
            ecosystem: Ecosystem::Npm,
            package_name: "x".into(),
            summary: String::new(),
            description: String::new(),
            severity: None,
            cvss_vector: None,
            cve_id: None,
            cwe_ids: vec![],
            vulnerabilities: vec![
                vulnerability(Some("< 1.0.1")),
                vulnerability(Some("= 2.0.0")),
            ],
            credits: vec![],
            state: AdvisoryState::Published,
            author_id: None,
            publisher_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            published_at: None,
            withdrawn_at: None,
        };
        assert!(advisory.affects("1.0.0"));
        assert!(advisory.affects("2.0.0"));
        assert!(!advisory.affects("1.0.1"));
        assert_eq!(
            advisory.vulnerabilities[0].first_patched_version(),
            Some("1.0.1")
        );
        advisory.vulnerabilities = vec![vulnerability(None)];
        assert!(advisory.affects("9.9.9"), "no range: every version");
    }
}

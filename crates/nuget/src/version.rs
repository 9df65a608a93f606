//! NuGet versions: `Major.Minor[.Patch[.Revision]][-Prerelease][+Metadata]`,
//! normalised as NuGet does (no leading zeros, a zero revision dropped, no
//! metadata), compared with SemVer 2's prerelease rules, case-insensitively.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NuGetVersion {
    pub parts: [u64; 4],
    /// Dot-separated prerelease labels, as written.
    pub release: Vec<String>,
    pub metadata: Option<String>,
}

const MAX_LEN: usize = 128;

fn is_label(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl NuGetVersion {
    pub fn parse(text: &str) -> Option<NuGetVersion> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_LEN {
            return None;
        }
        let (rest, metadata) = match text.split_once('+') {
            Some((r, m)) if m.split('.').all(is_label) => (r, Some(m.to_owned())),
            Some(_) => return None,
            None => (text, None),
        };
        let (numbers, release) = match rest.split_once('-') {
            Some((n, r)) if r.split('.').all(is_label) => {
                (n, r.split('.').map(str::to_owned).collect())
            }
            Some(_) => return None,
            None => (rest, Vec::new()),
        };
        let numbers: Vec<&str> = numbers.split('.').collect();
        if !(2..=4).contains(&numbers.len()) {
            return None;
        }
        let mut parts = [0u64; 4];
        for (slot, n) in parts.iter_mut().zip(&numbers) {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            *slot = n.parse().ok().filter(|v| i32::try_from(*v).is_ok())?;
        }
        Some(NuGetVersion {
            parts,
            release,
            metadata,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        !self.release.is_empty()
    }

    /// SemVer 2.0.0-only: dotted prerelease labels or build metadata, which
    /// older clients cannot read.
    pub fn is_semver2(&self) -> bool {
        self.release.len() > 1 || self.metadata.is_some()
    }

    /// NuGet's normalised string, as written by the client (case kept).
    pub fn normalized(&self) -> String {
        let [major, minor, patch, revision] = self.parts;
        let mut text = format!("{major}.{minor}.{patch}");
        if revision != 0 {
            text = format!("{text}.{revision}");
        }
        if !self.release.is_empty() {
            text.push('-');
            text.push_str(&self.release.join("."));
        }
        text
    }

    /// The normalised string with its metadata: what SemVer 2 clients show.
    pub fn full(&self) -> String {
        match &self.metadata {
            Some(m) => format!("{}+{m}", self.normalized()),
            None => self.normalized(),
        }
    }

    /// The identity of a version: normalised and lowercase, as in URLs.
    pub fn key(&self) -> String {
        self.normalized().to_ascii_lowercase()
    }

    /// The key of the version `text` names (`1.0` is `1.0.0`), if it
    /// names one.
    pub fn key_of(text: &str) -> Option<String> {
        NuGetVersion::parse(text).map(|v| v.key())
    }
}

fn compare_label(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.release.is_empty(), other.release.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.release.iter().zip(&other.release) {
                        let o = compare_label(a, b);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.release.len().cmp(&other.release.len())
                }
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A dependency's version range as NuGet writes it: `1.0` means `[1.0.0, )`.
pub fn normalize_range(range: &str) -> String {
    let range = range.trim();
    if range.is_empty() {
        return "(, )".into();
    }
    if range.starts_with(['[', '(']) {
        return range.to_owned();
    }
    match NuGetVersion::parse(range) {
        Some(v) => format!("[{}, )", v.normalized()),
        None => range.to_owned(),
    }
}

/// A package id: letters, digits, `.`, `-`, `_`, at most 100 characters.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && !id.starts_with(['.', '-'])
        && !id.ends_with('.')
        && !id.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_normalize_as_nuget_does() {
        let n = |s: &str| NuGetVersion::parse(s).unwrap().normalized();
        assert_eq!(n("1.0"), "1.0.0");
        assert_eq!(n("01.002.0.0"), "1.2.0");
        assert_eq!(n("1.2.3.4"), "1.2.3.4");
        assert_eq!(n("1.0.0-Beta.1+git.abc"), "1.0.0-Beta.1");
        assert_eq!(
            NuGetVersion::parse("1.0.0-Beta").unwrap().key(),
            "1.0.0-beta"
        );
        assert!(NuGetVersion::parse("1.0.0-beta.1").unwrap().is_semver2());
        assert!(!NuGetVersion::parse("1.0.0-beta").unwrap().is_semver2());
        for bad in [
            "",
            "1",
            "a.b",
            "1.0.0-",
            "1.0.0-be ta",
            "1.0/0",
            "1.0.0.0.0",
        ] {
            assert!(NuGetVersion::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn versions_order_with_prereleases_below_releases() {
        let mut v: Vec<NuGetVersion> = [
            "1.0.0",
            "1.0.0-beta.2",
            "1.0.0-beta.10",
            "1.0.0-alpha",
            "0.9.0",
            "1.0.0.1",
        ]
        .iter()
        .map(|s| NuGetVersion::parse(s).unwrap())
        .collect();
        v.sort();
        let names: Vec<String> = v.iter().map(NuGetVersion::normalized).collect();
        assert_eq!(
            names,
            [
                "0.9.0",
                "1.0.0-alpha",
                "1.0.0-beta.2",
                "1.0.0-beta.10",
                "1.0.0",
                "1.0.0.1"
            ]
        );
        assert_eq!(normalize_range("1.0"), "[1.0.0, )");
        assert_eq!(normalize_range("[1.0,2.0)"), "[1.0,2.0)");
    }
}

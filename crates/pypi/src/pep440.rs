//! Project names (PEP 503, PEP 508) and versions (PEP 440): validity,
//! normalised forms, and the ordering pip uses.

use std::cmp::Ordering;

/// PEP 503's normalised name: lowercase, runs of `-`, `_`, `.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    entrepot_core::names::pep503(name)
}

/// PEP 508's rule for a project name.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// A parsed PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub epoch: u64,
    pub release: Vec<u64>,
    /// `a`, `b` or `rc` with its number.
    pub pre: Option<(String, u64)>,
    pub post: Option<u64>,
    pub dev: Option<u64>,
    pub local: Option<String>,
}

fn number(s: &str) -> Option<(u64, &str)> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    Some((digits.parse().ok()?, &s[digits.len()..]))
}

/// An optional separator, then a number (0 when absent).
fn implicit_number(s: &str) -> (u64, &str) {
    let t = s.strip_prefix(['-', '_', '.']).unwrap_or(s);
    number(t).unwrap_or((0, s))
}

fn strip_word<'a>(s: &'a str, words: &[&str]) -> Option<(&'static str, &'a str)> {
    let t = s.strip_prefix(['-', '_', '.']).unwrap_or(s);
    for w in words {
        // `get`: the text may hold any character, and a word's length
        // may end inside one.
        if t.get(..w.len()).is_some_and(|p| p.eq_ignore_ascii_case(w)) {
            let canonical = match *w {
                "a" | "alpha" => "a",
                "b" | "beta" => "b",
                "c" | "rc" | "pre" | "preview" => "rc",
                "post" | "rev" | "r" => "post",
                _ => "dev",
            };
            return Some((canonical, &t[w.len()..]));
        }
    }
    None
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        if text.is_empty() || text.len() > 128 {
            return None;
        }
        let s = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let (s, local) = match s.split_once('+') {
            Some((v, l)) => {
                if l.is_empty()
                    || !l
                        .split(['.', '-', '_'])
                        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
                {
                    return None;
                }
                (v, Some(l.to_ascii_lowercase().replace(['-', '_'], ".")))
            }
            None => (s, None),
        };
        let (epoch, mut rest) = match s.split_once('!') {
            Some((e, r)) => (e.parse().ok()?, r),
            None => (0, s),
        };
        let mut release = Vec::new();
        loop {
            let (n, r) = number(rest)?;
            release.push(n);
            rest = r;
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        let mut pre = None;
        if let Some((word, r)) = strip_word(
            rest,
            &["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"],
        ) {
            let (n, r) = implicit_number(r);
            pre = Some((word.to_owned(), n));
            rest = r;
        }
        let mut post = None;
        if let Some(r) = rest.strip_prefix('-')
            && let Some((n, r2)) = number(r)
        {
            post = Some(n);
            rest = r2;
        } else if let Some((_, r)) = strip_word(rest, &["post", "rev", "r"]) {
            let (n, r) = implicit_number(r);
            post = Some(n);
            rest = r;
        }
        let mut dev = None;
        if let Some(("dev", r)) = strip_word(rest, &["dev"]) {
            let (n, r) = implicit_number(r);
            dev = Some(n);
            rest = r;
        }
        rest.is_empty().then_some(Version {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// The canonical string (`packaging`'s `str(Version(v))`).
    pub fn normalized(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if self.epoch != 0 {
            let _ = write!(s, "{}!", self.epoch);
        }
        s.push_str(
            &self
                .release
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
        );
        if let Some((w, n)) = &self.pre {
            let _ = write!(s, "{w}{n}");
        }
        if let Some(n) = self.post {
            let _ = write!(s, ".post{n}");
        }
        if let Some(n) = self.dev {
            let _ = write!(s, ".dev{n}");
        }
        if let Some(l) = &self.local {
            s.push('+');
            s.push_str(l);
        }
        s
    }

    fn release_trimmed(&self) -> &[u64] {
        let mut end = self.release.len();
        while end > 1 && self.release[end - 1] == 0 {
            end -= 1;
        }
        &self.release[..end]
    }
}

fn pre_rank(v: &Version) -> (i64, u64) {
    match (&v.pre, v.post, v.dev) {
        // A dev release of a final version sorts before its prereleases.
        (None, None, Some(_)) => (-1, 0),
        (Some((w, n)), _, _) => (
            match w.as_str() {
                "a" => 0,
                "b" => 1,
                _ => 2,
            },
            *n,
        ),
        _ => (3, 0),
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.release_trimmed().cmp(other.release_trimmed()))
            .then_with(|| pre_rank(self).cmp(&pre_rank(other)))
            // No post release sorts before any post release; no dev
            // release sorts after any dev release.
            .then_with(|| self.post.map(i128::from).cmp(&other.post.map(i128::from)))
            .then_with(|| {
                let dev = |v: &Version| v.dev.map_or(i128::MAX, i128::from);
                dev(self).cmp(&dev(other))
            })
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `pypi_pep440` fuzz target: a word's length ended inside
    /// a two-byte character.
    #[test]
    fn any_character_after_the_release_is_refused_not_a_panic() {
        for text in ["8v1\u{398}.1", "1.0\u{e9}", "1\u{1f600}", "1.0.\u{398}dev"] {
            assert_eq!(Version::parse(text), None, "{text}");
        }
    }

    #[test]
    fn names_normalize_as_pep_503_says() {
        assert_eq!(normalize_name("Tiny_Pkg.Core"), "tiny-pkg-core");
        assert_eq!(normalize_name("tiny--__pkg"), "tiny-pkg");
        assert!(is_valid_name("tiny_pkg") && !is_valid_name("-tiny") && !is_valid_name("a/b"));
    }

    #[test]
    fn versions_normalize_and_order_as_packaging_does() {
        let n = |s: &str| Version::parse(s).unwrap().normalized();
        assert_eq!(n("1.0"), "1.0");
        assert_eq!(n("v1.0.0-RC1"), "1.0.0rc1");
        assert_eq!(n("1.0alpha"), "1.0a0");
        assert_eq!(n("1.0-1"), "1.0.post1");
        assert_eq!(n("1.0.dev"), "1.0.dev0");
        assert_eq!(n("1!2.0+Ubuntu-1"), "1!2.0+ubuntu.1");
        for bad in ["", "one", "1.0-", "1.0+", "1..0", "1.0/evil"] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        let mut v: Vec<Version> = [
            "1.0.post1",
            "1.0",
            "1.0rc1",
            "1.0.dev0",
            "1.0a1",
            "0.9",
            "1.1",
        ]
        .iter()
        .map(|s| Version::parse(s).unwrap())
        .collect();
        v.sort();
        let order: Vec<String> = v.iter().map(Version::normalized).collect();
        assert_eq!(
            order,
            [
                "0.9",
                "1.0.dev0",
                "1.0a1",
                "1.0rc1",
                "1.0",
                "1.0.post1",
                "1.1"
            ]
        );
        assert!(Version::parse("1.0rc1").unwrap().is_prerelease());
    }
}

//! Gem versions and platforms as RubyGems reads them: `Gem::Version`'s
//! ordering (numbers above letters, so `1.0.a` < `1.0`), prereleases, and
//! `Gem::Platform`'s split of a platform string into cpu, os and version.

use std::cmp::Ordering;

/// The longest version or platform string accepted.
const MAX_LEN: usize = 128;

/// A valid `Gem::Version` string: digits first, then digits, letters, dots
/// and dashes, without empty segments.
pub fn is_valid_version(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_LEN
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !v.ends_with(['.', '-'])
        && !v.contains("..")
        && !v.contains(".-")
        && !v.contains("-.")
}

/// A platform as it appears in file names (`x86_64-linux`, `java`); `ruby`
/// is the pure-Ruby platform.
pub fn is_valid_platform(p: &str) -> bool {
    !p.is_empty()
        && p.len() <= MAX_LEN
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !p.starts_with(['-', '.'])
}

/// A version with a letter in it is a prerelease.
pub fn is_prerelease(v: &str) -> bool {
    v.chars().any(|c| c.is_ascii_alphabetic())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(u64),
    Text(String),
}

fn segments(v: &str) -> Vec<Segment> {
    let v = v.replace('-', ".pre.");
    let mut out = Vec::new();
    let mut chars = v.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(d);
                chars.next();
            }
            out.push(Segment::Number(n.parse().unwrap_or(u64::MAX)));
        } else if c.is_ascii_alphabetic() {
            let mut t = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphabetic()) {
                t.push(d);
                chars.next();
            }
            out.push(Segment::Text(t));
        } else {
            chars.next();
        }
    }
    // Trailing zeros do not count: 1.0 == 1.0.0.
    while out.last() == Some(&Segment::Number(0)) {
        out.pop();
    }
    out
}

/// `Gem::Version#<=>`.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (segments(a), segments(b));
    let zero = Segment::Number(0);
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).unwrap_or(&zero), b.get(i).unwrap_or(&zero));
        let order = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => x.cmp(y),
            (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
            (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

/// `Gem::Platform`'s fields for a platform string, as `Gem::Platform.new`
/// splits it, so that a Marshal-loaded spec compares equal to the local one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub cpu: Option<String>,
    pub os: String,
    pub version: Option<String>,
}

fn is_numeric_version(s: &str) -> bool {
    let mut parts = s.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && parts
            .next()
            .is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// The digits at the start of `s`, if any.
fn leading_digits(s: &str) -> Option<String> {
    let d: String = s.chars().take_while(char::is_ascii_digit).collect();
    (!d.is_empty()).then_some(d)
}

impl Platform {
    pub fn parse(text: &str) -> Platform {
        let mut arch: Vec<String> = text.split('-').map(str::to_owned).collect();
        if arch.len() > 2 && !arch.last().is_some_and(|l| is_numeric_version(l)) {
            let extra = arch.pop().unwrap_or_default();
            if let Some(last) = arch.last_mut() {
                last.push('-');
                last.push_str(&extra);
            }
        }
        let cpu_text = arch.remove(0);
        let mut cpu = Some(
            if cpu_text.len() == 4
                && cpu_text.starts_with('i')
                && cpu_text.ends_with("86")
                && cpu_text.as_bytes()[1].is_ascii_digit()
            {
                "x86".to_owned()
            } else {
                cpu_text.clone()
            },
        );
        if arch.len() == 2 && is_numeric_version(&arch[1]) {
            return Platform {
                cpu,
                os: arch[0].clone(),
                version: Some(arch[1].clone()),
            };
        }
        let os = if let Some(os) = arch.first() {
            os.clone()
        } else {
            cpu = None;
            cpu_text
        };
        let after = |prefix: &str| os.find(prefix).map(|i| &os[i + prefix.len()..]);
        let (os, version) = if let Some(rest) = after("linux") {
            let rest = rest.strip_prefix('-').unwrap_or(rest);
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let version = (!word.is_empty() && !word.starts_with("gnu")).then_some(word);
            ("linux".to_owned(), version)
        } else if let Some(rest) = after("darwin") {
            ("darwin".to_owned(), leading_digits(rest))
        } else if os == "java" || os == "jruby" {
            ("java".to_owned(), None)
        } else if let Some(rest) = os.strip_prefix("java") {
            ("java".to_owned(), Some(rest.to_owned()))
        } else if os.contains("mingw32") {
            ("mingw32".to_owned(), None)
        } else if let Some(rest) = after("mingw") {
            let rest = rest.strip_prefix('-').unwrap_or(rest);
            (
                "mingw".to_owned(),
                (!rest.is_empty()).then(|| rest.to_owned()),
            )
        } else if let Some(i) = os.find("mswin") {
            let rest = &os[i..];
            let (name, version) = rest.split_once('_').unwrap_or((rest, ""));
            if cpu.is_none() && name.ends_with("32") {
                cpu = Some("x86".to_owned());
            }
            (
                name.to_owned(),
                (!version.is_empty()).then(|| version.to_owned()),
            )
        } else if let Some(rest) = after("freebsd") {
            ("freebsd".to_owned(), leading_digits(rest))
        } else if os.contains("cygwin") {
            ("cygwin".to_owned(), None)
        } else if let Some(rest) = after("openbsd") {
            (
                "openbsd".to_owned(),
                (!rest.is_empty()).then(|| rest.to_owned()),
            )
        } else if let Some(rest) = after("solaris") {
            (
                "solaris".to_owned(),
                (!rest.is_empty()).then(|| rest.to_owned()),
            )
        } else if let Some(rest) = after("aix") {
            ("aix".to_owned(), leading_digits(rest))
        } else if os == "dotnet" {
            ("dotnet".to_owned(), None)
        } else {
            ("unknown".to_owned(), None)
        };
        Platform { cpu, os, version }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_gem_version_does() {
        let mut v = vec![
            "1.10",
            "1.2",
            "1.0.a",
            "1.0",
            "2.0.0.pre1",
            "2.0.0",
            "1.0.0",
        ];
        v.sort_by(|a, b| compare(a, b));
        assert_eq!(
            v,
            [
                "1.0.a",
                "1.0",
                "1.0.0",
                "1.2",
                "1.10",
                "2.0.0.pre1",
                "2.0.0"
            ]
        );
        assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
        assert!(is_prerelease("2.0.0.pre1") && !is_prerelease("2.0.0"));
    }

    #[test]
    fn only_well_formed_versions_and_platforms_are_valid() {
        for good in ["1", "1.0.0", "2.0.0.pre1", "1.0.0-rc1"] {
            assert!(is_valid_version(good), "{good}");
        }
        for bad in ["", "a1", "1..0", "1.0.", "1 0", "1/0", "../1"] {
            assert!(!is_valid_version(bad), "{bad}");
        }
        assert!(is_valid_platform("x86_64-linux") && is_valid_platform("java"));
        assert!(!is_valid_platform("x86/../linux") && !is_valid_platform(""));
    }

    #[test]
    fn platforms_split_like_gem_platform() {
        let p = |cpu: Option<&str>, os: &str, v: Option<&str>| Platform {
            cpu: cpu.map(str::to_owned),
            os: os.to_owned(),
            version: v.map(str::to_owned),
        };
        assert_eq!(
            Platform::parse("x86_64-linux"),
            p(Some("x86_64"), "linux", None)
        );
        assert_eq!(
            Platform::parse("x86_64-linux-musl"),
            p(Some("x86_64"), "linux", Some("musl"))
        );
        assert_eq!(
            Platform::parse("arm64-darwin-21"),
            p(Some("arm64"), "darwin", Some("21"))
        );
        assert_eq!(Platform::parse("java"), p(None, "java", None));
        assert_eq!(Platform::parse("i686-linux"), p(Some("x86"), "linux", None));
        assert_eq!(
            Platform::parse("x64-mingw-ucrt"),
            p(Some("x64"), "mingw", Some("ucrt"))
        );
    }
}

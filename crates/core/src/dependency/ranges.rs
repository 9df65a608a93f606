//! Dependency ranges in each ecosystem's own syntax, and whether one
//! admits a version: npm's (node-semver), Cargo's (`semver`), PEP 440
//! specifiers (`pep440_rs`), RubyGems requirements, and the interval
//! notation Maven and NuGet share (`[1.0,2.0)`), each compared in the
//! ecosystem's version order (`advisory::compare`).

use std::cmp::Ordering;
use std::str::FromStr;

use crate::advisory::{compare, semver_of};
use crate::model::Ecosystem;

/// A parsed dependency range.
#[derive(Debug, Clone)]
pub enum DependencyRange {
    /// Any version (an empty range, `*`).
    Any,
    Npm(nodejs_semver::Range),
    Cargo(semver::VersionReq),
    Pep440(pep440_rs::VersionSpecifiers),
    /// RubyGems: every requirement holds.
    Gem(Vec<(GemOp, String)>),
    /// Maven and NuGet: any of the intervals holds.
    Intervals(Ecosystem, Vec<Interval>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GemOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// `~> 1.2.3`: at least 1.2.3, below 1.3.
    Pessimistic,
}

/// One interval; a missing bound is open, `true` is inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub lower: Option<(String, bool)>,
    pub upper: Option<(String, bool)>,
}

/// Whether `range` admits `version`; `None` when either cannot be read
/// (a git URL, a tag such as `latest`, a Maven property).
pub fn admits(ecosystem: Ecosystem, range: &str, version: &str) -> Option<bool> {
    DependencyRange::parse(ecosystem, range)?.admits(version)
}

impl DependencyRange {
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Option<DependencyRange> {
        let text = text.trim();
        if text.is_empty() || text == "*" {
            return Some(DependencyRange::Any);
        }
        match ecosystem {
            Ecosystem::Npm => nodejs_semver::Range::parse(text)
                .ok()
                .map(DependencyRange::Npm),
            Ecosystem::Rust => semver::VersionReq::parse(text)
                .ok()
                .map(DependencyRange::Cargo),
            Ecosystem::Pip => {
                let text = text.trim_start_matches('(').trim_end_matches(')');
                pep440_rs::VersionSpecifiers::from_str(text)
                    .ok()
                    .map(DependencyRange::Pep440)
            }
            Ecosystem::Rubygems => gem_requirements(text).map(DependencyRange::Gem),
            Ecosystem::Maven => {
                maven_intervals(text).map(|i| DependencyRange::Intervals(ecosystem, i))
            }
            Ecosystem::Nuget => {
                nuget_interval(text).map(|i| DependencyRange::Intervals(ecosystem, vec![i]))
            }
        }
    }

    /// The versions the range itself names (its bounds): candidates to
    /// judge it on when the package's own versions are not known here.
    pub fn bounds(&self) -> Vec<String> {
        match self {
            DependencyRange::Any => Vec::new(),
            DependencyRange::Npm(range) => range
                .min_version()
                .map(|v| v.to_string())
                .into_iter()
                .collect(),
            DependencyRange::Cargo(req) => req
                .comparators
                .iter()
                .map(|c| {
                    format!(
                        "{}.{}.{}",
                        c.major,
                        c.minor.unwrap_or(0),
                        c.patch.unwrap_or(0)
                    )
                })
                .collect(),
            DependencyRange::Pep440(specifiers) => {
                specifiers.iter().map(|s| s.version().to_string()).collect()
            }
            DependencyRange::Gem(requirements) => {
                requirements.iter().map(|(_, v)| v.clone()).collect()
            }
            DependencyRange::Intervals(_, intervals) => intervals
                .iter()
                .flat_map(|i| i.lower.iter().chain(&i.upper).map(|(v, _)| v.clone()))
                .collect(),
        }
    }

    /// Whether the range admits `version`; `None` when it is not a version
    /// of the ecosystem.
    pub fn admits(&self, version: &str) -> Option<bool> {
        match self {
            DependencyRange::Any => Some(true),
            DependencyRange::Npm(range) => {
                let v =
                    nodejs_semver::Version::parse(version.trim().trim_start_matches('v')).ok()?;
                Some(range.satisfies(&v))
            }
            DependencyRange::Cargo(req) => Some(req.matches(&semver_of(version)?)),
            DependencyRange::Pep440(specifiers) => {
                let v = pep440_rs::Version::from_str(version.trim()).ok()?;
                Some(specifiers.contains(&v))
            }
            DependencyRange::Gem(requirements) => {
                let mut all = true;
                for (op, bound) in requirements {
                    all &= gem_holds(*op, version, bound)?;
                }
                Some(all)
            }
            DependencyRange::Intervals(ecosystem, intervals) => {
                let mut any = false;
                for interval in intervals {
                    any |= interval.contains(*ecosystem, version)?;
                }
                Some(any)
            }
        }
    }
}

impl Interval {
    fn exact(version: &str) -> Interval {
        Interval {
            lower: Some((version.to_owned(), true)),
            upper: Some((version.to_owned(), true)),
        }
    }

    fn contains(&self, ecosystem: Ecosystem, version: &str) -> Option<bool> {
        let above = match &self.lower {
            None => true,
            Some((bound, inclusive)) => {
                let o = compare(ecosystem, version, bound)?;
                o == Ordering::Greater || (*inclusive && o == Ordering::Equal)
            }
        };
        let below = match &self.upper {
            None => true,
            Some((bound, inclusive)) => {
                let o = compare(ecosystem, version, bound)?;
                o == Ordering::Less || (*inclusive && o == Ordering::Equal)
            }
        };
        Some(above && below)
    }
}

/// `[a,b)`-style text: the interval between brackets (`[1.0]` is exact).
fn bracketed(text: &str) -> Option<Interval> {
    let lower_inclusive = match text.chars().next()? {
        '[' => true,
        '(' => false,
        _ => return None,
    };
    let upper_inclusive = match text.chars().last()? {
        ']' => true,
        ')' => false,
        _ => return None,
    };
    let inner = text.get(1..text.len() - 1)?;
    let bound = |s: &str, inclusive: bool| {
        let s = s.trim();
        (!s.is_empty()).then(|| (s.to_owned(), inclusive))
    };
    match inner.split_once(',') {
        None if lower_inclusive && upper_inclusive && !inner.trim().is_empty() => {
            Some(Interval::exact(inner.trim()))
        }
        Some((low, high)) if !high.contains(',') => Some(Interval {
            lower: bound(low, lower_inclusive),
            upper: bound(high, upper_inclusive),
        }),
        _ => None,
    }
}

/// Maven: one version (a "soft" requirement, which resolves to it unless
/// another declaration wins: taken as that version) or a union of
/// intervals, `(,1.0],[1.2,)`. A property (`${…}`) is unreadable.
fn maven_intervals(text: &str) -> Option<Vec<Interval>> {
    if text.contains("${") {
        return None;
    }
    if !text.starts_with(['[', '(']) {
        return compare(Ecosystem::Maven, text, text).map(|_| vec![Interval::exact(text)]);
    }
    let mut intervals = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find([']', ')'])? + 1;
        intervals.push(bracketed(&rest[..end])?);
        rest = rest[end..].trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    (!intervals.is_empty()).then_some(intervals)
}

/// NuGet: `1.0` is "1.0 or higher"; `[1.0]`, `[1.0,2.0)`, `(,1.0]`; a
/// floating `1.*` is 1 up to 2.
fn nuget_interval(text: &str) -> Option<Interval> {
    if text.starts_with(['[', '(']) {
        return bracketed(text);
    }
    if let Some(prefix) = text.strip_suffix(".*") {
        return Some(Interval {
            lower: Some((prefix.to_owned(), true)),
            upper: Some((bump(prefix, 0)?, false)),
        });
    }
    compare(Ecosystem::Nuget, text, text)?;
    Some(Interval {
        lower: Some((text.to_owned(), true)),
        upper: None,
    })
}

/// The release numbers of `version` with the last of them, after
/// dropping `drop` more, increased by one: `bump("1.2.3", 1)` is `1.3`.
fn bump(version: &str, drop: usize) -> Option<String> {
    let mut numbers: Vec<u64> = version
        .split('.')
        .map_while(|part| part.parse::<u64>().ok())
        .collect();
    numbers.truncate(numbers.len().saturating_sub(drop).max(1));
    let last = numbers.last_mut()?;
    *last = last.checked_add(1)?;
    Some(
        numbers
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// RubyGems: `~> 1.0, >= 1.0.2` (a bare version is `=`).
fn gem_requirements(text: &str) -> Option<Vec<(GemOp, String)>> {
    let mut requirements = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (op, rest) = [
            ("~>", GemOp::Pessimistic),
            (">=", GemOp::Ge),
            ("<=", GemOp::Le),
            ("!=", GemOp::Ne),
            (">", GemOp::Gt),
            ("<", GemOp::Lt),
            ("=", GemOp::Eq),
        ]
        .iter()
        .find_map(|(prefix, op)| part.strip_prefix(prefix).map(|rest| (*op, rest)))
        .unwrap_or((GemOp::Eq, part));
        let version = rest.trim();
        compare(Ecosystem::Rubygems, version, version)?;
        requirements.push((op, version.to_owned()));
    }
    Some(requirements)
}

fn gem_holds(op: GemOp, version: &str, bound: &str) -> Option<bool> {
    let o = compare(Ecosystem::Rubygems, version, bound)?;
    Some(match op {
        GemOp::Eq => o == Ordering::Equal,
        GemOp::Ne => o != Ordering::Equal,
        GemOp::Gt => o == Ordering::Greater,
        GemOp::Ge => o != Ordering::Less,
        GemOp::Lt => o == Ordering::Less,
        GemOp::Le => o != Ordering::Greater,
        GemOp::Pessimistic => {
            let upper = bump(bound, 1)?;
            o != Ordering::Less && compare(Ecosystem::Rubygems, version, &upper)? == Ordering::Less
        }
    })
}

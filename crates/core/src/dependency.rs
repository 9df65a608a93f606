//! What a version declares it depends on, and the question alerts turn on:
//! does a dependency's range (in its ecosystem's own syntax) let in a
//! version an advisory names, and does it let in a patched one?

mod ranges;

use serde::{Deserialize, Serialize};

pub use ranges::{DependencyRange, admits};

use crate::advisory::{Advisory, compare, parse_range};
pub use crate::model::DependencyKind;
use crate::model::Ecosystem;

/// The longest dependency name or range kept, in bytes.
pub const MAX_FIELD_BYTES: usize = 512;
/// The most dependencies kept for one version.
pub const MAX_PER_VERSION: usize = 1000;

/// One declared dependency of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    /// The name in the ecosystem's form (npm `@scope/name`, Maven
    /// `group:artifact`, PyPI as written).
    pub name: String,
    /// The range in the ecosystem's syntax (`^1.0.0`, `[1.0,2.0)`,
    /// `~> 1.0`, `>=1,<2`); empty for "any".
    pub range: String,
    pub kind: DependencyKind,
    /// Where it applies, when only somewhere: a NuGet target framework, a
    /// PEP 508 marker.
    pub condition: Option<String>,
}

impl Dependency {
    /// A dependency with its fields cut to what is kept, or `None` for a
    /// nameless one.
    pub fn new(
        ecosystem: Ecosystem,
        name: &str,
        range: &str,
        kind: DependencyKind,
        condition: Option<&str>,
    ) -> Option<Dependency> {
        let name = name.trim();
        if name.is_empty() || name.len() > MAX_FIELD_BYTES {
            return None;
        }
        let cut = |s: &str| {
            let s = s.trim();
            let mut end = s.len().min(MAX_FIELD_BYTES);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s[..end].to_owned()
        };
        Some(Dependency {
            ecosystem,
            name: name.to_owned(),
            range: cut(range),
            kind,
            condition: condition.map(cut).filter(|c| !c.is_empty()),
        })
    }
}

/// The form a dependency's name is matched in: PyPI's normalized names,
/// Cargo's `-` for `_`, NuGet's ids in any case; the others as written.
pub fn key(ecosystem: Ecosystem, name: &str) -> String {
    match ecosystem {
        Ecosystem::Pip => crate::names::pep503(name),
        Ecosystem::Rust => crate::names::crate_canonical(name),
        Ecosystem::Nuget => name.to_ascii_lowercase(),
        Ecosystem::Npm | Ecosystem::Maven | Ecosystem::Rubygems => name.to_owned(),
    }
}

/// What a dependency range lets in of a vulnerable package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// Versions the range admits that the advisory affects, highest first.
    pub affected: Vec<String>,
    /// Whether the range admits a version the advisory does not affect and
    /// that is at least its first patched version: a fresh install fixes
    /// it. False means the range must change.
    pub admits_patched: bool,
}

/// What `range` (of `ecosystem`) lets in of the package `advisory` is
/// about, judged on `known`, the versions published here, or, for a
/// package not published here, on the versions the advisory and the range
/// name (their bounds and the patched versions). `None` when the range
/// admits no affected version, or cannot be read.
pub fn exposure(
    ecosystem: Ecosystem,
    range: &str,
    advisory: &Advisory,
    known: &[String],
) -> Option<Exposure> {
    let parsed = DependencyRange::parse(ecosystem, range)?;
    let mut candidates: Vec<String> = known.to_vec();
    if candidates.is_empty() {
        candidates.extend(parsed.bounds());
        for v in &advisory.vulnerabilities {
            if let Some(r) = v.vulnerable_version_range.as_deref()
                && let Ok(constraints) = parse_range(ecosystem, r)
            {
                candidates.extend(constraints.into_iter().map(|c| c.version));
            }
            if let Some(p) = v.patched_versions.as_deref() {
                candidates.extend(
                    p.split(',')
                        .map(str::trim)
                        .map(bare)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    candidates.retain(|c| compare(ecosystem, c, c).is_some());
    candidates.sort_by(|a, b| compare(ecosystem, b, a).unwrap_or(std::cmp::Ordering::Equal));
    candidates.dedup_by(|a, b| compare(ecosystem, a, b) == Some(std::cmp::Ordering::Equal));
    let mut affected = Vec::new();
    let mut admits_patched = false;
    for candidate in &candidates {
        match parsed.admits(candidate) {
            None | Some(false) => {}
            Some(true) if advisory.affects(candidate) => affected.push(candidate.clone()),
            Some(true) => admits_patched |= is_patched(ecosystem, advisory, candidate),
        }
    }
    (!affected.is_empty()).then_some(Exposure {
        affected,
        admits_patched,
    })
}

/// Whether `version` is at least the first patched version of each
/// vulnerability that names one (one that names none is fixed by any
/// version it does not affect).
fn is_patched(ecosystem: Ecosystem, advisory: &Advisory, version: &str) -> bool {
    advisory.vulnerabilities.iter().all(|v| {
        v.first_patched_version().is_none_or(|p| {
            compare(ecosystem, version, bare(p)).is_some_and(|o| o != std::cmp::Ordering::Less)
        })
    })
}

/// A patched version as advisories sometimes write it (`>= 1.0.2`).
fn bare(version: &str) -> &str {
    version.trim().trim_start_matches(['>', '=', ' '])
}

#[cfg(test)]
mod tests;

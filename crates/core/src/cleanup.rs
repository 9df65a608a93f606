//! Cleanup rules: which of an owner's package versions a rule removes.
//! Decided here, without I/O, from the facts the service reads (each
//! version's age, last download, tags, and what protects it), so that a
//! preview and a run remove exactly the same versions.
//!
//! A rule selects packages (all of the owner's, or one format's, or those
//! whose name matches a pattern). In each, it keeps the N newest versions
//! and those whose name matches its keep pattern; of the rest it removes
//! those that meet every condition it sets (published longer ago than a
//! duration, not downloaded for one, untagged and older than one), or all
//! of them when it sets none. A protected version (downloaded more than
//! the deletion limit while public, holding an image together, named by
//! an immutable tag) is never removed, and neither a rule nor all rules
//! together ever remove a package's newest version.

use chrono::TimeDelta;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::{Id, PackageType, Timestamp};

/// The longest pattern a rule takes, in characters.
pub const MAX_PATTERN_CHARS: usize = 256;
/// The most rules one owner has.
pub const MAX_RULES: usize = 50;
/// The largest compiled pattern, in bytes (`regex`'s own bound).
const MAX_COMPILED_BYTES: usize = 1 << 20;

/// What a rule selects, keeps and removes, as set. Durations are seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Only packages of this format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<PackageType>,
    /// Only packages whose whole name matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Keeps each package's N newest versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_newest: Option<u32>,
    /// Keeps versions whose whole name matches this regular expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_pattern: Option<String>,
    /// Removes only versions published longer ago than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub older_than: Option<i64>,
    /// Removes only versions not downloaded (or, never downloaded, not
    /// published) for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_downloaded_for: Option<i64>,
    /// Removes only versions no tag names (untagged container manifests)
    /// published longer ago than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged_older_than: Option<i64>,
    /// Keeps the N newest timestamped builds of each Maven SNAPSHOT
    /// version (older builds' files go at each deploy), over the server's
    /// `--maven-snapshot-builds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_snapshot_builds: Option<u32>,
}

/// A duration of seconds as people write it: `30d`, `12h`, `90m`.
pub fn duration_text(seconds: i64) -> String {
    match seconds {
        s if s % 604_800 == 0 => format!("{}w", s / 604_800),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

impl std::fmt::Display for RuleSpec {
    /// `npm packages matching snap-.*: keep the 3 newest; remove versions
    /// older than 30d`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let format = self.format.map_or("all", PackageType::as_str);
        write!(f, "{format} packages")?;
        if let Some(p) = &self.pattern {
            write!(f, " matching `{p}`")?;
        }
        let mut keeps = Vec::new();
        if let Some(n) = self.keep_newest {
            keeps.push(format!("the {n} newest"));
        }
        if let Some(p) = &self.keep_pattern {
            keeps.push(format!("versions matching `{p}`"));
        }
        if !keeps.is_empty() {
            write!(f, ": keep {}", keeps.join(" and "))?;
        }
        let mut removes = Vec::new();
        if let Some(s) = self.older_than {
            removes.push(format!("older than {}", duration_text(s)));
        }
        if let Some(s) = self.not_downloaded_for {
            removes.push(format!("not downloaded for {}", duration_text(s)));
        }
        if let Some(s) = self.untagged_older_than {
            removes.push(format!("untagged and older than {}", duration_text(s)));
        }
        if let Some(n) = self.keep_snapshot_builds {
            write!(f, "; keep the {n} newest builds of each SNAPSHOT")?;
        }
        if !self.decides_versions() {
            Ok(())
        } else if removes.is_empty() {
            write!(f, "; remove the rest")
        } else {
            write!(f, "; remove versions {}", removes.join(", "))
        }
    }
}

/// A rule as kept: whose, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupRule {
    pub id: Id,
    pub owner_id: Id,
    pub spec: RuleSpec,
    pub created_at: Timestamp,
}

/// One live version as a rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub id: Id,
    pub name: String,
    pub published_at: Timestamp,
    /// When it was last downloaded, if ever.
    pub last_download: Option<Timestamp>,
    /// Whether any tag names it.
    pub tagged: bool,
    /// Why it may never be removed, if something protects it.
    pub protected: Option<String>,
}

/// A rule ready to apply: its patterns compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub spec: RuleSpec,
    pattern: Option<Regex>,
    keep: Option<Regex>,
}

/// `pattern` as a regular expression that must match a whole name.
fn whole(pattern: &str, what: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!(
            "the {what} is longer than {MAX_PATTERN_CHARS} characters"
        ));
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(MAX_COMPILED_BYTES)
        .build()
        .map_err(|e| format!("the {what} `{pattern}` is not a regular expression: {e}"))
}

impl RuleSpec {
    /// Whether the rule removes versions at all (a rule may only bound
    /// SNAPSHOT builds).
    pub fn decides_versions(&self) -> bool {
        self.keep_newest.is_some()
            || self.keep_pattern.is_some()
            || self.older_than.is_some()
            || self.not_downloaded_for.is_some()
            || self.untagged_older_than.is_some()
    }

    /// The rule compiled, or why it cannot be: a bad pattern, a duration
    /// that is not positive, or nothing to decide by.
    pub fn compile(&self) -> Result<Compiled, String> {
        let conditions = [
            self.older_than,
            self.not_downloaded_for,
            self.untagged_older_than,
        ];
        if conditions.iter().flatten().any(|s| *s <= 0) {
            return Err("durations must be positive".into());
        }
        if self.keep_newest == Some(0) {
            return Err("keep at least the newest version (keep_newest 1 or more)".into());
        }
        if self.keep_snapshot_builds == Some(0) {
            return Err(
                "keep at least the newest SNAPSHOT build (keep_snapshot_builds 1 or more)".into(),
            );
        }
        if self.keep_snapshot_builds.is_some()
            && self.format.is_some_and(|f| f != PackageType::Maven)
        {
            return Err("only Maven packages have SNAPSHOT builds".into());
        }
        if !self.decides_versions() && self.keep_snapshot_builds.is_none() {
            return Err(
                "a rule needs something to decide by: a number of versions to keep, a pattern \
                 of versions to keep, an age, or a number of SNAPSHOT builds to keep"
                    .into(),
            );
        }
        Ok(Compiled {
            spec: self.clone(),
            pattern: self
                .pattern
                .as_deref()
                .map(|p| whole(p, "package pattern"))
                .transpose()?,
            keep: self
                .keep_pattern
                .as_deref()
                .map(|p| whole(p, "keep pattern"))
                .transpose()?,
        })
    }
}

impl Compiled {
    /// Whether the rule applies to the package `name` of `package_type`.
    pub fn selects(&self, package_type: PackageType, name: &str) -> bool {
        self.spec.format.is_none_or(|f| f == package_type)
            && self.pattern.as_ref().is_none_or(|p| p.is_match(name))
    }

    /// The ids among `versions` (one package's live versions) the rule
    /// removes at `now`, newest first; never all of them.
    pub fn removes(&self, versions: &[VersionFacts], now: Timestamp) -> Vec<Id> {
        if !self.spec.decides_versions() {
            return Vec::new();
        }
        let newest = newest_first(versions);
        let keep_newest = self.spec.keep_newest.map_or(0, |n| n as usize);
        let older = |v: &VersionFacts, secs: i64| now - v.published_at > TimeDelta::seconds(secs);
        newest
            .iter()
            .enumerate()
            .filter(|(i, v)| {
                // The newest version always stays.
                *i >= keep_newest.max(1)
                    && v.protected.is_none()
                    && !self.keep.as_ref().is_some_and(|k| k.is_match(&v.name))
                    && self.spec.older_than.is_none_or(|s| older(v, s))
                    && self.spec.not_downloaded_for.is_none_or(|s| {
                        now - v.last_download.unwrap_or(v.published_at) > TimeDelta::seconds(s)
                    })
                    && self
                        .spec
                        .untagged_older_than
                        .is_none_or(|s| !v.tagged && older(v, s))
            })
            .map(|(_, v)| v.id)
            .collect()
    }
}

/// `versions`, newest first (by publication, then by id).
fn newest_first(versions: &[VersionFacts]) -> Vec<&VersionFacts> {
    let mut sorted: Vec<&VersionFacts> = versions.iter().collect();
    sorted.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    sorted
}

/// What the rules remove of one package: by rule, and all together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Each rule that selects the package, and what it alone removes.
    pub by_rule: Vec<(Id, Vec<Id>)>,
    /// What all of them together remove: any rule's, the newest left.
    pub all: Vec<Id>,
}

/// Applies `rules` (id and compiled rule) to one package's live versions.
pub fn plan(
    rules: &[(Id, Compiled)],
    (package_type, name): (PackageType, &str),
    versions: &[VersionFacts],
    now: Timestamp,
) -> Plan {
    let mut plan = Plan::default();
    let mut removed_by_any = std::collections::HashSet::new();
    for (id, rule) in rules.iter().filter(|(_, r)| r.selects(package_type, name)) {
        let removed = rule.removes(versions, now);
        removed_by_any.extend(removed.iter().copied());
        plan.by_rule.push((*id, removed));
    }
    plan.all = newest_first(versions)
        .iter()
        .map(|v| v.id)
        .filter(|id| removed_by_any.contains(id))
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn now() -> Timestamp {
        chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    /// Versions 1.0.0 (id 1, 40 days old) to 5.0.0 (id 5, 0 days old), ten
    /// days apart.
    fn versions() -> Vec<VersionFacts> {
        (1..=5)
            .map(|i| VersionFacts {
                id: i,
                name: format!("{i}.0.0"),
                published_at: now() - TimeDelta::days((5 - i) * 10),
                last_download: None,
                tagged: false,
                protected: None,
            })
            .collect()
    }

    fn removes(spec: &RuleSpec, versions: &[VersionFacts]) -> Vec<Id> {
        spec.compile().unwrap().removes(versions, now())
    }

    #[test]
    fn keep_newest_removes_the_rest() {
        let spec = RuleSpec {
            keep_newest: Some(2),
            ..RuleSpec::default()
        };
        assert_eq!(removes(&spec, &versions()), [3, 2, 1]);
    }

    #[test]
    fn conditions_all_hold_and_keeps_win() {
        let spec = RuleSpec {
            keep_newest: Some(1),
            keep_pattern: Some(r"2\..*".into()),
            older_than: Some(15 * DAY),
            ..RuleSpec::default()
        };
        assert_eq!(removes(&spec, &versions()), [3, 1], "2.0.0 kept by pattern");
    }

    #[test]
    fn downloads_and_tags_decide_their_conditions() {
        let mut vs = versions();
        vs[0].last_download = Some(now() - TimeDelta::days(1));
        vs[1].tagged = true;
        vs[2].protected = Some("downloaded more than 5000 times".into());
        let idle = RuleSpec {
            not_downloaded_for: Some(5 * DAY),
            ..RuleSpec::default()
        };
        assert_eq!(
            removes(&idle, &vs),
            [4, 2],
            "1.0.0 was downloaded yesterday"
        );
        let untagged = RuleSpec {
            untagged_older_than: Some(5 * DAY),
            ..RuleSpec::default()
        };
        assert_eq!(removes(&untagged, &vs), [4, 1]);
    }

    #[test]
    fn the_newest_version_always_stays() {
        let spec = RuleSpec {
            keep_pattern: Some("none".into()),
            ..RuleSpec::default()
        };
        assert_eq!(removes(&spec, &versions()), [4, 3, 2, 1]);
        let rules = [
            (
                10,
                RuleSpec {
                    keep_newest: Some(3),
                    ..RuleSpec::default()
                }
                .compile()
                .unwrap(),
            ),
            (
                11,
                RuleSpec {
                    older_than: Some(DAY),
                    pattern: Some("other".into()),
                    ..RuleSpec::default()
                }
                .compile()
                .unwrap(),
            ),
            (
                12,
                RuleSpec {
                    keep_pattern: Some("1.0.0".into()),
                    ..RuleSpec::default()
                }
                .compile()
                .unwrap(),
            ),
        ];
        let plan = plan(&rules, (PackageType::Npm, "demo"), &versions(), now());
        assert_eq!(plan.by_rule, [(10, vec![2, 1]), (12, vec![4, 3, 2])]);
        assert_eq!(plan.all, [4, 3, 2, 1], "together: all but the newest");
    }

    #[test]
    fn rules_select_by_format_and_whole_name() {
        let rule = RuleSpec {
            format: Some(PackageType::Npm),
            pattern: Some("snap-.*".into()),
            keep_newest: Some(1),
            ..RuleSpec::default()
        }
        .compile()
        .unwrap();
        assert!(rule.selects(PackageType::Npm, "snap-app"));
        assert!(!rule.selects(PackageType::Npm, "my-snap-app"), "whole name");
        assert!(!rule.selects(PackageType::Maven, "snap-app"));
    }

    #[test]
    fn a_rule_reads_as_it_was_set() {
        let spec = RuleSpec {
            format: Some(PackageType::Npm),
            pattern: Some("snap-.*".into()),
            keep_newest: Some(3),
            older_than: Some(30 * DAY),
            not_downloaded_for: Some(7_200),
            ..RuleSpec::default()
        };
        assert_eq!(
            spec.to_string(),
            "npm packages matching `snap-.*`: keep the 3 newest; remove versions older than 30d, \
             not downloaded for 2h"
        );
    }

    #[test]
    fn bad_rules_say_why() {
        let cases = [
            (RuleSpec::default(), "something to decide by"),
            (
                RuleSpec {
                    pattern: Some("(".into()),
                    keep_newest: Some(1),
                    ..RuleSpec::default()
                },
                "not a regular expression",
            ),
            (
                RuleSpec {
                    older_than: Some(0),
                    ..RuleSpec::default()
                },
                "positive",
            ),
            (
                RuleSpec {
                    keep_newest: Some(0),
                    ..RuleSpec::default()
                },
                "keep at least the newest",
            ),
            (
                RuleSpec {
                    keep_pattern: Some("a".repeat(300)),
                    ..RuleSpec::default()
                },
                "longer than",
            ),
        ];
        for (spec, said) in cases {
            let why = spec.compile().unwrap_err();
            assert!(why.contains(said), "{why}");
        }
    }

    #[test]
    fn a_snapshot_rule_removes_no_version_and_is_maven_only() {
        let spec = RuleSpec {
            keep_snapshot_builds: Some(3),
            ..RuleSpec::default()
        };
        assert!(removes(&spec, &versions()).is_empty());
        assert_eq!(
            spec.to_string(),
            "all packages; keep the 3 newest builds of each SNAPSHOT"
        );
        let npm = RuleSpec {
            format: Some(PackageType::Npm),
            ..spec.clone()
        };
        assert!(npm.compile().unwrap_err().contains("only Maven"));
        let none = RuleSpec {
            keep_snapshot_builds: Some(0),
            ..RuleSpec::default()
        };
        assert!(none.compile().is_err());
    }
}

use super::*;
use crate::advisory::{AdvisoryPackage, Vulnerability};
use crate::model::AdvisoryState;

fn advisory(ecosystem: Ecosystem, name: &str, range: &str, patched: &str) -> Advisory {
    let now = chrono::Utc::now();
    Advisory {
        id: 1,
        ghsa_id: "GHSA-aaaa-bbbb-cccc".into(),
        package_id: 1,
        ecosystem,
        package_name: name.into(),
        summary: "s".into(),
        description: "d".into(),
        severity: None,
        cvss_vector: None,
        cve_id: None,
        cwe_ids: Vec::new(),
        vulnerabilities: vec![Vulnerability {
            package: AdvisoryPackage {
                ecosystem,
                name: name.into(),
            },
            vulnerable_version_range: Some(range.into()),
            patched_versions: Some(patched.into()),
            vulnerable_functions: Vec::new(),
        }],
        credits: Vec::new(),
        state: AdvisoryState::Published,
        author_id: None,
        publisher_id: None,
        created_at: now,
        updated_at: now,
        published_at: Some(now),
        withdrawn_at: None,
    }
}

fn known(versions: &[&str]) -> Vec<String> {
    versions.iter().map(|v| (*v).to_owned()).collect()
}

/// For each ecosystem: a range that a fresh install fixes, one that must
/// change, and one already past the fix, against `< 1.0.2` fixed in 1.0.2.
#[test]
fn each_ecosystem_says_whether_a_fresh_install_fixes_it_or_the_range_must_change() {
    let published = known(&["1.0.0", "1.0.1", "1.0.2", "2.0.0"]);
    for (ecosystem, fixable, pinned, fixed) in [
        (Ecosystem::Npm, "^1.0.0", "=1.0.0", "^1.0.2"),
        (Ecosystem::Npm, "~1.0.0 || ^2", "1.0.0", ">=1.0.2 <2"),
        (Ecosystem::Rust, "1.0", "=1.0.0", "1.0.2"),
        (Ecosystem::Maven, "[1.0,2.0)", "1.0.0", "[1.0.2,2.0)"),
        (Ecosystem::Maven, "(,1.0.0],[1.0.2,)", "[1.0.0]", "[1.0.2,)"),
        (Ecosystem::Rubygems, "~> 1.0", "= 1.0.0", "~> 1.0, >= 1.0.2"),
        (Ecosystem::Nuget, "[1.0.0, )", "[1.0.0]", "1.0.2"),
        (Ecosystem::Nuget, "1.*", "[1.0.0,1.0.1]", "[1.0.2,2.0.0)"),
        (Ecosystem::Pip, ">=1,<2", "==1.0.0", ">=1.0.2"),
        (Ecosystem::Pip, "~=1.0", "(==1.0.1)", "~=1.0.2"),
    ] {
        let a = advisory(ecosystem, "lib", "< 1.0.2", "1.0.2");
        let open = exposure(ecosystem, fixable, &a, &published)
            .unwrap_or_else(|| panic!("{ecosystem} {fixable} admits 1.0.0"));
        assert!(open.admits_patched, "{ecosystem} {fixable}: {open:?}");
        assert!(
            open.affected.contains(&"1.0.0".to_owned()),
            "{ecosystem} {fixable}"
        );
        let stuck = exposure(ecosystem, pinned, &a, &published)
            .unwrap_or_else(|| panic!("{ecosystem} {pinned} admits an affected version"));
        assert!(!stuck.admits_patched, "{ecosystem} {pinned}: {stuck:?}");
        assert_eq!(
            exposure(ecosystem, fixed, &a, &published),
            None,
            "{ecosystem} {fixed}"
        );
    }
}

#[test]
fn a_package_not_published_here_is_judged_on_the_versions_the_range_and_advisory_name() {
    let a = advisory(Ecosystem::Npm, "left-pad", "< 1.0.2", "1.0.2");
    let open = exposure(Ecosystem::Npm, "^1.0.0", &a, &[]).unwrap();
    assert!(open.admits_patched);
    let stuck = exposure(Ecosystem::Npm, "1.0.0", &a, &[]).unwrap();
    assert!(!stuck.admits_patched);
    assert_eq!(exposure(Ecosystem::Npm, "^1.0.2", &a, &[]), None);
    let ranged = advisory(Ecosystem::Pip, "requests", ">= 2.0, < 2.31.0", ">= 2.31.0");
    let open = exposure(Ecosystem::Pip, ">=2.20", &ranged, &[]).unwrap();
    assert!(open.admits_patched, "{open:?}");
}

#[test]
fn ranges_that_name_no_versions_are_unreadable_not_safe_nor_vulnerable() {
    let a = advisory(Ecosystem::Npm, "lib", "< 1.0.2", "1.0.2");
    for (ecosystem, range) in [
        (Ecosystem::Npm, "latest"),
        (Ecosystem::Npm, "git+https://example.com/lib.git"),
        (Ecosystem::Npm, "file:../lib"),
        (Ecosystem::Maven, "${lib.version}"),
        (Ecosystem::Maven, "[1.0,2.0"),
        (Ecosystem::Nuget, "[1.0,2.0,3.0)"),
        (Ecosystem::Rubygems, "~> one"),
        (Ecosystem::Pip, ">=>1"),
        (Ecosystem::Rust, "^^1"),
    ] {
        assert!(
            DependencyRange::parse(ecosystem, range).is_none(),
            "{ecosystem} {range}"
        );
        assert_eq!(exposure(ecosystem, range, &a, &known(&["1.0.0"])), None);
    }
    assert_eq!(
        admits(Ecosystem::Npm, "", "1.0.0"),
        Some(true),
        "empty is any"
    );
    assert_eq!(admits(Ecosystem::Npm, "^1", "not a version"), None);
}

#[test]
fn the_syntaxes_read_as_their_clients_read_them() {
    let cases = [
        (Ecosystem::Npm, "1.2.x", "1.2.9", true),
        (Ecosystem::Npm, "1.0.0 - 1.2.0", "1.2.0", true),
        (Ecosystem::Npm, "^0.2.3", "0.3.0", false),
        (Ecosystem::Rust, "0.2", "0.2.9", true),
        (Ecosystem::Rust, "0.2", "0.3.0", false),
        (Ecosystem::Rust, "~1.2", "1.3.0", false),
        (Ecosystem::Rubygems, "~> 1.2.3", "1.2.9", true),
        (Ecosystem::Rubygems, "~> 1.2.3", "1.3.0", false),
        (Ecosystem::Rubygems, "~> 1", "1.9", true),
        (Ecosystem::Rubygems, ">= 1.0, != 1.5", "1.5", false),
        (Ecosystem::Maven, "[1.0]", "1.0", true),
        (Ecosystem::Maven, "(1.0,2.0]", "1.0", false),
        (Ecosystem::Maven, "(1.0,2.0]", "2.0", true),
        (Ecosystem::Maven, "[1.0,)", "1.0-SNAPSHOT", false),
        (Ecosystem::Nuget, "1.0", "3.0", true),
        (Ecosystem::Nuget, "(,1.0]", "1.0.0", true),
        (Ecosystem::Nuget, "1.2.*", "1.3.0", false),
        (Ecosystem::Pip, "~=2.2", "2.9", true),
        (Ecosystem::Pip, "~=2.2", "3.0", false),
        (Ecosystem::Pip, "==1.*", "1.4", true),
        (Ecosystem::Pip, "!=1.5,>=1", "1.5", false),
    ];
    for (ecosystem, range, version, expected) in cases {
        assert_eq!(
            admits(ecosystem, range, version),
            Some(expected),
            "{ecosystem} {range} {version}"
        );
    }
}

#[test]
fn fields_are_cut_to_what_is_kept() {
    let long = "x".repeat(MAX_FIELD_BYTES + 10);
    assert!(Dependency::new(Ecosystem::Npm, &long, "^1", DependencyKind::Runtime, None).is_none());
    assert!(Dependency::new(Ecosystem::Npm, " ", "^1", DependencyKind::Runtime, None).is_none());
    let d = Dependency::new(Ecosystem::Npm, "lib", &long, DependencyKind::Peer, Some("")).unwrap();
    assert_eq!(d.range.len(), MAX_FIELD_BYTES);
    assert_eq!(d.condition, None);
}

//! Each kind of cleanup rule on each format: four versions of a package in
//! every format, the two oldest made 60 days old in the database; a rule
//! is previewed with `admin cleanup preview`, run with `admin cleanup
//! run`, and each format's own index (what its client reads) then lists
//! exactly the versions the rule keeps, the removed files are gone, and
//! restoring them over the REST API brings them back.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::common::formats::{self, ALL, Format, MAVEN_REPO};
use crate::common::{Server, token};

const VERSIONS: [&str; 4] = ["1.0.0", "2.0.0", "3.0.0", "4.0.0"];

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The package's type in the REST API.
fn rest_type(format: Format) -> &'static str {
    match format {
        Format::Npm => "npm",
        Format::Maven => "maven",
        Format::Rubygems => "rubygems",
        Format::Nuget => "nuget",
        Format::Pypi => "pypi",
        Format::Cargo => "cargo",
        Format::Oci => "container",
        Format::Generic => "generic",
    }
}

/// Restores every deleted version of alice's package of `format`.
fn restore_all(client: &Client, server: &Server, token: &str, format: Format) {
    let packages: Value = client
        .get(server.url(&format!(
            "/api/v3/user/packages?package_type={}",
            rest_type(format)
        )))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let name = packages[0]["name"].as_str().unwrap().to_owned();
    let base = format!(
        "/api/v3/user/packages/{}/{name}/versions",
        rest_type(format)
    );
    let deleted: Value = client
        .get(server.url(&format!("{base}?state=deleted")))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let ids: Vec<i64> = deleted
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    if ids.is_empty() {
        return;
    }
    let restored = client
        .post(server.url(&format!("{base}/bulk")))
        .bearer_auth(token)
        .json(&json!({"action": "restore", "version_ids": ids}))
        .send()
        .unwrap();
    assert_eq!(restored.status(), 200, "{format:?}");
}

/// Makes versions 1.0.0 and 2.0.0 of every package (container images by
/// tag) 60 days old, as the database would hold them had they been
/// published then.
fn age_the_oldest(data: &Path) {
    let sql = "UPDATE versions
        SET created_at = date(substr(created_at, 1, 10), '-60 days') || substr(created_at, 11)
        WHERE name IN ('1.0.0', '2.0.0')
           OR id IN (SELECT version_id FROM tags WHERE name IN ('1.0.0', '2.0.0'))";
    let out = Command::new("sqlite3")
        .arg(data.join("entrepot.db"))
        .arg(sql)
        .output()
        .expect("sqlite3 runs (scripts/test installs it)");
    assert!(out.status.success(), "{out:?}");
}

/// One rule, and the versions each format's index lists after its run.
struct Case {
    rule: &'static [&'static str],
    kept: fn(Format) -> &'static [&'static str],
}

const CASES: [Case; 5] = [
    Case {
        rule: &["--keep-newest", "2"],
        kept: |_| &["3.0.0", "4.0.0"],
    },
    // Container versions are manifests named by digest: the pattern keeps
    // none of them, so only the newest stays.
    Case {
        rule: &["--keep-pattern", r"1\.0\.0"],
        kept: |f| {
            if f == Format::Oci {
                &["4.0.0"]
            } else {
                &["1.0.0", "4.0.0"]
            }
        },
    },
    Case {
        rule: &["--older-than", "30d"],
        kept: |_| &["3.0.0", "4.0.0"],
    },
    // 1.0.0 of each was downloaded today.
    Case {
        rule: &["--not-downloaded-for", "30d"],
        kept: |_| &["1.0.0", "3.0.0", "4.0.0"],
    },
    // Each container version has its tag; npm's `latest` names 4.0.0 only.
    Case {
        rule: &["--untagged-older-than", "30d"],
        kept: |f| {
            if f == Format::Oci {
                &VERSIONS
            } else {
                &["3.0.0", "4.0.0"]
            }
        },
    },
];

/// How many versions the preview says all rules together remove.
fn previewed(server: &Server) -> (usize, String) {
    let preview = stdout(&server.admin(&["cleanup", "preview", "alice"]));
    let count = preview
        .lines()
        .find_map(|l| l.strip_prefix("all rules together remove "))
        .and_then(|l| l.trim_end_matches(':').parse().ok())
        .unwrap_or_else(|| panic!("{preview}"));
    (count, preview)
}

#[test]
fn every_kind_of_rule_keeps_what_it_says_in_every_format_and_the_rest_is_restorable() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", MAVEN_REPO]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let client = Client::new();
    let mut published = Vec::new();
    for (salt, format) in ALL.into_iter().enumerate() {
        for version in VERSIONS {
            let p = formats::publish(format, version, salt as u64 * 10 + version.len() as u64);
            formats::publish_all(&client, &server.base, &t, &p);
            published.push(p);
        }
    }
    age_the_oldest(&dir.path().join("entrepot-data"));
    // A download of each 1.0.0, as its client makes it.
    for p in published.iter().filter(|p| p.version == "1.0.0") {
        let file = p.steps.iter().rev().find_map(|s| s.stores.first()).unwrap();
        assert!(
            formats::download(&client, &server.base, &t, p.format, file).is_some(),
            "{:?}",
            p.format
        );
    }
    for case in &CASES {
        let mut add = vec!["cleanup", "rule", "add", "alice"];
        add.extend_from_slice(case.rule);
        let added = stdout(&server.admin(&add));
        let id = added.split('\t').next().unwrap().to_owned();
        let removed: usize = ALL
            .iter()
            .map(|f| VERSIONS.len() - (case.kept)(*f).len())
            .sum();
        // Downloads reach the database within a second or so.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let preview = loop {
            let (count, preview) = previewed(&server);
            if count == removed {
                break preview;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}: expected {removed} removals: {preview}",
                case.rule
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        let run = stdout(&server.admin(&["cleanup", "run", "alice"]));
        let named: BTreeSet<&str> = preview
            .split_once("all rules together remove")
            .unwrap()
            .1
            .lines()
            .skip(1)
            .map(str::trim)
            .collect();
        let done: BTreeSet<&str> = run
            .lines()
            .map(|l| l.strip_prefix("removed alice ").unwrap())
            .collect();
        assert_eq!(
            done, named,
            "{:?}: the run removes what the preview named",
            case.rule
        );
        assert_eq!(done.len(), removed);
        for format in ALL {
            check(&client, &server, &t, format, case, &published);
        }
        server.admin(&["cleanup", "rule", "remove", "alice", &id]);
    }
    server.assert_fsck_clean();
}

/// After `case`'s run: `format`'s index lists what the rule keeps, the
/// removed versions' files are gone, and restoring them brings all back.
fn check(
    client: &Client,
    server: &Server,
    t: &str,
    format: Format,
    case: &Case,
    published: &[formats::Publish],
) {
    let kept: BTreeSet<String> = (case.kept)(format)
        .iter()
        .map(|v| (*v).to_owned())
        .collect();
    assert_eq!(
        formats::listed(client, &server.base, t, format),
        kept,
        "{:?} after {:?}",
        format,
        case.rule
    );
    for p in published.iter().filter(|p| p.format == format) {
        let file = p.steps.iter().rev().find_map(|s| s.stores.first()).unwrap();
        let got = formats::download(client, &server.base, t, format, file);
        assert_eq!(
            got.is_some(),
            kept.contains(&p.version),
            "{format:?} {} after {:?}",
            p.version,
            case.rule
        );
    }
    restore_all(client, server, t, format);
    let all: BTreeSet<String> = VERSIONS.iter().map(|v| (*v).to_owned()).collect();
    assert_eq!(
        formats::listed(client, &server.base, t, format),
        all,
        "{format:?} restored after {:?}",
        case.rule
    );
}

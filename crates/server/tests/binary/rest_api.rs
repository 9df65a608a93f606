//! GitHub's own REST clients, Octokit and PyGithub, against a served
//! registry: listing, paginating, getting, deleting and restoring with only
//! their base URL changed. (Every operation request by request: `tests/app/rest_api.rs`.)

use std::process::Command;

use crate::common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn publish(server: &Server, t: &str, name: &str, version: &str) {
    let path = name.replace('/', "%2f");
    let status = Client::new()
        .put(server.url(&format!("/npm/{path}")))
        .bearer_auth(t)
        .json(&publish_doc(name, version, ""))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

fn setup(extra_args: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let mut args = vec!["--listen", listen.as_str()];
    args.extend_from_slice(extra_args);
    let server = Server::start_in(dir.path(), &args, &format!("http://{listen}"));
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    (dir, server)
}

/// A server where alice has `@alice/hello` 1.0.0 and 1.1.0 and `extra`
/// more packages, with her token.
fn alice_with_packages(extra: usize) -> (tempfile::TempDir, Server, String) {
    let (dir, server) = setup(&[]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/hello", "1.0.0");
    publish(&server, &t, "@alice/hello", "1.1.0");
    for i in 0..extra {
        publish(&server, &t, &format!("@alice/extra-{i:03}"), "1.0.0");
    }
    (dir, server, t)
}

#[test]
fn octokit_lists_paginates_gets_deletes_and_restores_with_only_base_url_changed() {
    let (_dir, server, t) = alice_with_packages(120);
    let support = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/octokit");
    assert!(
        std::path::Path::new(support)
            .join("node_modules/@octokit/rest")
            .exists(),
        "run scripts/test (it installs @octokit/rest from the lockfile)"
    );
    let out = Command::new("node")
        .args([
            &format!("{support}/octokit.mjs"),
            &server.url("/api/v3"),
            &t,
            "alice",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        json!({
            "login": "alice", "mine": 121, "theirs": 121, "versionCount": 2,
            "versions": ["1.1.0", "1.0.0"], "deleted": ["1.0.0"],
            "afterDelete": 404, "restoredVersionCount": 2,
        })
    );
}

#[test]
fn pygithub_signs_in_reads_scopes_and_pages_deletes_and_restores() {
    let (_dir, server, t) = alice_with_packages(50);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/pygithub.py");
    let out = Command::new("python3")
        .args([script, &server.url("/api/v3"), &t])
        .output()
        .expect("python3 runs (scripts/test installs PyGithub)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        json!({
            "login": "alice",
            "scopes": ["delete:packages", "read:packages", "write:packages"],
            "rate_limit": 5000, "org": "acme", "user": "bob",
            "packages": 51, "versions": ["1.1.0", "1.0.0"],
            "after_delete": ["1.1.0"], "restored": 2,
            "missing": 404, "bad_token": 401,
        })
    );
}

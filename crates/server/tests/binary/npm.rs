//! The real npm CLI against a real `entrepot serve` on a loopback port.

use std::path::Path;
use std::process::Command;

use crate::common::npm::{NpmUser, package, project};
use crate::common::process::text;
use crate::common::{Server, token};
use base64::Engine;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    server.admin(&["repo", "create", "alice/hello"]);
    (dir, server)
}

#[test]
fn alice_publishes_tags_installs_and_reinstalls_from_the_lockfile() {
    let (_dir, server) = setup();
    let t = token(&server, "alice", "read:packages,write:packages");
    let alice = NpmUser::new(&server, &["alice"], Some(&t));
    let work = alice.dir.path();

    alice.npm_ok(&package(work, "@alice/hello", "1.0.0"), &["publish"]);
    alice.npm_ok(&package(work, "@alice/hello", "1.1.0"), &["publish"]);

    // Re-publishing fails: npm refuses after reading the packument, and with
    // --force it reaches our 409 and prints our message.
    let again = alice.npm(&package(work, "@alice/hello", "1.0.0"), &["publish"]);
    assert!(!again.status.success());
    let forced = alice.npm(
        &package(work, "@alice/hello", "1.0.0"),
        &["publish", "--force"],
    );
    assert!(!forced.status.success());
    assert!(
        text(&forced).contains("Cannot publish over existing version 1.0.0"),
        "{}",
        text(&forced)
    );

    let view: Value =
        serde_json::from_str(&alice.npm_ok(work, &["view", "@alice/hello", "--json"])).unwrap();
    assert_eq!(view["dist-tags"]["latest"], "1.1.0");
    assert_eq!(view["versions"], json!(["1.0.0", "1.1.0"]));
    assert_eq!(view["description"], "says hello");

    alice.npm_ok(work, &["dist-tag", "add", "@alice/hello@1.0.0", "stable"]);
    let tags = alice.npm_ok(work, &["dist-tag", "ls", "@alice/hello"]);
    assert!(
        tags.contains("stable: 1.0.0") && tags.contains("latest: 1.1.0"),
        "{tags}"
    );

    // A consumer with an empty cache (npm publish caches what it packed).
    let consumer = NpmUser::new(&server, &["alice"], Some(&t));
    let app = project(consumer.dir.path(), "app");
    consumer.npm_ok(&app, &["install", "@alice/hello@stable"]);
    let installed: Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("node_modules/@alice/hello/package.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(installed["version"], "1.0.0");
    let node = Command::new("node")
        .args(["-e", "console.log(require('@alice/hello'))"])
        .current_dir(&app)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&node.stdout).trim(), "1.0.0");

    // `npm ci` from the lockfile, with an empty cache.
    std::fs::remove_dir_all(app.join("node_modules")).unwrap();
    let fresh = NpmUser::new(&server, &["alice"], Some(&t));
    fresh.npm_ok(&app, &["ci"]);
    assert!(app.join("node_modules/@alice/hello/index.js").exists());

    // The README came from the tarball, and each tarball download counted.
    let readme = alice.npm_ok(work, &["view", "@alice/hello", "readme"]);
    assert!(readme.contains("Version 1.1.0 says hello"), "{readme}");
    let metrics = Client::new()
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let downloads = metrics
        .lines()
        .find(|l| l.starts_with("entrepot_downloads_total"))
        .unwrap_or_default();
    assert_eq!(downloads, "entrepot_downloads_total 2", "{metrics}");
    assert!(metrics.contains("entrepot_publishes_total 2"), "{metrics}");
}

#[test]
fn a_private_package_is_hidden_from_strangers_and_anonymous_callers() {
    let (_dir, server) = setup();
    let ta = token(&server, "alice", "read:packages,write:packages");
    let tb = token(&server, "bob", "read:packages,write:packages");
    let alice = NpmUser::new(&server, &["alice"], Some(&ta));
    alice.npm_ok(
        &package(alice.dir.path(), "@alice/hello", "1.0.0"),
        &["publish"],
    );

    let client = Client::new();
    let anonymous = client
        .get(server.url("/npm/@alice%2fhello"))
        .send()
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let as_bob = client
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(&tb)
        .send()
        .unwrap();
    assert_eq!(as_bob.status(), 404);
    let body: Value = as_bob.json().unwrap();
    assert!(body["error"].is_string());

    let bob = NpmUser::new(&server, &["alice"], Some(&tb));
    let install = bob.npm(
        &project(bob.dir.path(), "app"),
        &["install", "@alice/hello"],
    );
    assert!(!install.status.success());
    let publish = bob.npm(
        &package(bob.dir.path(), "@alice/anything", "1.0.0"),
        &["publish"],
    );
    assert!(!publish.status.success());
    assert!(text(&publish).contains("403"), "{}", text(&publish));
}

#[test]
fn organization_members_publish_into_the_organization_and_others_cannot() {
    let (_dir, server) = setup();
    server.admin(&["user", "create", "owner"]);
    server.admin(&["org", "create", "acme", "--owner", "owner"]);
    server.admin(&["org", "add-member", "acme", "alice"]);
    let alice = NpmUser::new(
        &server,
        &["acme"],
        Some(&token(&server, "alice", "write:packages")),
    );
    alice.npm_ok(
        &package(alice.dir.path(), "@acme/tool", "1.0.0"),
        &["publish"],
    );
    let bob = NpmUser::new(
        &server,
        &["acme"],
        Some(&token(&server, "bob", "write:packages")),
    );
    let refused = bob.npm(
        &package(bob.dir.path(), "@acme/other", "1.0.0"),
        &["publish"],
    );
    assert!(!refused.status.success());
    let into_existing = bob.npm(
        &package(bob.dir.path(), "@acme/tool", "2.0.0"),
        &["publish"],
    );
    assert!(!into_existing.status.success());
}

#[test]
fn a_public_package_installs_with_no_token_at_all() {
    let (_dir, server) = setup();
    let alice = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(&server, "alice", "write:packages")),
    );
    alice.npm_ok(
        &package(alice.dir.path(), "@alice/hello", "1.0.0"),
        &["publish"],
    );
    let registry = server.url("/npm/");
    alice.npm_ok(
        alice.dir.path(),
        &[
            "access",
            "set",
            "status=public",
            "@alice/hello",
            "--registry",
            &registry,
        ],
    );
    let status = alice.npm_ok(
        alice.dir.path(),
        &[
            "access",
            "get",
            "status",
            "@alice/hello",
            "--registry",
            &registry,
        ],
    );
    assert!(status.contains("public"), "{status}");

    let stranger = NpmUser::new(&server, &["alice"], None);
    let app = project(stranger.dir.path(), "app");
    stranger.npm_ok(&app, &["install", "@alice/hello"]);
    assert!(app.join("node_modules/@alice/hello/index.js").exists());

    // Public is for good.
    let back = alice.npm(
        alice.dir.path(),
        &[
            "access",
            "set",
            "status=private",
            "@alice/hello",
            "--registry",
            &registry,
        ],
    );
    assert!(!back.status.success());
}

#[test]
fn unpublish_needs_the_delete_scope() {
    let (_dir, server) = setup();
    let writer = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(&server, "alice", "read:packages,write:packages")),
    );
    let work = writer.dir.path();
    writer.npm_ok(&package(work, "@alice/hello", "1.0.0"), &["publish"]);
    writer.npm_ok(&package(work, "@alice/hello", "1.1.0"), &["publish"]);
    let refused = writer.npm(work, &["unpublish", "@alice/hello@1.1.0", "--force"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("delete:packages"),
        "{}",
        text(&refused)
    );

    let deleter = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(
            &server,
            "alice",
            "read:packages,write:packages,delete:packages",
        )),
    );
    // Each user runs in its own folder: npm reads a project's .npmrc first.
    let elsewhere = deleter.dir.path();
    deleter.npm_ok(elsewhere, &["unpublish", "@alice/hello@1.1.0", "--force"]);
    let view: Value =
        serde_json::from_str(&deleter.npm_ok(elsewhere, &["view", "@alice/hello", "--json"]))
            .unwrap();
    assert_eq!(view["versions"], json!(["1.0.0"]));
    assert_eq!(view["dist-tags"]["latest"], "1.0.0");
    // The number stays taken.
    let republish = deleter.npm(
        &package(elsewhere, "@alice/hello", "1.1.0"),
        &["publish", "--force"],
    );
    assert!(!republish.status.success());
}

#[test]
fn deprecate_changes_only_the_deprecation() {
    let (_dir, server) = setup();
    let alice = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(&server, "alice", "read:packages,write:packages")),
    );
    let work = alice.dir.path();
    alice.npm_ok(&package(work, "@alice/hello", "1.0.0"), &["publish"]);
    let before: Value = serde_json::from_str(
        &alice.npm_ok(work, &["view", "@alice/hello@1.0.0", "dist", "--json"]),
    )
    .unwrap();
    alice.npm_ok(work, &["deprecate", "@alice/hello@1.0.0", "use 2.x"]);
    assert_eq!(
        alice
            .npm_ok(work, &["view", "@alice/hello@1.0.0", "deprecated"])
            .trim(),
        "use 2.x"
    );
    let after: Value = serde_json::from_str(
        &alice.npm_ok(work, &["view", "@alice/hello@1.0.0", "dist", "--json"]),
    )
    .unwrap();
    assert_eq!(before, after);
    alice.npm_ok(work, &["deprecate", "@alice/hello@1.0.0", ""]);
    assert_eq!(
        alice
            .npm_ok(work, &["view", "@alice/hello@1.0.0", "deprecated"])
            .trim(),
        ""
    );
}

fn blob_count(server: &Server) -> usize {
    walk(&server.dir.join("entrepot-data/blobs/sha256"))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .map_while(Result::ok)
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[test]
fn a_tarball_whose_integrity_does_not_match_is_refused_and_nothing_is_stored() {
    let (_dir, server) = setup();
    let t = token(&server, "alice", "write:packages");
    let alice = NpmUser::new(&server, &["alice"], Some(&t));
    let pkg = package(alice.dir.path(), "@alice/hello", "1.0.0");
    let packed = alice.npm_ok(&pkg, &["pack", "--json"]);
    let filename = serde_json::from_str::<Value>(&packed).unwrap()[0]["filename"]
        .as_str()
        .unwrap()
        .to_owned();
    let tgz = std::fs::read(pkg.join(filename)).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let wrong = format!("sha512-{}", b64.encode([0u8; 64]));
    let doc = json!({
        "_id": "@alice/hello", "name": "@alice/hello", "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "@alice/hello", "version": "1.0.0",
            "dist": {"integrity": wrong, "shasum": "0000000000000000000000000000000000000000",
                     "tarball": "http://x/npm/@alice/hello/-/@alice/hello-1.0.0.tgz"}}},
        "_attachments": {"@alice/hello-1.0.0.tgz": {"content_type": "application/octet-stream",
            "data": b64.encode(&tgz), "length": tgz.len()}},
    });
    let before = blob_count(&server);
    let response = Client::new()
        .put(server.url("/npm/@alice%2fhello"))
        .bearer_auth(&t)
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("integrity"),
        "{body}"
    );
    assert_eq!(blob_count(&server), before, "no blob was kept");
    let packument = Client::new()
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(packument.status(), 404, "no package or version was created");
}

#[test]
fn a_tarball_over_the_limit_gets_413_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--max-upload-size", "4KiB"],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    let alice = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(&server, "alice", "write:packages")),
    );
    let pkg = package(alice.dir.path(), "@alice/big", "1.0.0");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: String = (0..40_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    std::fs::write(pkg.join("noise.txt"), noise).unwrap();
    let out = alice.npm(&pkg, &["publish"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("413"), "{}", text(&out));
    assert_eq!(blob_count(&server), 0);
}

#[test]
fn login_whoami_and_logout_work_with_the_real_cli() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    crate::common::admin_in(
        dir.path(),
        &["user", "create", "carol", "--password-stdin"],
        Some("carols secret\n"),
    );
    let carol = NpmUser::new(&server, &[], None);
    let registry = server.url("/npm/");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/npm_login.py");
    let login = Command::new("python3")
        .args([script, &registry, "carol", "carols secret"])
        .env("NPM_CONFIG_USERCONFIG", carol.npmrc())
        .output()
        .unwrap();
    assert!(login.status.success(), "{}", text(&login));
    let rc = std::fs::read_to_string(carol.npmrc()).unwrap();
    let saved = rc
        .lines()
        .find_map(|l| l.split_once(":_authToken=").map(|(_, t)| t.to_owned()))
        .expect("npm saved a token");
    assert!(saved.starts_with("entp_"));
    assert_eq!(
        carol
            .npm_ok(carol.dir.path(), &["whoami", "--registry", &registry])
            .trim(),
        "carol"
    );

    carol.npm_ok(carol.dir.path(), &["logout", "--registry", &registry]);
    let after = Client::new()
        .get(server.url("/npm/-/whoami"))
        .bearer_auth(&saved)
        .send()
        .unwrap();
    assert_eq!(after.status(), 401, "logout revoked the token");

    let wrong = Client::new()
        .put(server.url("/npm/-/user/org.couchdb.user:carol"))
        .json(&json!({"name": "carol", "password": "not it"}))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[test]
fn search_finds_only_what_the_caller_may_see() {
    let (_dir, server) = setup();
    let alice = NpmUser::new(
        &server,
        &["alice"],
        Some(&token(&server, "alice", "write:packages")),
    );
    alice.npm_ok(
        &package(alice.dir.path(), "@alice/hello", "1.0.0"),
        &["publish"],
    );
    // A higher version under another tag: search shows `latest`'s.
    alice.npm_ok(
        &package(alice.dir.path(), "@alice/hello", "1.1.0"),
        &["publish", "--tag", "next"],
    );
    let registry = server.url("/npm/");
    let found = alice.npm_ok(
        alice.dir.path(),
        &["search", "hello", "--registry", &registry, "--json"],
    );
    let found: Value = serde_json::from_str(&found).unwrap();
    assert_eq!(found[0]["name"], "@alice/hello");
    assert_eq!(found[0]["version"], "1.0.0", "{found}");
    let bob = NpmUser::new(&server, &[], Some(&token(&server, "bob", "read:packages")));
    let hidden: Value = serde_json::from_str(&bob.npm_ok(
        bob.dir.path(),
        &["search", "hello", "--registry", &registry, "--json"],
    ))
    .unwrap();
    assert_eq!(hidden, json!([]));
}

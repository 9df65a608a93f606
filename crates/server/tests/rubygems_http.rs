//! The RubyGems endpoints by hand, for what the real clients do not show
//! directly: the compact index's `ETag`, `Range` and MD5s, the 401
//! challenge, refused gems leaving nothing behind, the dependency and JSON
//! APIs, yanks seen by every index, and the REST API and package page.

mod common;

use std::io::Write;
use std::process::Command;

use common::artifacts::{gem_of, gemspec, gz, tar_of};
use common::{Server, alice_packages, files_named, server_with_alice, token};
use reqwest::blocking::{Client, Response};
use sha2::{Digest, Sha256};

fn push(server: &Server, token: Option<&str>, gem: Vec<u8>) -> (u16, String) {
    let mut request = Client::new()
        .post(server.url("/rubygems/alice/api/v1/gems"))
        .header("content-type", "application/octet-stream")
        .body(gem);
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    let r = request.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn get(server: &Server, path: &str, auth: Option<&str>, headers: &[(&str, &str)]) -> Response {
    let mut request = Client::new().get(server.url(path));
    if let Some(t) = auth {
        request = request.basic_auth("alice", Some(t));
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().unwrap()
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}
#[test]
fn the_compact_index_serves_etags_ranges_and_md5s_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    for v in ["1.0.0", "1.1.0"] {
        let (status, text) = push(&server, Some(&t), gem_of(&gemspec("tiny", v, None), false));
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("Successfully registered gem: tiny ({v})"));
    }
    let r = get(&server, "/rubygems/alice/versions", Some(&t), &[]);
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let old = r.bytes().unwrap().to_vec();
    assert_eq!(etag, format!("\"{}\"", md5_hex(&old)));
    let text = String::from_utf8(old.clone()).unwrap();
    let info = get(&server, "/rubygems/alice/info/tiny", Some(&t), &[])
        .bytes()
        .unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("tiny 1.1.0 "), "{text}");
    assert!(last.ends_with(&md5_hex(&info)), "{text}");
    let info_text = String::from_utf8(info.to_vec()).unwrap();
    assert!(
        info_text.starts_with("---\n1.0.0 |checksum:"),
        "{info_text}"
    );

    let r = get(
        &server,
        "/rubygems/alice/versions",
        Some(&t),
        &[("if-none-match", &etag)],
    );
    assert_eq!(r.status(), 304);

    // Bundler's incremental update: the tail from one byte before its end.
    let (status, text) = push(
        &server,
        Some(&t),
        gem_of(&gemspec("tiny", "1.2.0", None), false),
    );
    assert_eq!(status, 200, "{text}");
    let range = format!("bytes={}-", old.len() - 1);
    let r = get(
        &server,
        "/rubygems/alice/versions",
        Some(&t),
        &[("range", &range), ("if-none-match", &etag)],
    );
    assert_eq!(r.status(), 206);
    let new_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let tail = r.bytes().unwrap().to_vec();
    assert_eq!(tail[0], b'\n');
    let mut whole = old.clone();
    whole.extend_from_slice(&tail[1..]);
    assert_eq!(new_etag, format!("\"{}\"", md5_hex(&whole)));
    assert!(String::from_utf8(tail).unwrap().contains("tiny 1.2.0 "));

    let past = format!("bytes={}-", whole.len() + 10);
    let r = get(
        &server,
        "/rubygems/alice/versions",
        Some(&t),
        &[("range", &past)],
    );
    assert_eq!(r.status(), 416);

    let names = get(&server, "/rubygems/alice/names", Some(&t), &[])
        .text()
        .unwrap();
    assert_eq!(names, "---\ntiny\n");
}

#[test]
fn private_gems_challenge_anonymous_callers_and_hide_from_others() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    let (status, _) = push(
        &server,
        Some(&t),
        gem_of(&gemspec("tiny", "1.0.0", None), false),
    );
    assert_eq!(status, 200);
    for path in [
        "/rubygems/alice/versions",
        "/rubygems/alice/specs.4.8.gz",
        "/rubygems/alice/info/tiny",
        "/rubygems/alice/gems/tiny-1.0.0.gem",
        "/rubygems/alice/quick/Marshal.4.8/tiny-1.0.0.gemspec.rz",
    ] {
        let r = get(&server, path, None, &[]);
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Entrepot RubyGems\"",
            "{path}"
        );
    }
    let bob = token(&server, "bob", "read:packages,write:packages");
    let as_bob = |path: &str| {
        Client::new()
            .get(server.url(path))
            .basic_auth("bob", Some(&bob))
            .send()
            .unwrap()
    };
    assert_eq!(as_bob("/rubygems/alice/info/tiny").status(), 404);
    assert_eq!(as_bob("/rubygems/alice/gems/tiny-1.0.0.gem").status(), 404);
    let versions = as_bob("/rubygems/alice/versions").text().unwrap();
    assert!(!versions.contains("tiny"), "{versions}");
    // Nobody may push into alice's namespace but alice.
    let (status, _) = push(
        &server,
        Some(&bob),
        gem_of(&gemspec("other", "1.0.0", None), false),
    );
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = push(
        &server,
        None,
        gem_of(&gemspec("other", "1.0.0", None), false),
    );
    assert_eq!(status, 401);
    let read_only = token(&server, "alice", "read:packages");
    let (status, _) = push(
        &server,
        Some(&read_only),
        gem_of(&gemspec("tiny", "2.0.0", None), false),
    );
    assert_eq!(status, 403);
}

#[test]
fn refused_gems_get_a_reason_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    let evil = "--- !ruby/object:Gem::Installer\nname: x\n".to_owned();
    for (gem, reason) in [
        (b"not a gem at all".to_vec(), "not a valid tar"),
        (
            gem_of(&gemspec("tiny", "1.0.0", None), true),
            "does not match",
        ),
        (gem_of(&evil, false), "not allowed"),
        (
            gem_of(&gemspec("../tiny", "1.0.0", None), false),
            "invalid gem name",
        ),
        (tar_of(&[("data.tar.gz", gz(b""))]), "no metadata.gz"),
    ] {
        let sha = hex::encode(Sha256::digest(&gem));
        let (status, text) = push(&server, Some(&t), gem);
        assert_eq!(status, 422, "{text}");
        assert!(text.contains(reason), "{reason}: {text}");
        assert_eq!(files_named(dir.path(), &sha), 0, "{reason}: blob left");
    }
    let listed = alice_packages(&server, &t, "rubygems");
    assert_eq!(listed, serde_json::json!([]));
    // Re-pushing a version is a conflict and keeps the first file.
    let first = gem_of(&gemspec("tiny", "1.0.0", None), false);
    assert_eq!(push(&server, Some(&t), first.clone()).0, 200);
    let mut second = gemspec("tiny", "1.0.0", None);
    second.push_str("post_install_message: different\n");
    let (status, text) = push(&server, Some(&t), gem_of(&second, false));
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("Repushing"), "{text}");
    let stored = get(
        &server,
        "/rubygems/alice/gems/tiny-1.0.0.gem",
        Some(&t),
        &[],
    )
    .bytes()
    .unwrap();
    assert_eq!(stored.as_ref(), first.as_slice());
}

fn ruby(script: &str, input: &[u8]) -> String {
    let mut child = Command::new("ruby")
        .args(["-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("ruby runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_dependency_and_json_apis_describe_what_was_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    for (name, v, dep) in [
        ("base", "1.0.0", None),
        ("app", "1.0.0", Some("base")),
        ("app", "1.1.0.pre", Some("base")),
    ] {
        assert_eq!(
            push(&server, Some(&t), gem_of(&gemspec(name, v, dep), false)).0,
            200
        );
    }
    let probe = get(
        &server,
        "/rubygems/alice/api/v1/dependencies",
        Some(&t),
        &[],
    );
    assert_eq!(probe.status(), 200);
    let marshal = get(
        &server,
        "/rubygems/alice/api/v1/dependencies?gems=app,base",
        Some(&t),
        &[],
    )
    .bytes()
    .unwrap();
    let loaded = ruby(
        "x = Marshal.load(STDIN.read); x.sort_by { |h| [h[:name], h[:number]] }.each { |h| puts [h[:name], h[:number], h[:platform], h[:dependencies].inspect].join(' ') }",
        &marshal,
    );
    assert_eq!(
        loaded,
        "app 1.0.0 ruby [[\"base\", \"~> 1.0\"]]\napp 1.1.0.pre ruby [[\"base\", \"~> 1.0\"]]\nbase 1.0.0 ruby []\n"
    );
    let gem: serde_json::Value = get(
        &server,
        "/rubygems/alice/api/v1/gems/app.json",
        Some(&t),
        &[],
    )
    .json()
    .unwrap();
    assert_eq!(gem["version"], "1.0.0");
    assert_eq!(
        gem["project_uri"],
        server.url("/users/alice/packages/rubygems/package/app")
    );
    assert_eq!(gem["dependencies"]["runtime"][0]["name"], "base");
    assert_eq!(gem["dependencies"]["runtime"][0]["requirements"], "~> 1.0");
    let versions: serde_json::Value = get(
        &server,
        "/rubygems/alice/api/v1/versions/app.json",
        Some(&t),
        &[],
    )
    .json()
    .unwrap();
    let numbers: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1.1.0.pre", "1.0.0"]);
    assert_eq!(versions[0]["prerelease"], true);
    let specs = get(
        &server,
        "/rubygems/alice/prerelease_specs.4.8.gz",
        Some(&t),
        &[],
    )
    .bytes()
    .unwrap();
    let loaded = ruby(
        "require 'zlib'; Marshal.load(Zlib.gunzip(STDIN.read)).each { |n, v, p| puts [n, v.class, v, p].join(' ') }",
        &specs,
    );
    assert_eq!(loaded, "app Gem::Version 1.1.0.pre ruby\n");
}

#[test]
fn yanks_and_rest_deletes_reach_every_index_and_the_page_shows_the_gem() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(
            push(&server, Some(&t), gem_of(&gemspec("tiny", v, None), false)).0,
            200
        );
    }
    let yank = |token: &str, version: &str| {
        let r = Client::new()
            .delete(server.url("/rubygems/alice/api/v1/gems/yank"))
            .header("authorization", token)
            .form(&[("gem_name", "tiny"), ("version", version)])
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let no_delete = token(&server, "alice", "read:packages,write:packages");
    assert_eq!(yank(&no_delete, "1.1.0").0, 403);
    assert_eq!(yank(&t, "9.9.9").0, 404);
    let (status, text) = yank(&t, "1.1.0");
    assert_eq!(
        (status, text.as_str()),
        (200, "Successfully deleted gem: tiny (1.1.0)")
    );
    let versions = get(&server, "/rubygems/alice/versions", Some(&t), &[])
        .text()
        .unwrap();
    assert!(
        versions.ends_with(&format!(
            "tiny -1.1.0 {}\n",
            md5_hex(
                &get(&server, "/rubygems/alice/info/tiny", Some(&t), &[])
                    .bytes()
                    .unwrap()
            )
        )),
        "{versions}"
    );
    assert_eq!(
        get(
            &server,
            "/rubygems/alice/gems/tiny-1.1.0.gem",
            Some(&t),
            &[]
        )
        .status(),
        404
    );

    // The REST API sees the gem, and restoring the version brings it back.
    let api = |method: reqwest::Method, path: &str| {
        Client::new()
            .request(method, server.url(path))
            .bearer_auth(&t)
            .header("user-agent", "test")
            .send()
            .unwrap()
    };
    let listed: serde_json::Value = api(
        reqwest::Method::GET,
        "/api/v3/user/packages?package_type=rubygems",
    )
    .json()
    .unwrap();
    assert_eq!(listed[0]["name"], "tiny");
    assert_eq!(listed[0]["package_type"], "rubygems");
    let deleted: serde_json::Value = api(
        reqwest::Method::GET,
        "/api/v3/user/packages/rubygems/tiny/versions?state=deleted",
    )
    .json()
    .unwrap();
    let id = deleted[0]["id"].as_i64().unwrap();
    let restored = api(
        reqwest::Method::POST,
        &format!("/api/v3/user/packages/rubygems/tiny/versions/{id}/restore"),
    );
    assert_eq!(restored.status(), 204);
    let info = get(&server, "/rubygems/alice/info/tiny", Some(&t), &[])
        .text()
        .unwrap();
    assert!(info.contains("\n1.1.0 |checksum:"), "{info}");

    // A download is counted, and the page shows the README and the source.
    let gem = get(
        &server,
        "/rubygems/alice/gems/tiny-1.1.0.gem",
        Some(&t),
        &[],
    );
    assert_eq!(gem.status(), 200);
    let page = api(
        reqwest::Method::GET,
        "/users/alice/packages/rubygems/package/tiny",
    )
    .text()
    .unwrap();
    assert!(page.contains("Readme of the gem"), "{page}");
    assert!(
        page.contains(&format!("--source {}", server.url("/rubygems/alice/"))),
        "{page}"
    );
}

#[test]
fn gem_signin_trades_a_password_for_a_key_that_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = server_with_alice(dir.path());
    let out = server.admin_input(
        &["user", "set-password", "alice"],
        Some("correct horse battery\n"),
    );
    assert!(out.status.success(), "{out:?}");
    let sign_in = |password: &str| {
        Client::new()
            .get(server.url("/rubygems/alice/api/v1/api_key"))
            .basic_auth("alice", Some(password))
            .send()
            .unwrap()
    };
    let refused = sign_in("wrong");
    assert_eq!(refused.status(), 401);
    let granted = sign_in("correct horse battery");
    assert_eq!(granted.status(), 200);
    let key = granted.text().unwrap();
    assert!(key.starts_with("entp_"), "{key}");
    let (status, text) = push(
        &server,
        Some(&key),
        gem_of(&gemspec("tiny", "1.0.0", None), false),
    );
    assert_eq!(status, 200, "{text}");
}

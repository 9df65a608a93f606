//! The RubyGems endpoints by hand, for what the real clients do not show
//! directly: the compact index's `ETag`, `Range` and MD5s, the 401
//! challenge, refused gems leaving nothing behind, the dependency and JSON
//! APIs, yanks seen by every index, and the REST API and package page.

use std::io::Write;
use std::process::Command;

use axum::http::Method;
use sha2::{Digest, Sha256};

use crate::common::artifacts::{gem_of, gemspec, gz, tar_of};
use crate::common::files_named;
use crate::test_app::{TestApp, TestResponse, alice_packages, with_alice};

async fn push(app: &TestApp, token: Option<&str>, gem: Vec<u8>) -> (u16, String) {
    let mut request = app
        .post("/rubygems/alice/api/v1/gems")
        .header("content-type", "application/octet-stream")
        .body(gem);
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    let r = request.send().await;
    (r.status().as_u16(), r.text())
}

async fn get(
    app: &TestApp,
    path: &str,
    auth: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = app.get(path);
    if let Some(t) = auth {
        request = request.basic("alice", t);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}
#[tokio::test(flavor = "multi_thread")]
async fn the_compact_index_serves_etags_ranges_and_md5s_that_agree() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0"] {
        let (status, text) = push(&app, Some(&t), gem_of(&gemspec("tiny", v, None), false)).await;
        assert_eq!(status, 200, "{text}");
        assert_eq!(text, format!("Successfully registered gem: tiny ({v})"));
    }
    let r = get(&app, "/rubygems/alice/versions", Some(&t), &[]).await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let old = r.bytes().to_vec();
    assert_eq!(etag, format!("\"{}\"", md5_hex(&old)));
    let text = String::from_utf8(old.clone()).unwrap();
    let info = get(&app, "/rubygems/alice/info/tiny", Some(&t), &[])
        .await
        .bytes();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("tiny 1.1.0 "), "{text}");
    assert!(last.ends_with(&md5_hex(&info)), "{text}");
    let info_text = String::from_utf8(info.to_vec()).unwrap();
    assert!(
        info_text.starts_with("---\n1.0.0 |checksum:"),
        "{info_text}"
    );

    let r = get(
        &app,
        "/rubygems/alice/versions",
        Some(&t),
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status(), 304);

    // Bundler's incremental update: the tail from one byte before its end.
    let (status, text) = push(
        &app,
        Some(&t),
        gem_of(&gemspec("tiny", "1.2.0", None), false),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    let range = format!("bytes={}-", old.len() - 1);
    let r = get(
        &app,
        "/rubygems/alice/versions",
        Some(&t),
        &[("range", &range), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(r.status(), 206);
    let new_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let tail = r.bytes().to_vec();
    assert_eq!(tail[0], b'\n');
    let mut whole = old.clone();
    whole.extend_from_slice(&tail[1..]);
    assert_eq!(new_etag, format!("\"{}\"", md5_hex(&whole)));
    assert!(String::from_utf8(tail).unwrap().contains("tiny 1.2.0 "));

    let past = format!("bytes={}-", whole.len() + 10);
    let r = get(
        &app,
        "/rubygems/alice/versions",
        Some(&t),
        &[("range", &past)],
    )
    .await;
    assert_eq!(r.status(), 416);

    let names = get(&app, "/rubygems/alice/names", Some(&t), &[])
        .await
        .text();
    assert_eq!(names, "---\ntiny\n");

    // Gzipped when asked (and over 1 KiB), under the ETag of the file's
    // own bytes (what Bundler compares); a range is never compressed.
    for minor in 0..10 {
        let spec = gemspec("tiny", &format!("2.{minor}.0"), None);
        assert_eq!(push(&app, Some(&t), gem_of(&spec, false)).await.0, 200);
    }
    let gzip = [("accept-encoding", "gzip")];
    let plain = get(&app, "/rubygems/alice/info/tiny", Some(&t), &[]).await;
    assert!(plain.bytes().len() > 1024);
    let packed = get(&app, "/rubygems/alice/info/tiny", Some(&t), &gzip).await;
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    assert_eq!(packed.headers()["etag"], plain.headers()["etag"]);
    assert_eq!(
        packed.headers()["repr-digest"],
        plain.headers()["repr-digest"]
    );
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(packed.bytes().as_ref()),
        &mut unpacked,
    )
    .unwrap();
    assert_eq!(unpacked, plain.bytes().as_ref());
    let tail = get(
        &app,
        "/rubygems/alice/info/tiny",
        Some(&t),
        &[("accept-encoding", "gzip"), ("range", "bytes=4-")],
    )
    .await;
    assert_eq!(tail.status(), 206);
    assert!(!tail.headers().contains_key("content-encoding"));
    assert_eq!(tail.bytes().as_ref(), &plain.bytes()[4..]);
}

#[tokio::test(flavor = "multi_thread")]
async fn private_gems_challenge_anonymous_callers_and_hide_from_others() {
    let (app, t) = with_alice().await;
    let (status, _) = push(
        &app,
        Some(&t),
        gem_of(&gemspec("tiny", "1.0.0", None), false),
    )
    .await;
    assert_eq!(status, 200);
    for path in [
        "/rubygems/alice/versions",
        "/rubygems/alice/specs.4.8.gz",
        "/rubygems/alice/info/tiny",
        "/rubygems/alice/gems/tiny-1.0.0.gem",
        "/rubygems/alice/quick/Marshal.4.8/tiny-1.0.0.gemspec.rz",
    ] {
        let r = get(&app, path, None, &[]).await;
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Entrepot RubyGems\"",
            "{path}"
        );
    }
    let bob = app.token("bob", "read:packages,write:packages").await;
    let as_bob = async |path: &str| app.get(path).basic("bob", &bob).send().await;
    assert_eq!(as_bob("/rubygems/alice/info/tiny").await.status(), 404);
    assert_eq!(
        as_bob("/rubygems/alice/gems/tiny-1.0.0.gem").await.status(),
        404
    );
    let versions = as_bob("/rubygems/alice/versions").await.text();
    assert!(!versions.contains("tiny"), "{versions}");
    // Nobody may push into alice's namespace but alice.
    let (status, _) = push(
        &app,
        Some(&bob),
        gem_of(&gemspec("other", "1.0.0", None), false),
    )
    .await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = push(&app, None, gem_of(&gemspec("other", "1.0.0", None), false)).await;
    assert_eq!(status, 401);
    let read_only = app.token("alice", "read:packages").await;
    let (status, _) = push(
        &app,
        Some(&read_only),
        gem_of(&gemspec("tiny", "2.0.0", None), false),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_gems_get_a_reason_and_leave_nothing_behind() {
    let (app, t) = with_alice().await;
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
        let (status, text) = push(&app, Some(&t), gem).await;
        assert_eq!(status, 422, "{text}");
        assert!(text.contains(reason), "{reason}: {text}");
        assert_eq!(files_named(app.dir(), &sha), 0, "{reason}: blob left");
    }
    let listed = alice_packages(&app, &t, "rubygems").await;
    assert_eq!(listed, serde_json::json!([]));
    // Re-pushing a version is a conflict and keeps the first file.
    let first = gem_of(&gemspec("tiny", "1.0.0", None), false);
    assert_eq!(push(&app, Some(&t), first.clone()).await.0, 200);
    let mut second = gemspec("tiny", "1.0.0", None);
    second.push_str("post_install_message: different\n");
    let (status, text) = push(&app, Some(&t), gem_of(&second, false)).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("Repushing"), "{text}");
    let stored = get(&app, "/rubygems/alice/gems/tiny-1.0.0.gem", Some(&t), &[])
        .await
        .bytes();
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

#[tokio::test(flavor = "multi_thread")]
async fn the_dependency_and_json_apis_describe_what_was_pushed() {
    let (app, t) = with_alice().await;
    for (name, v, dep) in [
        ("base", "1.0.0", None),
        ("app", "1.0.0", Some("base")),
        ("app", "1.1.0.pre", Some("base")),
    ] {
        assert_eq!(
            push(&app, Some(&t), gem_of(&gemspec(name, v, dep), false))
                .await
                .0,
            200
        );
    }
    let probe = get(&app, "/rubygems/alice/api/v1/dependencies", Some(&t), &[]).await;
    assert_eq!(probe.status(), 200);
    let marshal = get(
        &app,
        "/rubygems/alice/api/v1/dependencies?gems=app,base",
        Some(&t),
        &[],
    )
    .await
    .bytes();
    let loaded = ruby(
        "x = Marshal.load(STDIN.read); x.sort_by { |h| [h[:name], h[:number]] }.each { |h| puts [h[:name], h[:number], h[:platform], h[:dependencies].inspect].join(' ') }",
        &marshal,
    );
    assert_eq!(
        loaded,
        "app 1.0.0 ruby [[\"base\", \"~> 1.0\"]]\napp 1.1.0.pre ruby [[\"base\", \"~> 1.0\"]]\nbase 1.0.0 ruby []\n"
    );
    let gem: serde_json::Value = get(&app, "/rubygems/alice/api/v1/gems/app.json", Some(&t), &[])
        .await
        .json();
    assert_eq!(gem["version"], "1.0.0");
    assert_eq!(
        gem["project_uri"],
        app.url("/users/alice/packages/rubygems/package/app")
    );
    assert_eq!(gem["dependencies"]["runtime"][0]["name"], "base");
    assert_eq!(gem["dependencies"]["runtime"][0]["requirements"], "~> 1.0");
    let versions: serde_json::Value = get(
        &app,
        "/rubygems/alice/api/v1/versions/app.json",
        Some(&t),
        &[],
    )
    .await
    .json();
    let numbers: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1.1.0.pre", "1.0.0"]);
    assert_eq!(versions[0]["prerelease"], true);
    let specs = get(
        &app,
        "/rubygems/alice/prerelease_specs.4.8.gz",
        Some(&t),
        &[],
    )
    .await
    .bytes();
    let loaded = ruby(
        "require 'zlib'; Marshal.load(Zlib.gunzip(STDIN.read)).each { |n, v, p| puts [n, v.class, v, p].join(' ') }",
        &specs,
    );
    assert_eq!(loaded, "app Gem::Version 1.1.0.pre ruby\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn yanks_and_rest_deletes_reach_every_index_and_the_page_shows_the_gem() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(
            push(&app, Some(&t), gem_of(&gemspec("tiny", v, None), false))
                .await
                .0,
            200
        );
    }
    let yank = async |token: &str, version: &str| {
        let r = app
            .delete("/rubygems/alice/api/v1/gems/yank")
            .header("authorization", token)
            .form(&[("gem_name", "tiny"), ("version", version)])
            .send()
            .await;
        (r.status().as_u16(), r.text())
    };
    let no_delete = app.token("alice", "read:packages,write:packages").await;
    assert_eq!(yank(&no_delete, "1.1.0").await.0, 403);
    assert_eq!(yank(&t, "9.9.9").await.0, 404);
    let (status, text) = yank(&t, "1.1.0").await;
    assert_eq!(
        (status, text.as_str()),
        (200, "Successfully deleted gem: tiny (1.1.0)")
    );
    let versions = get(&app, "/rubygems/alice/versions", Some(&t), &[])
        .await
        .text();
    assert!(
        versions.ends_with(&format!(
            "tiny -1.1.0 {}\n",
            md5_hex(
                &get(&app, "/rubygems/alice/info/tiny", Some(&t), &[])
                    .await
                    .bytes()
            )
        )),
        "{versions}"
    );
    assert_eq!(
        get(&app, "/rubygems/alice/gems/tiny-1.1.0.gem", Some(&t), &[])
            .await
            .status(),
        404
    );

    // The REST API sees the gem, and restoring the version brings it back.
    let api = async |method: Method, path: &str| {
        app.request(method, path)
            .bearer(&t)
            .header("user-agent", "test")
            .send()
            .await
    };
    let listed: serde_json::Value = api(Method::GET, "/api/v3/user/packages?package_type=rubygems")
        .await
        .json();
    assert_eq!(listed[0]["name"], "tiny");
    assert_eq!(listed[0]["package_type"], "rubygems");
    let deleted: serde_json::Value = api(
        Method::GET,
        "/api/v3/user/packages/rubygems/tiny/versions?state=deleted",
    )
    .await
    .json();
    let id = deleted[0]["id"].as_i64().unwrap();
    let restored = api(
        Method::POST,
        &format!("/api/v3/user/packages/rubygems/tiny/versions/{id}/restore"),
    )
    .await;
    assert_eq!(restored.status(), 204);
    let info = get(&app, "/rubygems/alice/info/tiny", Some(&t), &[])
        .await
        .text();
    assert!(info.contains("\n1.1.0 |checksum:"), "{info}");

    // A download is counted, and the page shows the README and the source.
    let gem = get(&app, "/rubygems/alice/gems/tiny-1.1.0.gem", Some(&t), &[]).await;
    assert_eq!(gem.status(), 200);
    let page = api(Method::GET, "/users/alice/packages/rubygems/package/tiny")
        .await
        .text();
    assert!(page.contains("Readme of the gem"), "{page}");
    // The gem is private: the Gemfile names the bare source, and `gem`
    // and Bundler take the token from the environment.
    let source = app.url("/rubygems/alice/");
    assert!(
        page.contains(&format!("source &quot;{source}&quot; do")),
        "{page}"
    );
    assert!(
        page.contains("--source &quot;http://__token__:${ENTREPOT_TOKEN}@"),
        "{page}"
    );
    assert!(
        page.contains(&format!("bundle config set --global {source} ")),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gem_signin_trades_a_password_for_a_key_that_pushes() {
    let (app, _) = with_alice().await;
    app.set_password("alice", "correct horse battery").await;
    let sign_in = async |password: &str| {
        app.get("/rubygems/alice/api/v1/api_key")
            .basic("alice", password)
            .send()
            .await
    };
    let refused = sign_in("wrong").await;
    assert_eq!(refused.status(), 401);
    let granted = sign_in("correct horse battery").await;
    assert_eq!(granted.status(), 200);
    let key = granted.text();
    assert!(key.starts_with("entp_"), "{key}");
    let (status, text) = push(
        &app,
        Some(&key),
        gem_of(&gemspec("tiny", "1.0.0", None), false),
    )
    .await;
    assert_eq!(status, 200, "{text}");
}

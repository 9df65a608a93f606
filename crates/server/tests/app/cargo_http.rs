//! The Cargo registry by hand, for what real cargo does not show directly:
//! `config.json` and its 401 challenge, index files in cargo's layout with
//! `ETag` and `Last-Modified`, every field of an index line (renamed,
//! crates.io, target, build and dev dependencies, new-syntax features),
//! name rules and refused bodies leaving nothing behind, search, owners,
//! yank, downloads counted in the REST API, and the repository link.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use axum::http::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::artifacts::{crate_body as body, crate_metadata as metadata, crate_of, tar_gz};
use crate::common::files_named;
use crate::test_app::{TestApp, TestRequest, TestResponse, with_alice};

const CRATES_IO: &str = "https://github.com/rust-lang/crates.io-index";

/// `PUT api/v1/crates/new` into alice's registry with `token` (raw, as
/// cargo sends it).
async fn publish(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = app.put("/cargo/alice/api/v1/crates/new").body(body);
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    let response = request.send().await;
    let status = response.status().as_u16();
    (status, response.try_json().unwrap_or(Value::Null))
}

async fn publish_ok(app: &TestApp, token: &str, json: &Value, krate: &[u8]) {
    let (status, reply) = publish(app, Some(token), body(json, krate)).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply,
        json!({"warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}})
    );
}

async fn with(request: TestRequest, token: Option<&str>, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = request;
    if let Some(t) = token {
        request = request.header("authorization", t);
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send().await
}

async fn get(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> TestResponse {
    with(app.get(path), token, headers).await
}

fn detail(value: &Value) -> String {
    value["errors"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
#[tokio::test(flavor = "multi_thread")]
async fn config_json_challenges_anonymous_callers_of_a_private_registry() {
    let (app, t) = with_alice().await;
    publish_ok(
        &app,
        &t,
        &metadata("tiny", "1.0.0"),
        &crate_of("tiny", "1.0.0"),
    )
    .await;

    let anonymous = get(&app, "/cargo/alice/index/config.json", None, &[]).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        format!("Cargo login_url=\"{}\"", app.url("/settings/tokens")).as_str()
    );
    let error: Value = anonymous.json();
    assert!(detail(&error).contains("cargo login"), "{error}");

    // Cargo sends the token raw, or as the credentials file holds it.
    for auth in [t.clone(), format!("Bearer {t}")] {
        let config: Value = get(&app, "/cargo/alice/index/config.json", Some(&auth), &[])
            .await
            .json();
        assert_eq!(
            config,
            json!({
                "dl": app.url("/cargo/alice/api/v1/crates"),
                "api": app.url("/cargo/alice"),
                "auth-required": true,
            })
        );
    }
    // A bad token is refused with the same challenge, never anonymous.
    let bad = get(
        &app,
        "/cargo/alice/index/config.json",
        Some("entp_not_a_token"),
        &[],
    )
    .await;
    assert_eq!(bad.status(), 401);
    assert!(bad.headers().contains_key("www-authenticate"));
    // An owner without crates asks too (its first crate will be private);
    // an unknown owner is hidden alike from anonymous callers.
    assert_eq!(
        get(&app, "/cargo/bob/index/config.json", None, &[])
            .await
            .status(),
        401
    );
    assert_eq!(
        get(&app, "/cargo/nobody/index/config.json", None, &[])
            .await
            .status(),
        401
    );
    assert_eq!(
        get(&app, "/cargo/nobody/index/config.json", Some(&t), &[])
            .await
            .status(),
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn index_files_have_cargos_layout_lines_and_validators() {
    let (app, t) = with_alice().await;
    for name in ["a", "ab", "abc"] {
        publish_ok(&app, &t, &metadata(name, "1.0.0"), &crate_of(name, "1.0.0")).await;
    }
    // A crate with every kind of dependency and new-syntax features.
    let mut rich = metadata("Rich_Crate", "2.0.0-beta.1");
    rich["deps"] = json!([
        {"name": "ab", "version_req": "^1", "features": [], "optional": false,
         "default_features": true, "target": null, "kind": "normal", "explicit_name_in_toml": "short"},
        {"name": "serde", "version_req": "^1.0", "features": ["derive"], "optional": true,
         "default_features": false, "target": null, "kind": "normal", "registry": CRATES_IO},
        {"name": "abc", "version_req": "=1.0.0", "features": [], "optional": false,
         "default_features": true, "target": "cfg(unix)", "kind": "build",
         "registry": format!("sparse+{}", app.url("/cargo/alice/index/"))},
        {"name": "a", "version_req": "*", "features": [], "optional": false,
         "default_features": true, "target": null, "kind": "dev"}
    ]);
    rich["features"] = json!({"default": ["std"], "std": [], "json": ["dep:serde", "serde?/std"]});
    rich["links"] = json!("rich");
    publish_ok(&app, &t, &rich, &crate_of("Rich_Crate", "2.0.0-beta.1")).await;

    for (path, name) in [
        ("1/a", "a"),
        ("2/ab", "ab"),
        ("3/a/abc", "abc"),
        ("ri/ch/rich_crate", "Rich_Crate"),
    ] {
        let response = get(&app, &format!("/cargo/alice/index/{path}"), Some(&t), &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        let text = response.text();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["name"], name, "{text}");
    }
    for wrong in [
        "ab/c/abc",
        "3/b/abc",
        "ri/ch/Rich_Crate",
        "ri/ch/rich-crate",
        "2/zz",
    ] {
        assert_eq!(
            get(&app, &format!("/cargo/alice/index/{wrong}"), Some(&t), &[])
                .await
                .status(),
            404,
            "{wrong}"
        );
    }
    // An anonymous caller is asked for the token on any crate, known or not.
    assert_eq!(
        get(&app, "/cargo/alice/index/2/zz", None, &[])
            .await
            .status(),
        401
    );
    assert_eq!(
        get(&app, "/cargo/alice/index/2/ab", None, &[])
            .await
            .status(),
        401
    );

    let response = get(&app, "/cargo/alice/index/ri/ch/rich_crate", Some(&t), &[]).await;
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let modified = response.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text();
    assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
    let line: Value = serde_json::from_str(text.trim_end()).unwrap();
    let cksum = hex::encode(Sha256::digest(crate_of("Rich_Crate", "2.0.0-beta.1")));
    let pubtime = line["pubtime"].as_str().unwrap().to_owned();
    assert_eq!(pubtime.len(), "2026-01-01T00:00:00Z".len(), "{pubtime}");
    assert_eq!(
        line,
        json!({
            "name": "Rich_Crate", "vers": "2.0.0-beta.1",
            "deps": [
                {"name": "short", "package": "ab", "req": "^1", "features": [], "optional": false,
                 "default_features": true, "target": null, "kind": "normal"},
                {"name": "serde", "req": "^1.0", "features": ["derive"], "optional": true,
                 "default_features": false, "target": null, "kind": "normal", "registry": CRATES_IO},
                {"name": "abc", "req": "=1.0.0", "features": [], "optional": false,
                 "default_features": true, "target": "cfg(unix)", "kind": "build"},
                {"name": "a", "req": "*", "features": [], "optional": false,
                 "default_features": true, "target": null, "kind": "dev"}
            ],
            "cksum": cksum,
            "features": {"default": ["std"], "std": []},
            "features2": {"json": ["dep:serde", "serde?/std"]},
            "v": 2,
            "yanked": false,
            "links": "rich",
            "rust_version": "1.70",
            "pubtime": pubtime,
        })
    );

    // Revalidation: by ETag, and by date when only that is sent.
    let path = "/cargo/alice/index/ri/ch/rich_crate";
    let same = get(&app, path, Some(&t), &[("if-none-match", &etag)]).await;
    assert_eq!(same.status(), 304);
    assert_eq!(same.headers()["etag"], etag.as_str());
    assert_eq!(
        get(&app, path, Some(&t), &[("if-modified-since", &modified)])
            .await
            .status(),
        304
    );
    let head = with(app.head(path), Some(&t), &[]).await;
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["etag"], etag.as_str());

    // A yank changes the file: the old ETag gets the new line.
    let yank = with(
        app.delete("/cargo/alice/api/v1/crates/Rich_Crate/2.0.0-beta.1/yank"),
        Some(&t),
        &[],
    )
    .await;
    assert_eq!(yank.status(), 200);
    assert_eq!(yank.json::<Value>(), json!({"ok": true}));
    let changed = get(&app, path, Some(&t), &[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], etag.as_str());
    let line: Value = serde_json::from_str(changed.text().trim_end()).unwrap();
    assert_eq!(line["yanked"], true);
    assert_eq!(
        line["pubtime"],
        pubtime.as_str(),
        "a yank keeps the publish time"
    );
    let page = with(
        app.get("/users/alice/packages/cargo/package/Rich_Crate"),
        Some(&t),
        &[],
    )
    .await
    .text();
    assert!(
        page.contains("<span class=\"badge warn\">yanked</span>"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_publishes_say_why_and_leave_nothing_behind() {
    let (app, t) = with_alice().await;
    let good = crate_of("tiny", "1.0.0");
    let truncated = {
        let mut b = body(&metadata("tiny", "1.0.0"), &good);
        b.truncate(b.len() - 10);
        b
    };
    let longer = {
        let mut b = body(&metadata("tiny", "1.0.0"), &good);
        b.extend_from_slice(b"trailing");
        b
    };
    let mut undeclared_dep = metadata("tiny", "1.0.0");
    undeclared_dep["deps"] = json!([{"name": "ghost", "version_req": "^1", "kind": "normal"}]);
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (vec![1, 2], 400, "ends before"),
        ((64u32 << 20).to_le_bytes().to_vec(), 413, "larger than"),
        (b"\x05\0\0\0notjs\0\0\0\0".to_vec(), 400, "not valid"),
        (truncated, 400, "not the"),
        (longer, 400, "not the"),
        (
            body(&metadata("1tiny", "1.0.0"), &crate_of("1tiny", "1.0.0")),
            400,
            "first character",
        ),
        (
            body(&metadata("ti.ny", "1.0.0"), &good),
            400,
            "is not allowed",
        ),
        (
            body(&metadata(&"x".repeat(65), "1.0.0"), &good),
            400,
            "longer than 64",
        ),
        (body(&metadata("nul", "1.0.0"), &good), 400, "reserved"),
        (
            body(&metadata("tiny", "1.0"), &good),
            400,
            "invalid version",
        ),
        (
            body(&undeclared_dep, &good),
            400,
            "`ghost` is not in alice's registry",
        ),
        (
            body(&metadata("tiny", "1.0.0"), b"not gzip at all"),
            422,
            "gzipped tar",
        ),
        (
            body(&metadata("tiny", "1.0.0"), &crate_of("other", "1.0.0")),
            422,
            "outside the crate's folder",
        ),
        (
            body(&metadata("tiny", "1.0.0"), &{
                let m = "[package]\nname = \"tiny\"\nversion = \"9.9.9\"\n";
                tar_gz(&[("tiny-1.0.0/Cargo.toml", m.as_bytes())])
            }),
            422,
            "has version `9.9.9`",
        ),
    ];
    for (request, status, reason) in cases {
        let (got, reply) = publish(&app, Some(&t), request).await;
        assert_eq!(got, status, "{reason}: {reply}");
        assert!(detail(&reply).contains(reason), "{reason}: {reply}");
    }
    // No blob of any refused crate, and no crate at all.
    for krate in [
        good.clone(),
        crate_of("other", "1.0.0"),
        crate_of("1tiny", "1.0.0"),
        b"not gzip at all".to_vec(),
    ] {
        let sha = hex::encode(Sha256::digest(&krate));
        assert_eq!(files_named(app.dir(), &sha), 0);
    }
    let listed: Value = get(
        &app,
        "/api/v3/user/packages?package_type=cargo",
        Some(&t),
        &[],
    )
    .await
    .json();
    assert_eq!(listed, json!([]));

    // Published once; never again, build metadata or not; twins refused.
    publish_ok(
        &app,
        &t,
        &metadata("tiny-crate", "1.0.0"),
        &crate_of("tiny-crate", "1.0.0"),
    )
    .await;
    for (name, vers, status, reason) in [
        (
            "tiny-crate",
            "1.0.0",
            409,
            "crate version `1.0.0` is already uploaded",
        ),
        (
            "tiny-crate",
            "1.0.0+build.5",
            409,
            "crate version `1.0.0+build.5` is already uploaded",
        ),
        ("tiny_crate", "1.1.0", 400, "already exists as `tiny-crate`"),
        ("Tiny-Crate", "1.1.0", 400, "already exists as `tiny-crate`"),
    ] {
        let (got, reply) = publish(
            &app,
            Some(&t),
            body(&metadata(name, vers), &crate_of(name, vers)),
        )
        .await;
        assert_eq!(got, status, "{name} {vers}: {reply}");
        assert!(detail(&reply).contains(reason), "{reply}");
    }
    // Without a token: 401 with the challenge; bob: 403.
    let (status, _) = publish(&app, None, body(&metadata("tiny", "1.0.0"), &good)).await;
    assert_eq!(status, 401);
    let bob = app.token("bob", "read:packages,write:packages").await;
    let (status, reply) = publish(&app, Some(&bob), body(&metadata("tiny", "1.0.0"), &good)).await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(
        files_named(app.dir(), &hex::encode(Sha256::digest(&good))),
        0
    );
    // A twin of a private crate bob cannot see gets what a new name gets,
    // not the twin's name.
    let (status, reply) = publish(
        &app,
        Some(&bob),
        body(
            &metadata("Tiny_Crate", "1.1.0"),
            &crate_of("Tiny_Crate", "1.1.0"),
        ),
    )
    .await;
    assert_eq!(status, 403, "{reply}");
    assert!(!detail(&reply).contains("tiny-crate"), "{reply}");
}

#[tokio::test(flavor = "multi_thread")]
async fn search_owners_yank_and_counted_downloads() {
    let (app, t) = with_alice().await;
    for (name, vers) in [
        ("alpha", "1.0.0"),
        ("alpha", "1.1.0"),
        ("alpha-tools", "0.1.0"),
        ("beta", "3.0.0"),
    ] {
        publish_ok(&app, &t, &metadata(name, vers), &crate_of(name, vers)).await;
    }
    let search = async |q: &str, token: Option<&str>| -> Value {
        get(
            &app,
            &format!("/cargo/alice/api/v1/crates?q={q}&per_page=1"),
            token,
            &[],
        )
        .await
        .json()
    };
    assert_eq!(
        search("alpha", Some(&t)).await,
        json!({"crates": [{"name": "alpha", "max_version": "1.1.0", "description": "The alpha crate"}],
               "meta": {"total": 2}})
    );
    assert_eq!(
        search("crate", Some(&t)).await["meta"]["total"],
        3,
        "descriptions match too"
    );
    let bob = app
        .token("bob", "read:packages,write:packages,delete:packages")
        .await;
    assert_eq!(
        search("alpha", Some(&bob)).await["meta"]["total"],
        0,
        "bob sees none"
    );

    // Yank: a flag, with delete:packages; the version stays downloadable.
    let yank = async |version: &str, method: Method, token: Option<&str>| {
        let action = if method == Method::DELETE {
            "yank"
        } else {
            "unyank"
        };
        let r = with(
            app.request(
                method,
                &format!("/cargo/alice/api/v1/crates/alpha/{version}/{action}"),
            ),
            token,
            &[],
        )
        .await;
        (
            r.status().as_u16(),
            r.try_json::<Value>().unwrap_or(Value::Null),
        )
    };
    assert_eq!(yank("1.1.0", Method::DELETE, None).await.0, 401);
    assert_eq!(yank("1.1.0", Method::DELETE, Some(&bob)).await.0, 404);
    let (status, reply) = yank("9.9.9", Method::DELETE, Some(&t)).await;
    assert_eq!(status, 404);
    assert!(detail(&reply).contains("does not have a version `9.9.9`"));
    assert_eq!(
        yank("1.1.0", Method::DELETE, Some(&t)).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(
        search("alpha", Some(&t)).await["crates"][0]["max_version"],
        "1.0.0"
    );

    let download = async |version: &str| {
        get(
            &app,
            &format!("/cargo/alice/api/v1/crates/alpha/{version}/download"),
            Some(&t),
            &[],
        )
        .await
    };
    let file = download("1.1.0").await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().as_ref(), crate_of("alpha", "1.1.0").as_slice());
    assert_eq!(download("1.0.0").await.status(), 200);
    assert_eq!(download("1.0.0").await.status(), 200);
    assert_eq!(download("7.0.0").await.status(), 404);
    let head = with(
        app.head("/cargo/alice/api/v1/crates/alpha/1.0.0/download"),
        Some(&t),
        &[],
    )
    .await;
    assert_eq!(head.status(), 200, "HEAD is answered, and not counted");
    assert_eq!(
        get(
            &app,
            "/cargo/alice/api/v1/crates/alpha/1.0.0/download",
            None,
            &[]
        )
        .await
        .status(),
        401
    );
    assert_eq!(
        yank("1.1.0", Method::PUT, Some(&t)).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(
        search("alpha", Some(&t)).await["crates"][0]["max_version"],
        "1.1.0"
    );

    let versions: Value = get(
        &app,
        "/api/v3/user/packages/cargo/alpha/versions",
        Some(&t),
        &[],
    )
    .await
    .json();
    let count = |v: &str| {
        versions
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == v)
            .unwrap()["download_count"]
            .clone()
    };
    assert_eq!(
        (count("1.0.0"), count("1.1.0")),
        (json!(2), json!(1)),
        "{versions}"
    );
    assert_eq!(versions[0]["license"], "MIT");

    // Owners: alice's account, then whoever is granted admin.
    let owners = async |method: Method, users: &[&str], token: &str| {
        let r = with(
            app.request(method, "/cargo/alice/api/v1/crates/alpha/owners")
                .json(&json!({ "users": users })),
            Some(token),
            &[],
        )
        .await;
        (r.status().as_u16(), r.json::<Value>())
    };
    let (status, listed) = owners(Method::GET, &[], &t).await;
    assert_eq!(status, 200);
    assert_eq!(listed["users"].as_array().unwrap().len(), 1);
    assert_eq!(listed["users"][0]["login"], "alice");
    let (status, reply) = owners(Method::PUT, &["bob"], &t).await;
    assert_eq!((status, reply["ok"].clone()), (200, json!(true)), "{reply}");
    let (_, listed) = owners(Method::GET, &[], &bob).await;
    assert_eq!(listed["users"][1]["login"], "bob", "{listed}");
    // Bob, an owner now, may yank; an unknown user cannot be added.
    assert_eq!(yank("1.0.0", Method::DELETE, Some(&bob)).await.0, 200);
    let (status, reply) = owners(Method::PUT, &["nobody"], &t).await;
    assert_eq!(status, 404, "{reply}");
    assert!(detail(&reply).contains("nobody"), "{reply}");
    let (status, _) = owners(Method::DELETE, &["bob"], &t).await;
    assert_eq!(status, 200);
    assert_eq!(yank("1.0.0", Method::PUT, Some(&bob)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_repository_field_connects_a_repository_and_the_readme_feeds_the_page() {
    let (app, t) = with_alice().await;
    app.repo("alice/tiny-src").await;
    let mut json = metadata("tiny", "1.0.0");
    json["repository"] = json!("https://github.com/alice/tiny-src.git");
    publish_ok(&app, &t, &json, &crate_of("tiny", "1.0.0")).await;
    let package: Value = get(&app, "/api/v3/user/packages/cargo/tiny", Some(&t), &[])
        .await
        .json();
    assert_eq!(package["package_type"], "cargo");
    assert_eq!(
        package["repository"]["full_name"], "alice/tiny-src",
        "{package}"
    );

    // A repository that is not alice's is not connected, and cargo is told.
    let mut json = metadata("other", "1.0.0");
    json["repository"] = json!("https://gitlab.com/alice/other");
    let (status, reply) = publish(&app, Some(&t), body(&json, &crate_of("other", "1.0.0"))).await;
    assert_eq!(status, 200);
    assert!(
        reply["warnings"]["other"][0]
            .as_str()
            .unwrap()
            .contains("not connected"),
        "{reply}"
    );

    let page = get(
        &app,
        "/users/alice/packages/cargo/package/tiny",
        Some(&format!("Bearer {t}")),
        &[],
    )
    .await
    .text();
    assert!(page.contains("The readme inside tiny."), "{page}");
    assert!(
        page.contains("tiny = { version = \"1.0.0\", registry = \"entrepot\" }")
            || page.contains(
                "tiny = { version = &quot;1.0.0&quot;, registry = &quot;entrepot&quot; }"
            ),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn index_files_are_compressed_once_per_rendering_when_asked() {
    let (app, t) = with_alice().await;
    for i in 0..8 {
        let version = format!("1.0.{i}");
        publish_ok(
            &app,
            &t,
            &metadata("many", &version),
            &crate_of("many", &version),
        )
        .await;
    }
    let path = "/cargo/alice/index/ma/ny/many";
    let plain = get(&app, path, Some(&t), &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.bytes().len() > 1024, "worth compressing");
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    let zipped = get(&app, path, Some(&t), &[("accept-encoding", "gzip")]).await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    // The tag of the kept compressed form, not of one made on the way out.
    let zipped_tag = format!("{}-gzip\"", etag.trim_end_matches('"'));
    assert_eq!(zipped.headers()["etag"], zipped_tag.as_str());
    let unzipped = crate::common::gunzip(&zipped.bytes());
    assert_eq!(unzipped, plain.bytes(), "the same file");
    let current = get(
        &app,
        path,
        Some(&t),
        &[("accept-encoding", "gzip"), ("if-none-match", &zipped_tag)],
    )
    .await;
    assert_eq!(current.status(), 304);
    let brotli = get(&app, path, Some(&t), &[("accept-encoding", "br")]).await;
    assert_eq!(brotli.headers()["content-encoding"], "br");

    // A new version is a new rendering, with new tags.
    publish_ok(
        &app,
        &t,
        &metadata("many", "1.1.0"),
        &crate_of("many", "1.1.0"),
    )
    .await;
    let changed = get(
        &app,
        path,
        Some(&t),
        &[("accept-encoding", "gzip"), ("if-none-match", &zipped_tag)],
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.headers()["etag"], zipped_tag.as_str());
}

//! npm's fall-through to the default upstream, against a fake upstream on
//! loopback that counts what it is asked: unscoped names and foreign
//! scopes come from it, a local owner's scope never does; tarballs are
//! fetched once, verified, kept and served when the upstream is down.
//! (Real npm against Verdaccio: `tests/binary/`.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use futures::StreamExt;

use crate::test_app::TestApp;

/// A registry on loopback serving fixed documents and files.
#[derive(Default)]
pub(crate) struct Fake {
    files: Mutex<HashMap<String, (Vec<u8>, &'static str)>>,
    hits: Mutex<HashMap<String, usize>>,
    /// The query of the last request for each path.
    queries: Mutex<HashMap<String, String>>,
    down: AtomicBool,
    /// A path whose body is sent in two halves, the second once the
    /// gate opens.
    gated: Mutex<Option<(String, Arc<tokio::sync::Notify>)>>,
}

impl Fake {
    pub(crate) fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub(crate) fn last_query(&self, path: &str) -> Option<String> {
        self.queries.lock().unwrap().get(path).cloned()
    }

    pub(crate) fn put(&self, path: &str, body: Vec<u8>, content_type: &'static str) {
        self.files
            .lock()
            .unwrap()
            .insert(path.to_owned(), (body, content_type));
    }
}

async fn answer(State(fake): State<Arc<Fake>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    *fake.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let query = request.uri().query().unwrap_or_default().to_owned();
    fake.queries.lock().unwrap().insert(path.clone(), query);
    if fake.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let found = fake.files.lock().unwrap().get(&path).cloned();
    let Some((body, content_type)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&sha2::Sha256::digest(&body)[..8]));
    if request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    headers.insert(header::ETAG, etag.parse().unwrap());
    let gate = fake.gated.lock().unwrap().clone();
    if let Some((gated, gate)) = gate
        && gated == path
    {
        headers.insert(header::CONTENT_LENGTH, body.len().into());
        let mut first = body;
        let second = first.split_off(first.len() / 2);
        let halves = futures::stream::iter([(first, None), (second, Some(gate))]).then(
            |(half, gate): (Vec<u8>, Option<Arc<tokio::sync::Notify>>)| async move {
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                Ok::<_, std::io::Error>(axum::body::Bytes::from(half))
            },
        );
        let body = axum::body::Body::from_stream(halves);
        return (StatusCode::OK, headers, body).into_response();
    }
    (StatusCode::OK, headers, body).into_response()
}

/// Starts the fake upstream; its base URL.
pub(crate) async fn fake_upstream() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

/// A tarball's bytes (any bytes do: nothing here unpacks them).
pub(crate) fn tarball(name: &str, version: &str) -> Vec<u8> {
    format!("tarball of {name}@{version}")
        .repeat(100)
        .into_bytes()
}

/// Publishes `name@version` on the fake upstream, with the digests npm's
/// registry declares (or a wrong integrity when `honest` is false).
pub(crate) fn publish(fake: &Fake, base: &str, name: &str, versions: &[&str], honest: bool) {
    publish_with(fake, base, name, versions, honest, tarball);
}

/// `publish`, with each version's tarball made by `make`.
pub(crate) fn publish_with(
    fake: &Fake,
    base: &str,
    name: &str,
    versions: &[&str],
    honest: bool,
    make: impl Fn(&str, &str) -> Vec<u8>,
) {
    let file_name = name.rsplit('/').next().unwrap();
    let mut all = serde_json::Map::new();
    for version in versions {
        let bytes = make(name, version);
        let path = format!("/{name}/-/{file_name}-{version}.tgz");
        let digest = if honest {
            sha2::Sha512::digest(&bytes).to_vec()
        } else {
            vec![0; 64]
        };
        let integrity = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        );
        all.insert(
            (*version).to_owned(),
            json!({"name": name, "version": version, "dependencies": {},
                   "dist": {"tarball": format!("{base}{path}"), "integrity": integrity}}),
        );
        fake.put(&path, bytes, "application/octet-stream");
    }
    let latest = versions.last().unwrap();
    let doc = json!({"name": name, "dist-tags": {"latest": latest}, "versions": all});
    let doc_path = format!("/{}", name.replacen('/', "%2f", 1));
    fake.put(&doc_path, doc.to_string().into_bytes(), "application/json");
}

/// An application whose default npm upstream is a fake one, with a TTL
/// of `ttl`; alice is a local user.
pub(crate) async fn app_with_upstream(ttl: &str, args: &[&str]) -> (TestApp, Arc<Fake>, String) {
    let app = TestApp::with_args(args).await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_upstream().await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&json!({"name": "npmjs", "format": "npm", "url": base,
                      "metadata_ttl": ttl, "default": true}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    (app, fake, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn unscoped_names_come_from_the_upstream_with_tarballs_kept_here() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "left-pad", &["1.2.0", "1.3.0"], true);

    let doc = app.get("/npm/left-pad").send().await;
    assert_eq!(doc.status(), 200, "{}", doc.text());
    assert_eq!(doc.header("x-entrepot-upstream"), "npmjs");
    let doc: Value = doc.json();
    assert_eq!(doc["dist-tags"]["latest"], "1.3.0");
    let tarball_url = doc["versions"]["1.3.0"]["dist"]["tarball"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(tarball_url, app.url("/npm/left-pad/-/left-pad-1.3.0.tgz"));
    assert_eq!(doc["versions"]["1.3.0"]["dependencies"], json!({}));

    for _ in 0..2 {
        let got = app.get(&tarball_url).send().await;
        assert_eq!(got.status(), 200, "{}", got.text());
        assert_eq!(
            got.bytes().as_ref(),
            tarball("left-pad", "1.3.0").as_slice()
        );
    }
    assert_eq!(
        fake.hits("/left-pad/-/left-pad-1.3.0.tgz"),
        1,
        "kept after one fetch"
    );
    assert_eq!(fake.hits("/left-pad"), 1, "fresh for its TTL");

    let version = app.get("/npm/left-pad/latest").send().await;
    assert_eq!(version.status(), 200);
    assert_eq!(version.json::<Value>()["version"], "1.3.0");

    // What was cached is listed under the upstream's name.
    let listed = app
        .get("/api/v3/orgs/npmjs/packages")
        .query(&[("package_type", "npm")])
        .send()
        .await;
    assert_eq!(listed.status(), 200, "{}", listed.text());
    let listed = listed.json::<Value>();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["cached_from"], "npmjs");
    // Its page knows it by the name npm's clients use.
    let page = app
        .get("/orgs/npmjs/packages/npm/package/left-pad")
        .send()
        .await;
    assert_eq!(page.status(), 200);
    let page = page.text();
    assert!(page.contains("npm install left-pad"), "{page}");
    assert!(page.contains("cached from npmjs"), "{page}");
    assert!(!page.contains("@npmjs/"), "{page}");

    assert_eq!(app.get("/npm/no-such-package").send().await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_owners_scope_never_falls_through() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "@alice/widget", &["9.9.9"], true);
    publish(&fake, &base, "@types/node", &["20.0.0"], true);

    let alice = app.token("alice", "read:packages").await;
    let local = app.get("/npm/@alice%2fwidget").bearer(&alice).send().await;
    assert_eq!(local.status(), 404, "{}", local.text());
    let tarball = app
        .get("/npm/@alice/widget/-/widget-9.9.9.tgz")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(tarball.status(), 404);
    assert_eq!(fake.hits("/@alice%2fwidget"), 0, "never asked");

    // A scope no local owner has comes from the upstream.
    let foreign = app.get("/npm/@types%2fnode").send().await;
    assert_eq!(foreign.status(), 200, "{}", foreign.text());
    let doc: Value = foreign.json();
    let url = doc["versions"]["20.0.0"]["dist"]["tarball"]
        .as_str()
        .unwrap();
    assert_eq!(url, app.url("/npm/@types/node/-/node-20.0.0.tgz"));
    let got = app.get(url).send().await;
    assert_eq!(got.status(), 200, "{}", got.text());
    assert_eq!(got.bytes().as_ref(), tarball_bytes("@types/node", "20.0.0"));

    // The scope is the upstream's now: nobody takes it locally, until a
    // site administrator releases it.
    let accounts = app.registry.accounts();
    let taken = accounts.create_user("Types", None, false, None).await;
    let said = taken.unwrap_err().to_string();
    assert!(
        said.contains("reserved") && said.contains("npmjs"),
        "{said}"
    );
    let org = accounts.create_org("types", "alice").await;
    assert!(org.is_err(), "{org:?}");
    app.registry
        .upstreams()
        .release_name("types")
        .await
        .unwrap();
    accounts.create_org("types", "alice").await.unwrap();
    // A local owner's scope never falls through again.
    let local = app.get("/npm/@types%2fnode").bearer(&alice).send().await;
    assert_eq!(local.status(), 404);
}

fn tarball_bytes(name: &str, version: &str) -> Vec<u8> {
    tarball(name, version)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tarball_that_does_not_match_its_integrity_is_refused_and_not_kept() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "evil", &["1.0.0"], false);
    // Streamed as it arrives, the download ends in an error, not cleanly.
    let (first, body) = app.get("/npm/evil/-/evil-1.0.0.tgz").send_streamed().await;
    assert_eq!(first.status(), 200);
    let error = body.expect_err("a download that fails its check is cut short");
    assert!(error.contains("digest"), "{error}");
    // The retry a client makes at once is refused with the reason,
    // without asking the upstream again; so is a ranged request.
    for range in [None, Some("bytes=0-9")] {
        let mut asked = app.get("/npm/evil/-/evil-1.0.0.tgz");
        if let Some(range) = range {
            asked = asked.header("range", range);
        }
        let got = asked.send().await;
        assert_eq!(got.status(), 400, "{}", got.text());
        assert!(got.text().contains("digest"), "{}", got.text());
    }
    assert_eq!(fake.hits("/evil/-/evil-1.0.0.tgz"), 1, "nothing kept");
    let listed: Value = app
        .get("/api/v3/orgs/npmjs/packages")
        .query(&[("package_type", "npm")])
        .send()
        .await
        .json();
    assert_eq!(listed, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tarball_fetched_now_is_streamed_to_the_client_while_it_is_stored() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "slow", &["1.0.0"], true);
    let gate = Arc::new(tokio::sync::Notify::new());
    *fake.gated.lock().unwrap() = Some(("/slow/-/slow-1.0.0.tgz".into(), gate.clone()));
    let whole = tarball("slow", "1.0.0");

    let response = app.get("/npm/slow/-/slow-1.0.0.tgz").respond().await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-length"],
        whole.len().to_string()
    );
    let mut body = response.into_body().into_data_stream();
    let mut got = Vec::new();
    // The first half arrives while the upstream still holds the second.
    while got.len() < whole.len() / 2 {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), body.next())
            .await
            .expect("the first half arrives before the upstream finishes")
            .unwrap()
            .unwrap();
        got.extend_from_slice(&chunk);
    }
    gate.notify_one();
    while let Some(chunk) = body.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, whole);

    // Kept meanwhile: served again without the upstream.
    let again = app.get("/npm/slow/-/slow-1.0.0.tgz").send().await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().as_ref(), whole.as_slice());
    assert_eq!(fake.hits("/slow/-/slow-1.0.0.tgz"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_misses_make_one_upstream_request() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "popular", &["1.0.0"], true);
    let ask = |path: &'static str| {
        let client = app.client();
        tokio::spawn(async move { client.get(path).send().await.status() })
    };
    let documents: Vec<_> = (0..50).map(|_| ask("/npm/popular")).collect();
    for task in documents {
        assert_eq!(task.await.unwrap(), 200);
    }
    let tarballs: Vec<_> = (0..50)
        .map(|_| ask("/npm/popular/-/popular-1.0.0.tgz"))
        .collect();
    for task in tarballs {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(fake.hits("/popular"), 1);
    assert_eq!(fake.hits("/popular/-/popular-1.0.0.tgz"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_upstream_is_down_the_cache_answers_and_says_so() {
    // A TTL of 0: every request revalidates, with the document's ETag.
    let (app, fake, base) = app_with_upstream("0", &[]).await;
    publish(&fake, &base, "left-pad", &["1.3.0"], true);
    assert_eq!(app.get("/npm/left-pad").send().await.status(), 200);
    let tarball = "/npm/left-pad/-/left-pad-1.3.0.tgz";
    assert_eq!(app.get(tarball).send().await.status(), 200);
    let revalidated = app.get("/npm/left-pad").send().await;
    assert_eq!(revalidated.status(), 200);
    assert!(!revalidated.headers().contains_key("warning"));
    // The first tarball fetch read the packument's digests (2), the
    // second packument revalidated it (3); a kept tarball needs neither.
    assert_eq!(fake.hits("/left-pad"), 3, "asked again, answered 304");
    assert_eq!(app.get(tarball).send().await.status(), 200);
    assert_eq!(fake.hits("/left-pad"), 3);

    fake.down.store(true, Ordering::SeqCst);
    let stale = app.get("/npm/left-pad").send().await;
    assert_eq!(stale.status(), 200);
    assert!(
        stale.header("warning").contains("Stale"),
        "{:?}",
        stale.headers()
    );
    assert_eq!(stale.json::<Value>()["dist-tags"]["latest"], "1.3.0");
    let kept = app.get(tarball).send().await;
    assert_eq!(kept.status(), 200);
    assert_eq!(kept.bytes().as_ref(), tarball_bytes("left-pad", "1.3.0"));

    let never = app.get("/npm/never-cached").send().await;
    assert_eq!(never.status(), 502, "{}", never.text());
    assert!(never.text().contains("npmjs"), "{}", never.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_through_the_upstream_follow_the_instances_read_rule() {
    let (app, fake, base) = app_with_upstream("10m", &["--require-auth-for-reads", "true"]).await;
    publish(&fake, &base, "left-pad", &["1.3.0"], true);
    let anonymous = app.get("/npm/left-pad").send().await;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(fake.hits("/left-pad"), 0);
    let alice = app.token("alice", "read:packages").await;
    let signed_in = app.get("/npm/left-pad").bearer(&alice).send().await;
    assert_eq!(signed_in.status(), 200, "{}", signed_in.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn packuments_answer_304_while_unchanged_and_show_what_changed_upstream() {
    // Revalidated with the upstream on every request.
    let (app, fake, base) = app_with_upstream("0s", &[]).await;
    publish(&fake, &base, "left-pad", &["1.0.0"], true);
    let first = app.get("/npm/left-pad").send().await;
    assert_eq!(first.status(), 200);
    let etag = first.header("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    for _ in 0..2 {
        let again = app
            .get("/npm/left-pad")
            .header("if-none-match", &etag)
            .send()
            .await;
        assert_eq!(again.status(), 304, "unchanged upstream: {}", again.text());
        assert_eq!(again.header("etag"), etag);
    }
    assert_eq!(fake.hits("/left-pad"), 3, "revalidated each time");

    publish(&fake, &base, "left-pad", &["1.0.0", "1.1.0"], true);
    let changed = app
        .get("/npm/left-pad")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(changed.status(), 200);
    assert_ne!(changed.header("etag"), etag);
    assert_eq!(changed.json::<Value>()["dist-tags"]["latest"], "1.1.0");
    let version = app.get("/npm/left-pad/1.1.0").send().await;
    assert_eq!(version.status(), 200, "{}", version.text());
    assert_eq!(
        version.json::<Value>()["dist"]["tarball"],
        app.url("/npm/left-pad/-/left-pad-1.1.0.tgz")
    );
    assert_eq!(app.get("/npm/left-pad/9.9.9").send().await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn npm_install_gets_the_abbreviated_packument_of_an_upstream_package() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "left-pad", &["1.0.0"], true);
    // What the public registry's full documents carry beside install data.
    let doc_path = "/left-pad";
    let mut doc: Value = serde_json::from_slice(&fake.files.lock().unwrap()[doc_path].0).unwrap();
    doc["readme"] = json!("# a long readme");
    doc["time"] = json!({"modified": "2026-01-02T03:04:05.000Z"});
    doc["versions"]["1.0.0"]["readme"] = json!("# a long readme");
    doc["versions"]["1.0.0"]["scripts"] = json!({"test": "true"});
    fake.put(doc_path, doc.to_string().into_bytes(), "application/json");

    let corgi = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";
    let slim = app
        .get("/npm/left-pad")
        .header("accept", corgi)
        .send()
        .await;
    assert_eq!(slim.status(), 200);
    assert_eq!(
        slim.header("content-type"),
        "application/vnd.npm.install-v1+json"
    );
    let slim: Value = slim.json();
    assert_eq!(slim["modified"], "2026-01-02T03:04:05.000Z");
    assert_eq!(slim["dist-tags"]["latest"], "1.0.0");
    assert!(slim.get("readme").is_none());
    let version = &slim["versions"]["1.0.0"];
    assert!(version.get("readme").is_none() && version.get("scripts").is_none());
    assert_eq!(
        version["dist"]["tarball"],
        app.url("/npm/left-pad/-/left-pad-1.0.0.tgz")
    );
    let full: Value = app.get("/npm/left-pad").send().await.json();
    assert_eq!(
        full["versions"]["1.0.0"]["scripts"],
        json!({"test": "true"})
    );
    assert_eq!(fake.hits(doc_path), 1, "both from one fetch");
}

//! The container pull-through cache by hand, against a fake registry on
//! loopback behind Docker's token flow (its realm wants the upstream's
//! credentials) that counts what it is asked: a token is asked for once,
//! manifests and blobs are fetched once and checked against their digest,
//! a tag is revalidated with a `HEAD`, pushes are refused, and a tag is
//! served as last seen while the upstream is down. (Real skopeo against
//! CNCF Distribution: `tests/binary/oci_upstream.rs`.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::test_app::TestApp;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A registry whose `/v2/` wants a bearer token from its `/token`, which
/// wants `puller:secret`.
#[derive(Default)]
struct Registry {
    base: Mutex<String>,
    /// Path to (body, content type).
    content: Mutex<HashMap<String, (Vec<u8>, &'static str)>>,
    /// `METHOD PATH` to how often it was asked.
    hits: Mutex<HashMap<String, usize>>,
    down: AtomicBool,
    /// `GET`s answered 429, as Docker Hub does past its pull limit (its
    /// `HEAD`s are free).
    limited: AtomicBool,
}

impl Registry {
    fn hits(&self, key: &str) -> usize {
        self.hits.lock().unwrap().get(key).copied().unwrap_or(0)
    }

    fn put(&self, path: &str, body: Vec<u8>, content_type: &'static str) {
        self.content
            .lock()
            .unwrap()
            .insert(path.to_owned(), (body, content_type));
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

async fn serve(State(fake): State<Arc<Registry>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let key = format!("{} {path}", request.method());
    *fake.hits.lock().unwrap().entry(key).or_default() += 1;
    if fake.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let auth = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if path == "/token" {
        let good = base64::engine::general_purpose::STANDARD.encode("puller:secret");
        let scope = request.uri().query().unwrap_or_default();
        if auth != format!("Basic {good}") || !scope.contains("scope=repository%3Alibrary") {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        return axum::Json(json!({"token": "granted", "expires_in": 300})).into_response();
    }
    if auth != "Bearer granted" {
        let base = fake.base.lock().unwrap().clone();
        let challenge = format!(
            "Bearer realm=\"{base}/token\",service=\"fake\",scope=\"repository:library/app:pull\""
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    }
    if path.starts_with("/v2/library/secret/") {
        // What Docker Hub answers, with any token, for what it will not show.
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if fake.limited.load(Ordering::SeqCst) && request.method() == Method::GET {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let found = fake.content.lock().unwrap().get(&path).cloned();
    let Some((body, content_type)) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
    headers.insert(header::CONTENT_LENGTH, body.len().into());
    headers.insert("docker-content-digest", digest(&body).parse().unwrap());
    if request.method() == Method::HEAD {
        return (StatusCode::OK, headers).into_response();
    }
    (StatusCode::OK, headers, body).into_response()
}

async fn fake_registry() -> (Arc<Registry>, String) {
    let fake = Arc::new(Registry::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    fake.base.lock().unwrap().clone_from(&base);
    let app = axum::Router::new().fallback(serve).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, base)
}

/// An image of one layer pushed as `library/app:TAG`; its manifest's digest
/// and the layer's.
fn image(fake: &Registry, tag: &str, text: &str) -> (String, String) {
    let layer = text.repeat(1000).into_bytes();
    let config = json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
        "diff_ids": [digest(&layer)]}})
    .to_string()
    .into_bytes();
    let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(&layer), "size": layer.len()}]})
    .to_string()
    .into_bytes();
    let (m, l) = (digest(&manifest), digest(&layer));
    let blob = "application/octet-stream";
    fake.put(
        &format!("/v2/library/app/blobs/{}", digest(&config)),
        config,
        blob,
    );
    fake.put(&format!("/v2/library/app/blobs/{l}"), layer, blob);
    fake.put(
        &format!("/v2/library/app/manifests/{m}"),
        manifest.clone(),
        MANIFEST,
    );
    fake.put(
        &format!("/v2/library/app/manifests/{tag}"),
        manifest,
        MANIFEST,
    );
    let tags = json!({"name": "library/app", "tags": [tag]}).to_string();
    fake.put(
        "/v2/library/app/tags/list",
        tags.into_bytes(),
        "application/json",
    );
    (m, l)
}

/// A manifest tagged `TAG` whose layers are `layers` (of 3,000 bytes, on
/// the fake already), with a config of its own; its digest and config's.
fn image_of(fake: &Registry, tag: &str, layers: &[String]) -> (String, String) {
    let config = json!({"architecture": "arm64", "os": "linux", "tag": tag})
        .to_string()
        .into_bytes();
    let layers: Vec<_> = layers
        .iter()
        .map(|l| {
            json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": l, "size": 3000})
        })
        .collect();
    let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(&config), "size": config.len()},
        "layers": layers})
    .to_string()
    .into_bytes();
    let (m, c) = (digest(&manifest), digest(&config));
    fake.put(
        &format!("/v2/library/app/blobs/{c}"),
        config,
        "application/octet-stream",
    );
    fake.put(
        &format!("/v2/library/app/manifests/{m}"),
        manifest,
        MANIFEST,
    );
    (m, c)
}

async fn app_with_cache() -> (TestApp, Arc<Registry>) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_registry().await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&json!({"name": "hub", "format": "container", "url": base,
                      "metadata_ttl": "0", "username": "puller", "password": "secret"}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    (app, fake)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_is_pulled_through_the_token_flow_once_and_then_from_the_cache() {
    let (app, fake) = app_with_cache().await;
    let (manifest, layer) = image(&fake, "1.0", "one");
    let accept = MANIFEST;
    let got = app
        .get("/v2/hub/library/app/manifests/1.0")
        .header("accept", accept)
        .send()
        .await;
    assert_eq!(got.status(), 200, "{}", got.text());
    assert_eq!(got.header("docker-content-digest"), manifest);
    assert_eq!(got.header("content-type"), MANIFEST);
    assert_eq!(digest(&got.bytes()), manifest, "byte for byte");
    // The tag is asked with a HEAD, the manifest fetched by its digest.
    assert_eq!(
        fake.hits("HEAD /v2/library/app/manifests/1.0"),
        2,
        "401, then with the token"
    );
    assert_eq!(fake.hits("GET /v2/library/app/manifests/1.0"), 0);
    assert_eq!(
        fake.hits(&format!("GET /v2/library/app/manifests/{manifest}")),
        1
    );
    assert_eq!(fake.hits("GET /token"), 1);

    let path = format!("/v2/hub/library/app/blobs/{layer}");
    for _ in 0..3 {
        let blob = app.get(&path).send().await;
        assert_eq!(blob.status(), 200, "{}", blob.text());
        assert_eq!(digest(&blob.bytes()), layer);
        assert_eq!(blob.header("docker-content-digest"), layer);
    }
    assert_eq!(fake.hits(&format!("GET /v2/library/app/blobs/{layer}")), 1);
    let by_digest = app
        .get(&format!("/v2/hub/library/app/manifests/{manifest}"))
        .send()
        .await;
    assert_eq!(by_digest.status(), 200);
    assert_eq!(
        fake.hits(&format!("GET /v2/library/app/manifests/{manifest}")),
        1
    );
    assert_eq!(fake.hits("GET /token"), 1, "the token was kept");

    // The tag moves upstream: the next pull (TTL 0) sees it.
    let (moved, _) = image(&fake, "1.0", "two");
    let got = app.get("/v2/hub/library/app/manifests/1.0").send().await;
    assert_eq!(got.header("docker-content-digest"), moved);
    let tags: Value = app.get("/v2/hub/library/app/tags/list").send().await.json();
    assert_eq!(
        tags,
        json!({"name": "hub/library/app", "tags": ["1.0"]}),
        "{tags}"
    );

    // Down: the tag as last seen, blobs and digests from the cache.
    fake.down.store(true, Ordering::SeqCst);
    let stale = app.get("/v2/hub/library/app/manifests/1.0").send().await;
    assert_eq!(stale.status(), 200, "{}", stale.text());
    assert_eq!(stale.header("docker-content-digest"), moved);
    assert_eq!(app.get(&path).send().await.status(), 200);
    let unseen = app.get("/v2/hub/library/app/manifests/2.0").send().await;
    assert_eq!(unseen.status(), 502, "{}", unseen.text());
    let tags = app.get("/v2/hub/library/app/tags/list").send().await;
    assert_eq!(tags.status(), 200, "the list as last fetched");
}

#[tokio::test(flavor = "multi_thread")]
async fn what_does_not_match_its_digest_is_refused_and_nothing_is_kept() {
    let (app, fake) = app_with_cache().await;
    let (_, layer) = image(&fake, "1.0", "one");
    let path = format!("/v2/library/app/blobs/{layer}");
    fake.put(&path, b"not the layer".to_vec(), "application/octet-stream");
    let (response, body) = app
        .get(&format!("/v2/hub/library/app/blobs/{layer}"))
        .send_streamed()
        .await;
    assert!(
        response.status() != 200 || body.is_err(),
        "a bad blob never arrives whole"
    );
    let again = app
        .head(&format!("/v2/hub/library/app/blobs/{layer}"))
        .send()
        .await;
    assert_eq!(again.status(), 200, "asked upstream, not kept");
    let kept = app.store().await;
    let upstream = kept.upstream("hub").await.unwrap().unwrap();
    let link = kept
        .blob_link(
            upstream.account_id,
            entrepot_core::PackageType::Container,
            "library/app",
            &layer,
        )
        .await
        .unwrap();
    assert!(link.is_none(), "nothing was linked");

    // A manifest under a digest it does not have.
    let other = format!("sha256:{}", "a".repeat(64));
    let manifest = fake.content.lock().unwrap()["/v2/library/app/manifests/1.0"]
        .0
        .clone();
    fake.put(
        &format!("/v2/library/app/manifests/{other}"),
        manifest,
        MANIFEST,
    );
    let refused = app
        .get(&format!("/v2/hub/library/app/manifests/{other}"))
        .send()
        .await;
    assert_eq!(refused.status(), 502, "{}", refused.text());
    assert!(
        refused.text().contains("does not match"),
        "{}",
        refused.text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_is_read_only_and_follows_the_read_rule() {
    let (app, fake) = app_with_cache().await;
    image(&fake, "1.0", "one");
    let alice = app.token("alice", "read:packages,write:packages").await;
    let push = app
        .post("/v2/hub/library/app/blobs/uploads/")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(push.status(), 403, "{}", push.text());
    assert!(push.text().contains("DENIED"), "{}", push.text());
    let put = app
        .put("/v2/hub/library/app/manifests/1.0")
        .bearer(&alice)
        .header("content-type", MANIFEST)
        .body("{}")
        .send()
        .await;
    assert_eq!(put.status(), 403, "{}", put.text());
    let delete = app
        .delete("/v2/hub/library/app/manifests/1.0")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(delete.status(), 403, "{}", delete.text());

    // The token endpoint grants pulls, never pushes.
    let granted: Value = app
        .get("/token?service=x&scope=repository:hub/library/app:pull,push")
        .bearer(&alice)
        .send()
        .await
        .json();
    let token = granted["token"].as_str().unwrap();
    let pulled = app
        .get("/v2/hub/library/app/manifests/1.0")
        .bearer(token)
        .send()
        .await;
    assert_eq!(pulled.status(), 200, "{}", pulled.text());
    let pushed = app
        .post("/v2/hub/library/app/blobs/uploads/")
        .bearer(token)
        .send()
        .await;
    assert_eq!(pushed.status(), 403, "{}", pushed.text());

    // With reads signed in only, anonymous pulls are asked to sign in.
    let closed = TestApp::with_args(&["--require-auth-for-reads", "true"]).await;
    closed.site_admin("root").await;
    let root = closed.token("root", "read:packages,write:packages").await;
    let base = fake.base.lock().unwrap().clone();
    let added = closed
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&json!({"name": "hub", "format": "container", "url": base,
                      "username": "puller", "password": "secret"}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    let anonymous = closed.get("/v2/hub/library/app/manifests/1.0").send().await;
    assert_eq!(anonymous.status(), 401);
    assert!(
        anonymous
            .header("www-authenticate")
            .starts_with("Bearer realm=")
    );
    let signed = closed
        .get("/v2/hub/library/app/manifests/1.0")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(signed.status(), 200, "{}", signed.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_upstream_leaves_tags_as_last_seen_and_is_not_awaited_again_at_once() {
    let (app, fake) = app_with_cache().await;
    let (first, _) = image(&fake, "1.0", "one");
    let tag = "/v2/hub/library/app/manifests/1.0";
    assert_eq!(
        app.get(tag).send().await.header("docker-content-digest"),
        first
    );

    // The tag moved, but pulls are limited: the HEAD says so, the GET of
    // the new manifest is refused, and the tag stays as last seen.
    let (moved, _) = image(&fake, "1.0", "two");
    fake.limited.store(true, Ordering::SeqCst);
    let limited = app.get(tag).send().await;
    assert_eq!(limited.status(), 200, "{}", limited.text());
    assert_eq!(limited.header("docker-content-digest"), first);
    let fresh = app.get("/v2/hub/library/app/manifests/3.0").send().await;
    assert_eq!(fresh.status(), 404, "{}", fresh.text());
    fake.limited.store(false, Ordering::SeqCst);
    assert_eq!(
        app.get(tag).send().await.header("docker-content-digest"),
        moved
    );

    // Down: the first pull finds out, the next ones within the back-off
    // do not ask again.
    fake.down.store(true, Ordering::SeqCst);
    let heads = || fake.hits("HEAD /v2/library/app/manifests/1.0");
    let before = heads();
    for _ in 0..3 {
        let stale = app.get(tag).send().await;
        assert_eq!(stale.status(), 200, "{}", stale.text());
        assert_eq!(stale.header("docker-content-digest"), moved);
    }
    assert_eq!(heads(), before + 1, "asked once, then the copy for a while");

    // What a registry refuses even with a token is not there.
    fake.down.store(false, Ordering::SeqCst);
    let hidden = app.get("/v2/hub/library/secret/manifests/1").send().await;
    assert_eq!(hidden.status(), 404, "{}", hidden.text());
    assert!(
        hidden.text().contains("MANIFEST_UNKNOWN"),
        "{}",
        hidden.text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_evicted_manifest_comes_back_when_it_is_pulled_again() {
    let (app, fake) = app_with_cache().await;
    let (manifest, _) = image(&fake, "1.0", "one");
    let by_digest = format!("/v2/hub/library/app/manifests/{manifest}");
    assert_eq!(app.get(&by_digest).send().await.status(), 200);
    let store = app.store().await;
    let upstream = store.upstream("hub").await.unwrap().unwrap();
    let package = store
        .package(
            upstream.account_id,
            entrepot_core::PackageType::Container,
            "library/app",
            false,
        )
        .await
        .unwrap()
        .unwrap();
    let version = store.version(package.id, &manifest).await.unwrap().unwrap();
    // What the cache's eviction does to a version.
    store
        .set_version_deleted(version.id, Some(chrono::Utc::now()))
        .await
        .unwrap();
    let again = app.get(&by_digest).send().await;
    assert_eq!(again.status(), 200, "{}", again.text());
    assert_eq!(digest(&again.bytes()), manifest);
    assert_eq!(
        fake.hits(&format!("GET /v2/library/app/manifests/{manifest}")),
        3,
        "401, with the token, and fetched again"
    );
    let tag = app.get("/v2/hub/library/app/manifests/1.0").send().await;
    assert_eq!(tag.status(), 200, "{}", tag.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_size_counts_an_images_layers_once() {
    let (app, fake) = app_with_cache().await;
    let mut layers = Vec::new();
    for (tag, text) in [("1.0", "one"), ("2.0", "two")] {
        let (manifest, layer) = image(&fake, tag, text);
        for path in [
            format!("/v2/hub/library/app/manifests/{manifest}"),
            format!("/v2/hub/library/app/blobs/{layer}"),
        ] {
            let got = app.get(&path).send().await;
            assert_eq!(got.status(), 200, "{path}: {}", got.text());
        }
        layers.push(layer);
    }
    // The second image also holds the first's layer (linked once).
    let (manifest, _) = image_of(&fake, "3.0", &layers);
    let got = app
        .get(&format!("/v2/hub/library/app/manifests/{manifest}"))
        .send()
        .await;
    assert_eq!(got.status(), 200, "{}", got.text());
    app.flush_downloads().await;
    let everything = entrepot_service::upstream_cache::CachePolicy {
        max_age: None,
        max_bytes: Some(0),
    };
    let report = app
        .registry
        .upstreams()
        .prune_cache(Some(everything), true)
        .await
        .unwrap();
    assert_eq!(report.evicted.len(), 3, "{report:?}");
    // Each layer is 3,000 bytes: both are counted, once each.
    let total = report.evicted_bytes;
    assert!((6_000..9_000).contains(&total), "{total}: {report:?}");
}

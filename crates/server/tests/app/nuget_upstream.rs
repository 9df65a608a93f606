//! A NuGet mirror by hand, against a fake v3 feed on loopback that counts
//! what it is asked: the service index is this feed's, registrations come
//! through with their URLs pointing here, and a `.nupkg` is fetched once
//! and checked against its catalog entry's `packageHash`; searches are
//! passed to the upstream's search service; an owner's feed falls through
//! to the upstream for ids it lacks. (Real NuGet.exe
//! against a second Entrepot: `tests/binary/nuget_upstream.rs`.)

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::nupkg_of;
use crate::npm_upstream::{Fake, fake_upstream};
use crate::test_app::TestApp;

/// Puts a feed on the fake: `tiny` 1.0.0 (honest) and 2.0.0 (whose
/// catalog entry declares another package's hash).
fn publish(fake: &Fake, base: &str) -> Vec<u8> {
    let index = json!({"version": "3.0.0", "resources": [
        {"@id": format!("{base}/flat/"), "@type": "PackageBaseAddress/3.0.0"},
        {"@id": format!("{base}/reg/"), "@type": "RegistrationsBaseUrl/3.6.0"},
        {"@id": format!("{base}/query"), "@type": "SearchQueryService/3.5.0"}]});
    fake.put(
        "/index.json",
        index.to_string().into_bytes(),
        "application/json",
    );
    let nupkg = nupkg_of("tiny", "1.0.0", "");
    let mut items = Vec::new();
    for (version, bytes) in [("1.0.0", nupkg.clone()), ("2.0.0", b"other".to_vec())] {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(&bytes));
        let catalog = format!("{base}/catalog/tiny.{version}.json");
        fake.put(
            &format!("/catalog/tiny.{version}.json"),
            json!({"id": "tiny", "version": version, "packageHash": hash,
                   "packageHashAlgorithm": "SHA512"})
            .to_string()
            .into_bytes(),
            "application/json",
        );
        fake.put(
            &format!("/flat/tiny/{version}/tiny.{version}.nupkg"),
            nupkg.clone(),
            "application/octet-stream",
        );
        items.push(json!({"@id": format!("{base}/reg/tiny/{version}.json"),
            "catalogEntry": {"@id": catalog, "id": "tiny", "version": version},
            "packageContent": format!("{base}/flat/tiny/{version}/tiny.{version}.nupkg")}));
    }
    let registration = json!({"@id": format!("{base}/reg/tiny/index.json"), "count": 1,
        "items": [{"@id": format!("{base}/reg/tiny/index.json#page/1.0.0/2.0.0"),
                   "lower": "1.0.0", "upper": "2.0.0", "count": 2, "items": items}]});
    fake.put(
        "/reg/tiny/index.json",
        registration.to_string().into_bytes(),
        "application/json",
    );
    fake.put(
        "/flat/tiny/index.json",
        json!({"versions": ["1.0.0", "2.0.0"]})
            .to_string()
            .into_bytes(),
        "application/json",
    );
    nupkg
}

/// An application mirroring the fake feed as `feed`; the fake and the
/// honest package.
async fn app_with_feed() -> (TestApp, std::sync::Arc<Fake>, Vec<u8>) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_upstream().await;
    let nupkg = publish(&fake, &base);
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(
            &json!({"name": "feed", "format": "nuget", "url": format!("{base}/"),
                      "metadata_ttl": "10m"}),
        )
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());

    (app, fake, nupkg)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_rewrites_registrations_and_keeps_checked_packages() {
    let (app, fake, nupkg) = app_with_feed().await;
    let index: Value = app.get("/nuget/feed/index.json").send().await.json();
    let ids: Vec<&str> = index["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["@id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.starts_with(&app.url("/nuget/feed/"))),
        "{ids:?}"
    );

    let registration: Value = app
        .get("/nuget/feed/v3/registration-semver2/tiny/index.json")
        .send()
        .await
        .json();
    let leaf = &registration["items"][0]["items"][0];
    assert_eq!(
        leaf["packageContent"],
        app.url("/nuget/feed/v3/flat/tiny/1.0.0/tiny.1.0.0.nupkg")
    );
    assert_eq!(
        registration["@id"],
        app.url("/nuget/feed/v3/registration-semver2/tiny/index.json")
    );
    let versions: Value = app
        .get("/nuget/feed/v3/flat/tiny/index.json")
        .send()
        .await
        .json();
    assert_eq!(versions, json!({"versions": ["1.0.0", "2.0.0"]}));

    for _ in 0..2 {
        let got = app
            .get("/nuget/feed/v3/flat/tiny/1.0.0/tiny.1.0.0.nupkg")
            .send()
            .await;
        assert_eq!(got.status(), 200, "{}", got.text());
        assert_eq!(got.bytes().as_ref(), nupkg.as_slice());
    }
    assert_eq!(
        fake.hits("/flat/tiny/1.0.0/tiny.1.0.0.nupkg"),
        1,
        "kept after one fetch"
    );
    let nuspec = app
        .get("/nuget/feed/v3/flat/tiny/1.0.0/tiny.nuspec")
        .send()
        .await;
    assert_eq!(nuspec.status(), 200, "{}", nuspec.text());
    assert!(nuspec.text().contains("<id>tiny</id>"), "{}", nuspec.text());
    assert_eq!(
        fake.hits("/flat/tiny/1.0.0/tiny.1.0.0.nupkg"),
        1,
        "read from the kept package"
    );

    // Not the package its catalog entry declares: cut short, not kept.
    let (first, body) = app
        .get("/nuget/feed/v3/flat/tiny/2.0.0/tiny.2.0.0.nupkg")
        .send_streamed()
        .await;
    assert!(first.status() != 200 || body.is_err(), "never served whole");
    let again = app
        .get("/nuget/feed/v3/flat/tiny/2.0.0/tiny.2.0.0.nupkg")
        .send()
        .await;
    assert_ne!(again.status(), 200);
    let ghost = app
        .get("/nuget/feed/v3/flat/tiny/9.0.0/tiny.9.0.0.nupkg")
        .send()
        .await;
    assert_eq!(ghost.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_a_path_holds_leaves_the_upstreams_resources_and_nothing_is_pushed() {
    let (app, fake, _) = app_with_feed().await;
    // Nothing a client writes in a path reaches past the upstream's
    // resources.
    for hostile in [
        "/nuget/feed/v3/flat/..%5C..%5Cindex.json%23/index.json",
        "/nuget/feed/v3/flat/%2E%2E/index.json",
        "/nuget/feed/v3/flat/tiny/1.0.0%3Fx/tiny.1.0.0.nupkg",
        "/nuget/feed/v3/registration-semver2/tiny/page/..%2F..%2Fx/1.json",
    ] {
        let refused = app.get(hostile).send().await;
        assert_eq!(refused.status(), 404, "{hostile}: {}", refused.text());
    }
    assert_eq!(
        fake.hits("/index.json"),
        0,
        "the upstream is not even asked"
    );

    let alice = app.token("alice", "read:packages,write:packages").await;
    let pushed = app
        .put("/nuget/feed/api/v2/package")
        .header("x-nuget-apikey", &alice)
        .body("x")
        .send()
        .await;
    assert_eq!(pushed.status(), 403, "{}", pushed.text());
}

/// The fake's search answer: `tiny`, then `Mine` (an id alice takes).
fn search_results(fake: &Fake, base: &str) {
    let hit = |id: &str| {
        json!({"@id": format!("{base}/reg/{}/index.json", id.to_lowercase()),
               "registration": format!("{base}/reg/{}/index.json", id.to_lowercase()),
               "id": id, "version": "1.0.0",
               "versions": [{"version": "1.0.0",
                             "@id": format!("{base}/reg/{}/1.0.0.json", id.to_lowercase())}]})
    };
    let page = json!({"totalHits": 7, "data": [hit("tiny"), hit("Mine")]});
    fake.put("/query", page.to_string().into_bytes(), "application/json");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_passes_searches_to_the_upstream_with_links_pointing_here() {
    let (app, fake, _) = app_with_feed().await;
    let base = fake_base(&app).await;
    search_results(&fake, &base);
    let index: Value = app.get("/nuget/feed/index.json").send().await.json();
    assert!(
        index["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["@type"] == "SearchQueryService/3.5.0"
                && r["@id"] == app.url("/nuget/feed/v3/query")),
        "{index}"
    );
    for round in 1..=2 {
        let found = app
            .get("/nuget/feed/v3/query?q=tiny%20id:x&skip=5&take=2&prerelease=true&semVerLevel=2.0.0")
            .send()
            .await;
        assert_eq!(found.status(), 200, "{}", found.text());
        let found: Value = found.json();
        assert_eq!(found["totalHits"], 7);
        assert_eq!(
            found["data"][0]["registration"],
            app.url("/nuget/feed/v3/registration-semver2/tiny/index.json")
        );
        assert_eq!(
            found["data"][0]["versions"][0]["@id"],
            app.url("/nuget/feed/v3/registration-semver2/tiny/1.0.0.json")
        );
        assert_eq!(fake.hits("/query"), round, "asked each time, never kept");
    }
    assert_eq!(
        fake.last_query("/query").unwrap(),
        "q=tiny+id%3Ax&skip=5&take=2&prerelease=true&semVerLevel=2.0.0"
    );
}

/// The fake's base URL, as the upstream `feed` was registered with.
async fn fake_base(app: &TestApp) -> String {
    let root = app.token("root", "read:packages").await;
    let upstreams: Value = app
        .get("/api/v3/admin/upstreams")
        .bearer(&root)
        .send()
        .await
        .json();
    upstreams
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "feed")
        .and_then(|u| u["url"].as_str())
        .unwrap()
        .trim_end_matches('/')
        .to_owned()
}

/// A push as NuGet.exe sends it, to alice's feed.
async fn push_to_alice(app: &TestApp, key: &str, body: &[u8]) -> u16 {
    crate::nuget_http::push_to(app, "package", key, body)
        .await
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owners_feed_falls_through_for_ids_it_lacks() {
    let (app, fake, nupkg) = app_with_feed().await;
    let base = fake_base(&app).await;
    search_results(&fake, &base);
    let alice = app.token("alice", "read:packages,write:packages").await;
    let set = app
        .put("/api/v3/user/fallthrough/nuget")
        .bearer(&alice)
        .json(&json!({"upstream": "feed", "reserved": ["acme.*"]}))
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());
    assert_eq!(
        push_to_alice(&app, &alice, &nupkg_of("Mine", "2.0.0", "")).await,
        201
    );
    let get = |path: &str| {
        app.get(&format!("/nuget/alice/{path}"))
            .basic("alice", &alice)
            .send()
    };

    let registration = get("v3/registration-semver2/tiny/index.json").await;
    assert_eq!(registration.status(), 200, "{}", registration.text());
    assert_eq!(registration.header("x-entrepot-upstream"), "feed");
    let registration: Value = registration.json();
    assert_eq!(
        registration["items"][0]["items"][0]["packageContent"],
        app.url("/nuget/alice/v3/flat/tiny/1.0.0/tiny.1.0.0.nupkg"),
        "links point at alice's feed"
    );
    let versions: Value = get("v3/flat/tiny/index.json").await.json();
    assert_eq!(versions, json!({"versions": ["1.0.0", "2.0.0"]}));
    let file = get("v3/flat/tiny/1.0.0/tiny.1.0.0.nupkg").await;
    assert_eq!(file.status(), 200, "{}", file.text());
    assert_eq!(file.bytes().as_ref(), nupkg.as_slice());
    // Served from the upstream, `tiny` is kept for it.
    assert_ne!(
        push_to_alice(&app, &alice, &nupkg_of("tiny", "3.0.0", "")).await,
        201
    );

    let own: Value = get("v3/flat/mine/index.json").await.json();
    assert_eq!(own, json!({"versions": ["2.0.0"]}), "alice's own");
    fake.put(
        "/flat/acme.secret/index.json",
        b"{}".to_vec(),
        "application/json",
    );
    for refused in ["v3/flat/acme.secret/index.json", "v3/flat/ghost/index.json"] {
        assert_eq!(get(refused).await.status(), 404, "{refused}");
    }
    assert_eq!(fake.hits("/flat/acme.secret/index.json"), 0, "never asked");

    // alice's hits first, then the upstream's, without her ids.
    let found: Value = get("v3/query?q=&take=10").await.json();
    let ids: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["Mine", "tiny"], "{found}");
    assert_eq!(found["totalHits"], 7, "Mine counted once, as alice's");
    assert_eq!(
        found["data"][1]["registration"],
        app.url("/nuget/alice/v3/registration-semver2/tiny/index.json")
    );
    assert_eq!(
        fake.last_query("/query").unwrap(),
        "q=&skip=0&take=9&prerelease=false"
    );
    let second: Value = get("v3/query?q=&skip=1&take=1").await.json();
    assert_eq!(second["data"][0]["id"], "tiny", "{second}");
    assert_eq!(
        fake.last_query("/query").unwrap(),
        "q=&skip=0&take=1&prerelease=false"
    );
}

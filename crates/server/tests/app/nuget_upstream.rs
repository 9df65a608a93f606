//! A NuGet mirror by hand, against a fake v3 feed on loopback that counts
//! what it is asked: the service index is this feed's, registrations come
//! through with their URLs pointing here, and a `.nupkg` is fetched once
//! and checked against its catalog entry's `packageHash`. (Real NuGet.exe
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
        {"@id": format!("{base}/reg/"), "@type": "RegistrationsBaseUrl/3.6.0"}]});
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

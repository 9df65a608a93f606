//! A RubyGems mirror by hand, against a fake compact index on loopback
//! that counts what it is asked: `/versions` and `/info` pass through byte
//! for byte with the MD5 `ETag` Bundler checks (and `304`, `Range`), a
//! gem is fetched once and checked against its `/info` checksum, the quick
//! gemspec `gem install` reads is rendered from the kept gem, and nothing
//! is pushed. (Real Bundler and gem against a second Entrepot:
//! `tests/binary/rubygems_upstream.rs`.)

use md5::Digest as _;
use serde_json::json;

use crate::common::artifacts::{gem_of, gemspec};
use crate::npm_upstream::{Fake, fake_upstream};
use crate::test_app::TestApp;

/// Puts `demo-1.0.0.gem` (honest) and `evil-1.0.0.gem` (whose `/info`
/// checksum is another's) on the fake; returns demo's gem and `/info`.
fn publish(fake: &Fake) -> (Vec<u8>, String) {
    let gem = gem_of(&gemspec("demo", "1.0.0", None), false);
    let sum = hex::encode(sha2::Sha256::digest(&gem));
    let info = format!("---\n1.0.0 |checksum:{sum},ruby:>= 2.7\n");
    fake.put("/info/demo", info.clone().into_bytes(), "text/plain");
    fake.put(
        "/gems/demo-1.0.0.gem",
        gem.clone(),
        "application/octet-stream",
    );
    let evil = format!("---\n1.0.0 |checksum:{}\n", "0".repeat(64));
    fake.put("/info/evil", evil.into_bytes(), "text/plain");
    fake.put(
        "/gems/evil-1.0.0.gem",
        b"not that gem".to_vec(),
        "application/octet-stream",
    );
    let versions = "created_at: 2026-12-01T00:00:00Z\n---\ndemo 1.0.0 abc\nevil 1.0.0 def\n";
    fake.put("/versions", versions.as_bytes().to_vec(), "text/plain");
    (gem, info)
}

async fn app_with_mirror() -> (TestApp, std::sync::Arc<Fake>) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_upstream().await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&json!({"name": "gems", "format": "rubygems", "url": base,
                      "metadata_ttl": "10m"}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    (app, fake)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_passes_the_compact_index_through_and_keeps_checked_gems() {
    let (app, fake) = app_with_mirror().await;
    let (gem, info) = publish(&fake);

    let got = app.get("/rubygems/gems/info/demo").send().await;
    assert_eq!(got.status(), 200, "{}", got.text());
    assert_eq!(got.text(), info, "byte for byte");
    let md5 = format!("\"{}\"", hex::encode(md5::Md5::digest(info.as_bytes())));
    assert_eq!(got.header("etag"), md5);
    assert_eq!(got.header("x-entrepot-upstream"), "gems");
    let unchanged = app
        .get("/rubygems/gems/info/demo")
        .header("if-none-match", &md5)
        .send()
        .await;
    assert_eq!(unchanged.status(), 304);
    let tail = app
        .get("/rubygems/gems/versions")
        .header("range", "bytes=33-")
        .send()
        .await;
    assert_eq!(tail.status(), 206, "{}", tail.text());
    assert_eq!(tail.text(), "---\ndemo 1.0.0 abc\nevil 1.0.0 def\n");

    for _ in 0..2 {
        let file = app.get("/rubygems/gems/gems/demo-1.0.0.gem").send().await;
        assert_eq!(file.status(), 200, "{}", file.text());
        assert_eq!(file.bytes().as_ref(), gem.as_slice());
    }
    assert_eq!(fake.hits("/gems/demo-1.0.0.gem"), 1, "kept after one fetch");
    assert_eq!(fake.hits("/info/demo"), 1, "fresh for its TTL");
    let spec = app
        .get("/rubygems/gems/quick/Marshal.4.8/demo-1.0.0.gemspec.rz")
        .send()
        .await;
    assert_eq!(spec.status(), 200, "{}", spec.text());
    assert_eq!(spec.bytes()[..2], [0x78, 0x9c], "zlib, as gem reads it");

    // A gem that is not what its /info line says is cut short and not kept.
    let (first, body) = app
        .get("/rubygems/gems/gems/evil-1.0.0.gem")
        .send_streamed()
        .await;
    assert!(first.status() != 200 || body.is_err(), "never served whole");
    let again = app.get("/rubygems/gems/gems/evil-1.0.0.gem").send().await;
    assert_ne!(again.status(), 200);
    let missing = app.get("/rubygems/gems/gems/ghost-1.0.0.gem").send().await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_is_read_only_and_serves_only_the_compact_index() {
    let (app, fake) = app_with_mirror().await;
    publish(&fake);
    let alice = app.token("alice", "read:packages,write:packages").await;
    let gem = gem_of(&gemspec("mine", "1.0.0", None), false);
    let pushed = app
        .post("/rubygems/gems/api/v1/gems")
        .header("authorization", &alice)
        .body(gem)
        .send()
        .await;
    assert_eq!(pushed.status(), 403, "{}", pushed.text());
    assert!(pushed.text().contains("read-only"), "{}", pushed.text());
    let legacy = app.get("/rubygems/gems/specs.4.8.gz").send().await;
    assert_eq!(legacy.status(), 404);
    assert!(legacy.text().contains("compact index"), "{}", legacy.text());
    assert_eq!(fake.hits("/specs.4.8.gz"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owners_gems_fall_through_for_names_it_lacks() {
    let (app, fake) = app_with_mirror().await;
    let (gem, info) = publish(&fake);
    fake.put(
        "/info/acme-secret",
        b"---\n1.0.0 |checksum:00\n".to_vec(),
        "text/plain",
    );
    let alice = app.token("alice", "read:packages,write:packages").await;
    let set = app
        .put("/api/v3/user/fallthrough/rubygems")
        .bearer(&alice)
        .json(&json!({"upstream": "gems", "reserved": ["acme-*"]}))
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());
    // alice's own `Evil`: the upstream's `evil` is its twin.
    let pushed = app
        .post("/rubygems/alice/api/v1/gems")
        .header("authorization", &alice)
        .body(gem_of(&gemspec("Evil", "2.0.0", None), false))
        .send()
        .await;
    assert_eq!(pushed.status(), 200, "{}", pushed.text());
    let get = |path: &str| {
        app.get(&format!("/rubygems/alice/{path}"))
            .bearer(&alice)
            .send()
    };

    let through = get("info/demo").await;
    assert_eq!(through.status(), 200, "{}", through.text());
    assert_eq!(through.text(), info, "byte for byte");
    assert_eq!(through.header("x-entrepot-upstream"), "gems");
    let versions = get("versions").await;
    assert_eq!(versions.status(), 200, "{}", versions.text());
    let text = versions.text();
    assert!(
        text.starts_with("created_at: 2026-12-01T00:00:00Z\n---\nEvil 2.0.0 "),
        "alice's first: {text}"
    );
    assert!(
        text.ends_with("\ndemo 1.0.0 abc\n"),
        "then the upstream's, so its appends stay appends: {text}"
    );
    assert!(
        !text.contains("evil 1.0.0 def"),
        "the twin is left out: {text}"
    );
    assert!(text.contains("\nEvil 2.0.0 "), "alice's own: {text}");
    let md5 = format!("\"{}\"", hex::encode(md5::Md5::digest(text.as_bytes())));
    assert_eq!(versions.header("etag"), md5, "the ETag of the merged file");
    assert_eq!(
        get("names").await.text(),
        "---\nEvil\n",
        "no /names upstream"
    );
    fake.put("/names", b"---\ndemo\nevil\n".to_vec(), "text/plain");
    assert_eq!(get("names").await.text(), "---\nEvil\ndemo\n");

    let file = get("gems/demo-1.0.0.gem").await;
    assert_eq!(file.status(), 200, "{}", file.text());
    assert_eq!(file.bytes().as_ref(), gem.as_slice());
    let spec = get("quick/Marshal.4.8/demo-1.0.0.gemspec.rz").await;
    assert_eq!(spec.status(), 200, "{}", spec.text());
    // Served from the upstream, `demo` is kept for it.
    let taken = app
        .post("/rubygems/alice/api/v1/gems")
        .header("authorization", &alice)
        .body(gem_of(&gemspec("demo", "2.0.0", None), false))
        .send()
        .await;
    assert_ne!(taken.status(), 200, "{}", taken.text());

    let own = get("info/Evil").await;
    assert_eq!(own.status(), 200);
    assert!(own.text().contains("2.0.0"), "{}", own.text());
    assert!(!own.headers().contains_key("x-entrepot-upstream"));
    for twin in ["info/evil", "gems/evil-1.0.0.gem", "info/acme-secret"] {
        let refused = get(twin).await;
        assert_eq!(refused.status(), 404, "{twin}: {}", refused.text());
    }
    assert_eq!(fake.hits("/info/acme-secret"), 0, "never asked");

    assert_eq!(fake.hits("/info/evil"), 0, "never asked");
    let ghost = get("info/ghost").await;
    assert_eq!(ghost.status(), 404, "{}", ghost.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_purged_gem_name_stays_the_owners() {
    let (app, fake) = app_with_mirror().await;
    let (_, info) = publish(&fake);
    let alice = app.token("alice", "read:packages,write:packages").await;
    let set = app
        .put("/api/v3/user/fallthrough/rubygems")
        .bearer(&alice)
        .json(&json!({"upstream": "gems"}))
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());

    // alice's `Gone`, deleted and then purged for good, stays hers.
    let pushed = app
        .post("/rubygems/alice/api/v1/gems")
        .header("authorization", &alice)
        .body(gem_of(&gemspec("Gone", "1.0.0", None), false))
        .send()
        .await;
    assert_eq!(pushed.status(), 200, "{}", pushed.text());
    let admin = app.token("alice", "read:packages,delete:packages").await;
    let deleted = app
        .delete("/api/v3/user/packages/rubygems/Gone")
        .bearer(&admin)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());
    let store = app.store().await;
    let owner = store.account_by_login("alice").await.unwrap().unwrap();
    let gone = store
        .package(owner.id, entrepot_core::PackageType::Rubygems, "Gone", true)
        .await
        .unwrap()
        .unwrap();
    store.purge_package(gone.id).await.unwrap();
    fake.put("/info/gone", info.clone().into_bytes(), "text/plain");
    let purged = app
        .get("/rubygems/alice/info/gone")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(purged.status(), 404, "{}", purged.text());
    assert_eq!(fake.hits("/info/gone"), 0, "never asked");
}

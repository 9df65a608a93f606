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

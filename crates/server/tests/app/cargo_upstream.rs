//! Cargo upstreams by hand, against a fake sparse registry on loopback
//! that counts what it is asked: a mirror passes index files through byte
//! for byte, downloads through the upstream's `dl` template, keeps a
//! checked `.crate` after one fetch and refuses one that fails its
//! `cksum`; an owner's registry falls through only for names it has no
//! crate (nor twin) of and does not reserve. (Real cargo against a second
//! Entrepot: `tests/binary/cargo_upstream.rs`.)

use std::fmt::Write as _;

use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::{crate_body, crate_metadata, crate_of};
use crate::npm_upstream::{Fake, fake_upstream};
use crate::test_app::TestApp;

/// A crate's bytes (nothing here unpacks them).
fn crate_bytes(name: &str, version: &str) -> Vec<u8> {
    format!("crate {name} {version}").repeat(100).into_bytes()
}

/// Puts `config.json` and `(name, version, honest)` crates on the fake
/// registry, each line with fields this registry has never heard of;
/// returns the index file as served.
fn publish(fake: &Fake, base: &str, crates: &[(&str, &str, bool)]) -> String {
    let config = json!({"dl": format!("{base}/dl/{{crate}}/{{version}}/{{sha256-checksum}}"),
                        "api": base});
    fake.put(
        "/index/config.json",
        config.to_string().into_bytes(),
        "application/json",
    );
    let mut file = String::new();
    for (name, version, honest) in crates {
        let bytes = crate_bytes(name, version);
        let sum = if *honest {
            hex::encode(sha2::Sha256::digest(&bytes))
        } else {
            "00".repeat(32)
        };
        writeln!(
            file,
            "{{\"name\":\"{name}\",\"vers\":\"{version}\",\"deps\":[],\"cksum\":\"{sum}\",\
             \"features\":{{}},\"features2\":{{\"x\":[\"dep:y\"]}},\"v\":2,\"yanked\":false,\
             \"rust_version\":\"1.70\",\"a_future_field\":[1,2]}}"
        )
        .unwrap();
        fake.put(
            &format!("/dl/{name}/{version}/{sum}"),
            bytes,
            "application/octet-stream",
        );
    }
    let lower = crates[0].0.to_ascii_lowercase();
    fake.put(
        &format!("/index/{}/{}/{lower}", &lower[..2], &lower[2..4]),
        file.clone().into_bytes(),
        "text/plain",
    );
    file
}

/// An application with the Cargo upstream `crates` on a fake registry;
/// alice is a local user. The app, the fake, its base and alice's token.
async fn app_with_upstream() -> (TestApp, std::sync::Arc<Fake>, String, String) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_upstream().await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(
            &json!({"name": "crates", "format": "cargo", "url": format!("{base}/index/"),
                      "metadata_ttl": "10m"}),
        )
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    (app, fake, base, alice)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_passes_index_files_through_and_keeps_checked_crates() {
    let (app, fake, base, _) = app_with_upstream().await;
    let file = publish(
        &fake,
        &base,
        &[("Demo", "1.0.0", true), ("Demo", "2.0.0", false)],
    );

    let config: Value = app
        .get("/cargo/crates/index/config.json")
        .send()
        .await
        .json();
    assert_eq!(config["dl"], app.url("/cargo/crates/api/v1/crates"));
    assert_eq!(config["auth-required"], false);

    let index = app.get("/cargo/crates/index/de/mo/demo").send().await;
    assert_eq!(index.status(), 200, "{}", index.text());
    assert_eq!(index.header("x-entrepot-upstream"), "crates");
    let etag = index.header("etag").to_owned();
    assert_eq!(index.text(), file, "byte for byte");
    let again = app
        .get("/cargo/crates/index/de/mo/demo")
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(again.status(), 304);

    // Fetched through the `dl` template once, checked, then kept.
    let sum = hex::encode(sha2::Sha256::digest(crate_bytes("Demo", "1.0.0")));
    for _ in 0..2 {
        let got = app
            .get("/cargo/crates/api/v1/crates/Demo/1.0.0/download")
            .send()
            .await;
        assert_eq!(got.status(), 200, "{}", got.text());
        assert_eq!(
            got.bytes().as_ref(),
            crate_bytes("Demo", "1.0.0").as_slice()
        );
    }
    assert_eq!(fake.hits(&format!("/dl/Demo/1.0.0/{sum}")), 1);
    assert_eq!(fake.hits("/index/de/mo/demo"), 1, "fresh for its TTL");

    // A `.crate` that is not what the index says is cut short, refused
    // at once when asked again, and never kept.
    let (first, body) = app
        .get("/cargo/crates/api/v1/crates/Demo/2.0.0/download")
        .send_streamed()
        .await;
    assert_eq!(first.status(), 200);
    let error = body.expect_err("a download that fails its check is cut short");
    assert!(error.contains("digest"), "{error}");
    let retry = app
        .get("/cargo/crates/api/v1/crates/Demo/2.0.0/download")
        .send()
        .await;
    assert_eq!(retry.status(), 400, "{}", retry.text());
    let missing = app
        .get("/cargo/crates/api/v1/crates/Demo/3.0.0/download")
        .send()
        .await;
    assert_eq!(missing.status(), 404, "{}", missing.text());
    assert_eq!(
        app.get("/cargo/crates/index/no/ne/none")
            .send()
            .await
            .status(),
        404
    );

    let listed: Value = app
        .get("/api/v3/orgs/crates/packages")
        .query(&[("package_type", "cargo")])
        .send()
        .await
        .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["name"], "Demo");
    assert_eq!(listed[0]["cached_from"], "crates");
    let page = app
        .get("/orgs/crates/packages/cargo/package/Demo")
        .send()
        .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text().contains("cached from crates"),
        "{}",
        page.text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owners_registry_falls_through_only_for_names_it_lacks() {
    let (app, fake, base, alice) = app_with_upstream().await;
    publish(&fake, &base, &[("left_pad", "1.0.0", true)]);
    publish(&fake, &base, &[("Twin_Crate", "9.0.0", true)]);
    publish(&fake, &base, &[("acme-secret", "1.0.0", true)]);
    publish(&fake, &base, &[("looked_at", "1.0.0", true)]);
    publish(&fake, &base, &[("gone-crate", "1.0.0", true)]);
    let set = app
        .put("/api/v3/user/fallthrough/cargo")
        .bearer(&alice)
        .json(&json!({"upstream": "crates", "reserved": ["Acme_*"]}))
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());
    // alice's own `twin-crate`: the upstream's `Twin_Crate` is its twin.
    let (status, reply) = {
        let r = app
            .put("/cargo/alice/api/v1/crates/new")
            .header("authorization", &alice)
            .body(crate_body(
                &crate_metadata("twin-crate", "1.0.0"),
                &crate_of("twin-crate", "1.0.0"),
            ))
            .send()
            .await;
        (r.status(), r.text())
    };
    assert_eq!(status, 200, "{reply}");

    // alice's `Gone_Crate`, deleted: its name stays hers.
    let gone = app
        .put("/cargo/alice/api/v1/crates/new")
        .header("authorization", &alice)
        .body(crate_body(
            &crate_metadata("Gone_Crate", "1.0.0"),
            &crate_of("Gone_Crate", "1.0.0"),
        ))
        .send()
        .await;
    assert_eq!(gone.status(), 200, "{}", gone.text());
    let deleted = app
        .delete("/api/v3/user/packages/cargo/Gone_Crate")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());

    let get = |path: &str| {
        app.get(&format!("/cargo/alice/{path}"))
            .header("authorization", &alice)
            .send()
    };
    let through = get("index/le/ft/left_pad").await;
    assert_eq!(through.status(), 200, "{}", through.text());
    assert_eq!(through.header("x-entrepot-upstream"), "crates");
    let file = get("api/v1/crates/left_pad/1.0.0/download").await;
    assert_eq!(file.status(), 200, "{}", file.text());
    assert_eq!(
        file.bytes().as_ref(),
        crate_bytes("left_pad", "1.0.0").as_slice()
    );

    let twin = get("index/tw/in/twin_crate").await;
    assert_eq!(
        twin.status(),
        404,
        "a twin of alice's crate: {}",
        twin.text()
    );
    let reserved = get("index/ac/me/acme-secret").await;
    assert_eq!(reserved.status(), 404, "{}", reserved.text());
    let gone = get("index/go/ne/gone-crate").await;
    assert_eq!(
        gone.status(),
        404,
        "a twin of a deleted crate: {}",
        gone.text()
    );
    assert_eq!(fake.hits("/index/go/ne/gone-crate"), 0, "never asked");
    assert_eq!(fake.hits("/index/tw/in/twin_crate"), 0, "never asked");
    assert_eq!(fake.hits("/index/ac/me/acme-secret"), 0, "never asked");

    // Reading an index file keeps nothing (`cargo publish` reads the
    // index first); a `.crate` served does: alice may not publish
    // `Left-Pad` now.
    assert_eq!(get("index/lo/ok/looked_at").await.status(), 200);
    let looked = app
        .put("/cargo/alice/api/v1/crates/new")
        .header("authorization", &alice)
        .body(crate_body(
            &crate_metadata("looked_at", "2.0.0"),
            &crate_of("looked_at", "2.0.0"),
        ))
        .send()
        .await;
    assert_eq!(looked.status(), 200, "{}", looked.text());
    let taken = app
        .put("/cargo/alice/api/v1/crates/new")
        .header("authorization", &alice)
        .body(crate_body(
            &crate_metadata("Left-Pad", "2.0.0"),
            &crate_of("Left-Pad", "2.0.0"),
        ))
        .send()
        .await;
    assert_eq!(taken.status(), 403, "{}", taken.text());
    assert!(taken.text().contains("upstream"), "{}", taken.text());
}

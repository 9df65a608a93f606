//! Maven upstreams by hand, against a fake repository on loopback that
//! counts what it is asked: a mirror passes `maven-metadata.xml` through,
//! checks a file against the upstream's `.sha256` (else `.sha1`) before
//! keeping it, refuses one that does not match or declares neither, and
//! serves every checksum of a kept file from what it kept; a repository
//! falls through only for groupIds its owner has never had nor reserved,
//! and an artifact served through it is kept from local deploys. (Real mvn
//! against a second Entrepot: `tests/binary/maven_upstream.rs`.)
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use serde_json::json;
use sha2::Digest;

use crate::npm_upstream::fake_upstream;
use crate::test_app::TestApp;

const DIR: &str = "/repo/com/example/tiny/1.0";

/// An application with the Maven upstream `central` on a fake repository.
async fn app_with_central() -> (TestApp, std::sync::Arc<crate::npm_upstream::Fake>) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let (fake, base) = fake_upstream().await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(
            &json!({"name": "central", "format": "maven", "url": format!("{base}/repo/"),
                      "metadata_ttl": "10m"}),
        )
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    (app, fake)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_checks_files_against_the_upstreams_checksums() {
    let (app, fake) = app_with_central().await;
    let metadata = "<metadata><groupId>com.example</groupId><artifactId>tiny</artifactId>\
                    <versioning><release>1.0</release></versioning></metadata>";
    fake.put(
        "/repo/com/example/tiny/maven-metadata.xml",
        metadata.into(),
        "application/xml",
    );
    let jar = b"a jar".repeat(100);
    fake.put(
        &format!("{DIR}/tiny-1.0.jar"),
        jar.clone(),
        "application/java-archive",
    );
    fake.put(
        &format!("{DIR}/tiny-1.0.jar.sha1"),
        format!("{}  tiny-1.0.jar\n", hex::encode(sha1::Sha1::digest(&jar))).into(),
        "text/plain",
    );
    fake.put(
        &format!("{DIR}/tiny-1.0.pom"),
        b"<project/>".to_vec(),
        "application/xml",
    );
    fake.put(
        &format!("{DIR}/tiny-1.0.pom.sha256"),
        "00".repeat(32).into(),
        "text/plain",
    );
    fake.put(
        &format!("{DIR}/tiny-1.0-sources.jar"),
        b"src".to_vec(),
        "application/java-archive",
    );

    let got = app
        .get("/maven/central/com/example/tiny/maven-metadata.xml")
        .send()
        .await;
    assert_eq!(got.status(), 200, "{}", got.text());
    assert_eq!(got.header("x-entrepot-upstream"), "central");
    assert_eq!(got.text(), metadata);
    let sha1 = app
        .get("/maven/central/com/example/tiny/maven-metadata.xml.sha1")
        .send()
        .await;
    assert_eq!(sha1.text(), hex::encode(sha1::Sha1::digest(metadata)));

    // Checked against the upstream's .sha1 (there is no .sha256), kept.
    for _ in 0..2 {
        let got = app
            .get("/maven/central/com/example/tiny/1.0/tiny-1.0.jar")
            .send()
            .await;
        assert_eq!(got.status(), 200, "{}", got.text());
        assert_eq!(got.bytes().as_ref(), jar.as_slice());
    }
    assert_eq!(fake.hits(&format!("{DIR}/tiny-1.0.jar")), 1, "kept");
    let sha512 = app
        .get("/maven/central/com/example/tiny/1.0/tiny-1.0.jar.sha512")
        .send()
        .await;
    assert_eq!(sha512.status(), 200);
    assert_eq!(sha512.text(), hex::encode(sha2::Sha512::digest(&jar)));

    // A file that is not what its .sha256 says is never kept.
    let (first, body) = app
        .get("/maven/central/com/example/tiny/1.0/tiny-1.0.pom")
        .send_streamed()
        .await;
    assert_eq!(first.status(), 200);
    assert!(body.expect_err("cut short").contains("digest"));
    let again = app
        .get("/maven/central/com/example/tiny/1.0/tiny-1.0.pom")
        .send()
        .await;
    assert_eq!(again.status(), 400, "{}", again.text());
    // A file the upstream declares no checksum for is not fetched.
    let unchecked = app
        .get("/maven/central/com/example/tiny/1.0/tiny-1.0-sources.jar")
        .send()
        .await;
    assert_eq!(unchecked.status(), 404, "{}", unchecked.text());
    assert!(unchecked.text().contains("sha1"), "{}", unchecked.text());
    assert_eq!(fake.hits(&format!("{DIR}/tiny-1.0-sources.jar")), 0);
    // Hostile paths never reach the upstream.
    let hostile = app
        .get("/maven/central/com/example/../../../etc/passwd")
        .send()
        .await;
    assert_eq!(hostile.status(), 400);

    let listed: serde_json::Value = app
        .get("/api/v3/orgs/central/packages")
        .query(&[("package_type", "maven")])
        .send()
        .await
        .json();
    assert_eq!(listed[0]["name"], "com.example.tiny", "{listed}");
    assert_eq!(listed[0]["cached_from"], "central");
    let page = app
        .get("/orgs/central/packages/maven/package/com.example.tiny")
        .send()
        .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text().contains("cached from central"),
        "{}",
        page.text()
    );
}

/// Puts a jar and its `.sha1` on the fake repository.
fn upstream_jar(fake: &crate::npm_upstream::Fake, group: &str, artifact: &str, version: &str) {
    let dir = format!("/repo/{}/{artifact}/{version}", group.replace('.', "/"));
    let jar = format!("{group}:{artifact}:{version}")
        .repeat(50)
        .into_bytes();
    let sha1 = hex::encode(sha1::Sha1::digest(&jar));
    fake.put(
        &format!("{dir}/{artifact}-{version}.jar"),
        jar,
        "application/java-archive",
    );
    fake.put(
        &format!("{dir}/{artifact}-{version}.jar.sha1"),
        sha1.into(),
        "text/plain",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_falls_through_only_for_groups_the_owner_does_not_keep() {
    let (app, fake) = app_with_central().await;
    app.user("alice").await;
    app.repo("alice/app").await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for (group, artifact, version) in [
        ("com.example", "tiny", "1.0"),
        ("com.acme", "billing", "9.0"),
        ("org.gone", "lib", "1.0"),
    ] {
        upstream_jar(&fake, group, artifact, version);
    }
    let set = app
        .put("/api/v3/user/fallthrough/maven")
        .bearer(&t)
        .json(&json!({"upstream": "central", "reserved": ["com.acme.*"]}))
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());
    // alice had org.gone:lib once; deleted, its group is still hers.
    let pom = "<project><modelVersion>4.0.0</modelVersion><groupId>org.gone</groupId>\
               <artifactId>lib</artifactId><version>0.1</version></project>";
    let put = app
        .put("/maven/alice/app/org/gone/lib/0.1/lib-0.1.pom")
        .basic("alice", &t)
        .body(pom)
        .send()
        .await;
    assert_eq!(put.status(), 201, "{}", put.text());
    let deleted = app
        .delete("/api/v3/user/packages/maven/org.gone.lib")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());

    let get = |path: &str| {
        app.get(&format!("/maven/alice/app/{path}"))
            .basic("alice", &t)
            .send()
    };
    let through = get("com/example/tiny/1.0/tiny-1.0.jar").await;
    assert_eq!(through.status(), 200, "{}", through.text());
    assert_eq!(through.header("x-entrepot-upstream"), "central");
    for kept in [
        "com/acme/billing/9.0/billing-9.0.jar",
        "org/gone/lib/1.0/lib-1.0.jar",
    ] {
        assert_eq!(get(kept).await.status(), 404, "{kept}");
    }
    assert_eq!(
        fake.hits("/repo/com/acme/billing/9.0/billing-9.0.jar.sha1"),
        0
    );
    assert_eq!(fake.hits("/repo/org/gone/lib/1.0/lib-1.0.jar.sha1"), 0);

    // tiny came through: alice's own tiny is refused until released.
    let taken = app
        .put("/maven/alice/app/com/example/tiny/2.0/tiny-2.0.pom")
        .basic("alice", &t)
        .body(
            "<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId>\
             <artifactId>tiny</artifactId><version>2.0</version></project>",
        )
        .send()
        .await;
    assert_eq!(taken.status(), 403, "{}", taken.text());
    assert!(taken.text().contains("upstream"), "{}", taken.text());
}

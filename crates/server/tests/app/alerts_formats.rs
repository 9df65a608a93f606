//! Dependency alerts in every format: bob's package in each depends on
//! alice's through that format's own range syntax (npm `^1.0.0`, Maven
//! `[1.0,2.0)`, gem `~> 1.0`, NuGet `[1.0.0, )`, PEP 440 `>=1,<2`, Cargo
//! `1.0`), as each client declares it; an advisory on `< 1.0.1`, fixed in
//! 1.0.1, alerts each, saying a fresh install fixes it.

use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, twine_form, wheel_of,
};
use crate::common::publish_doc;
use crate::osv::{advise, publish_everything, review, setup};
use crate::test_app::TestApp;

fn pom_with_dependency() -> String {
    "<?xml version=\"1.0\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion>\
     <groupId>com.bob</groupId><artifactId>app</artifactId><version>1.0.0</version>\
     <dependencies><dependency><groupId>com.example</groupId><artifactId>lib</artifactId>\
     <version>[1.0,2.0)</version></dependency></dependencies></project>"
        .to_owned()
}

/// bob's dependent in every format, each on alice's package.
async fn publish_dependents(app: &TestApp, bob: &str) {
    let mut npm = publish_doc("@bob/app", "1.0.0", "");
    npm["versions"]["1.0.0"]["dependencies"] = json!({"@alice/lib": "^1.0.0"});
    let r = app
        .put("/npm/@bob%2fapp")
        .bearer(bob)
        .json(&npm)
        .send()
        .await;
    assert_eq!(r.status(), 201, "npm: {}", r.text());
    app.repo("bob/java").await;
    let base = "/maven/bob/java/com/bob/app/1.0.0/app-1.0.0";
    for (ext, body) in [
        ("pom", pom_with_dependency().into_bytes()),
        ("jar", b"PK fake jar".to_vec()),
    ] {
        let r = app
            .put(&format!("{base}.{ext}"))
            .basic("bob", bob)
            .body(body)
            .send()
            .await;
        assert_eq!(r.status(), 201, "maven {ext}: {}", r.text());
    }
    let wheel = wheel_of("bob-app", "1.0.0");
    let sha256 = hex::encode(sha2::Sha256::digest(&wheel));
    let (content_type, form) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "bob-app"),
            ("version", "1.0.0"),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", "Depends on tiny-lib"),
            ("requires_dist", "tiny-lib>=1,<2"),
            ("sha256_digest", &sha256),
        ],
        "bob_app-1.0.0-py3-none-any.whl",
        &wheel,
    );
    let mut krate = crate_metadata("bob_app", "1.0.0");
    krate["deps"] = json!([{
        "name": "tiny_lib", "version_req": "1.0", "features": [], "optional": false,
        "default_features": true, "target": null, "kind": "normal",
        "registry": format!("sparse+{}", app.url("/cargo/alice/index/")),
    }]);
    let nuspec_deps =
        r#"<dependencies><dependency id="Alice.Lib" version="[1.0.0, )" /></dependencies>"#;
    let requests = [
        app.post("/rubygems/bob/api/v1/gems")
            .header("authorization", bob)
            .body(gem_of(&gemspec("bobgem", "1.0.0", Some("tinygem")), false)),
        app.put("/nuget/bob/api/v2/package/")
            .header("x-nuget-apikey", bob)
            .body(nupkg_of("Bob.App", "1.0.0", nuspec_deps)),
        app.post("/pypi/bob/")
            .basic("__token__", bob)
            .header("content-type", content_type)
            .body(form),
        app.put("/cargo/bob/api/v1/crates/new")
            .header("authorization", bob)
            .body(crate_body(&krate, &crate_of("bob_app", "1.0.0"))),
    ];
    for (format, request) in ["rubygems", "nuget", "pypi", "cargo"]
        .into_iter()
        .zip(requests)
    {
        let r = request.send().await;
        assert!(
            r.status().is_success(),
            "{format}: {} {}",
            r.status(),
            r.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_formats_range_syntax_raises_its_alert() {
    let (app, alice, root) = setup().await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    let published = publish_everything(&app, &alice).await;
    publish_dependents(&app, &bob).await;
    app.registry.graph().index_changed(1000).await.unwrap();
    for p in &published {
        let id = advise(&app, &alice, p).await;
        review(&app, &root, p, &id, "published").await;
    }
    for package_type in ["npm", "maven", "rubygems", "nuget", "pypi", "cargo"] {
        let listed: Value = app
            .get(&format!(
                "/api/v3/users/bob/packages?package_type={package_type}"
            ))
            .bearer(&bob)
            .send()
            .await
            .json();
        let name = listed[0]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{package_type}: {listed}"));
        let alerts: Value = app
            .get(&format!(
                "/api/v3/users/bob/packages/{package_type}/{name}/dependabot/alerts"
            ))
            .bearer(&bob)
            .send()
            .await
            .json();
        assert_eq!(
            alerts.as_array().map(Vec::len),
            Some(1),
            "{package_type}: {alerts}"
        );
        assert_eq!(alerts[0]["state"], "open", "{package_type}");
        assert_eq!(
            alerts[0]["fixed_by_fresh_install"], true,
            "{package_type}: {alerts}"
        );
        assert_eq!(
            alerts[0]["security_vulnerability"]["first_patched_version"]["identifier"], "1.0.1",
            "{package_type}"
        );
    }
}

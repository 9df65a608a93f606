//! Dependency alerts: an advisory on `@alice/lib < 1.0.2` (fixed in 1.0.2)
//! alerts the packages that depend on it through a range that admits an
//! affected version, says whether a fresh install fixes it, closes when a
//! new version no longer admits one, and never tells the vulnerable
//! package's owner about a dependent they may not read.

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::TestApp;
use crate::web_manage::Receiver;

async fn publish(app: &TestApp, t: &str, name: &str, version: &str, deps: Value) {
    // bob's app lives in his repository bob/app.
    let repository = if name == "@bob/app" {
        "github:bob/app"
    } else {
        ""
    };
    let mut doc = publish_doc(name, version, repository);
    doc["versions"][version]["dependencies"] = deps;
    let r = app
        .put(&format!("/npm/{}", name.replace('/', "%2f")))
        .bearer(t)
        .json(&doc)
        .send()
        .await;
    assert_eq!(r.status(), 201, "publishing {name}@{version}: {}", r.text());
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    t: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .request(method.parse().unwrap(), &format!("/api/v3{path}"))
        .bearer(t);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await;
    let status = r.status().as_u16();
    (status, r.json())
}

/// The alerts of one of `user`'s packages.
async fn alerts(app: &TestApp, t: &str, user: &str, name: &str) -> Vec<Value> {
    let path = format!("/users/{user}/packages/npm/{name}/dependabot/alerts");
    let (status, body) = call(app, "GET", &path, t, None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// alice's `@alice/lib` 1.0.0 to 1.0.2; bob's `@bob/app` (in his
/// repository) on `^1.0.0`, with a hook for alerts; carol's `@carol/pinned`
/// on `=1.0.0`; dave's `@dave/safe` on `^1.0.2`. The tokens of alice, bob,
/// carol, dave and the site administrator root, and bob's hook receiver.
async fn world(app: &TestApp) -> (Vec<String>, Receiver) {
    let mut tokens = Vec::new();
    for user in ["alice", "bob", "carol", "dave"] {
        app.user(user).await;
        tokens.push(app.token(user, "read:packages,write:packages").await);
    }
    app.site_admin("root").await;
    app.repo("bob/app").await;
    tokens.push(app.token("root", "read:packages,write:packages").await);
    for version in ["1.0.0", "1.0.1", "1.0.2"] {
        publish(app, &tokens[0], "@alice/lib", version, json!({})).await;
    }
    for (t, name, range) in [
        (&tokens[1], "@bob/app", "^1.0.0"),
        (&tokens[2], "@carol/pinned", "=1.0.0"),
        (&tokens[3], "@dave/safe", "^1.0.2"),
    ] {
        publish(app, t, name, "1.0.0", json!({"@alice/lib": range})).await;
    }
    let receiver = Receiver::start();
    let (status, hook) = call(
        app,
        "POST",
        "/user/hooks",
        &tokens[1],
        Some(json!({"config": {"url": receiver.url}, "events": ["dependabot_alert"]})),
    )
    .await;
    assert_eq!(status, 201, "{hook}");
    app.registry.graph().index_changed(1000).await.unwrap();
    (tokens, receiver)
}

/// alice drafts an advisory on `@alice/lib < 1.0.2`, fixed in 1.0.2; root
/// publishes it. Its GHSA id and path.
async fn publish_advisory(app: &TestApp, alice: &str, root: &str) -> (Value, String) {
    // alice drafts the advisory; root publishes it.
    let draft = json!({
        "summary": "Prototype pollution in lib",
        "description": "Merging untrusted objects pollutes `Object.prototype`.",
        "severity": "high",
        "vulnerabilities": [{
            "package": {"ecosystem": "npm", "name": "@alice/lib"},
            "vulnerable_version_range": "< 1.0.2",
            "patched_versions": "1.0.2",
        }],
    });
    let (status, created) = call(
        app,
        "POST",
        "/user/packages/npm/lib/security-advisories",
        alice,
        Some(draft),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let one = format!(
        "/users/alice/packages/npm/lib/security-advisories/{}",
        created["ghsa_id"].as_str().unwrap()
    );
    let (status, published) = call(
        app,
        "PATCH",
        &one,
        root,
        Some(json!({"state": "published"})),
    )
    .await;
    assert_eq!(status, 200, "{published}");
    (created, one)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_advisory_alerts_dependents_whose_range_admits_an_affected_version() {
    let app = TestApp::with_args(&["--outbound-allow", "127.0.0.0/8"]).await;
    let _worker = app.spawn_webhook_worker();
    let (tokens, receiver) = world(&app).await;
    let [alice, bob, carol, dave, root] =
        [&tokens[0], &tokens[1], &tokens[2], &tokens[3], &tokens[4]];
    let (created, one) = publish_advisory(&app, alice, root).await;

    // bob: a fresh install fixes it; carol: the range must change; dave: none.
    let bobs = alerts(&app, bob, "bob", "app").await;
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    assert_eq!(bobs[0]["state"], "open");
    assert_eq!(bobs[0]["fixed_by_fresh_install"], true);
    assert_eq!(bobs[0]["requirement"], "^1.0.0");
    assert_eq!(
        bobs[0]["dependency"]["package"],
        json!({"ecosystem": "npm", "name": "@alice/lib"})
    );
    assert_eq!(
        bobs[0]["security_vulnerability"]["first_patched_version"]["identifier"],
        "1.0.2"
    );
    assert_eq!(bobs[0]["security_advisory"]["ghsa_id"], created["ghsa_id"]);
    let carols = alerts(&app, carol, "carol", "pinned").await;
    assert_eq!(carols.len(), 1);
    assert_eq!(carols[0]["fixed_by_fresh_install"], false);
    assert!(alerts(&app, dave, "dave", "safe").await.is_empty());
    repository_listing(&app, (alice, bob), &bobs[0]).await;
    // The package's page shows its admins the open alert.
    let html = app
        .get("/users/bob/packages/npm/package/app")
        .bearer(bob)
        .send()
        .await
        .text();
    assert!(html.contains("Dependency alerts (1)"), "{html}");
    assert!(html.contains("a fresh install takes the patched version"));

    // Nobody else sees them: alice gets 404 for bob's private package.
    let (status, _) = call(
        &app,
        "GET",
        "/users/bob/packages/npm/app/dependabot/alerts",
        alice,
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Told: a notification, and the hook's delivery.
    let (_, notes) = call(&app, "GET", "/notifications", bob, None).await;
    let titles: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["subject"]["title"].as_str())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("@bob/app depends on @alice/lib ^1.0.0")
                && t.contains("a fresh install")),
        "{notes}"
    );
    receiver.wait_for("dependabot_alert", 1).await;

    // carol widens her range: her alert is fixed when the package is read again.
    publish(
        &app,
        carol,
        "@carol/pinned",
        "1.1.0",
        json!({"@alice/lib": "^1.0.2"}),
    )
    .await;
    app.registry.graph().index_changed(1000).await.unwrap();
    let carols = alerts(&app, carol, "carol", "pinned").await;
    assert_eq!(carols[0]["state"], "fixed", "{carols:?}");
    assert!(carols[0]["fixed_at"].is_string());

    let path = dismiss(&app, bob, &bobs[0]).await;

    // Withdrawn: what is still open is dismissed for everyone.
    let (status, _) = call(&app, "PATCH", &path, bob, Some(json!({"state": "open"}))).await;
    assert_eq!(status, 200);
    let (status, _) = call(
        &app,
        "PATCH",
        &one,
        root,
        Some(json!({"state": "withdrawn"})),
    )
    .await;
    assert_eq!(status, 200);
    let bobs = alerts(&app, bob, "bob", "app").await;
    assert_eq!(bobs[0]["state"], "auto_dismissed", "{bobs:?}");
}

/// bob's alerts under his repository, in GitHub's exact shape; alice,
/// who may not manage his package, sees none.
async fn repository_listing(app: &TestApp, (alice, bob): (&str, &str), extended: &Value) {
    // In GitHub's shape, under the repository the package lives in.
    let (status, listed) = call(app, "GET", "/repos/bob/app/dependabot/alerts", bob, None).await;
    assert_eq!(status, 200, "{listed}");
    let mut github = extended.clone();
    let number = github["number"].clone();
    let extended = github.as_object_mut().unwrap();
    extended.remove("requirement");
    extended.remove("fixed_by_fresh_install");
    extended.insert(
        "url".into(),
        json!(app.url(&format!("/api/v3/repos/bob/app/dependabot/alerts/{number}"))),
    );
    assert_eq!(listed, json!([github]));
    let (status, _) = call(
        app,
        "GET",
        "/repos/bob/app/dependabot/alerts?state=fixed",
        bob,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (_, none) = call(
        app,
        "GET",
        "/repos/bob/app/dependabot/alerts?state=fixed",
        bob,
        None,
    )
    .await;
    assert_eq!(none, json!([]));
    let (status, _) = call(
        app,
        "GET",
        "/repos/bob/app/dependabot/alerts?state=bogus",
        bob,
        None,
    )
    .await;
    assert_eq!(status, 400);
    // The repository's dependency graph, as GitHub exports it (SPDX 2.3).
    let (status, sbom) = call(
        app,
        "GET",
        "/repos/bob/app/dependency-graph/sbom",
        bob,
        None,
    )
    .await;
    assert_eq!(status, 200, "{sbom}");
    assert_eq!(sbom["sbom"]["spdxVersion"], "SPDX-2.3");
    let locators: Vec<&str> = sbom["sbom"]["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["externalRefs"][0]["referenceLocator"].as_str())
        .collect();
    assert_eq!(
        locators,
        vec!["pkg:npm/%40bob/app@1.0.0", "pkg:npm/%40alice/lib@%5E1.0.0"],
        "{sbom}"
    );
    assert_eq!(
        sbom["sbom"]["relationships"][1]["relationshipType"],
        "DEPENDS_ON"
    );
    let (_, theirs) = call(app, "GET", "/repos/bob/app/dependabot/alerts", alice, None).await;
    assert_eq!(theirs, json!([]), "alice may not manage bob's package");
}

/// bob dismisses his alert (a reason is required); its path.
async fn dismiss(app: &TestApp, bob: &str, alert: &Value) -> String {
    // bob dismisses his; a reason is required.
    let number = alert["number"].as_i64().unwrap();
    let path = format!("/users/bob/packages/npm/app/dependabot/alerts/{number}");
    let (status, _) = call(
        app,
        "PATCH",
        &path,
        bob,
        Some(json!({"state": "dismissed"})),
    )
    .await;
    assert_eq!(status, 422);
    let (status, dismissed) = call(
        app,
        "PATCH",
        &path,
        bob,
        Some(json!({"state": "dismissed", "dismissed_reason": "tolerable_risk", "dismissed_comment": "dev only"})),
    )
    .await;
    assert_eq!(status, 200, "{dismissed}");
    assert_eq!(dismissed["state"], "dismissed");
    assert_eq!(dismissed["dismissed_by"]["login"], "bob");
    assert_eq!(dismissed["dismissed_reason"], "tolerable_risk");

    path
}

#[tokio::test(flavor = "multi_thread")]
async fn an_images_attached_sbom_is_its_dependencies_and_gets_its_alerts() {
    use crate::oci_http::{Oci, sha256};
    let app = TestApp::new().await;
    for user in ["alice", "bob"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    let [alice, bob, root] = [
        app.token("alice", "read:packages,write:packages").await,
        app.token("bob", "read:packages,write:packages").await,
        app.token("root", "read:packages,write:packages").await,
    ];
    publish(&app, &alice, "@alice/lib", "1.0.0", json!({})).await;
    // bob's image, and an SPDX SBOM attached to it as a referrer.
    let oci = Oci {
        app: &app,
        user: "bob",
        token: bob.clone(),
    };
    // Tagged v1, not latest: the newest release is found among versions.
    let (image, manifest) = oci.push_image("bob/app", "v1", b"layer").await;
    let sbom = json!({"spdxVersion": "SPDX-2.3", "packages": [
        {"name": "lib", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:npm/%40alice/lib@1.0.0"}]},
        {"name": "bash", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:deb/debian/bash@5.2"}]},
    ]})
    .to_string();
    let sbom_digest = oci.push_blob("bob/app", sbom.as_bytes()).await;
    let empty = oci.push_blob("bob/app", b"{}").await;
    let artifact = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/spdx+json", "digest": sbom_digest, "size": sbom.len()}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": image,
                    "size": serde_json::to_vec(&manifest).unwrap().len()},
    });
    let reference = sha256(&serde_json::to_vec(&artifact).unwrap());
    let r = oci.push_manifest("bob/app", &reference, &artifact).await;
    assert_eq!(r.status(), 201);
    // cosign's signature, pushed last under its tag: an attachment, not
    // the image the graph reads.
    let payload = oci.push_blob("bob/app", b"{\"critical\":{}}").await;
    let signature = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", "digest": payload, "size": 15}],
    });
    let tag = format!("{}.sig", image.replace(':', "-"));
    let r = oci.push_manifest("bob/app", &tag, &signature).await;
    assert_eq!(r.status(), 201);
    app.registry.graph().index_changed(1000).await.unwrap();

    let (status, dependencies) = call(
        &app,
        "GET",
        "/users/bob/packages/container/app/dependencies",
        &bob,
        None,
    )
    .await;
    assert_eq!(status, 200, "{dependencies}");
    let named: Vec<(&str, &str, &str)> = dependencies
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["ecosystem"].as_str().unwrap(),
                d["name"].as_str().unwrap(),
                d["requirement"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![("npm", "@alice/lib", "1.0.0")],
        "{dependencies}"
    );
    // The image's page lists them by ecosystem.
    let html = app
        .get("/users/bob/packages/container/package/app")
        .bearer(&bob)
        .send()
        .await
        .text();
    assert!(html.contains("Dependencies (1)"), "{html}");
    assert!(html.contains("<summary>npm (1)</summary>"), "{html}");

    // The image holds an affected version, which only a new image fixes.
    publish_advisory(&app, &alice, &root).await;
    let (status, alerts) = call(
        &app,
        "GET",
        "/users/bob/packages/container/app/dependabot/alerts",
        &bob,
        None,
    )
    .await;
    assert_eq!(status, 200, "{alerts}");
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts}");
    assert_eq!(alerts[0]["state"], "open");
    assert_eq!(alerts[0]["fixed_by_fresh_install"], false, "{alerts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dependency_named_twice_gets_one_alert_on_its_worst_range() {
    let app = TestApp::new().await;
    for user in ["alice", "dave"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    let [alice, dave, root] = [
        app.token("alice", "read:packages,write:packages").await,
        app.token("dave", "read:packages,write:packages").await,
        app.token("root", "read:packages,write:packages").await,
    ];
    for version in ["1.0.0", "1.0.2"] {
        publish(&app, &alice, "@alice/lib", version, json!({})).await;
    }
    // A peer range a fresh install fixes, and a pinned dev dependency.
    let mut doc = publish_doc("@dave/plugin", "1.0.0", "");
    doc["versions"]["1.0.0"]["peerDependencies"] = json!({"@alice/lib": "^1.0.0"});
    doc["versions"]["1.0.0"]["devDependencies"] = json!({"@alice/lib": "1.0.0"});
    let r = app
        .put("/npm/@dave%2fplugin")
        .bearer(&dave)
        .json(&doc)
        .send()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    app.registry.graph().index_changed(1000).await.unwrap();
    publish_advisory(&app, &alice, &root).await;
    let found = alerts(&app, &dave, "dave", "plugin").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["requirement"], "1.0.0");
    assert_eq!(found[0]["fixed_by_fresh_install"], false);
    // Read again after a new version declaring both: still the one alert.
    let mut doc = publish_doc("@dave/plugin", "1.1.0", "");
    doc["versions"]["1.1.0"]["peerDependencies"] = json!({"@alice/lib": "^1.0.0"});
    doc["versions"]["1.1.0"]["devDependencies"] = json!({"@alice/lib": "1.0.0"});
    let r = app
        .put("/npm/@dave%2fplugin")
        .bearer(&dave)
        .json(&doc)
        .send()
        .await;
    assert_eq!(r.status(), 201, "{}", r.text());
    assert_eq!(app.registry.graph().index_changed(1000).await.unwrap(), 1);
    let again = alerts(&app, &dave, "dave", "plugin").await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["number"], found[0]["number"]);
    assert_eq!(again[0]["state"], "open");
}

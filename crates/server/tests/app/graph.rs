//! The dependency graph at the HTTP level: what a package's newest version
//! depends on, who here depends on it (never a dependent the caller may
//! not read), read again when a package changes.

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::TestApp;

/// Publishes `name@version` (npm) declaring `dependencies` and
/// `devDependencies`.
async fn publish(app: &TestApp, t: &str, name: &str, version: &str, deps: Value, dev: Value) {
    let mut doc = publish_doc(name, version, "");
    doc["versions"][version]["dependencies"] = deps;
    doc["versions"][version]["devDependencies"] = dev;
    let status = app
        .put(&format!("/npm/{}", name.replace('/', "%2f")))
        .bearer(t)
        .json(&doc)
        .send()
        .await
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

async fn get(app: &TestApp, t: &str, path: &str) -> (u16, Value) {
    let r = app.get(path).bearer(t).send().await;
    let status = r.status().as_u16();
    (status, r.json())
}

#[tokio::test(flavor = "multi_thread")]
async fn used_by_lists_readable_dependents_of_the_newest_versions() {
    let app = TestApp::new().await;
    let mut tokens = Vec::new();
    for user in ["alice", "bob", "carol"] {
        app.user(user).await;
        tokens.push(app.token(user, "read:packages,write:packages").await);
    }
    let [alice, bob, carol] = [&tokens[0], &tokens[1], &tokens[2]];
    publish(&app, alice, "@alice/lib", "1.0.0", json!({}), json!({})).await;
    publish(
        &app,
        bob,
        "@bob/app",
        "1.0.0",
        json!({"@alice/lib": "^1.0.0"}),
        json!({"left-pad": "1.3.0"}),
    )
    .await;
    publish(
        &app,
        carol,
        "@carol/secret",
        "1.0.0",
        json!({}),
        json!({"@alice/lib": "=1.0.0"}),
    )
    .await;
    for (owner, name) in [("bob", "app"), ("alice", "lib")] {
        let r = app
            .patch(&format!("/api/v3/users/{owner}/packages/npm/{name}"))
            .bearer(if owner == "bob" { bob } else { alice })
            .json(&json!({"visibility": "public"}))
            .send()
            .await;
        assert!(r.status().is_success(), "{}", r.text());
    }
    let read = app.registry.graph().index_changed(1000).await.unwrap();
    assert!(read >= 3, "every new package is read: {read}");
    assert_eq!(
        app.registry.graph().index_changed(1000).await.unwrap(),
        0,
        "then none until one changes"
    );

    let (status, deps) = get(&app, bob, "/api/v3/users/bob/packages/npm/app/dependencies").await;
    assert_eq!(status, 200, "{deps}");
    assert_eq!(
        deps,
        json!([
            {"ecosystem": "npm", "name": "@alice/lib", "requirement": "^1.0.0", "scope": "runtime", "applies_to": null},
            {"ecosystem": "npm", "name": "left-pad", "requirement": "1.3.0", "scope": "development", "applies_to": null},
        ])
    );

    // Alice sees bob's public app, not carol's private package; carol sees hers.
    let used_by = "/api/v3/users/alice/packages/npm/lib/dependents";
    let (_, seen) = get(&app, alice, used_by).await;
    let names: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["package"]["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["@bob/app"], "{seen}");
    assert_eq!(seen[0]["dependency"]["requirement"], "^1.0.0");
    let (_, seen) = get(&app, carol, used_by).await;
    assert_eq!(seen.as_array().unwrap().len(), 2, "{seen}");
    let page = app
        .get(&format!("{used_by}?per_page=1"))
        .bearer(carol)
        .send()
        .await;
    assert!(
        page.header("link").contains("rel=\"next\""),
        "paged with Link"
    );
    let html = app
        .get("/users/alice/packages/npm/package/lib")
        .bearer(alice)
        .send()
        .await
        .text();
    assert!(html.contains("Used by (1)"), "{html}");
    assert!(html.contains("@bob/app"));
    assert!(!html.contains("@carol/secret"));

    // A new version of bob's app drops the dependency: read again.
    publish(&app, bob, "@bob/app", "2.0.0", json!({}), json!({})).await;
    assert_eq!(app.registry.graph().index_changed(1000).await.unwrap(), 1);
    let (_, seen) = get(&app, alice, used_by).await;
    assert_eq!(seen, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dependency_links_to_its_package_once_the_viewer_may_read_it() {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    publish(&app, &alice, "@alice/lib", "1.0.0", json!({}), json!({})).await;
    let deps = json!({"@alice/lib": "^1.0.0"});
    publish(
        &app,
        &bob,
        "@bob/app",
        "1.0.0",
        deps,
        json!({"left-pad": "1.3.0"}),
    )
    .await;
    let lib_link = "<a href=\"/users/alice/packages/npm/package/lib\">@alice/lib</a>";
    let bobs_page = async || {
        app.get("/users/bob/packages/npm/package/app")
            .bearer(&bob)
            .send()
            .await
            .text()
    };
    let html = bobs_page().await;
    assert!(!html.contains(lib_link), "alice's lib is private: {html}");
    assert!(
        html.contains("<a href=\"/search?q=%40alice/lib\">@alice/lib</a>"),
        "{html}"
    );
    let r = app
        .patch("/api/v3/users/alice/packages/npm/lib")
        .bearer(&alice)
        .json(&json!({"visibility": "public"}))
        .send()
        .await;
    assert!(r.status().is_success(), "{}", r.text());
    let html = bobs_page().await;
    assert!(html.contains(lib_link), "{html}");
    // Not here at all: a search for it.
    assert!(
        html.contains("<a href=\"/search?q=left-pad\">left-pad</a>"),
        "{html}"
    );
}

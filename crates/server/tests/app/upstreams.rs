//! Upstream registries as site administrators manage them over the REST
//! API (`/api/v3/admin/upstreams`), and the reserved, read-only owner each
//! upstream's name becomes.

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::TestApp;

/// An application with the site administrator `root` (a writing token)
/// and the user `alice`.
async fn app() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    (app, root, alice)
}

fn npmjs() -> Value {
    json!({
        "name": "npmjs",
        "format": "npm",
        "url": "http://127.0.0.1:4873",
        "username": "reader",
        "password": "s3cret",
        "metadata_ttl": "5m",
        "default": true,
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn site_administrators_add_list_and_remove_upstreams() {
    let (app, root, _) = app().await;
    let created = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&npmjs())
        .send()
        .await;
    assert_eq!(created.status(), 201, "{}", created.text());
    let body: Value = created.json();
    assert_eq!(body["name"], "npmjs");
    assert_eq!(body["format"], "npm");
    assert_eq!(body["url"], "http://127.0.0.1:4873/");
    assert_eq!(body["username"], "reader");
    assert_eq!(body["has_password"], true);
    assert_eq!(body["metadata_ttl_seconds"], 300);
    assert_eq!(body["default"], true);
    assert!(
        !created.text().contains("s3cret"),
        "a password is never shown back"
    );

    let listed = app
        .get("/api/v3/admin/upstreams")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(listed.status(), 200);
    let listed: Value = listed.json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["name"], "npmjs");
    let one = app
        .get("/api/v3/admin/upstreams/NPMJS")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(one.status(), 200);
    assert!(!one.text().contains("s3cret"));

    // The name is an owner now, shown as an organization.
    let org = app.get("/api/v3/orgs/npmjs").send().await;
    assert_eq!(org.status(), 200, "{}", org.text());
    assert_eq!(org.json::<Value>()["login"], "npmjs");

    let removed = app
        .delete("/api/v3/admin/upstreams/npmjs")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(removed.status(), 204);
    let gone = app
        .get("/api/v3/admin/upstreams/npmjs")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(gone.status(), 404);
    assert_eq!(app.get("/api/v3/orgs/npmjs").send().await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_site_administrators_see_upstreams() {
    let (app, root, alice) = app().await;
    let read_only = app.token("root", "read:packages").await;
    let anonymous = app.get("/api/v3/admin/upstreams").send().await;
    assert_eq!(anonymous.status(), 401);
    let user = app
        .get("/api/v3/admin/upstreams")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(
        user.status(),
        404,
        "a user learns nothing of the admin area"
    );
    let user_adds = app
        .post("/api/v3/admin/upstreams")
        .bearer(&alice)
        .json(&npmjs())
        .send()
        .await;
    assert_eq!(user_adds.status(), 404);
    let without_write = app
        .post("/api/v3/admin/upstreams")
        .bearer(&read_only)
        .json(&npmjs())
        .send()
        .await;
    assert_eq!(without_write.status(), 403, "{}", without_write.text());
    let listed: Value = app
        .get("/api/v3/admin/upstreams")
        .bearer(&root)
        .send()
        .await
        .json();
    assert_eq!(listed, json!([]), "nothing was added");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_refused_with_a_reason() {
    let (app, root, _) = app().await;
    for (change, needle) in [
        (json!({"format": "docker"}), "not supported yet"),
        (json!({"format": "nope"}), "unknown format"),
        (json!({"url": "ftp://example.com/"}), "http:// or https://"),
        (json!({"url": "https://u:p@example.com/"}), "not in its URL"),
        (json!({"name": "-bad"}), "not a valid owner name"),
        (json!({"password": null}), "go together"),
        (json!({"metadata_ttl": "soon"}), "not a lifetime"),
    ] {
        let mut body = npmjs();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let refused = app
            .post("/api/v3/admin/upstreams")
            .bearer(&root)
            .json(&body)
            .send()
            .await;
        assert_eq!(refused.status(), 422, "{change}: {}", refused.text());
        assert!(
            refused.text().contains(needle),
            "{change}: {}",
            refused.text()
        );
    }
    // A name any account has is taken, whatever its case.
    let mut taken = npmjs();
    taken["name"] = json!("Alice");
    let refused = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&taken)
        .send()
        .await;
    assert_eq!(refused.status(), 409, "{}", refused.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upstreams_name_is_a_reserved_read_only_owner() {
    let (app, root, _) = app().await;
    let created = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&npmjs())
        .send()
        .await;
    assert_eq!(created.status(), 201);

    // Not even a site administrator publishes under it.
    let doc = publish_doc("@npmjs/left-pad", "1.0.0", "");
    let refused = app
        .put("/npm/@npmjs%2fleft-pad")
        .bearer(&root)
        .json(&doc)
        .send()
        .await;
    assert_eq!(refused.status(), 403, "{}", refused.text());
    assert!(refused.text().contains("read-only"), "{}", refused.text());

    // No user or organization takes the name.
    let store = app.store().await;
    let user = store
        .create_user(entrepot_store::NewUser {
            login: "NPMJS".into(),
            ..Default::default()
        })
        .await;
    assert!(user.is_err(), "{user:?}");
}

/// An owner's fall-through over REST: the user themself and an
/// organization's owners set it, members see it, others may not; the
/// settings come back normalised; DELETE turns it off.
#[tokio::test(flavor = "multi_thread")]
async fn owners_manage_their_fallthrough_over_rest() {
    let (app, root, alice) = app().await;
    app.user("bob").await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    let reader = app.token("alice", "read:packages").await;
    app.org("acme", "alice").await;
    app.org_member("acme", "bob", entrepot_core::OrgRole::Member)
        .await;
    let added = app
        .post("/api/v3/admin/upstreams")
        .bearer(&root)
        .json(&json!({"name": "pypi-up", "format": "pypi", "url": "http://127.0.0.1:9"}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());

    let set = json!({"upstream": "pypi-up", "reserved": ["Acme_*", "billing"]});
    let mine = app
        .put("/api/v3/user/fallthrough/pypi")
        .bearer(&alice)
        .json(&set)
        .send()
        .await;
    assert_eq!(mine.status(), 200, "{}", mine.text());
    let expected = json!({"owner": "alice", "format": "pypi", "upstream": "pypi-up",
                          "reserved": ["acme-*", "billing"]});
    assert_eq!(mine.json::<Value>(), expected);
    let shown = app
        .get("/api/v3/users/alice/fallthrough/pypi")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(shown.json::<Value>(), expected);

    // Others: anonymous 401, another user 403, a token that cannot write 403.
    let url = "/api/v3/users/alice/fallthrough/pypi";
    assert_eq!(app.get(url).send().await.status(), 401);
    assert_eq!(app.get(url).bearer(&bob).send().await.status(), 403);
    let not_writing = app.put(url).bearer(&reader).json(&set).send().await;
    assert_eq!(not_writing.status(), 403, "{}", not_writing.text());

    // An organization: its owner sets it, a member sees it and no more.
    let org = "/api/v3/orgs/acme/fallthrough/pypi";
    assert_eq!(
        app.get(org).bearer(&bob).send().await.status(),
        404,
        "not set"
    );
    let by_owner = app.put(org).bearer(&alice).json(&set).send().await;
    assert_eq!(by_owner.status(), 200, "{}", by_owner.text());
    assert_eq!(app.get(org).bearer(&bob).send().await.status(), 200);
    assert_eq!(
        app.put(org).bearer(&bob).json(&set).send().await.status(),
        403
    );
    assert_eq!(app.delete(org).bearer(&bob).send().await.status(), 403);

    // Bad requests are refused with a reason.
    for (path, body) in [
        ("/api/v3/user/fallthrough/npm", set.clone()),
        ("/api/v3/user/fallthrough/pypi", json!({"reserved": []})),
        (
            "/api/v3/user/fallthrough/pypi",
            json!({"upstream": "pypi-up", "reserved": ["a b"]}),
        ),
    ] {
        let refused = app.put(path).bearer(&alice).json(&body).send().await;
        assert_eq!(refused.status(), 422, "{path} {body}: {}", refused.text());
    }
    let unknown = app
        .put("/api/v3/user/fallthrough/pypi")
        .bearer(&alice)
        .json(&json!({"upstream": "nowhere"}))
        .send()
        .await;
    assert_eq!(unknown.status(), 404, "{}", unknown.text());

    let off = app
        .delete("/api/v3/user/fallthrough/pypi")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(off.status(), 204, "{}", off.text());
    assert_eq!(app.get(url).bearer(&alice).send().await.status(), 404);
}

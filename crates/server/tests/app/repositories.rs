//! Repositories as their owners run them, over GitHub's REST shapes:
//! created under oneself or an organization one belongs to, seen as their
//! visibility allows, changed and deleted by their admins, collaborators
//! added and leaving; the code URL linked from the pages of the packages
//! connected to them; one's own profile changed with `PATCH /user`.
#![expect(clippy::too_many_lines, reason = "one scenario")]

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::TestApp;

#[tokio::test]
async fn owners_create_show_change_share_and_delete_repositories() {
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol"] {
        app.user(user).await;
    }
    app.org("acme", "alice").await;
    app.org_member("acme", "bob", entrepot_core::OrgRole::Member)
        .await;
    let scopes = "read:packages,write:packages,repo";
    let alice = app.token("alice", scopes).await;
    let bob = app.token("bob", scopes).await;
    let carol = app.token("carol", scopes).await;
    let alice_no_repo = app.token("alice", "read:packages").await;

    let code = "https://github.com/alice/tools";
    let create = |token: String, path: &'static str, body: Value| {
        let app = &app;
        async move { app.post(path).bearer(&token).json(&body).send().await }
    };
    let made = create(
        alice.clone(),
        "/api/v3/user/repos",
        json!({"name": "tools", "private": true, "description": "Build tools", "homepage": code}),
    )
    .await;
    assert_eq!(made.status(), 201, "{}", made.text());
    let tools: Value = made.json();
    assert_eq!(tools["full_name"], "alice/tools");
    assert_eq!(tools["visibility"], "private");
    assert_eq!(tools["html_url"], code);
    assert_eq!(tools["code_url"], code);
    assert_eq!(tools["permissions"]["admin"], true);

    for (token, body, status) in [
        (alice_no_repo.clone(), json!({"name": "x"}), 403),
        (alice.clone(), json!({"name": "bad name"}), 422),
        (
            alice.clone(),
            json!({"name": "x", "homepage": "javascript:alert(1)"}),
            422,
        ),
        (
            alice.clone(),
            json!({"name": "x", "visibility": "internal"}),
            422,
        ),
        (alice.clone(), json!({"name": "TOOLS"}), 409),
    ] {
        let refused = create(token, "/api/v3/user/repos", body.clone()).await;
        assert_eq!(refused.status(), status, "{body}: {}", refused.text());
    }

    // Who sees a private repository.
    let show = |token: Option<String>, path: &'static str| {
        let app = &app;
        async move {
            let mut request = app.get(path);
            if let Some(t) = &token {
                request = request.bearer(t);
            }
            request.send().await
        }
    };
    assert_eq!(
        show(Some(alice.clone()), "/api/v3/repos/alice/tools")
            .await
            .status(),
        200
    );
    assert_eq!(
        show(Some(bob.clone()), "/api/v3/repos/alice/tools")
            .await
            .status(),
        404
    );
    assert_eq!(show(None, "/api/v3/repos/alice/tools").await.status(), 401);

    // In an organization: members create, strangers may not; an internal
    // repository is seen by every signed-in user.
    let lib = create(
        bob.clone(),
        "/api/v3/orgs/acme/repos",
        json!({"name": "lib", "visibility": "internal"}),
    )
    .await;
    assert_eq!(lib.status(), 201, "{}", lib.text());
    let stranger = create(
        carol.clone(),
        "/api/v3/orgs/acme/repos",
        json!({"name": "x"}),
    )
    .await;
    assert_eq!(stranger.status(), 403, "{}", stranger.text());
    assert_eq!(
        show(Some(carol.clone()), "/api/v3/repos/acme/lib")
            .await
            .status(),
        200
    );
    assert_eq!(show(None, "/api/v3/repos/acme/lib").await.status(), 401);

    // A collaborator sees it and may write, but not administer it.
    let added = app
        .put("/api/v3/repos/alice/tools/collaborators/carol")
        .bearer(&alice)
        .json(&json!({"permission": "push"}))
        .send()
        .await;
    assert_eq!(added.status(), 204, "{}", added.text());
    let seen: Value = show(Some(carol.clone()), "/api/v3/repos/alice/tools")
        .await
        .json();
    assert_eq!(seen["permissions"]["push"], true);
    assert_eq!(seen["permissions"]["admin"], false);
    let listed: Vec<Value> = app
        .get("/api/v3/repos/alice/tools/collaborators")
        .bearer(&carol)
        .send()
        .await
        .json();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["login"], "carol");
    assert_eq!(listed[0]["role_name"], "write");
    let by_carol = app
        .patch("/api/v3/repos/alice/tools")
        .bearer(&carol)
        .json(&json!({"description": "mine now"}))
        .send()
        .await;
    assert_eq!(by_carol.status(), 403, "{}", by_carol.text());
    let left = app
        .delete("/api/v3/repos/alice/tools/collaborators/carol")
        .bearer(&carol)
        .send()
        .await;
    assert_eq!(left.status(), 204, "a collaborator may leave");
    assert_eq!(
        show(Some(carol.clone()), "/api/v3/repos/alice/tools")
            .await
            .status(),
        404
    );

    // Changed by its admin; `null` clears.
    let changed = app
        .patch("/api/v3/repos/alice/tools")
        .bearer(&alice)
        .json(&json!({"description": null, "visibility": "public"}))
        .send()
        .await;
    assert_eq!(changed.status(), 200, "{}", changed.text());
    let tools: Value = changed.json();
    assert_eq!(tools["description"], Value::Null);
    assert_eq!(tools["visibility"], "public");
    assert_eq!(tools["code_url"], code, "left as it was");
    assert_eq!(show(None, "/api/v3/repos/alice/tools").await.status(), 200);

    // A connected package's page links to the code.
    let published = app
        .put("/npm/@alice%2fhello")
        .bearer(&alice)
        .json(&publish_doc(
            "@alice/hello",
            "1.0.0",
            &app.url("/alice/tools"),
        ))
        .send()
        .await;
    assert_eq!(published.status(), 201, "{}", published.text());
    let page = app
        .get("/users/alice/packages/npm/package/hello")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(page.contains(&format!("href=\"{code}\"")), "{page}");

    // Deleted by its admin only; the package stays, connected to none.
    let not_admin = app
        .delete("/api/v3/repos/alice/tools")
        .bearer(&bob)
        .send()
        .await;
    assert_eq!(not_admin.status(), 403);
    let deleted = app
        .delete("/api/v3/repos/alice/tools")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());
    assert_eq!(
        show(Some(alice.clone()), "/api/v3/repos/alice/tools")
            .await
            .status(),
        404
    );
    let package: Value = app
        .get("/api/v3/user/packages/npm/hello")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(package["name"], "hello");
    assert!(
        package.get("repository").is_none_or(Value::is_null),
        "{package}"
    );

    // One's own profile.
    let profile = app
        .patch("/api/v3/user")
        .bearer(&alice)
        .json(&json!({"name": "Alice Liddell", "email": "alice@example.com"}))
        .send()
        .await;
    assert_eq!(profile.status(), 200, "{}", profile.text());
    let me: Value = profile.json();
    assert_eq!(me["name"], "Alice Liddell");
    assert_eq!(me["email"], "alice@example.com");
    let bad = app
        .patch("/api/v3/user")
        .bearer(&alice)
        .json(&json!({"email": "not an address"}))
        .send()
        .await;
    assert_eq!(bad.status(), 422, "{}", bad.text());
}

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

/// The same in the pages: a member creates an organization's repository
/// on `/new`, its settings page changes it and its collaborators, says
/// what becomes of its packages, and deletes it only with its name typed.
#[tokio::test]
async fn repositories_are_made_shared_and_deleted_in_the_pages() {
    use crate::web::Browser;
    let app = TestApp::new().await;
    for user in ["alice", "bob"] {
        app.user_with_password(user, "correct horse battery").await;
    }
    app.org("acme", "alice").await;
    let alice = Browser::new(&app);
    assert_eq!(
        alice
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    let (_, org_page) = alice.get("/acme").await;
    assert!(org_page.contains("/new?owner=acme"), "{org_page}");

    let csrf = alice.csrf("/new?owner=acme").await;
    let create = |name: &'static str, visibility: &'static str| {
        let (alice, csrf) = (&alice, csrf.clone());
        async move {
            alice
                .post(
                    "/new",
                    &[
                        ("csrf", csrf.as_str()),
                        ("owner", "acme"),
                        ("name", name),
                        ("visibility", visibility),
                        ("description", "Build tools"),
                        ("code_url", "https://github.com/acme/tools"),
                    ],
                )
                .await
        }
    };
    let made = create("tools", "private").await;
    assert_eq!(made.status(), 303, "{}", made.text());
    assert_eq!(made.headers()["location"], "/acme/tools/settings");
    let again = create("tools", "private").await;
    assert_eq!(again.status(), 422);
    assert!(again.text().contains("exists"), "{}", again.text());
    assert_eq!(create("bad name", "public").await.status(), 422);

    // bob, a stranger, sees nothing of it until he is a collaborator.
    let bob = Browser::new(&app);
    bob.sign_in("bob", "correct horse battery").await;
    assert_eq!(bob.get("/acme/tools/packages").await.0, 404);
    assert_eq!(bob.get("/acme/tools/settings").await.0, 404);
    let settings = "/acme/tools/settings";
    let act = |fields: Vec<(&'static str, &'static str)>| {
        let alice = &alice;
        async move {
            let csrf = alice.csrf(settings).await;
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            alice.post(settings, &form).await
        }
    };
    let shared = act(vec![
        ("action", "collaborator"),
        ("login", "bob"),
        ("role", "write"),
    ])
    .await;
    assert_eq!(shared.status(), 303);
    let (status, page) = bob.get("/acme/tools/packages").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        !page.contains(settings),
        "only admins are offered the settings"
    );
    assert_eq!(
        bob.get(settings).await.0,
        403,
        "bob sees it but may not administer it"
    );
    let saved = act(vec![
        ("action", "update"),
        ("description", "Tools"),
        ("code_url", "https://git.example.com/acme/tools"),
        ("visibility", "internal"),
    ])
    .await;
    assert_eq!(saved.status(), 303, "{}", saved.text());
    let (_, page) = alice.get(settings).await;
    assert!(
        page.contains("https://git.example.com/acme/tools") && page.contains("bob"),
        "{page}"
    );

    // A connected package is said to stay; the name must be typed.
    let token = app
        .token("alice", "read:packages,write:packages,repo")
        .await;
    let published = app
        .put("/npm/@acme%2fkit")
        .bearer(&token)
        .json(&publish_doc("@acme/kit", "1.0.0", &app.url("/acme/tools")))
        .send()
        .await;
    assert_eq!(published.status(), 201, "{}", published.text());
    let (_, page) = alice.get(settings).await;
    assert!(
        page.contains("npm kit") && page.contains("They stay"),
        "{page}"
    );
    assert_eq!(act(vec![("action", "archive")]).await.status(), 303);
    let (_, page) = alice.get(settings).await;
    assert!(page.contains("Archived on"), "{page}");
    let frozen = act(vec![("action", "update"), ("description", "x")]).await;
    assert_eq!(frozen.status(), 422, "read-only while archived");
    assert_eq!(act(vec![("action", "unarchive")]).await.status(), 303);
    let unconfirmed = act(vec![("action", "delete"), ("confirm", "tools")]).await;
    assert_eq!(unconfirmed.status(), 422);
    let deleted = act(vec![("action", "delete"), ("confirm", "acme/tools")]).await;
    assert_eq!(deleted.status(), 303, "{}", deleted.text());
    assert_eq!(alice.get("/acme/tools/packages").await.0, 404);
    assert_eq!(
        app.get("/npm/@acme%2fkit")
            .bearer(&token)
            .send()
            .await
            .status(),
        200,
        "the package stays"
    );
}

/// An archived repository is read-only, with the packages in it and
/// connected to it, until it is unarchived: they install, but nobody
/// publishes, deletes or changes them, nor the repository's settings.
#[tokio::test]
async fn an_archived_repository_and_its_packages_are_read_only() {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.repo_with("alice/tools", entrepot_core::Visibility::Private)
        .await;
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages,repo")
        .await;
    let pom = |v: &str| crate::common::artifacts::pom("com.example", "tool", v);
    let deploy = |v: &'static str| {
        let (app, alice) = (&app, alice.clone());
        async move {
            app.put(&format!(
                "/maven/alice/tools/com/example/tool/{v}/tool-{v}.pom"
            ))
            .basic("alice", &alice)
            .body(pom(v))
            .send()
            .await
        }
    };
    let publish = |v: &'static str| {
        let (app, alice) = (&app, alice.clone());
        async move {
            app.put("/npm/@alice%2fkit")
                .bearer(&alice)
                .json(&publish_doc("@alice/kit", v, &app.url("/alice/tools")))
                .send()
                .await
        }
    };
    assert_eq!(deploy("1.0.0").await.status(), 201);
    assert_eq!(publish("1.0.0").await.status(), 201);
    let patch = |body: Value| {
        let (app, alice) = (&app, alice.clone());
        async move {
            app.patch("/api/v3/repos/alice/tools")
                .bearer(&alice)
                .json(&body)
                .send()
                .await
        }
    };
    let archived = patch(json!({"archived": true})).await;
    assert_eq!(archived.status(), 200, "{}", archived.text());
    assert_eq!(archived.json::<Value>()["archived"], true);

    let refused = deploy("2.0.0").await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().contains("archived"), "{}", refused.text());
    assert_eq!(publish("2.0.0").await.status(), 403);
    let reads = [
        app.get("/maven/alice/tools/com/example/tool/1.0.0/tool-1.0.0.pom")
            .basic("alice", &alice)
            .send()
            .await
            .status(),
        app.get("/npm/@alice%2fkit")
            .bearer(&alice)
            .send()
            .await
            .status(),
    ];
    assert_eq!(reads, [200, 200], "they still install");
    assert_eq!(
        app.delete("/api/v3/user/packages/npm/kit")
            .bearer(&alice)
            .send()
            .await
            .status(),
        403
    );
    assert_eq!(
        patch(json!({"description": "changed"})).await.status(),
        403,
        "the settings are read-only too"
    );

    let back = patch(json!({"archived": false})).await;
    assert_eq!(back.json::<Value>()["archived"], false);
    assert_eq!(deploy("2.0.0").await.status(), 201);
    assert_eq!(publish("2.0.0").await.status(), 201);
}

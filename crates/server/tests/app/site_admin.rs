//! Site administration over GitHub Enterprise Server's REST shapes: users
//! created, listed page by page, suspended (their tokens stop at once),
//! promoted, and deleted with what they own, their login retired; each
//! refused to anyone but a site administrator acting with `site_admin`.
#![expect(clippy::too_many_lines, reason = "one scenario")]

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::TestApp;

#[tokio::test]
async fn a_site_administrator_creates_lists_suspends_promotes_and_deletes_users() {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user("alice").await;
    app.user("bob").await;
    let root = app.token("root", "read:packages,site_admin").await;
    let root_without = app.token("root", "read:packages").await;
    let alice = app.token("alice", "read:packages,write:packages").await;

    // Created like GHES does it.
    let created = app
        .post("/api/v3/admin/users")
        .bearer(&root)
        .json(&json!({"login": "carol", "email": "carol@example.com"}))
        .send()
        .await;
    assert_eq!(created.status(), 201, "{}", created.text());
    let carol: Value = created.json();
    assert_eq!(carol["login"], "carol");
    assert_eq!(carol["email"], "carol@example.com");

    // Anyone else is told there is nothing here; a site administrator's
    // token without `site_admin` may see but not act.
    let by_alice = app
        .put("/api/v3/users/bob/suspended")
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(by_alice.status(), 404);
    let anonymous = app.put("/api/v3/users/bob/suspended").send().await;
    assert_eq!(anonymous.status(), 401);
    let unscoped = app
        .put("/api/v3/users/bob/suspended")
        .bearer(&root_without)
        .send()
        .await;
    assert_eq!(unscoped.status(), 403, "{}", unscoped.text());

    // Every user, page by page, following `Link`.
    let mut seen = Vec::new();
    let mut next = Some(app.url("/api/v3/users?per_page=2"));
    while let Some(url) = next.take() {
        let path = url.trim_start_matches(&app.url(""));
        let page = app
            .get(&format!("/{}", path.trim_start_matches('/')))
            .bearer(&alice)
            .send()
            .await;
        assert_eq!(page.status(), 200, "{}", page.text());
        let users: Vec<Value> = page.json();
        seen.extend(
            users
                .iter()
                .map(|u| u["login"].as_str().unwrap().to_owned()),
        );
        next = page
            .headers()
            .get("link")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once('>'))
            .map(|(u, _)| u.to_owned());
    }
    for login in ["root", "alice", "bob", "carol"] {
        assert!(seen.contains(&login.to_owned()), "{login} in {seen:?}");
    }
    assert_eq!(app.get("/api/v3/users").send().await.status(), 401);

    // Suspended: alice's token stops at once, and works again after.
    let me = |t: String| {
        let app = &app;
        async move { app.get("/api/v3/user").bearer(&t).send().await.status() }
    };
    assert_eq!(me(alice.clone()).await, 200);
    let suspended = app
        .put("/api/v3/users/alice/suspended")
        .bearer(&root)
        .json(&json!({"reason": "left the company"}))
        .send()
        .await;
    assert_eq!(suspended.status(), 204, "{}", suspended.text());
    assert_eq!(me(alice.clone()).await, 401);
    let shown: Value = app
        .get("/api/v3/users/alice")
        .bearer(&root)
        .send()
        .await
        .json();
    assert!(shown["suspended_at"].is_string(), "{shown}");
    let back = app
        .delete("/api/v3/users/alice/suspended")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(back.status(), 204);
    assert_eq!(me(alice.clone()).await, 200);
    let myself = app
        .put("/api/v3/users/root/suspended")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(myself.status(), 403, "no one suspends themselves");

    // Promoted and demoted.
    let promoted = app
        .put("/api/v3/users/bob/site_admin")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(promoted.status(), 204);
    let bob: Value = app.get("/api/v3/users/bob").send().await.json();
    assert_eq!(bob["site_admin"], true);
    let demoted = app
        .delete("/api/v3/users/bob/site_admin")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(demoted.status(), 204);

    // An organization, then a user who is its only owner cannot go.
    let org = app
        .post("/api/v3/admin/organizations")
        .bearer(&root)
        .json(&json!({"login": "acme", "admin": "bob"}))
        .send()
        .await;
    assert_eq!(org.status(), 201, "{}", org.text());
    let orgs: Vec<Value> = app
        .get("/api/v3/organizations")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert!(orgs.iter().any(|o| o["login"] == "acme"), "{orgs:?}");
    let sole = app
        .delete("/api/v3/admin/users/bob")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(sole.status(), 409, "{}", sole.text());
    assert!(sole.text().contains("acme"), "{}", sole.text());

    // Deleted with what she owns; her login is retired.
    let published = app
        .put("/npm/@alice%2fhello")
        .bearer(&alice)
        .json(&publish_doc("@alice/hello", "1.0.0", ""))
        .send()
        .await;
    assert_eq!(published.status(), 201);
    let deleted = app
        .delete("/api/v3/admin/users/alice")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());
    assert_eq!(me(alice.clone()).await, 401);
    assert_eq!(
        app.get("/npm/@alice%2fhello")
            .bearer(&root)
            .send()
            .await
            .status(),
        404
    );
    let again = app
        .post("/api/v3/admin/users")
        .bearer(&root)
        .json(&json!({"login": "Alice"}))
        .send()
        .await;
    assert_eq!(again.status(), 409, "{}", again.text());
    assert!(again.text().contains("retired"), "{}", again.text());
    let missing = app
        .delete("/api/v3/admin/users/nobody")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_suspended_users_session_and_password_stop_at_once() {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let root = app.token("root", "site_admin").await;
    let browser = crate::web::Browser::new(&app);
    assert_eq!(
        browser
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    assert_eq!(browser.get("/settings/tokens").await.0, 200);
    let suspended = app
        .put("/api/v3/users/alice/suspended")
        .bearer(&root)
        .send()
        .await;
    assert_eq!(suspended.status(), 204);
    let after = browser.get_response("/settings/tokens").await;
    assert_eq!(after.status(), 303, "the session no longer signs in");
    let again = crate::web::Browser::new(&app);
    assert_eq!(
        again
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        401,
        "nor does the password"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_users_page_suspends_and_deletes_after_the_login_is_typed() {
    let app = TestApp::new().await;
    app.site_admin_with_password("root", "correct horse battery")
        .await;
    app.user_with_password("bob", "another long passphrase")
        .await;
    app.user("alice").await;
    let alice = app.token("alice", "read:packages").await;
    let admin = crate::web::Browser::new(&app);
    assert_eq!(
        admin
            .sign_in("root", "correct horse battery")
            .await
            .status(),
        303
    );
    let (status, page) = admin.get("/admin/users").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Suspend alice") && page.contains("Suspend bob"),
        "{page}"
    );
    assert!(!page.contains("Suspend root"), "no button against oneself");
    let csrf = crate::web::csrf_of(&page);

    let suspended = admin
        .post(
            "/admin/users",
            &[
                ("csrf", csrf.as_str()),
                ("login", "alice"),
                ("action", "suspend"),
            ],
        )
        .await;
    assert_eq!(suspended.status(), 303);
    assert_eq!(
        app.get("/api/v3/user").bearer(&alice).send().await.status(),
        401
    );
    let (_, page) = admin.get("/admin/users?done=suspended").await;
    assert!(page.contains("Reinstate alice"), "{page}");

    let (status, confirm) = admin.get("/admin/users/alice/delete").await;
    assert_eq!(status, 200);
    assert!(confirm.contains("deletes its 0 package(s)"), "{confirm}");
    let wrong = admin
        .post(
            "/admin/users/alice/delete",
            &[("csrf", csrf.as_str()), ("confirm", "alic")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(app.get("/api/v3/users/alice").send().await.status(), 200);
    let deleted = admin
        .post(
            "/admin/users/alice/delete",
            &[("csrf", csrf.as_str()), ("confirm", "alice")],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(app.get("/api/v3/users/alice").send().await.status(), 404);

    // Anyone else finds nothing here.
    let bob = crate::web::Browser::new(&app);
    bob.sign_in("bob", "another long passphrase").await;
    assert_eq!(bob.get("/admin/users").await.0, 404);
    assert_eq!(bob.get("/admin/users/root/delete").await.0, 404);
}

/// The other site administration pages: organizations listed with their
/// owners and created with one, every repository linked to its settings
/// (which a site administrator may use), storage by account; nothing
/// there for anyone else.
#[tokio::test(flavor = "multi_thread")]
async fn the_organizations_repositories_and_storage_pages() {
    use crate::web::Browser;
    let app = TestApp::new().await;
    app.site_admin_with_password("root", "correct horse battery")
        .await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    app.org("acme", "alice").await;
    app.repo_with("alice/secret", entrepot_core::Visibility::Private)
        .await;
    let alice_token = app.token("alice", "read:packages,write:packages").await;
    let published = app
        .put("/npm/@alice%2fhello")
        .bearer(&alice_token)
        .json(&publish_doc("@alice/hello", "1.0.0", ""))
        .send()
        .await;
    assert_eq!(published.status(), 201);

    let alice = Browser::new(&app);
    alice.sign_in("alice", "correct horse battery").await;
    for page in [
        "/admin/organizations",
        "/admin/repositories",
        "/admin/storage",
    ] {
        assert_eq!(alice.get(page).await.0, 404, "{page} is not hers");
    }

    let root = Browser::new(&app);
    root.sign_in("root", "correct horse battery").await;
    let (status, page) = root.get("/admin/organizations").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(">acme<") && page.contains("alice"), "{page}");
    let csrf = root.csrf("/admin/organizations").await;
    let made = root
        .post(
            "/admin/organizations",
            &[
                ("csrf", csrf.as_str()),
                ("login", "globex"),
                ("owner", "alice"),
            ],
        )
        .await;
    assert_eq!(made.status(), 303, "{}", made.text());
    assert!(
        root.get("/admin/organizations")
            .await
            .1
            .contains(">globex<")
    );
    let taken = root
        .post(
            "/admin/organizations",
            &[
                ("csrf", csrf.as_str()),
                ("login", "acme"),
                ("owner", "alice"),
            ],
        )
        .await;
    assert_eq!(taken.status(), 422);

    let (_, page) = root.get("/admin/repositories").await;
    assert!(page.contains("/alice/secret/settings"), "{page}");
    let (status, page) = root.get("/alice/secret/settings").await;
    assert_eq!(status, 200, "a site administrator manages it: {page}");

    let (_, page) = root.get("/admin/storage").await;
    assert!(page.contains(">alice<"), "{page}");
    assert!(
        page.contains(r#"href="/settings/cleanup?owner=alice">alice's quotas and rules"#),
        "{page}"
    );
}

/// The account rules on `/admin/settings`: what a site administrator
/// saves wins over the configuration until they go back to it.
#[tokio::test(flavor = "multi_thread")]
async fn the_settings_page_opens_sign_up_and_keeps_organizations_to_administrators() {
    use crate::web::Browser;
    let app = TestApp::new().await;
    app.site_admin_with_password("root", "correct horse battery")
        .await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let anyone = Browser::new(&app);
    assert_eq!(anyone.get("/signup").await.0, 404, "closed by default");
    let alice = Browser::new(&app);
    alice.sign_in("alice", "correct horse battery").await;
    assert_eq!(alice.get("/admin/settings").await.0, 404);

    let root = Browser::new(&app);
    root.sign_in("root", "correct horse battery").await;
    let save = |fields: Vec<(&'static str, &'static str)>| {
        let root = &root;
        async move {
            let csrf = root.csrf("/admin/settings").await;
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            root.post("/admin/settings", &form).await
        }
    };
    let saved = save(vec![("action", "save"), ("open_sign_up", "on")]).await;
    assert_eq!(saved.status(), 303, "{}", saved.text());
    assert_eq!(anyone.get("/signup").await.0, 200, "open now");
    let (_, page) = alice.get("/organizations/new").await;
    assert!(page.contains("Only site administrators"), "{page}");
    let csrf = alice.csrf("/organizations/new").await;
    let refused = alice
        .post(
            "/organizations/new",
            &[("csrf", csrf.as_str()), ("login", "alicecorp")],
        )
        .await;
    assert_eq!(refused.status(), 422, "{}", refused.text());

    assert_eq!(save(vec![("action", "reset")]).await.status(), 303);
    assert_eq!(
        anyone.get("/signup").await.0,
        404,
        "the configuration's again"
    );
    let (_, page) = alice.get("/organizations/new").await;
    assert!(!page.contains("Only site administrators"), "{page}");
}

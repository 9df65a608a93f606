//! Narrow tokens and organizations' robot tokens: a token that names the
//! packages (owners, repositories) it reaches does whatever its scopes
//! allow there and nothing elsewhere, touches no account settings, and
//! must expire within the site's maximum; a robot token reaches only its
//! organization's packages and outlives the member who made it.

use chrono::TimeDelta;
use entrepot_core::{OrgRole, Scopes};
use entrepot_service::narrow::Reach;
use serde_json::{Value, json};

use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

const FULL: &str = "read:packages,write:packages,delete:packages";

fn reach(packages: &[&str]) -> Reach {
    Reach {
        packages: packages.iter().map(|p| (*p).to_owned()).collect(),
        ..Reach::default()
    }
}

async fn bounded(app: &TestApp, login: &str, reach: &Reach) -> String {
    app.registry
        .accounts()
        .create_bounded_token(
            None,
            login,
            (Scopes::parse_list(FULL).unwrap(), TimeDelta::days(30)),
            None,
            reach,
        )
        .await
        .unwrap()
        .secret
}

async fn push(app: &TestApp, owner: &str, token: &str, name: &str, version: &str) -> (u16, String) {
    let pushed = app
        .post(&format!("/rubygems/{owner}/api/v1/gems"))
        .header("authorization", token)
        .body(gem_of(&gemspec(name, version, None), false))
        .send()
        .await;
    (pushed.status().as_u16(), pushed.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_token_reaches_what_it_names_and_nothing_else() {
    let (app, alice) = crate::cleanup::app_with_gems().await;
    let narrow = bounded(&app, "alice", &reach(&["rubygems/alice/snap"])).await;
    assert_eq!(push(&app, "alice", &narrow, "snap", "9.0.0").await.0, 200);
    let (status, said) = push(&app, "alice", &narrow, "keep", "9.0.0").await;
    assert_eq!(status, 403, "{said}");
    assert!(said.contains("restricted to other packages"), "{said}");
    let info = |name: &'static str| {
        app.get(&format!("/rubygems/alice/info/{name}"))
            .bearer(&narrow)
            .send()
    };
    assert_eq!(info("snap").await.status(), 200);
    assert_eq!(info("keep").await.status(), 404);

    // The REST API: its package, not the others, nor the account.
    let rest = |path: &str| {
        app.get(&format!("/api/v3/user/packages/rubygems/{path}"))
            .bearer(&narrow)
            .send()
    };
    assert_eq!(rest("snap").await.status(), 200);
    assert_eq!(rest("keep").await.status(), 404);
    let profile = app
        .patch("/api/v3/user")
        .bearer(&narrow)
        .json(&json!({"name": "Mallory"}))
        .send()
        .await;
    assert_eq!(profile.status(), 403, "{}", profile.text());
    assert!(profile.text().contains("restricted to packages"));
    let listed: Value = app
        .get("/api/v3/user/packages?package_type=rubygems")
        .bearer(&narrow)
        .send()
        .await
        .json();
    assert_eq!(listed, json!([]), "lists show it what anyone sees");
    // Its scopes hold within its reach: it deletes a version there.
    let versions: Value = app
        .get("/api/v3/user/packages/rubygems/snap/versions")
        .bearer(&alice)
        .send()
        .await
        .json();
    let id = versions[0]["id"].as_i64().unwrap();
    let deleted = app
        .delete(&format!(
            "/api/v3/user/packages/rubygems/snap/versions/{id}"
        ))
        .bearer(&narrow)
        .send()
        .await;
    assert_eq!(deleted.status(), 204, "{}", deleted.text());

    // A narrow token names something, expires, and within the maximum.
    let accounts = app.registry.accounts();
    let scopes = Scopes::parse_list(FULL).unwrap();
    let refused = [
        (TimeDelta::days(30), Reach::default(), "name the owners"),
        (
            TimeDelta::days(400),
            reach(&["rubygems/alice/snap"]),
            "366 days",
        ),
        (TimeDelta::days(30), reach(&["snap"]), "TYPE/OWNER/NAME"),
        (
            TimeDelta::days(30),
            reach(&["rubygems/nobody/snap"]),
            "nobody",
        ),
    ];
    for (lifetime, reach, why) in refused {
        let e = accounts
            .create_bounded_token(None, "alice", (scopes, lifetime), None, &reach)
            .await
            .err()
            .unwrap_or_else(|| panic!("{reach:?} is refused"));
        assert!(e.to_string().contains(why), "{reach:?}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_robot_token_reaches_its_organization_and_outlives_its_maker() {
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol"] {
        app.user(user).await;
    }
    app.org("acme", "alice").await;
    app.org_member("acme", "bob", OrgRole::Owner).await;
    app.org_member("acme", "carol", OrgRole::Member).await;
    let alice_actor = app
        .registry
        .sessions()
        .authenticate(&entrepot_service::auth::Credential::Token(
            app.token("alice", FULL).await,
        ))
        .await
        .unwrap();
    let carol_actor = app
        .registry
        .sessions()
        .authenticate(&entrepot_service::auth::Credential::Token(
            app.token("carol", FULL).await,
        ))
        .await
        .unwrap();
    let scopes = (Scopes::parse_list(FULL).unwrap(), TimeDelta::days(30));
    let accounts = app.registry.accounts();
    let refused = accounts
        .create_bounded_token(Some(&carol_actor), "acme", scopes, None, &Reach::default())
        .await
        .err()
        .expect("a member who is no owner makes no robot");
    assert_eq!(refused.status(), 403, "{refused}");
    let outside = accounts
        .create_bounded_token(
            Some(&alice_actor),
            "acme",
            scopes,
            None,
            &reach(&["rubygems/alice/x"]),
        )
        .await
        .err()
        .expect("a robot reaches its organization only");
    assert!(
        outside.to_string().contains("reaches only acme"),
        "{outside}"
    );
    let robot = accounts
        .create_bounded_token(
            Some(&alice_actor),
            "acme",
            scopes,
            Some("ci".into()),
            &Reach::default(),
        )
        .await
        .unwrap()
        .secret;

    let (status, said) = push(&app, "acme", &robot, "tool", "1.0.0").await;
    assert_eq!(status, 200, "{said}");
    let (status, said) = push(&app, "alice", &robot, "tool", "1.0.0").await;
    assert_eq!(status, 403, "{said}");
    let profile = app.get("/api/v3/user").bearer(&robot).send().await;
    assert_eq!(profile.json::<Value>()["login"], "acme");

    // Alice leaves the organization; the robot works on.
    accounts.remove_org_member("acme", "alice").await.unwrap();
    let (status, said) = push(&app, "acme", &robot, "tool", "2.0.0").await;
    assert_eq!(status, 200, "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tokens_page_makes_a_narrow_token() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let (_, page) = browser.get("/settings/tokens").await;
    let csrf = csrf_of(&page);
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("note", "widget releases"),
        ("expiration", "none"),
        ("scope", "write:packages"),
        ("reach_packages", "npm/alice/widget"),
    ];
    let refused = browser.post("/settings/tokens", &form).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().contains("must expire"), "{}", refused.text());
    form[2] = ("expiration", "30");
    let made = browser.post("/settings/tokens", &form).await;
    assert_eq!(made.status(), 201, "{}", made.text());
    assert!(made.text().contains("only npm/widget"), "{}", made.text());
}

/// A registry token for `scope` from the Docker token flow, as `user`.
async fn registry_token(app: &TestApp, user: &str, password: &str, scope: &str) -> String {
    let body: Value = app
        .get("/token")
        .query(&[("service", "x"), ("scope", scope)])
        .basic(user, password)
        .send()
        .await
        .json();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_narrow_token_keeps_its_reach_through_the_docker_token_flow() {
    let app = TestApp::new().await;
    app.user("alice").await;
    let narrow = bounded(&app, "alice", &reach(&["container/alice/app"])).await;
    let scope = "repository:alice/app:pull,push repository:alice/other:pull,push";
    let registry = registry_token(&app, "alice", &narrow, scope).await;
    let upload = |repo: &'static str| {
        app.post(&format!("/v2/alice/{repo}/blobs/uploads/"))
            .bearer(&registry)
            .send()
    };
    assert_eq!(upload("app").await.status(), 202);
    let refused = upload("other").await;
    assert!(
        matches!(refused.status().as_u16(), 401 | 403 | 404),
        "{}: {}",
        refused.status(),
        refused.text()
    );
}

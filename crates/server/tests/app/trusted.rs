//! Trusted publishers over the REST API and the settings page, and what a
//! token minted by trusted publishing may do: publish and read the
//! packages it names, read what anyone may, nothing else.

use entrepot_core::trusted::{Grant, GrantedPackage};
use entrepot_core::{PackageType, Scope, Scopes};
use serde_json::{Value, json};

use crate::cleanup::app_with_gems;
use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

const SNAP: &str = "/api/v3/users/alice/packages/rubygems/snap/trusted-publishers";

#[tokio::test(flavor = "multi_thread")]
async fn package_admins_manage_trusted_publishers_over_rest() {
    let (app, alice) = app_with_gems().await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    assert_eq!(app.get(SNAP).send().await.status(), 401);
    assert_eq!(app.get(SNAP).bearer(&bob).send().await.status(), 404);
    let pending = "/api/v3/users/alice/packages/rubygems/newgem/trusted-publishers";
    let body = json!({"repository": "acme/widget", "workflow": "release.yml"});
    let refused = app.post(pending).bearer(&bob).json(&body).send().await;
    assert_eq!(refused.status(), 403, "{}", refused.text());

    let added = app.post(SNAP).bearer(&alice).json(&body).send().await;
    assert_eq!(added.status(), 201, "{}", added.text());
    let added: Value = added.json();
    assert_eq!(
        added["issuer"],
        "https://token.actions.githubusercontent.com"
    );
    assert_eq!(added["workflow"], "release.yml");
    assert_eq!(added["ref"], Value::Null);
    let listed: Value = app.get(SNAP).bearer(&alice).send().await.json();
    assert_eq!(listed, json!([added.clone()]));

    for (wrong, why) in [
        (
            json!({"repository": "acme/widget", "issuer": "https://ci.example"}),
            "not an issuer this registry trusts",
        ),
        (json!({"workflow": "release.yml"}), "repository"),
        (json!({"repository": "widget"}), "OWNER/NAME"),
    ] {
        let answer = app.post(SNAP).bearer(&alice).json(&wrong).send().await;
        assert_eq!(answer.status(), 422, "{wrong}");
        assert!(answer.text().contains(why), "{wrong}: {}", answer.text());
    }

    // A name not yet published takes a publisher from its owner.
    let answer = app.post(pending).bearer(&alice).json(&body).send().await;
    assert_eq!(answer.status(), 201, "{}", answer.text());

    let id = added["id"].as_i64().unwrap();
    let gone = app
        .delete(&format!("{SNAP}/{id}"))
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(gone.status(), 204);
    let listed: Value = app.get(SNAP).bearer(&alice).send().await.json();
    assert_eq!(listed, json!([]));
    let again = app
        .delete(&format!("{SNAP}/{id}"))
        .bearer(&alice)
        .send()
        .await;
    assert_eq!(again.status(), 404);
}

/// A token as trusted publishing mints it, bound to alice's gem `snap`.
async fn minted_for_snap(app: &TestApp) -> String {
    let alice = app.registry.accounts().account("alice").await.unwrap();
    let new = entrepot_core::token::generate();
    app.store()
        .await
        .create_token(entrepot_store::NewTokenRecord {
            user_id: alice.id,
            hash: new.hash,
            prefix: new.prefix,
            scopes: Scopes::from_iter([Scope::ReadPackages, Scope::WritePackages]),
            note: None,
            expires_at: Some(chrono::Utc::now() + chrono::TimeDelta::minutes(15)),
            bound_to: Some(Grant {
                packages: vec![GrantedPackage {
                    owner_id: alice.id,
                    package_type: PackageType::Rubygems,
                    name: "snap".into(),
                }],
                owners: Vec::new(),
                repositories: Vec::new(),
                via: "acme/widget, release.yml via https://ci.example".into(),
            }),
        })
        .await
        .unwrap();
    new.secret
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minted_token_publishes_its_package_and_nothing_else() {
    let (app, _alice) = app_with_gems().await;
    let minted = minted_for_snap(&app).await;
    let push = |name: &'static str| {
        app.post("/rubygems/alice/api/v1/gems")
            .header("authorization", &minted)
            .body(gem_of(&gemspec(name, "9.0.0", None), false))
            .send()
    };
    let pushed = push("snap").await;
    assert_eq!(pushed.status(), 200, "{}", pushed.text());
    // Another package, existing (private) or new, is refused alike.
    for other in ["keep", "brandnew"] {
        let refused = push(other).await;
        assert_eq!(refused.status(), 403, "{}", refused.text());
        assert!(
            refused
                .text()
                .contains("this token is restricted to other packages"),
            "{}",
            refused.text()
        );
    }

    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&minted)
        .send()
        .await;
    assert_eq!(info.status(), 200);
    let hidden = app
        .get("/rubygems/alice/info/keep")
        .bearer(&minted)
        .send()
        .await;
    assert_eq!(hidden.status(), 404);
    // The REST API does not take it at all.
    for (method, path) in [
        ("GET", "/api/v3/user/packages?package_type=rubygems"),
        ("GET", "/api/v3/user"),
        ("PATCH", "/api/v3/user"),
        ("POST", "/api/v3/user/immutable-tags"),
        ("DELETE", "/api/v3/user/packages/rubygems/snap"),
    ] {
        let answer = app
            .request(method.parse().unwrap(), path)
            .bearer(&minted)
            .json(&json!({}))
            .send()
            .await;
        assert_eq!(answer.status(), 403, "{method} {path}");
        assert!(
            answer.text().contains("package clients only"),
            "{method} {path}"
        );
    }

    // The version it published names the run, on the version's page.
    let owner = app.registry.accounts().account("alice").await.unwrap();
    let snap = app
        .store()
        .await
        .package(owner.id, PackageType::Rubygems, "snap", false)
        .await
        .unwrap()
        .unwrap();
    let version = app
        .registry
        .packages()
        .version(snap.id, "9.0.0")
        .await
        .unwrap()
        .unwrap();
    let via = app
        .registry
        .trusted()
        .published_via(version.id)
        .await
        .unwrap();
    assert_eq!(
        via.as_deref(),
        Some("acme/widget, release.yml via https://ci.example")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_page_lists_adds_and_removes_trusted_publishers() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    let token = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let pushed = app
        .post("/rubygems/alice/api/v1/gems")
        .header("authorization", &token)
        .body(gem_of(&gemspec("snap", "1.0.0", None), false))
        .send()
        .await;
    assert_eq!(pushed.status(), 200, "{}", pushed.text());
    let browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let settings = "/users/alice/packages/rubygems/snap/settings";
    let (status, page) = browser.get(settings).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Trusted publishers"), "{page}");
    let csrf = csrf_of(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "publisher_add"),
        ("issuer", "https://token.actions.githubusercontent.com"),
        ("ci_repository", "acme/widget"),
        ("workflow", "release.yml"),
        ("git_ref", ""),
        ("environment", "pypi"),
    ];
    let added = browser.post(settings, &form).await;
    assert_eq!(added.status(), 303, "{}", added.text());
    let (_, page) = browser.get(added.header("location")).await;
    assert!(page.contains("Trusted publisher added."), "{page}");
    assert!(
        page.contains("<td>acme/widget</td><td data-label=\"Workflow\">release.yml</td><td data-label=\"Ref\">any</td>"),
        "{page}"
    );
    let id = page
        .split("name=\"publisher_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let remove = [
        ("csrf", csrf.as_str()),
        ("action", "publisher_remove"),
        ("publisher_id", id.as_str()),
    ];
    let removed = browser.post(settings, &remove).await;
    assert_eq!(removed.status(), 303);
    let (_, page) = browser.get(removed.header("location")).await;
    assert!(page.contains("Trusted publisher removed."), "{page}");
    assert!(!page.contains("<td>acme/widget</td>"), "{page}");
}

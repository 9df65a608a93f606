//! The cleanup page, `/settings/cleanup`: an owner sees what it stores,
//! previews a rule before saving it, runs its rules and makes tags
//! immutable; another user may not.

use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

/// A run is previewed first (every rule together), then confirmed.
async fn assert_run_previewed(browser: &Browser, csrf: &str, removed: usize) {
    let preview_run = [
        ("csrf", csrf),
        ("owner", "alice"),
        ("action", "preview_run"),
    ];
    let previewed = browser.post("/settings/cleanup", &preview_run).await;
    assert_eq!(previewed.status(), 200);
    let text = previewed.text();
    assert!(
        text.contains(&format!(
            "Running every rule now would remove {removed} versions:"
        )) && text.contains(&format!("Remove these {removed} versions now")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_owner_previews_saves_and_runs_a_rule_on_its_page() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    app.user_with_password("bob", "a long passphrase").await;
    let token = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for version in ["1.0.0", "2.0.0", "3.0.0"] {
        let pushed = app
            .post("/rubygems/alice/api/v1/gems")
            .header("authorization", &token)
            .body(gem_of(&gemspec("snap", version, None), false))
            .send()
            .await;
        assert_eq!(pushed.status(), 200, "{}", pushed.text());
    }
    let alice = Browser::new(&app);
    assert_eq!(
        alice.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let (status, page) = alice.get("/settings/cleanup").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No rule yet"), "{page}");
    assert!(page.contains("<td>snap</td>"), "{page}");
    let csrf = csrf_of(&page);
    let rule = [
        ("csrf", csrf.as_str()),
        ("owner", "alice"),
        ("keep_newest", "1"),
        ("pattern", "snap"),
    ];
    let mut preview = rule.to_vec();
    preview.push(("action", "preview"));
    let previewed = alice.post("/settings/cleanup", &preview).await;
    assert_eq!(previewed.status(), 200, "{}", previewed.text());
    let text = previewed.text();
    assert!(text.contains("would remove 2 versions"), "{text}");
    assert!(
        text.contains("<td>2.0.0</td>") && !text.contains("<td>3.0.0</td>"),
        "{text}"
    );
    let mut save = rule.to_vec();
    save.push(("action", "save"));
    assert_eq!(alice.post("/settings/cleanup", &save).await.status(), 303);
    let (_, page) = alice.get("/settings/cleanup").await;
    assert!(page.contains("keep the 1 newest"), "{page}");
    assert_run_previewed(&alice, &csrf, 2).await;
    let run = [
        ("csrf", csrf.as_str()),
        ("owner", "alice"),
        ("action", "run"),
    ];
    assert_eq!(alice.post("/settings/cleanup", &run).await.status(), 303);
    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&token)
        .send()
        .await
        .text();
    assert!(
        !info.contains("\n1.0.0 ") && info.contains("\n3.0.0 "),
        "{info}"
    );
    let tag = [
        ("csrf", csrf.as_str()),
        ("owner", "alice"),
        ("action", "add_tag"),
        ("tag_pattern", "v*"),
        ("format", "container"),
    ];
    assert_eq!(alice.post("/settings/cleanup", &tag).await.status(), 303);
    let (_, page) = alice.get("/settings/cleanup").await;
    assert!(page.contains("<code>v*</code> (container)"), "{page}");

    let bob = Browser::new(&app);
    assert_eq!(bob.sign_in("bob", "a long passphrase").await.status(), 303);
    let (status, _) = bob.get("/settings/cleanup?owner=alice").await;
    assert_eq!(status, 403);
    let (_, own) = bob.get("/settings/cleanup").await;
    let csrf = csrf_of(&own);
    let tried = bob
        .post(
            "/settings/cleanup",
            &[
                ("csrf", csrf.as_str()),
                ("owner", "alice"),
                ("action", "run"),
            ],
        )
        .await;
    assert_eq!(tried.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_site_administrator_sets_a_quota_the_owner_sees_on_its_page() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    app.site_admin_with_password("root", "a long passphrase")
        .await;
    let root = Browser::new(&app);
    assert_eq!(
        root.sign_in("root", "a long passphrase").await.status(),
        303
    );
    let (_, page) = root.get("/settings/cleanup?owner=alice").await;
    assert!(
        page.contains("No quota: alice may store without limit"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let set = [
        ("csrf", csrf.as_str()),
        ("owner", "alice"),
        ("action", "set_quota"),
        ("format", "npm"),
        ("bytes", "2GiB"),
        ("versions", "50"),
    ];
    let done = root.post("/settings/cleanup", &set).await;
    assert_eq!(done.status(), 303, "{}", done.text());
    let mut bad = set.to_vec();
    bad[4] = ("bytes", "lots");
    let refused = root.post("/settings/cleanup", &bad).await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused.text().contains("`lots` is not a size"),
        "{}",
        refused.text()
    );

    let alice = Browser::new(&app);
    assert_eq!(
        alice.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let (_, page) = alice.get("/settings/cleanup").await;
    assert!(page.contains("<td>npm packages</td>"), "{page}");
    assert!(
        page.contains(r#"<td data-label="Size limit">2.0 GiB</td>"#),
        "{page}"
    );
    assert!(
        page.contains("Deleted versions count until they are purged"),
        "{page}"
    );
    assert!(
        !page.contains("Set the quota"),
        "only site administrators set quotas"
    );
    let csrf = csrf_of(&page);
    let mut own = set.to_vec();
    own[0] = ("csrf", csrf.as_str());
    let refused = alice.post("/settings/cleanup", &own).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .contains("only site administrators set quotas")
    );

    let remove = [
        (
            "csrf",
            csrf_of(&root.get("/settings/cleanup?owner=alice").await.1),
        ),
        ("owner", "alice".into()),
        ("action", "remove_quota".into()),
        ("format", "npm".into()),
    ];
    let remove: Vec<(&str, &str)> = remove.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(root.post("/settings/cleanup", &remove).await.status(), 303);
    let (_, page) = alice.get("/settings/cleanup").await;
    assert!(page.contains("No quota"), "{page}");
}

/// The id of each of alice's live `snap` versions, by name.
async fn snap_ids(app: &TestApp, token: &str) -> std::collections::HashMap<String, i64> {
    let listed: serde_json::Value = app
        .get("/api/v3/user/packages/rubygems/snap/versions")
        .bearer(token)
        .send()
        .await
        .json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn many_versions_are_previewed_deleted_and_restored_on_the_settings_page() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    let token = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for version in ["1.0.0", "2.0.0", "3.0.0", "4.0.0"] {
        let pushed = app
            .post("/rubygems/alice/api/v1/gems")
            .header("authorization", &token)
            .body(gem_of(&gemspec("snap", version, None), false))
            .send()
            .await;
        assert_eq!(pushed.status(), 200, "{}", pushed.text());
    }
    let ids = snap_ids(&app, &token).await;
    let alice = Browser::new(&app);
    assert_eq!(
        alice.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let settings = "/users/alice/packages/rubygems/snap/settings";
    let (status, page) = alice.get(settings).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("This package stores"), "{page}");
    let csrf = csrf_of(&page);

    // By filter: a preview names them, and nothing goes until confirmed.
    let filter = [
        ("csrf", csrf.as_str()),
        ("action", "bulk_preview"),
        ("keep_newest", "2"),
    ];
    let previewed = alice.post(settings, &filter).await;
    assert_eq!(previewed.status(), 200, "{}", previewed.text());
    let text = previewed.text();
    assert!(
        text.contains("Deleting 2 versions: <code>2.0.0</code>, <code>1.0.0</code>"),
        "{text}"
    );
    assert_eq!(snap_ids(&app, &token).await.len(), 4);
    let (one, two) = (ids["1.0.0"].to_string(), ids["2.0.0"].to_string());
    let confirm = [
        ("csrf", csrf.as_str()),
        ("action", "bulk_delete"),
        ("version_ids", one.as_str()),
        ("version_ids", two.as_str()),
    ];
    assert_eq!(alice.post(settings, &confirm).await.status(), 303);
    let (_, page) = alice.get(&format!("{settings}?done=bulk_delete")).await;
    assert!(page.contains("Versions deleted."), "{page}");
    assert!(page.contains("Select deleted 1.0.0"), "{page}");

    // Ticked: every live version is refused, saying why.
    let (three, four) = (ids["3.0.0"].to_string(), ids["4.0.0"].to_string());
    let every = [
        ("csrf", csrf.as_str()),
        ("action", "bulk_preview"),
        ("version_ids", three.as_str()),
        ("version_ids", four.as_str()),
    ];
    let refused = alice.post(settings, &every).await;
    assert_eq!(refused.status(), 400, "{}", refused.text());
    assert!(
        refused.text().contains("keep at least one"),
        "{}",
        refused.text()
    );

    let restore = [
        ("csrf", csrf.as_str()),
        ("action", "bulk_restore"),
        ("version_ids", one.as_str()),
        ("version_ids", two.as_str()),
    ];
    assert_eq!(alice.post(settings, &restore).await.status(), 303);
    let (_, page) = alice.get(settings).await;
    assert!(!page.contains("Select deleted"), "{page}");
    assert!(page.contains("Select 1.0.0"), "{page}");
}

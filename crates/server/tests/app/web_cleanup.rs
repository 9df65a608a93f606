//! The cleanup page, `/settings/cleanup`: an owner sees what it stores,
//! previews a rule before saving it, runs its rules and makes tags
//! immutable; another user may not.

use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

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

//! The upstream pages: site administrators add, list and remove upstreams
//! and release reserved names at `/admin/upstreams` (nobody else finds the
//! page); an owner turns its PyPI fall-through on and off at
//! `/settings/fallthrough`, which a stranger may not.

use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

async fn signed_in(app: &TestApp, login: &str) -> Browser {
    let browser = Browser::new(app);
    assert_eq!(
        browser.sign_in(login, "a long passphrase").await.status(),
        303
    );
    browser
}

#[tokio::test(flavor = "multi_thread")]
async fn site_administrators_manage_upstreams_on_their_page() {
    let app = TestApp::new().await;
    app.site_admin_with_password("root", "a long passphrase")
        .await;
    app.user_with_password("alice", "a long passphrase").await;
    let root = signed_in(&app, "root").await;
    let (status, page) = root.get("/admin/upstreams").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("No upstream is registered"), "{page}");
    let csrf = csrf_of(&page);
    let added = root
        .post(
            "/admin/upstreams",
            &[
                ("csrf", csrf.as_str()),
                ("action", "add"),
                ("name", "pypi-up"),
                ("format", "pypi"),
                ("url", "http://127.0.0.1:9/"),
                ("username", "reader"),
                ("password", "s3cret"),
                ("metadata_ttl", "5m"),
            ],
        )
        .await;
    assert_eq!(added.status(), 303, "{}", added.text());
    let (_, page) = root.get("/admin/upstreams").await;
    assert!(page.contains("pypi-up") && page.contains("300 s"), "{page}");
    assert!(
        page.contains("reader") && !page.contains("s3cret"),
        "{page}"
    );

    // A bad address is refused on the page, with the reason.
    let refused = root
        .post(
            "/admin/upstreams",
            &[
                ("csrf", csrf.as_str()),
                ("action", "add"),
                ("name", "bad"),
                ("format", "pypi"),
                ("url", "ftp://example.com/"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400, "{}", refused.text());
    assert!(refused.text().contains("flash error"), "{}", refused.text());

    // No limit configured: the preview says so.
    let (_, preview) = root.get("/admin/upstreams?preview=1").await;
    assert!(preview.contains("no limit is configured"), "{preview}");

    let released = root
        .post(
            "/admin/upstreams",
            &[
                ("csrf", csrf.as_str()),
                ("action", "release"),
                ("name", "types"),
            ],
        )
        .await;
    assert_eq!(
        released.status(),
        404,
        "nothing reserved: {}",
        released.text()
    );

    let removed = root
        .post(
            "/admin/upstreams",
            &[
                ("csrf", csrf.as_str()),
                ("action", "remove"),
                ("name", "pypi-up"),
            ],
        )
        .await;
    assert_eq!(removed.status(), 303);
    assert!(!root.get("/admin/upstreams").await.1.contains("pypi-up"));

    nobody_else_finds_the_page(&app).await;
}

/// Nobody but a site administrator finds the page, nor acts through it.
async fn nobody_else_finds_the_page(app: &TestApp) {
    let alice = signed_in(app, "alice").await;
    assert_eq!(alice.get("/admin/upstreams").await.0, 404);
    let (_, own) = alice.get("/settings/fallthrough").await;
    let csrf = csrf_of(&own);
    let tried = alice
        .post(
            "/admin/upstreams",
            &[
                ("csrf", csrf.as_str()),
                ("action", "add"),
                ("name", "mine"),
                ("format", "npm"),
                ("url", "http://127.0.0.1:9/"),
            ],
        )
        .await;
    assert_eq!(tried.status(), 404);
    assert!(
        app.registry
            .upstreams()
            .upstream("mine")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(Browser::new(app).get("/admin/upstreams").await.0, 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn owners_turn_their_fallthrough_on_and_off_on_their_page() {
    let app = TestApp::new().await;
    app.site_admin("root").await;
    app.user_with_password("alice", "a long passphrase").await;
    app.user_with_password("bob", "a long passphrase").await;
    app.registry
        .upstreams()
        .add_upstream(entrepot_service::upstreams::UpstreamRequest {
            name: "pypi-up".into(),
            format: "pypi".into(),
            url: "http://127.0.0.1:9/".into(),
            username: None,
            password: None,
            metadata_ttl: None,
            is_default: false,
        })
        .await
        .unwrap();
    let alice = signed_in(&app, "alice").await;
    let (status, page) = alice.get("/settings/fallthrough").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("off: only alice") && page.contains("pypi-up"),
        "{page}"
    );
    let csrf = csrf_of(&page);
    let on = alice
        .post(
            "/settings/fallthrough",
            &[
                ("csrf", csrf.as_str()),
                ("owner", "alice"),
                ("upstream", "pypi-up"),
                ("reserved", "Acme_*\r\nbilling\r\n"),
            ],
        )
        .await;
    assert_eq!(on.status(), 303, "{}", on.text());
    let (_, page) = alice.get("/settings/fallthrough").await;
    assert!(page.contains("falls through to <strong>pypi-up"), "{page}");
    assert!(page.contains("acme-*\nbilling"), "{page}");

    // bob may neither see nor change alice's.
    let bob = signed_in(&app, "bob").await;
    assert_eq!(bob.get("/settings/fallthrough?owner=alice").await.0, 403);
    let (_, own) = bob.get("/settings/fallthrough").await;
    let bob_csrf = csrf_of(&own);
    let tried = bob
        .post(
            "/settings/fallthrough",
            &[
                ("csrf", bob_csrf.as_str()),
                ("owner", "alice"),
                ("off", "1"),
            ],
        )
        .await;
    assert_eq!(tried.status(), 403);

    let off = alice
        .post(
            "/settings/fallthrough",
            &[("csrf", csrf.as_str()), ("owner", "alice"), ("off", "1")],
        )
        .await;
    assert_eq!(off.status(), 303);
    assert!(
        alice
            .get("/settings/fallthrough")
            .await
            .1
            .contains("off: only alice")
    );
    cargo_on_the_same_page(&app, &alice, &csrf).await;
}

/// The page's Cargo tab: its own upstreams, its own setting.
async fn cargo_on_the_same_page(app: &TestApp, alice: &Browser, csrf: &str) {
    app.registry
        .upstreams()
        .add_upstream(entrepot_service::upstreams::UpstreamRequest {
            name: "crates-up".into(),
            format: "cargo".into(),
            url: "http://127.0.0.1:9/index/".into(),
            username: None,
            password: None,
            metadata_ttl: None,
            is_default: false,
        })
        .await
        .unwrap();
    let (status, page) = alice.get("/settings/fallthrough?format=cargo").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Cargo fall-through for alice"), "{page}");
    assert!(
        page.contains("sparse+http://") && page.contains("crates-up"),
        "{page}"
    );
    assert!(
        !page.contains("pypi-up"),
        "only Cargo upstreams are offered: {page}"
    );
    let on = alice
        .post(
            "/settings/fallthrough",
            &[
                ("csrf", csrf),
                ("owner", "alice"),
                ("format", "cargo"),
                ("upstream", "crates-up"),
            ],
        )
        .await;
    assert_eq!(on.status(), 303, "{}", on.text());
    let (_, page) = alice.get("/settings/fallthrough?format=cargo").await;
    assert!(
        page.contains("falls through to <strong>crates-up"),
        "{page}"
    );
    let (_, pypi) = alice.get("/settings/fallthrough").await;
    assert!(pypi.contains("off: only alice"), "PyPI's stays off: {pypi}");
    assert_eq!(alice.get("/settings/fallthrough?format=npm").await.0, 404);
}

//! A user's own account page: name and email saved, the password changed
//! only with the current one (other browsers then signed out), and the
//! browser sessions listed and ended.
#![expect(clippy::too_many_lines, reason = "one scenario")]

use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

#[tokio::test(flavor = "multi_thread")]
async fn a_user_changes_profile_and_password_and_ends_other_sessions() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let here = Browser::new(&app);
    let there = Browser::new(&app);
    for browser in [&here, &there] {
        assert_eq!(
            browser
                .sign_in("alice", "correct horse battery")
                .await
                .status(),
            303
        );
    }
    let (status, page) = here.get("/settings/profile").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page.matches("(this browser)").count(), 1, "{page}");
    assert_eq!(
        page.matches("name=\"session\"").count(),
        1,
        "the other one can be ended"
    );
    let csrf = csrf_of(&page);

    let saved = here
        .post(
            "/settings/profile",
            &[
                ("csrf", csrf.as_str()),
                ("action", "profile"),
                ("name", "Alice Liddell"),
                ("email", "alice@example.com"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let shown: serde_json::Value = app.get("/api/v3/users/alice").send().await.json();
    assert_eq!(shown["name"], "Alice Liddell");

    let password = |current: &'static str, new: &'static str, again: &'static str| {
        let (here, csrf) = (&here, csrf.clone());
        async move {
            here.post(
                "/settings/profile",
                &[
                    ("csrf", csrf.as_str()),
                    ("action", "password"),
                    ("current_password", current),
                    ("new_password", new),
                    ("confirm_password", again),
                ],
            )
            .await
        }
    };
    let wrong = password("not it", "a new long passphrase", "a new long passphrase").await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().contains("current password is not right"));
    let differ = password("correct horse battery", "a new long passphrase", "another").await;
    assert_eq!(differ.status(), 422);
    assert_eq!(
        there.get("/settings/profile").await.0,
        200,
        "nothing changed yet"
    );
    let changed = password(
        "correct horse battery",
        "a new long passphrase",
        "a new long passphrase",
    )
    .await;
    assert_eq!(changed.status(), 303);
    assert_eq!(
        here.get("/settings/profile").await.0,
        200,
        "this browser stays"
    );
    assert_eq!(
        there.get_response("/settings/profile").await.status(),
        303,
        "the other was signed out"
    );
    let old = Browser::new(&app);
    assert_eq!(
        old.sign_in("alice", "correct horse battery").await.status(),
        401
    );
    let again = Browser::new(&app);
    assert_eq!(
        again
            .sign_in("alice", "a new long passphrase")
            .await
            .status(),
        303
    );

    // Every other browser signed out at once.
    let ended = here
        .post(
            "/settings/profile",
            &[("csrf", csrf.as_str()), ("action", "end-others")],
        )
        .await;
    assert_eq!(ended.status(), 303);
    assert_eq!(again.get_response("/settings/profile").await.status(), 303);
    assert_eq!(here.get("/settings/profile").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_when_open_and_organizations_when_users_may() {
    let closed = TestApp::new().await;
    assert_eq!(
        Browser::new(&closed).get("/signup").await.0,
        404,
        "closed by default"
    );

    let app = TestApp::with_args(&["--open-sign-up", "--users-create-orgs", "false"]).await;
    let browser = Browser::new(&app);
    let (status, form) = browser.get("/signup").await;
    assert_eq!(status, 200, "{form}");
    let csrf = csrf_of(&form);
    let sign_up = |login: &'static str, password: &'static str| {
        let (browser, csrf) = (&browser, csrf.clone());
        async move {
            browser
                .post(
                    "/signup",
                    &[
                        ("csrf", csrf.as_str()),
                        ("login", login),
                        ("email", "dana@example.com"),
                        ("password", password),
                    ],
                )
                .await
        }
    };
    let short = sign_up("dana", "short").await;
    assert_eq!(short.status(), 422);
    assert!(short.text().contains("at least 8"), "{}", short.text());
    let site_path = sign_up("settings", "a long passphrase").await;
    assert_eq!(site_path.status(), 422, "{}", site_path.text());
    let made = sign_up("dana", "a long passphrase").await;
    assert_eq!(made.status(), 303, "{}", made.text());
    assert_eq!(
        browser.get("/settings/profile").await.0,
        200,
        "signed in at once"
    );
    let taken = Browser::new(&app);
    let (_, form) = taken.get("/signup").await;
    let again = taken
        .post(
            "/signup",
            &[
                ("csrf", csrf_of(&form).as_str()),
                ("login", "DANA"),
                ("email", "d@example.com"),
                ("password", "a long passphrase"),
            ],
        )
        .await;
    assert_eq!(again.status(), 422);
    assert!(again.text().contains("taken"), "{}", again.text());

    // Organizations: kept to site administrators here.
    let (_, page) = browser.get("/organizations/new").await;
    assert!(page.contains("Only site administrators"), "{page}");
    let refused = browser
        .post(
            "/organizations/new",
            &[
                ("csrf", browser.csrf("/settings/profile").await.as_str()),
                ("login", "dana-co"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(app.get("/api/v3/orgs/dana-co").send().await.status(), 404);

    let open = TestApp::new().await;
    open.user_with_password("erin", "a long passphrase").await;
    let erin = Browser::new(&open);
    erin.sign_in("erin", "a long passphrase").await;
    let csrf = erin.csrf("/organizations/new").await;
    let created = erin
        .post(
            "/organizations/new",
            &[("csrf", csrf.as_str()), ("login", "erin-co")],
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text());
    assert_eq!(created.headers()["location"], "/erin-co");
    let members: Vec<serde_json::Value> = open
        .get("/api/v3/orgs/erin-co/members")
        .bearer(&open.token("erin", "read:packages").await)
        .send()
        .await
        .json();
    assert_eq!(members[0]["login"], "erin");
}

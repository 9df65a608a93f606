//! Mail against a real SMTP server on loopback (aiosmtpd, keeping what it
//! receives in a Maildir): a new address is verified by its mailed link;
//! a reset link arrives, sets a new password once, and asking says the
//! same whether or not an account matched.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

struct Sink {
    child: Child,
    maildir: PathBuf,
    port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aiosmtpd on a free loopback port, keeping mail in `dir/mail`.
fn smtp_sink(dir: &Path) -> Sink {
    let port = crate::common::free_port();
    let maildir = dir.join("mail");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs aiosmtpd (scripts/test installs it)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    Sink {
        child,
        maildir,
        port,
    }
}

/// The messages received so far.
fn received(sink: &Sink) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(sink.maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

/// Waits for the message whose subject is `subject`.
fn wait_for(sink: &Sink, subject: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let wanted = format!("Subject: {subject}");
    loop {
        if let Some(found) = received(sink).into_iter().find(|m| m.contains(&wanted)) {
            return found;
        }
        assert!(Instant::now() < deadline, "no mail `{subject}` arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The path of the link under `prefix` in a message (quoted-printable
/// undone).
fn link_path(message: &str, prefix: &str) -> String {
    let text = message
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = text.find(prefix).expect("a link");
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// Gives the token's user `email`, verified by following the mailed link
/// in a new browser (which is returned).
async fn verified_email(app: &TestApp, sink: &Sink, token: &str, email: &str) -> Browser {
    app.patch("/api/v3/user")
        .bearer(token)
        .json(&json!({"email": email}))
        .send()
        .await;
    let verification = wait_for(sink, "Verify your email address for Entrepot");
    let browser = Browser::new(app);
    let (status, page) = browser
        .get(&link_path(&verification, "/verify-email/"))
        .await;
    assert_eq!(status, 200, "{page}");
    browser
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one scenario")]
async fn a_mailed_link_sets_a_new_password_once() {
    let scratch = tempfile::tempdir().unwrap();
    let sink = smtp_sink(scratch.path());
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app = TestApp::with_args(&[
        "--smtp-url",
        &url,
        "--mail-from",
        "Entrepot <entrepot@example.test>",
    ])
    .await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let token = app.token("alice", "read:packages").await;
    let emailed = app
        .patch("/api/v3/user")
        .bearer(&token)
        .json(&json!({"email": "alice@example.test"}))
        .send()
        .await;
    assert_eq!(emailed.status(), 200);
    let unverified: serde_json::Value = app
        .get("/api/v3/user/emails")
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(unverified[0]["verified"], false, "{unverified}");
    let verification = wait_for(&sink, "Verify your email address for Entrepot");
    let (status, page) = Browser::new(&app)
        .get(&link_path(&verification, "/verify-email/"))
        .await;
    assert_eq!(status, 200, "{page}");
    let verified: serde_json::Value = app
        .get("/api/v3/user/emails")
        .bearer(&token)
        .send()
        .await
        .json();
    assert_eq!(
        verified,
        json!([{"email": "alice@example.test", "primary": true, "verified": true, "visibility": "private"}])
    );

    let browser = Browser::new(&app);
    let ask = |who: &'static str| {
        let browser = &browser;
        async move {
            let (_, form) = browser.get("/password-reset").await;
            browser
                .post(
                    "/password-reset",
                    &[("csrf", csrf_of(&form).as_str()), ("login", who)],
                )
                .await
        }
    };
    let asked = ask("alice@example.test").await;
    assert_eq!(asked.status(), 200, "{}", asked.text());
    let nobody = ask("nobody").await;
    assert_eq!(nobody.status(), 200);
    let said = |r: &crate::test_app::TestResponse| {
        let t = r.text();
        t.contains("If an account with an email address matches")
    };
    assert!(said(&asked) && said(&nobody), "the same answer either way");

    let message = wait_for(&sink, "Reset your Entrepot password");
    assert!(message.contains("To: alice@example.test"), "{message}");
    let link = link_path(&message, "/password-reset/");
    let (status, form) = browser.get(&link).await;
    assert_eq!(status, 200, "{form}");
    let set = |password: &'static str| {
        let (browser, link) = (&browser, link.clone());
        async move {
            browser
                .post(
                    &link,
                    &[("password", password), ("confirm_password", password)],
                )
                .await
        }
    };
    let done = set("a brand new passphrase").await;
    assert_eq!(done.status(), 303, "{}", done.text());
    let again = set("yet another passphrase").await;
    assert_eq!(again.status(), 422, "a link works once");
    assert!(again.text().contains("already used"), "{}", again.text());

    let old = Browser::new(&app);
    assert_eq!(
        old.sign_in("alice", "correct horse battery").await.status(),
        401
    );
    let new = Browser::new(&app);
    assert_eq!(
        new.sign_in("alice", "a brand new passphrase")
            .await
            .status(),
        303
    );
    assert_eq!(
        received(&sink).len(),
        2,
        "a verification and a reset; nothing for `nobody`"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_mail_server_the_page_says_whom_to_ask() {
    let app = TestApp::new().await;
    let (status, page) = Browser::new(&app).get("/password-reset").await;
    assert_eq!(status, 200);
    assert!(page.contains("sends no mail"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn advisories_on_watched_packages_arrive_by_mail_at_a_verified_address() {
    let scratch = tempfile::tempdir().unwrap();
    let sink = smtp_sink(scratch.path());
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app =
        TestApp::with_args(&["--smtp-url", &url, "--mail-from", "entrepot@example.test"]).await;
    app.site_admin("root").await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let root = app.token("root", "read:packages,write:packages").await;
    let browser = verified_email(&app, &sink, &alice, "alice@example.test").await;
    let published = app
        .put("/npm/@alice%2fhello")
        .bearer(&alice)
        .json(&crate::common::publish_doc("@alice/hello", "1.0.0", ""))
        .send()
        .await;
    assert_eq!(published.status(), 201);

    // alice watches her package from its page.
    browser.sign_in("alice", "correct horse battery").await;
    let package = "/users/alice/packages/npm/package/hello";
    let csrf = browser.csrf(package).await;
    let watched = browser
        .post(
            "/notifications/subscriptions",
            &[
                ("csrf", csrf.as_str()),
                ("package_type", "npm"),
                ("owner", "alice"),
                ("name", "hello"),
            ],
        )
        .await;
    assert_eq!(watched.status(), 303);

    // An advisory drafted by alice and published by root reaches her mail.
    let draft: serde_json::Value = app
        .post("/api/v3/user/packages/npm/hello/security-advisories")
        .bearer(&alice)
        .json(&json!({
            "summary": "Path traversal in hello",
            "description": "Reads files outside its folder.",
            "severity": "high",
            "vulnerabilities": [{"package": {"ecosystem": "npm", "name": "@alice/hello"},
                                 "vulnerable_version_range": "< 1.1.0", "patched_versions": "1.1.0"}],
        }))
        .send()
        .await
        .json();
    let id = draft["ghsa_id"].as_str().unwrap();
    let done = app
        .patch(&format!(
            "/api/v3/users/alice/packages/npm/hello/security-advisories/{id}"
        ))
        .bearer(&root)
        .json(&json!({"state": "published"}))
        .send()
        .await;
    assert!(done.status().is_success(), "{}", done.text());
    let mail = wait_for(
        &sink,
        "Security advisory for @alice/hello: Path traversal in hello",
    );
    assert!(mail.contains("To: alice@example.test"), "{mail}");
    assert!(link_path(&mail, "/advisories/").contains(id), "{mail}");

    // She can stop them.
    let csrf = browser.csrf("/settings/profile").await;
    let off = browser
        .post(
            "/settings/profile",
            &[("csrf", csrf.as_str()), ("action", "notifications")],
        )
        .await;
    assert_eq!(off.status(), 303);
    let (_, page) = browser.get("/settings/profile").await;
    assert!(!page.contains("value=\"on\" checked"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invitation_arrives_by_mail_and_its_link_joins_the_organization() {
    let scratch = tempfile::tempdir().unwrap();
    let sink = smtp_sink(scratch.path());
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let app =
        TestApp::with_args(&["--smtp-url", &url, "--mail-from", "entrepot@example.test"]).await;
    app.user("alice").await;
    app.user_with_password("bob", "correct horse battery").await;
    app.org("acme", "alice").await;
    let alice = app.token("alice", "admin:org").await;
    let bob = app.token("bob", "read:packages").await;
    let browser = verified_email(&app, &sink, &bob, "bob@example.test").await;

    let invited = app
        .put("/api/v3/orgs/acme/memberships/bob")
        .bearer(&alice)
        .json(&json!({"role": "member"}))
        .send()
        .await;
    assert_eq!(invited.json::<serde_json::Value>()["state"], "pending");
    let mail = wait_for(&sink, "alice invited you to join acme on Entrepot");
    assert!(mail.contains("To: bob@example.test"), "{mail}");
    let link = link_path(&mail, "/orgs/acme/invitation");

    // The link asks to sign in first, then comes back to the invitation.
    let first = browser.get_response(&link).await;
    assert_eq!(first.status(), 303);
    assert!(
        first.headers()["location"]
            .to_str()
            .unwrap()
            .contains("return_to"),
        "{:?}",
        first.headers()
    );
    browser.sign_in("bob", "correct horse battery").await;
    let csrf = browser.csrf(&link).await;
    let joined = browser
        .post(&link, &[("csrf", csrf.as_str()), ("action", "accept")])
        .await;
    assert_eq!(joined.status(), 303, "{}", joined.text());
    let membership: serde_json::Value = app
        .get("/api/v3/user/memberships/orgs/acme")
        .bearer(&bob)
        .send()
        .await
        .json();
    assert_eq!(membership["state"], "active", "{membership}");
}

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

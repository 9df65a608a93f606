//! The pages that manage webhooks and security advisories, driven as a
//! browser without JavaScript drives them (forms with the session's CSRF
//! token, a redirect after each change): a package's admins add, ping,
//! edit and delete its hooks and read and redeliver their deliveries; a
//! user's own and an organization's hooks have their settings pages; a
//! package's admins draft and edit advisories, which a site administrator
//! publishes and closes. Who may not see the thing finds nothing (404);
//! a reader who may not act is told so (403), as the REST API answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entrepot_core::OrgRole;
use serde_json::Value;

use crate::common::publish_doc;
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

const PASSWORD: &str = "a long passphrase";

/// alice's package's pages, without `/settings` (GitHub's shape).
const PACKAGE: &str = "/users/alice/packages/npm/hello";

async fn publish(app: &TestApp, token: &str, version: &str, repository: &str) {
    let status = app
        .put("/npm/@alice%2fhello")
        .bearer(token)
        .json(&publish_doc("@alice/hello", version, repository))
        .send()
        .await
        .status();
    assert_eq!(status, 201, "publishing @alice/hello@{version}");
}

async fn signed_in(app: &TestApp, login: &str) -> Browser {
    let browser = Browser::new(app);
    assert_eq!(browser.sign_in(login, PASSWORD).await.status(), 303);
    browser
}

/// The first number that follows `prefix` in `html`.
fn number_after(html: &str, prefix: &str) -> String {
    html.split(prefix)
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| panic!("no {prefix}NUMBER in {html}"))
}

/// Reloads `path` until its page satisfies `done` (20 s at most).
async fn wait_for_page(browser: &Browser, path: &str, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, page) = browser.get(path).await;
        assert_eq!(status, 200, "{path}: {page}");
        if done(&page) {
            return page;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A tiny HTTP server on a free loopback port that records the event of
/// every request it gets and answers `200 thanks`.
pub(crate) struct Receiver {
    pub(crate) url: String,
    events: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    pub(crate) fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(event) = read_event(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(event);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nthanks"
                );
            }
        });
        Receiver { url, events }
    }

    /// Waits (20 s at most) until `count` requests of `event` arrived.
    pub(crate) async fn wait_for(&self, event: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.events.lock().unwrap().clone();
            if got.iter().filter(|e| *e == event).count() >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{count} `{event}` deliveries never arrived: {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Reads one request; its `X-GitHub-Event`.
fn read_event(stream: &mut std::net::TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let (mut event, mut length) = (String::new(), 0);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "x-github-event" => value.trim().clone_into(&mut event),
            "content-length" => length = value.trim().parse().ok()?,
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(event)
}

/// The fields of a new hook's form.
fn hook_fields<'a>(csrf: &'a str, url: &'a str) -> [(&'a str, &'a str); 5] {
    [
        ("csrf", csrf),
        ("url", url),
        ("content_type", "json"),
        ("events", "package"),
        ("active", "on"),
    ]
}

/// The REST API's status for `token`'s `method` (`GET`, or `POST` of `{}`) of `path`.
async fn rest_status(app: &TestApp, method: &str, path: &str, token: &str) -> u16 {
    let request = match method {
        "POST" => app
            .post(&format!("/api/v3{path}"))
            .json(&serde_json::json!({})),
        _ => app.get(&format!("/api/v3{path}")),
    };
    request.bearer(token).send().await.status().as_u16()
}

/// alice gives bob read access to her package on its settings page.
async fn grant_read(alice: &Browser, login: &str) {
    let settings = format!("{PACKAGE}/settings");
    let csrf = alice.csrf(&settings).await;
    let granted = alice
        .post(
            &settings,
            &[
                ("csrf", csrf.as_str()),
                ("action", "grant"),
                ("login", login),
                ("role", "read"),
            ],
        )
        .await;
    assert_eq!(granted.status(), 303, "{}", granted.text());
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one admin's story, step by step")]
async fn a_package_admin_manages_its_webhooks_and_their_deliveries() {
    // The receiver is on loopback, which hooks reach only where allowed.
    let app = TestApp::with_args(&["--outbound-allow", "127.0.0.0/8"]).await;
    let worker = app.spawn_webhook_worker();
    for login in ["alice", "bob", "carol"] {
        app.user_with_password(login, PASSWORD).await;
    }
    let t = app.token("alice", "read:packages,write:packages").await;
    publish(&app, &t, "1.0.0", "").await;
    let hooks = format!("{PACKAGE}/hooks");

    let signed_out = Browser::new(&app).get_response(&hooks).await;
    assert_eq!(signed_out.status(), 303, "sign in first");
    let alice = signed_in(&app, "alice").await;
    let (_, settings) = alice.get(&format!("{PACKAGE}/settings")).await;
    assert!(
        settings.contains(&format!("href=\"{hooks}\"")),
        "the settings link to the hooks: {settings}"
    );
    let (status, list) = alice.get(&hooks).await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("No webhooks yet"), "{list}");
    let package_page = "/users/alice/packages/npm/package/hello";
    assert!(
        list.contains(&format!("<a href=\"{package_page}\">"))
            && list.contains(&format!("<a href=\"{PACKAGE}/settings\">settings</a>")),
        "the crumbs lead to the package and its settings: {list}"
    );
    let (status, form) = alice.get(&format!("{hooks}/new")).await;
    assert_eq!(status, 200, "{form}");
    assert!(
        form.contains("value=\"package\"") && form.contains("value=\"*\""),
        "{form}"
    );
    // Package hooks never hear of advisories; every hook gets pings.
    assert!(!form.contains("value=\"security_advisory\""), "{form}");
    assert!(!form.contains("value=\"ping\""), "{form}");
    assert!(
        form.contains("a ping is sent when an active hook is added"),
        "{form}"
    );
    let csrf = csrf_of(&form);

    // A forged form and a bad URL change nothing; what is wrong is said
    // in words, naming the field.
    let forged = alice
        .post(&hooks, &hook_fields("forged", "http://127.0.0.1:9/"))
        .await;
    assert_eq!(forged.status(), 400);
    for bad in ["ftp://example.test/", "", "not a url"] {
        let refused = alice.post(&hooks, &hook_fields(&csrf, bad)).await;
        assert_eq!(refused.status(), 422, "{bad}");
        let text = refused.text();
        assert!(
            text.contains("Payload URL: enter an http:// or https:// URL, such as"),
            "{bad}: {text}"
        );
        assert!(!text.contains('`'), "{bad}: {text}");
    }
    // An address literal the outbound rules refuse is refused at once.
    let refused = alice
        .post(&hooks, &hook_fields(&csrf, "http://10.1.2.3/h"))
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text();
    assert!(
        text.contains("Payload URL: 10.1.2.3 is not an address this server may send to")
            && text.contains("outbound_allow / --outbound-allow"),
        "{text}"
    );

    // Added through the form: listed, and pinged at once.
    let receiver = Receiver::start();
    let created = alice
        .post(
            &hooks,
            &[
                ("csrf", csrf.as_str()),
                ("url", receiver.url.as_str()),
                ("content_type", "json"),
                ("secret", "It's a Secret"),
                ("events", "package"),
                ("events", "registry_package"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text());
    assert_eq!(created.header("location"), format!("{hooks}?done=created"));
    let (_, list) = alice.get(&format!("{hooks}?done=created")).await;
    assert!(list.contains("Webhook added."), "{list}");
    assert!(
        list.contains("aria-labelledby=\"hooks-heading\"") && !list.contains("<caption>"),
        "the heading names the table: {list}"
    );
    assert!(list.contains(&receiver.url), "{list}");
    assert!(list.contains("package, registry_package"), "{list}");
    let id = number_after(&list, &format!("href=\"{hooks}/"));
    let hook = format!("{hooks}/{id}");
    receiver.wait_for("ping", 1).await;
    let page = wait_for_page(&alice, &hook, |p| p.contains("200 OK")).await;
    assert!(
        page.contains("data-label=\"State\">delivered<"),
        "the state of each delivery: {page}"
    );
    let host = receiver
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/hook");
    assert!(
        page.contains(&format!("Hook {id} ({host})</nav>"))
            && page.contains(&format!("<a href=\"{package_page}\">")),
        "the crumbs name the hook and lead to the package: {page}"
    );

    // A ping on request; its delivery, sent and answered.
    let pinged = alice
        .post(&hook, &[("csrf", csrf.as_str()), ("action", "ping")])
        .await;
    assert_eq!(pinged.status(), 303);
    assert_eq!(
        pinged.header("location"),
        format!("{hook}?done=pinged#deliveries")
    );
    receiver.wait_for("ping", 2).await;
    let page = wait_for_page(&alice, &hook, |p| p.matches("200 OK").count() >= 2).await;
    let delivery = number_after(&page, &format!("href=\"{hook}/deliveries/"));
    let (status, shown) = alice.get(&format!("{hook}/deliveries/{delivery}")).await;
    assert_eq!(status, 200, "{shown}");
    assert!(shown.contains("X-GitHub-Event"), "request headers: {shown}");
    assert!(shown.contains("X-Hub-Signature-256"), "{shown}");
    assert!(
        shown.contains("&quot;zen&quot;"),
        "the payload, escaped: {shown}"
    );
    assert!(shown.contains("thanks"), "the response body: {shown}");
    assert!(
        !shown.contains("bytes of a response are kept"),
        "a short body was kept whole: {shown}"
    );
    assert!(shown.contains("<dd>delivered</dd>"), "{shown}");
    assert!(shown.contains(&format!("Hook {id} (")), "{shown}");
    assert!(!shown.contains("a Secret"), "never the secret");

    // Redelivered: a new delivery of the same payload.
    let again = alice
        .post(
            &hook,
            &[
                ("csrf", csrf.as_str()),
                ("action", "redeliver"),
                ("delivery", delivery.as_str()),
            ],
        )
        .await;
    assert_eq!(again.status(), 303, "{}", again.text());
    assert_eq!(
        again.header("location"),
        format!("{hook}?done=redelivered#deliveries"),
        "back to the list the redelivery joins"
    );
    receiver.wait_for("ping", 3).await;
    wait_for_page(&alice, &hook, |p| {
        p.contains("redelivery</span>") && p.matches("200 OK").count() >= 3
    })
    .await;

    // Edited: an empty secret keeps the secret.
    let updated = alice
        .post(
            &hook,
            &[
                ("csrf", csrf.as_str()),
                ("action", "update"),
                ("url", receiver.url.as_str()),
                ("content_type", "form"),
                ("secret", ""),
                ("events", "package"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(updated.status(), 303, "{}", updated.text());
    let (_, page) = alice.get(&hook).await;
    assert!(page.contains("value=\"form\" selected"), "{page}");
    assert!(page.contains("a secret is set"), "{page}");
    let rest: Value = app
        .get(&format!("/api/v3/user/packages/npm/hello/hooks/{id}"))
        .bearer(&t)
        .send()
        .await
        .json();
    assert_eq!(rest["config"]["content_type"], "form");
    assert_eq!(rest["config"]["secret"], "********", "the secret was kept");
    assert_eq!(rest["events"], serde_json::json!(["package"]));

    // A reader is told only admins manage hooks; a stranger finds nothing,
    // as the REST API answers them.
    grant_read(&alice, "bob").await;
    let bob = signed_in(&app, "bob").await;
    let carol = signed_in(&app, "carol").await;
    let deliveries = format!("{hook}/deliveries/{delivery}");
    for path in [&hooks, &format!("{hooks}/new"), &hook, &deliveries] {
        assert_eq!(bob.get(path).await.0, 403, "bob reads {path}");
        assert_eq!(carol.get(path).await.0, 404, "carol does not see {path}");
    }
    let bob_csrf = bob.csrf("/settings/tokens").await;
    let r = bob
        .post(&hook, &[("csrf", bob_csrf.as_str()), ("action", "ping")])
        .await;
    assert_eq!(r.status(), 403);
    let bob_token = app.token("bob", "read:packages,write:packages").await;
    let carol_token = app.token("carol", "read:packages,write:packages").await;
    let api_hooks = "/users/alice/packages/npm/hello/hooks";
    assert_eq!(rest_status(&app, "GET", api_hooks, &bob_token).await, 403);
    assert_eq!(rest_status(&app, "GET", api_hooks, &carol_token).await, 404);

    // Deleted, after a confirmation page.
    let (status, confirm) = alice.get(&format!("{hook}/delete")).await;
    assert_eq!(status, 200);
    assert!(confirm.contains(&receiver.url), "{confirm}");
    let deleted = alice
        .post(&format!("{hook}/delete"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(deleted.header("location"), format!("{hooks}?done=deleted"));
    let (_, list) = alice.get(&hooks).await;
    assert!(list.contains("No webhooks yet"), "{list}");
    assert_eq!(alice.get(&hook).await.0, 404);
    worker.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn own_and_organization_hooks_have_their_settings_pages() {
    let app = TestApp::new().await;
    for login in ["alice", "bob", "carol"] {
        app.user_with_password(login, PASSWORD).await;
    }
    app.org("acme", "alice").await;
    app.org_member("acme", "carol", OrgRole::Member).await;
    let signed_out = Browser::new(&app).get_response("/settings/hooks").await;
    assert_eq!(signed_out.status(), 303);
    let alice = signed_in(&app, "alice").await;
    let bob = signed_in(&app, "bob").await;
    let carol = signed_in(&app, "carol").await;

    let csrf = alice.csrf("/settings/hooks").await;
    let (_, form) = alice.get("/settings/hooks/new").await;
    assert!(
        form.contains("value=\"security_advisory\"") && !form.contains("value=\"ping\""),
        "account hooks hear of advisories: {form}"
    );
    // Loopback is not allowed here: an address literal is refused at once,
    // saying how to allow it; a name is checked when it is resolved.
    let own_hook = |url: &'static str| {
        [
            ("csrf", csrf.as_str()),
            ("url", url),
            ("content_type", "json"),
            ("events", "security_advisory"),
        ]
    };
    let refused = alice
        .post("/settings/hooks", &own_hook("http://127.0.0.1:9/mine"))
        .await;
    assert_eq!(refused.status(), 422);
    let text = refused.text();
    assert!(
        text.contains("127.0.0.1 is not an address this server may send to")
            && text.contains("outbound_allow / --outbound-allow"),
        "{text}"
    );
    let created = alice
        .post("/settings/hooks", &own_hook("http://localhost:9/mine"))
        .await;
    assert_eq!(created.status(), 303, "{}", created.text());
    let (_, mine) = alice.get("/settings/hooks").await;
    assert!(
        mine.contains("http://localhost:9/mine") && mine.contains("inactive"),
        "{mine}"
    );
    let id = number_after(&mine, "href=\"/settings/hooks/");
    assert_eq!(alice.get(&format!("/settings/hooks/{id}")).await.0, 200);
    // bob's own hooks are his, and alice's are not among them.
    let (status, his) = bob.get("/settings/hooks").await;
    assert_eq!(status, 200);
    assert!(!his.contains("/mine"), "{his}");
    assert_eq!(bob.get(&format!("/settings/hooks/{id}")).await.0, 404);

    // An organization's: its owners only (a member and a stranger find nothing).
    let org = "/organizations/acme/settings/hooks";
    assert_eq!(alice.get(org).await.0, 200);
    assert_eq!(carol.get(org).await.0, 404);
    assert_eq!(bob.get(org).await.0, 404);
    let created = alice
        .post(
            org,
            &[
                ("csrf", csrf.as_str()),
                ("url", "http://localhost:9/acme"),
                ("content_type", "json"),
                ("events", "*"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text());
    assert_eq!(created.header("location"), format!("{org}?done=created"));
    let (_, list) = alice.get(org).await;
    let org_hook = format!("{org}/{}", number_after(&list, &format!("href=\"{org}/")));
    let carol_token = app.token("carol", "read:packages").await;
    assert_eq!(
        rest_status(&app, "GET", "/orgs/acme/hooks", &carol_token).await,
        404
    );
    assert_eq!(carol.get(&org_hook).await.0, 404);
    let deleted = alice
        .post(&format!("{org_hook}/delete"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(alice.get(&org_hook).await.0, 404);
}

/// The fields of the advisory form for one affected range.
fn advisory_fields<'a>(
    csrf: &'a str,
    summary: &'a str,
    severity: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("summary", summary),
        ("description", "Reads files **outside** its folder."),
        ("severity", severity),
        ("cve_id", "CVE-2026-12345"),
        ("cwe_ids", "CWE-22"),
        ("row", "kept"),
        ("range", "< 1.1.0"),
        ("patched", "1.1.0"),
        ("functions", ""),
        ("credits", "bob finder"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one advisory's life, step by step")]
async fn package_admins_draft_advisories_that_site_administrators_review() {
    let app = TestApp::new().await;
    for login in ["alice", "bob", "carol"] {
        app.user_with_password(login, PASSWORD).await;
    }
    app.site_admin_with_password("root", PASSWORD).await;
    app.repo("alice/hello").await;
    let t = app.token("alice", "read:packages,write:packages").await;
    let repository = app.url("/alice/hello");
    publish(&app, &t, "1.0.0", &repository).await;
    publish(&app, &t, "1.1.0", &repository).await;
    let advisories = format!("{PACKAGE}/security-advisories");
    let alice = signed_in(&app, "alice").await;
    let (_, settings) = alice.get(&format!("{PACKAGE}/settings")).await;
    assert!(
        settings.contains(&format!("href=\"{advisories}\"")),
        "{settings}"
    );
    let (status, list) = alice.get(&advisories).await;
    assert_eq!(status, 200, "{list}");
    assert!(list.contains("New draft advisory"), "{list}");
    let csrf = alice.csrf(&format!("{advisories}/new")).await;

    // What the service refuses comes back on the form.
    let refused = alice
        .post(
            &advisories,
            &advisory_fields(&csrf, "Path traversal", "catastrophic"),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused.text().contains("is not a severity"),
        "{}",
        refused.text()
    );

    // A draft: its admins see it; it is on no public list.
    let created = alice
        .post(
            &advisories,
            &advisory_fields(&csrf, "Path traversal in hello", "high"),
        )
        .await;
    assert_eq!(created.status(), 303, "{}", created.text());
    let location = created.header("location").to_owned();
    let ghsa = location
        .strip_prefix(&format!("{advisories}/"))
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned();
    assert!(ghsa.starts_with("GHSA-"), "{ghsa}");
    let edit = format!("{advisories}/{ghsa}");
    let (status, page) = alice.get(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Draft saved.") && page.contains("ask one to publish"),
        "{page}"
    );
    assert!(
        !page.contains("Publish advisory"),
        "a package admin does not review"
    );
    let (_, list) = alice.get(&advisories).await;
    assert!(
        list.contains(&ghsa) && list.contains(&format!("href=\"{edit}\"")),
        "{list}"
    );
    let (status, by_repository) = alice.get("/alice/hello/security-advisories").await;
    assert_eq!(status, 200, "{by_repository}");
    assert!(by_repository.contains(&ghsa), "{by_repository}");
    let (_, index) = alice.get("/advisories").await;
    assert!(
        !index.contains("Path traversal in hello"),
        "a draft is not public: {index}"
    );

    // Edited; a package admin may not publish it.
    let mut fields = advisory_fields(&csrf, "Path traversal in hello's reader", "critical");
    fields.push(("action", "update"));
    let saved = alice.post(&edit, &fields).await;
    assert_eq!(saved.status(), 303, "{}", saved.text());
    assert_eq!(saved.header("location"), format!("{edit}?done=updated"));
    let (_, page) = alice.get(&edit).await;
    assert!(page.contains("value=\"critical\" selected"), "{page}");
    assert!(
        page.contains("Path traversal in hello&#39;s reader"),
        "{page}"
    );
    let publish_attempt = alice
        .post(&edit, &[("csrf", csrf.as_str()), ("action", "publish")])
        .await;
    assert_eq!(publish_attempt.status(), 403, "{}", publish_attempt.text());

    // A reader sees published advisories only, and no way to draft or edit;
    // a stranger finds nothing; the REST API answers them alike.
    grant_read(&alice, "bob").await;
    let bob = signed_in(&app, "bob").await;
    let carol = signed_in(&app, "carol").await;
    let (status, bobs) = bob.get(&advisories).await;
    assert_eq!(status, 200, "{bobs}");
    assert!(
        !bobs.contains(&ghsa) && !bobs.contains("New draft advisory"),
        "{bobs}"
    );
    assert_eq!(bob.get(&format!("{advisories}/new")).await.0, 403);
    assert_eq!(
        bob.get(&edit).await.0,
        404,
        "a draft is not there for a reader"
    );
    for path in [
        advisories.clone(),
        format!("{advisories}/new"),
        edit.clone(),
        "/alice/hello/security-advisories".to_owned(),
    ] {
        assert_eq!(carol.get(&path).await.0, 404, "carol does not see {path}");
    }
    let bob_token = app.token("bob", "read:packages,write:packages").await;
    let carol_token = app.token("carol", "read:packages,write:packages").await;
    let api = "/users/alice/packages/npm/hello/security-advisories";
    assert_eq!(rest_status(&app, "POST", api, &bob_token).await, 403);
    assert_eq!(
        rest_status(&app, "GET", &format!("{api}/{ghsa}"), &bob_token).await,
        404
    );
    assert_eq!(rest_status(&app, "GET", api, &carol_token).await, 404);

    // A site administrator finds the drafts to review on the index, which
    // no one else sees them on; then publishes it: public, and linked.
    let root = signed_in(&app, "root").await;
    let (status, drafts) = root.get("/advisories?state=draft").await;
    assert_eq!(status, 200, "{drafts}");
    assert!(
        drafts.contains(&ghsa) && drafts.contains(&format!("href=\"{edit}\"")),
        "{drafts}"
    );
    let (_, index) = root.get("/advisories").await;
    assert!(
        index.contains("href=\"/advisories?state=draft\"") && !index.contains(&ghsa),
        "drafts only under their filter: {index}"
    );
    let (status, alices) = alice.get("/advisories?state=draft").await;
    assert_eq!(status, 200);
    assert!(
        !alices.contains(&ghsa) && !alices.contains("state=draft"),
        "{alices}"
    );
    let (status, page) = root.get(&edit).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Publish advisory"), "{page}");
    let root_csrf = csrf_of(&page);
    let published = root
        .post(
            &edit,
            &[("csrf", root_csrf.as_str()), ("action", "publish")],
        )
        .await;
    assert_eq!(published.status(), 303, "{}", published.text());
    assert_eq!(
        published.header("location"),
        format!("{edit}?done=published")
    );
    let (_, index) = alice.get("/advisories").await;
    assert!(index.contains(&ghsa), "published: {index}");
    assert!(
        index.contains("<code>@alice/hello</code>"),
        "named as npm names it: {index}"
    );
    let (_, list) = alice.get(&advisories).await;
    assert!(
        list.contains(&format!("href=\"/advisories/{ghsa}\"")),
        "{list}"
    );
    let (_, bobs) = bob.get(&advisories).await;
    assert!(bobs.contains(&ghsa), "{bobs}");
    assert_eq!(
        bob.get(&edit).await.0,
        403,
        "a reader sees it but may not edit it"
    );

    // Closed, once confirmed: withdrawn, and no longer editable.
    let (_, page) = root.get(&edit).await;
    assert!(
        page.contains("name=\"confirm\" value=\"yes\" required"),
        "{page}"
    );
    let unconfirmed = root
        .post(&edit, &[("csrf", root_csrf.as_str()), ("action", "close")])
        .await;
    assert_eq!(unconfirmed.status(), 422, "{}", unconfirmed.text());
    assert!(
        unconfirmed.text().contains("tick the box to confirm"),
        "{}",
        unconfirmed.text()
    );
    let closed = root
        .post(
            &edit,
            &[
                ("csrf", root_csrf.as_str()),
                ("action", "close"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(closed.status(), 303, "{}", closed.text());
    let (_, page) = alice.get(&edit).await;
    assert!(page.contains("can no longer be edited"), "{page}");
    let (_, list) = alice.get(&advisories).await;
    assert!(
        list.contains("Closed (withdrawn)") && list.contains(&ghsa),
        "{list}"
    );
    assert!(
        !list.contains(&format!("href=\"{edit}\"")),
        "a closed advisory is not managed: {list}"
    );
    let (_, index) = alice.get("/advisories").await;
    assert!(index.contains("withdrawn"), "{index}");
    let (_, withdrawn) = alice.get("/advisories?state=withdrawn").await;
    assert!(withdrawn.contains(&ghsa), "{withdrawn}");
    let (_, published) = alice.get("/advisories?state=published").await;
    assert!(!published.contains(&ghsa), "{published}");
}

/// The fields of one affected range of the advisory form.
fn range_row<'a>(kind: &'a str, range: &'a str, patched: &'a str) -> [(&'a str, &'a str); 4] {
    [
        ("row", kind),
        ("range", range),
        ("patched", patched),
        ("functions", ""),
    ]
}

/// The ranges of `ghsa` on alice's package, through the REST API.
async fn ranges_of(app: &TestApp, token: &str, ghsa: &str) -> Vec<Value> {
    let response = app
        .get(&format!(
            "/api/v3/user/packages/npm/hello/security-advisories/{ghsa}"
        ))
        .bearer(token)
        .send()
        .await;
    assert_eq!(response.status(), 200);
    let advisory: Value = response.json();
    advisory["vulnerabilities"].as_array().unwrap().clone()
}

/// The error shown above a form.
fn flash_error(html: &str) -> &str {
    html.split("class=\"flash error\" role=\"alert\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no error in {html}"))
}

/// The advisory form's fields: a summary and `rows` of ranges.
fn advisory_form(csrf: &str, summary: &str, rows: &[[(&str, &str); 4]]) -> Vec<(String, String)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("summary", summary),
        ("description", "Reads files outside its folder."),
        ("severity", "high"),
        ("cve_id", ""),
        ("cwe_ids", ""),
        ("credits", ""),
    ];
    fields.extend(rows.concat());
    fields
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// `fields` as `Browser::post` takes them.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_advisory_form_takes_several_ranges_and_names_what_it_refuses() {
    let app = TestApp::new().await;
    app.user_with_password("alice", PASSWORD).await;
    let t = app.token("alice", "read:packages,write:packages").await;
    publish(&app, &t, "1.0.0", "").await;
    let advisories = format!("{PACKAGE}/security-advisories");
    let alice = signed_in(&app, "alice").await;

    // A new draft offers three ranges at once.
    let (status, new) = alice.get(&format!("{advisories}/new")).await;
    assert_eq!(status, 200, "{new}");
    for i in 0..3 {
        assert!(new.contains(&format!("id=\"range-{i}\"")), "{i}: {new}");
    }
    assert!(!new.contains("id=\"range-3\""), "{new}");
    let csrf = csrf_of(&new);

    // What is refused names the field, and quotes what was typed.
    let fields = advisory_form(
        &csrf,
        "Path traversal",
        &[
            range_row("kept", "< 1.0.1", "1.0.1"),
            range_row("extra", "<< 2.0.1", ""),
            range_row("extra", "", ""),
        ],
    );
    let refused = alice.post(&advisories, &pairs(&fields)).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        flash_error(&refused.text()),
        "Affected range 2: \u{201c}&lt;&lt; 2.0.1\u{201d} is not an npm version range \
         (such as \u{201c}&gt;= 1.0.0, &lt; 1.0.1\u{201d})",
    );
    let fields = advisory_form(
        &csrf,
        "Path traversal",
        &[range_row("kept", ">= 1.0.0, < 1.0.1", "1.0.0")],
    );
    let refused = alice.post(&advisories, &pairs(&fields)).await;
    assert_eq!(refused.status(), 422);
    let text = refused.text();
    assert!(
        flash_error(&text).starts_with(
            "Affected range 1: the first patched version \u{201c}1.0.0\u{201d} is inside"
        ),
        "{text}"
    );
    let fields = advisory_form(&csrf, "", &[range_row("kept", "< 1.0.1", "1.0.1")]);
    let refused = alice.post(&advisories, &pairs(&fields)).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        flash_error(&refused.text()),
        "Summary: 1 to 1,024 characters."
    );

    // Two ranges at once; the blank row between them is left out.
    let fields = advisory_form(
        &csrf,
        "Path traversal",
        &[
            range_row("kept", "< 1.0.1", "1.0.1"),
            range_row("extra", "", ""),
            range_row("extra", ">= 2.0.0, < 2.0.3", "2.0.3"),
        ],
    );
    let created = alice.post(&advisories, &pairs(&fields)).await;
    assert_eq!(created.status(), 303, "{}", created.text());
    let location = created.header("location").to_owned();
    let ghsa = location
        .strip_prefix(&format!("{advisories}/"))
        .and_then(|rest| rest.strip_suffix("?done=created"))
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned();
    let ranges = ranges_of(&app, &t, &ghsa).await;
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[1]["vulnerable_version_range"], ">= 2.0.0, < 2.0.3");

    // Its form: the two ranges and one more, blank. Emptying the second
    // removes it.
    let edit = format!("{advisories}/{ghsa}");
    let (_, page) = alice.get(&edit).await;
    assert!(
        page.contains("id=\"range-2\"") && !page.contains("id=\"range-3\""),
        "{page}"
    );
    let mut fields = advisory_form(
        &csrf,
        "Path traversal",
        &[
            range_row("kept", "< 1.0.1", "1.0.1"),
            range_row("kept", "", ""),
            range_row("extra", "", ""),
        ],
    );
    fields.push(("action".to_owned(), "update".to_owned()));
    let saved = alice.post(&edit, &pairs(&fields)).await;
    assert_eq!(saved.status(), 303, "{}", saved.text());
    let ranges = ranges_of(&app, &t, &ghsa).await;
    assert_eq!(ranges.len(), 1, "{ranges:?}");
    assert_eq!(ranges[0]["vulnerable_version_range"], "< 1.0.1");
}

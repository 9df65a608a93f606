//! Webhooks against a real server and a receiver started by the test: the
//! signed `package` delivery of a publish, the `security_advisory` delivery
//! and notification of a subscriber, retries with backoff, redelivery from
//! the log, and who may see which hooks.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Server, make_public, publish_doc, token};
use hmac::{Hmac, Mac};
use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    pub(crate) fn event(&self) -> &str {
        self.headers
            .get("x-github-event")
            .map_or("", String::as_str)
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A tiny HTTP server on a free port that records every request and
/// answers 500 to the first `fail_first` requests that are not pings.
pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) fn start(fail_first: usize) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        std::thread::spawn(move || {
            let mut failures_left = fail_first;
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                let fail = request.event() != "ping" && failures_left > 0;
                if fail {
                    failures_left -= 1;
                }
                seen.lock().unwrap().push(request);
                let status = if fail {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let body = if fail { "try later" } else { "thanks" };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Receiver { url, got }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `count` requests of `event` have arrived.
    pub(crate) fn wait_for(&self, event: &str, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let matching: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|r| r.event() == event)
                .collect();
            if matching.len() >= count {
                return matching;
            }
            assert!(
                Instant::now() < deadline,
                "{count} `{event}` deliveries never arrived; got {:?}",
                self.received()
                    .iter()
                    .map(|r| r.event().to_owned())
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body,
    })
}

/// What a receiver computes to check `X-Hub-Signature-256`.
fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn call(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    status: u16,
) -> Value {
    let label = format!("{method} {path}");
    let mut request = Client::new().request(method, server.url(&format!("/api/v3{path}")));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(b);
    }
    let response = request.send().unwrap();
    let got = response.status().as_u16();
    let text = response.text().unwrap();
    assert_eq!(got, status, "{label}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    }
}

fn publish(server: &Server, t: &str, name: &str, version: &str) {
    let path = name.replace('/', "%2f");
    let status = Client::new()
        .put(server.url(&format!("/npm/{path}")))
        .bearer_auth(t)
        .json(&publish_doc(name, version, ""))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_in(
        dir.path(),
        &[
            "--listen",
            &listen,
            "--webhook-retry-delay",
            "200ms",
            // The receivers are on loopback, which hooks may reach only
            // where the operator allows it.
            "--outbound-allow",
            "127.0.0.0/8",
        ],
        &format!("http://{listen}"),
    );
    for user in ["alice", "bob", "carol"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["user", "create", "root", "--site-admin"]);
    (dir, server)
}

const SCOPES: &str = "read:packages,write:packages";

/// Polls the delivery log until `done` holds for the delivery `id` (20 s at most).
fn wait_for_log(
    server: &Server,
    t: &str,
    hook_path: &str,
    id: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = call(
            server,
            Method::GET,
            &format!("{hook_path}/deliveries/{id}"),
            Some(t),
            None,
            200,
        );
        if done(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "delivery never settled: {d}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

#[test]
fn a_publish_sends_a_signed_package_event_that_can_be_redelivered() {
    let (_dir, server) = setup();
    let alice = token(&server, "alice", SCOPES);
    let bob = token(&server, "bob", SCOPES);
    let receiver = Receiver::start(0);

    // alice's own hook, with a secret; GitHub pings a new hook.
    let hook = call(
        &server,
        Method::POST,
        "/user/hooks",
        Some(&alice),
        Some(&json!({
            "name": "web",
            "config": {"url": receiver.url, "content_type": "json", "secret": "It's a Secret", "insecure_ssl": "0"},
            "events": ["package", "registry_package"],
            "active": true,
        })),
        201,
    );
    assert_eq!(
        hook["config"]["secret"], "********",
        "secrets are never shown"
    );
    assert_eq!(hook["config"]["url"], receiver.url.as_str());
    assert_eq!(hook["type"], "User");
    let hook_path = format!("/user/hooks/{}", hook["id"]);
    let ping = &receiver.wait_for("ping", 1)[0];
    assert_eq!(ping.json()["hook_id"], hook["id"]);

    publish(&server, &alice, "@alice/lib", "1.0.0");
    let delivered = &receiver.wait_for("package", 1)[0];
    assert_eq!(delivered.path, "/hook");
    assert_eq!(
        delivered.headers["x-hub-signature-256"],
        expected_signature("It's a Secret", &delivered.body),
        "the signature is HMAC-SHA256 of the body under the secret"
    );
    assert_eq!(delivered.headers["content-type"], "application/json");
    assert!(delivered.headers["user-agent"].starts_with("GitHub-Hookshot/"));
    assert_eq!(
        delivered.headers["x-github-hook-id"],
        hook["id"].to_string()
    );
    let payload = delivered.json();
    assert_eq!(payload["action"], "published");
    assert_eq!(payload["package"]["name"], "@alice/lib");
    assert_eq!(payload["package"]["namespace"], "alice");
    assert_eq!(payload["package"]["package_type"], "npm");
    assert_eq!(payload["package"]["package_version"]["version"], "1.0.0");
    assert_eq!(
        payload["package"]["package_version"]["installation_command"],
        "npm install @alice/lib@1.0.0"
    );
    assert_eq!(
        payload["package"]["package_version"]["package_files"][0]["name"],
        "lib-1.0.0.tgz"
    );
    assert_eq!(payload["sender"]["login"], "alice");
    let registry_package = &receiver.wait_for("registry_package", 1)[0];
    assert_eq!(
        registry_package.json()["registry_package"]["package_version"]["version"],
        "1.0.0"
    );

    // The delivery log shows it delivered, with the guid the receiver saw.
    let guid = &delivered.headers["x-github-delivery"];
    let log = call(
        &server,
        Method::GET,
        &format!("{hook_path}/deliveries"),
        Some(&alice),
        None,
        200,
    );
    let item = log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["guid"] == guid.as_str())
        .unwrap_or_else(|| panic!("{guid} not in {log}"))
        .clone();
    let id = item["id"].as_i64().unwrap();
    let full = wait_for_log(&server, &alice, &hook_path, id, |d| {
        d["state"] == "delivered"
    });
    assert_eq!(full["status_code"], 200);
    assert_eq!(full["status"], "OK");
    assert_eq!(full["event"], "package");
    assert_eq!(full["action"], "published");
    assert_eq!(full["redelivery"], false);
    assert_eq!(full["request"]["payload"], payload);
    assert_eq!(full["response"]["payload"], "thanks");

    // Redelivery: a new delivery of the same payload.
    call(
        &server,
        Method::POST,
        &format!("{hook_path}/deliveries/{id}/attempts"),
        Some(&alice),
        None,
        202,
    );
    let both = receiver.wait_for("package", 2);
    assert_eq!(both[1].body, delivered.body, "the same payload");
    assert_ne!(both[1].headers["x-github-delivery"], *guid, "a new guid");
    let log = call(
        &server,
        Method::GET,
        &format!("{hook_path}/deliveries"),
        Some(&alice),
        None,
        200,
    );
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|d| d["redelivery"] == true && d["event"] == "package"),
        "{log}"
    );

    // A ping on request.
    call(
        &server,
        Method::POST,
        &format!("{hook_path}/pings"),
        Some(&alice),
        None,
        204,
    );
    receiver.wait_for("ping", 2);

    // Organization hooks: the org's owners manage them; members and
    // strangers do not see them.
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    server.admin(&["org", "add-member", "acme", "carol"]);
    let carol = token(&server, "carol", SCOPES);
    let org_hook = call(
        &server,
        Method::POST,
        "/orgs/acme/hooks",
        Some(&alice),
        Some(&json!({"config": {"url": receiver.url}, "events": ["*"]})),
        201,
    );
    assert_eq!(org_hook["type"], "Organization");
    let org_hook_path = format!("/orgs/acme/hooks/{}", org_hook["id"]);
    let edited = call(
        &server,
        Method::PATCH,
        &org_hook_path,
        Some(&alice),
        Some(&json!({"remove_events": ["*"], "add_events": ["security_advisory"]})),
        200,
    );
    assert_eq!(edited["events"], json!(["security_advisory"]));
    let config = call(
        &server,
        Method::PATCH,
        &format!("{org_hook_path}/config"),
        Some(&alice),
        Some(&json!({"content_type": "form"})),
        200,
    );
    assert_eq!(config["content_type"], "form");
    assert!(config.get("secret").is_none(), "no secret, none shown");

    // Permissions: someone else's hooks are missing; anonymous callers must sign in.
    for path in [hook_path.clone(), org_hook_path.clone()] {
        call(&server, Method::GET, &path, Some(&bob), None, 404);
    }
    call(
        &server,
        Method::GET,
        "/orgs/acme/hooks",
        Some(&bob),
        None,
        404,
    );
    call(
        &server,
        Method::GET,
        "/orgs/acme/hooks",
        Some(&carol),
        None,
        404,
    );
    call(
        &server,
        Method::GET,
        &format!("/user/hooks/{}", hook["id"]),
        Some(&bob),
        None,
        404,
    );
    call(
        &server,
        Method::POST,
        &format!("{hook_path}/deliveries/{id}/attempts"),
        Some(&bob),
        None,
        404,
    );
    call(&server, Method::GET, "/user/hooks", None, None, 401);
    call(&server, Method::GET, "/orgs/acme/hooks", None, None, 401);
    assert!(
        call(&server, Method::GET, "/user/hooks", Some(&bob), None, 200)
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Package hooks: the package's admins only.
    call(
        &server,
        Method::GET,
        "/users/alice/packages/npm/lib/hooks",
        Some(&bob),
        None,
        404,
    );
    let package_hook = call(
        &server,
        Method::POST,
        "/user/packages/npm/lib/hooks",
        Some(&alice),
        Some(&json!({"config": {"url": receiver.url}})),
        201,
    );
    assert_eq!(package_hook["type"], "Package");
    assert_eq!(package_hook["events"], json!(["package"]));

    // Invalid hooks are 422.
    for bad in [
        json!({"config": {"url": "ftp://example.test/"}}),
        json!({"config": {"url": receiver.url}, "events": ["push"]}),
        json!({"config": {"url": receiver.url, "content_type": "xml"}}),
        json!({"events": ["package"]}),
    ] {
        call(
            &server,
            Method::POST,
            "/user/hooks",
            Some(&alice),
            Some(&bad),
            422,
        );
    }

    call(&server, Method::DELETE, &hook_path, Some(&alice), None, 204);
    call(&server, Method::GET, &hook_path, Some(&alice), None, 404);
}

#[test]
fn a_subscriber_hears_of_a_published_advisory_by_hook_and_notification() {
    let (_dir, server) = setup();
    let alice = token(&server, "alice", SCOPES);
    let bob = token(&server, "bob", SCOPES);
    let carol = token(&server, "carol", SCOPES);
    let root = token(&server, "root", SCOPES);
    publish(&server, &alice, "@alice/lib", "1.0.0");
    make_public(&server, &alice, "npm", "lib");
    let receiver = Receiver::start(0);

    // bob subscribes to alice's package and points a hook at advisories.
    let subscription = call(
        &server,
        Method::POST,
        "/user/subscriptions",
        Some(&bob),
        Some(&json!({"package_type": "npm", "owner": "alice", "package_name": "@alice/lib"})),
        201,
    );
    assert_eq!(subscription["all"], false);
    assert_eq!(subscription["package"]["name"], "@alice/lib");
    call(
        &server,
        Method::POST,
        "/user/subscriptions",
        Some(&bob),
        Some(&json!({"package_type": "npm", "owner": "alice", "package_name": "lib"})),
        409,
    );
    // carol subscribes to everything she can see.
    call(
        &server,
        Method::POST,
        "/user/subscriptions",
        Some(&carol),
        Some(&json!({"all": true})),
        201,
    );
    // A private package is not found by a stranger.
    publish(&server, &alice, "@alice/secret", "1.0.0");
    call(
        &server,
        Method::POST,
        "/user/subscriptions",
        Some(&bob),
        Some(&json!({"package_type": "npm", "owner": "alice", "package_name": "secret"})),
        404,
    );
    let hook = call(
        &server,
        Method::POST,
        "/user/hooks",
        Some(&bob),
        Some(
            &json!({"config": {"url": receiver.url, "secret": "bobs"}, "events": ["security_advisory"]}),
        ),
        201,
    );

    // alice drafts; nothing is sent for a draft.
    let draft = call(
        &server,
        Method::POST,
        "/user/packages/npm/lib/security-advisories",
        Some(&alice),
        Some(&json!({
            "summary": "Prototype pollution in lib",
            "description": "Merging untrusted objects pollutes `Object.prototype`.",
            "severity": "high",
            "cve_id": "CVE-2026-12345",
            "cwe_ids": ["CWE-1321"],
            "vulnerabilities": [{
                "package": {"ecosystem": "npm", "name": "@alice/lib"},
                "vulnerable_version_range": "< 1.0.1",
                "patched_versions": "1.0.1",
            }],
        })),
        201,
    );
    let ghsa = draft["ghsa_id"].as_str().unwrap().to_owned();
    assert!(
        call(
            &server,
            Method::GET,
            "/notifications",
            Some(&bob),
            None,
            200
        )
        .as_array()
        .unwrap()
        .is_empty()
    );

    // The site administrator publishes it.
    call(
        &server,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{ghsa}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    );
    let delivered = &receiver.wait_for("security_advisory", 1)[0];
    assert_eq!(
        delivered.headers["x-hub-signature-256"],
        expected_signature("bobs", &delivered.body)
    );
    assert_eq!(
        delivered.headers["x-github-hook-id"],
        hook["id"].to_string()
    );
    let payload = delivered.json();
    assert_eq!(payload["action"], "published");
    let advisory = &payload["security_advisory"];
    assert_eq!(advisory["ghsa_id"], ghsa.as_str());
    assert_eq!(advisory["cve_id"], "CVE-2026-12345");
    assert_eq!(advisory["severity"], "high");
    assert_eq!(advisory["summary"], "Prototype pollution in lib");
    assert!(advisory["published_at"].is_string());
    assert!(advisory["withdrawn_at"].is_null());
    assert_eq!(
        advisory["identifiers"],
        json!([{"type": "GHSA", "value": ghsa}, {"type": "CVE", "value": "CVE-2026-12345"}])
    );
    let vulnerability = &advisory["vulnerabilities"][0];
    assert_eq!(
        vulnerability["package"],
        json!({"ecosystem": "npm", "name": "@alice/lib"})
    );
    assert_eq!(vulnerability["vulnerable_version_range"], "< 1.0.1");
    assert_eq!(
        vulnerability["first_patched_version"]["identifier"],
        "1.0.1"
    );
    assert_eq!(advisory["cwes"][0]["cwe_id"], "CWE-1321");

    // bob and carol are notified; alice, not subscribed, is not.
    for t in [&bob, &carol] {
        let list = call(&server, Method::GET, "/notifications", Some(t), None, 200);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["reason"], "security_alert");
        assert_eq!(list[0]["ghsa_id"], ghsa.as_str());
        assert_eq!(list[0]["unread"], true);
        assert!(
            list[0]["subject"]["title"]
                .as_str()
                .unwrap()
                .contains("@alice/lib")
        );
    }
    assert!(
        call(
            &server,
            Method::GET,
            "/notifications",
            Some(&alice),
            None,
            200
        )
        .as_array()
        .unwrap()
        .is_empty()
    );
    let first = call(
        &server,
        Method::GET,
        "/notifications",
        Some(&bob),
        None,
        200,
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        &server,
        Method::PATCH,
        &format!("/notifications/threads/{first}"),
        Some(&carol),
        None,
        404,
    );
    call(
        &server,
        Method::PATCH,
        &format!("/notifications/threads/{first}"),
        Some(&bob),
        None,
        205,
    );
    assert!(
        call(
            &server,
            Method::GET,
            "/notifications",
            Some(&bob),
            None,
            200
        )
        .as_array()
        .unwrap()
        .is_empty()
    );
    let all = call(
        &server,
        Method::GET,
        "/notifications?all=true",
        Some(&bob),
        None,
        200,
    );
    assert_eq!(all[0]["unread"], false);
    call(
        &server,
        Method::PUT,
        "/notifications",
        Some(&carol),
        None,
        205,
    );
    assert!(
        call(
            &server,
            Method::GET,
            "/notifications",
            Some(&carol),
            None,
            200
        )
        .as_array()
        .unwrap()
        .is_empty()
    );

    // Withdrawal is sent too.
    call(
        &server,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{ghsa}"),
        Some(&root),
        Some(&json!({"state": "withdrawn"})),
        200,
    );
    let both = receiver.wait_for("security_advisory", 2);
    let withdrawn = both[1].json();
    assert_eq!(withdrawn["action"], "withdrawn");
    assert!(withdrawn["security_advisory"]["withdrawn_at"].is_string());

    // Unsubscribing.
    let id = subscription["id"].as_i64().unwrap();
    call(
        &server,
        Method::DELETE,
        &format!("/user/subscriptions/{id}"),
        Some(&carol),
        None,
        404,
    );
    call(
        &server,
        Method::DELETE,
        &format!("/user/subscriptions/{id}"),
        Some(&bob),
        None,
        204,
    );
    assert!(
        call(
            &server,
            Method::GET,
            "/user/subscriptions",
            Some(&bob),
            None,
            200
        )
        .as_array()
        .unwrap()
        .is_empty()
    );
    call(&server, Method::GET, "/user/subscriptions", None, None, 401);
}

#[test]
fn a_receiver_that_fails_twice_gets_the_third_attempt() {
    let (_dir, server) = setup();
    let alice = token(&server, "alice", SCOPES);
    let receiver = Receiver::start(2);
    let hook = call(
        &server,
        Method::POST,
        "/user/hooks",
        Some(&alice),
        Some(&json!({"config": {"url": receiver.url, "secret": "x"}, "events": ["package"]})),
        201,
    );
    let hook_path = format!("/user/hooks/{}", hook["id"]);
    let started = Instant::now();
    publish(&server, &alice, "@alice/lib", "1.0.0");
    let attempts = receiver.wait_for("package", 3);
    let guids: Vec<&String> = attempts
        .iter()
        .map(|r| &r.headers["x-github-delivery"])
        .collect();
    assert!(
        guids.iter().all(|g| *g == guids[0]),
        "retries are the same delivery: {guids:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "backoff waits 200 ms, then 400 ms"
    );
    for a in &attempts {
        assert_eq!(
            a.headers["x-hub-signature-256"],
            expected_signature("x", &a.body)
        );
    }
    let log = call(
        &server,
        Method::GET,
        &format!("{hook_path}/deliveries"),
        Some(&alice),
        None,
        200,
    );
    let id = log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"] == "package")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let delivered = wait_for_log(&server, &alice, &hook_path, id, |d| {
        d["state"] == "delivered"
    });
    assert_eq!(delivered["attempts"], 3);
    assert_eq!(delivered["status_code"], 200);
    assert_eq!(
        receiver.wait_for("package", 3).len(),
        3,
        "nothing more after success"
    );
}

/// The first delivery in a hook's log once it has been attempted.
fn first_attempt(server: &Server, t: &str, hook_path: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = call(
            server,
            Method::GET,
            &format!("{hook_path}/deliveries"),
            Some(t),
            None,
            200,
        );
        if let Some(d) = log.as_array().and_then(|l| l.last())
            && d["status"] != "pending"
        {
            return call(
                server,
                Method::GET,
                &format!("{hook_path}/deliveries/{}", d["id"]),
                Some(t),
                None,
                200,
            );
        }
        assert!(Instant::now() < deadline, "no attempt in {log}");
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn create_hook(server: &Server, t: &str, url: &str) -> String {
    let hook = call(
        server,
        Method::POST,
        "/user/hooks",
        Some(t),
        Some(&json!({"config": {"url": url, "content_type": "json"}, "events": ["package"]})),
        201,
    );
    format!("/user/hooks/{}", hook["id"])
}

#[test]
fn hooks_never_reach_internal_addresses_unless_the_operator_allows_them() {
    let dir = tempfile::tempdir().unwrap();
    // No --outbound-allow: the defaults a plain install runs with.
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let alice = token(&server, "alice", SCOPES);
    let receiver = Receiver::start(0);
    let port = receiver
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/hook");
    // An address written out, in any form, is refused with the hook,
    // saying how an administrator allows it.
    for url in [
        receiver.url.clone(),
        format!("http://2130706433:{port}/hook"),
        format!("http://0x7f.0.0.1:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/hook".to_owned(),
        "http://0.0.0.0/hook".to_owned(),
    ] {
        let refused = call(
            &server,
            Method::POST,
            "/user/hooks",
            Some(&alice),
            Some(&json!({"config": {"url": url}, "events": ["package"]})),
            422,
        );
        let message = refused["message"].as_str().unwrap();
        assert!(
            message.contains("is not an address this server may send to")
                && message.contains("--outbound-allow"),
            "{url}: {refused}"
        );
    }
    // A name is checked when it is resolved (what it resolves to may
    // change): refused then, once, with no retry.
    let hook_path = create_hook(&server, &alice, &format!("http://localhost:{port}/hook"));
    let ping = first_attempt(&server, &alice, &hook_path);
    assert_eq!(ping["status_code"], 0, "{ping}");
    let status = ping["status"].as_str().unwrap();
    assert!(
        status.starts_with("refused") && status.contains("--outbound-allow"),
        "{ping}"
    );
    assert!(ping["response"]["payload"].is_null(), "{ping}");
    assert_eq!(
        ping["state"], "failed",
        "no retry can change the rules: {ping}"
    );
    assert_eq!(ping["attempts"], 1, "{ping}");
    assert!(
        receiver.received().is_empty(),
        "nothing reached the internal receiver: {:?}",
        receiver.received()
    );
}

#[test]
fn failures_to_connect_read_alike_whatever_the_port() {
    let (_dir, server) = setup();
    let alice = token(&server, "alice", SCOPES);
    // A closed port, and an open one that hangs up without answering.
    let closed = crate::common::free_port();
    let open = TcpListener::bind("127.0.0.1:0").unwrap();
    let open_port = open.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in open.incoming() {
            drop(stream);
        }
    });
    let mut statuses = Vec::new();
    for port in [closed, open_port] {
        let hook_path = create_hook(&server, &alice, &format!("http://127.0.0.1:{port}/hook"));
        let ping = first_attempt(&server, &alice, &hook_path);
        assert_eq!(ping["status_code"], 0, "{ping}");
        assert!(
            ping["response"]["headers"].is_null() || ping["response"]["headers"] == json!({}),
            "{ping}"
        );
        assert_eq!(ping["duration"], 0.0, "no timing of failures: {ping}");
        statuses.push(ping["status"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        statuses[0], statuses[1],
        "closed and open ports must read alike"
    );
}

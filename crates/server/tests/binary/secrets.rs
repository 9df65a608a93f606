//! Secrets never written down: a server logging at `trace`, in JSON and in
//! human form, is driven through every way a secret reaches it — tokens in
//! each format's own header, Basic credentials, npm's login, the web
//! sign-in form, the registry token exchange, a webhook secret, wrong and
//! revoked tokens — and then its logs, and its database, are searched for
//! every one of them.

use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, pom,
};
use crate::common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::json;

const PASSWORD: &str = "a long and secret passphrase 7";
const HOOK_SECRET: &str = "hook-secret-never-logged-5c1d";

/// Drives every path a secret takes; returns the secrets used.
#[expect(clippy::too_many_lines, reason = "one pass over every way in")]
fn exercise(server: &Server) -> Vec<String> {
    server.admin(&["repo", "create", "alice/java"]);
    server.admin_input(
        &["user", "set-password", "alice"],
        Some(&format!("{PASSWORD}\n")),
    );
    let alice = token(
        server,
        "alice",
        "read:packages,write:packages,delete:packages,repo",
    );
    let made = server.admin(&["token", "create", "alice", "--scopes", "read:packages,repo"]);
    let doomed = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    // `token create` says "created token ID …" on stderr.
    let doomed_id = String::from_utf8(made.stderr)
        .unwrap()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_owned();
    let client = Client::new();
    let ok = |r: reqwest::blocking::Response, what: &str| {
        let status = r.status();
        assert!(
            status.is_success(),
            "{what}: {status} {}",
            r.text().unwrap()
        );
    };
    ok(
        client
            .put(server.url("/npm/@alice%2flib"))
            .bearer_auth(&alice)
            .json(&publish_doc("@alice/lib", "1.0.0", ""))
            .send()
            .unwrap(),
        "npm publish",
    );
    ok(
        client
            .put(server.url("/maven/alice/java/com/example/lib/1.0.0/lib-1.0.0.pom"))
            .basic_auth("alice", Some(&alice))
            .body(pom("com.example", "lib", "1.0.0"))
            .send()
            .unwrap(),
        "maven deploy",
    );
    ok(
        client
            .post(server.url("/rubygems/alice/api/v1/gems"))
            .header("authorization", &alice)
            .body(gem_of(&gemspec("tinygem", "1.0.0", None), false))
            .send()
            .unwrap(),
        "gem push",
    );
    ok(
        client
            .put(server.url("/nuget/alice/api/v2/package/"))
            .header("x-nuget-apikey", &alice)
            .body(nupkg_of("Alice.Lib", "1.0.0", ""))
            .send()
            .unwrap(),
        "nuget push",
    );
    let (content_type, body) = crate::common::artifacts::twine_wheel_upload("tiny-lib", "1.0.0");
    ok(
        client
            .post(server.url("/pypi/alice/"))
            .basic_auth("__token__", Some(&alice))
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap(),
        "twine upload",
    );
    ok(
        client
            .put(server.url("/cargo/alice/api/v1/crates/new"))
            .header("authorization", &alice)
            .body(crate_body(
                &crate_metadata("tiny_lib", "1.0.0"),
                &crate_of("tiny_lib", "1.0.0"),
            ))
            .send()
            .unwrap(),
        "cargo publish",
    );
    // The registry token exchange (docker login) with the PAT as password.
    let exchanged: serde_json::Value = client
        .get(server.url("/token"))
        .query(&[
            ("service", "x"),
            ("scope", "repository:alice/app:pull,push"),
        ])
        .basic_auth("alice", Some(&alice))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let registry_token = exchanged["token"].as_str().unwrap().to_owned();
    ok(
        client
            .get(server.url("/v2/"))
            .bearer_auth(&registry_token)
            .send()
            .unwrap(),
        "registry token",
    );
    // npm login: the password in a JSON body.
    let login = client
        .put(server.url("/npm/-/user/org.couchdb.user:alice"))
        .json(&json!({"name": "alice", "password": PASSWORD}))
        .send()
        .unwrap();
    assert!(login.status().is_success(), "npm login: {}", login.status());
    let npm_token = login.json::<serde_json::Value>().unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    // The web sign-in form.
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let at = form.find(marker).unwrap() + marker.len();
    let csrf = form[at..].split('"').next().unwrap().to_owned();
    let signed_in = browser
        .post(server.url("/login"))
        .form(&[("login", "alice"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.split(';')
                .next()?
                .split_once('=')
                .map(|(_, v)| v.to_owned())
        })
        .unwrap();
    // A webhook with a secret.
    ok(
        client
            .post(server.url("/api/v3/user/hooks"))
            .bearer_auth(&alice)
            .json(&json!({
                "config": {"url": "http://localhost:9/hook", "content_type": "json", "secret": HOOK_SECRET},
                "events": ["package"],
            }))
            .send()
            .unwrap(),
        "hook",
    );
    // Wrong, unknown and revoked tokens, and a wrong password.
    let forged = crate::common::forged(&alice);
    for bad in [forged.as_str(), "entp_notarealtokenatallnotatallreally00"] {
        let r = client
            .get(server.url("/api/v3/user"))
            .bearer_auth(bad)
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let pom = |t: &str| {
        client
            .get(server.url("/maven/alice/java/com/example/lib/1.0.0/lib-1.0.0.pom"))
            .basic_auth("alice", Some(t))
            .send()
            .unwrap()
            .status()
    };
    assert_eq!(pom(&doomed), 200, "the token works until it is revoked");
    server.admin(&["token", "revoke", &doomed_id]);
    assert_eq!(pom(&doomed), 401, "a revoked token is refused");
    let r = client
        .put(server.url("/npm/-/user/org.couchdb.user:alice"))
        .json(&json!({"name": "alice", "password": "wrong but also secret 9"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    vec![
        alice,
        doomed,
        forged,
        registry_token,
        npm_token,
        cookie,
        PASSWORD.to_owned(),
        "wrong but also secret 9".to_owned(),
        HOOK_SECRET.to_owned(),
    ]
}

fn search_logs(format: &str) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_with(
        dir.path(),
        &["--listen", &listen, "--log-format", format],
        &format!("http://{listen}"),
        &[("RUST_LOG", "trace")],
    );
    server.admin(&["user", "create", "alice"]);
    let secrets = exercise(&server);
    let log = std::fs::read_to_string(&server.stderr_log).unwrap();
    assert!(
        log.lines().count() > 100,
        "the server logged too little for the search to mean anything:\n{log}"
    );
    for secret in &secrets {
        assert!(!secret.is_empty());
        // The whole secret, and its random part alone (after a token's prefix).
        let tail = &secret[secret.len().saturating_sub(16)..];
        for needle in [secret.as_str(), tail] {
            assert!(
                !log.contains(needle),
                "a secret ({}…) is in the {format} log",
                &needle[..needle.len().min(6)]
            );
        }
    }
    // Nor does the database keep any of them as written.
    let db = std::fs::read(dir.path().join("entrepot-data/entrepot.db")).unwrap_or_default();
    let mut wal =
        std::fs::read(dir.path().join("entrepot-data/entrepot.db-wal")).unwrap_or_default();
    let mut all = db;
    all.append(&mut wal);
    assert!(!all.is_empty(), "found no database to search");
    for secret in secrets.iter().filter(|s| s.as_str() != HOOK_SECRET) {
        let hit = all.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!hit, "a secret ({}…) is stored as written", &secret[..6]);
    }
}

#[test]
fn no_secret_reaches_the_human_log_or_the_database() {
    search_logs("human");
}

#[test]
fn no_secret_reaches_the_json_log() {
    search_logs("json");
}

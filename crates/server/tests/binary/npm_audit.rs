//! `npm audit` against published advisories: the bulk endpoint over HTTP
//! (gzip bodies, drafts and withdrawn advisories unreported, unreadable
//! packages absent), then the real npm CLI.

use std::io::Write as _;

use crate::common::npm::{NpmUser, package, project};
use crate::common::process::text;
use crate::common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};

const SCOPES: &str = "read:packages,write:packages";

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["user", "create", "root", "--site-admin"]);
    server.admin(&["repo", "create", "alice/hello"]);
    (dir, server)
}

fn api(server: &Server, method: reqwest::Method, path: &str, t: &str, body: &Value) -> Value {
    let response = Client::new()
        .request(method, server.url(&format!("/api/v3{path}")))
        .bearer_auth(t)
        .json(body)
        .send()
        .unwrap();
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// alice drafts an advisory on `@alice/lib`, patched in `patched` (which
/// must lie outside `range`); returns its GHSA id.
fn draft(
    server: &Server,
    alice: &str,
    summary: &str,
    (range, patched): (&str, Option<&str>),
    severity: &str,
) -> String {
    let created = api(
        server,
        reqwest::Method::POST,
        "/user/packages/npm/lib/security-advisories",
        alice,
        &json!({
            "summary": summary,
            "description": "Merging untrusted objects pollutes `Object.prototype`.",
            "severity": severity,
            "cwe_ids": ["CWE-1321"],
            "vulnerabilities": [{
                "package": {"ecosystem": "npm", "name": "@alice/lib"},
                "vulnerable_version_range": range,
                "patched_versions": patched,
            }],
        }),
    );
    created["ghsa_id"].as_str().unwrap().to_owned()
}

/// The site administrator moves an advisory to `state`.
fn review(server: &Server, root: &str, ghsa: &str, state: &str) {
    api(
        server,
        reqwest::Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{ghsa}"),
        root,
        &json!({ "state": state }),
    );
}

fn bulk(server: &Server, t: Option<&str>, body: &Value, gzip: bool) -> Value {
    let mut request = Client::new()
        .post(server.url("/npm/-/npm/v1/security/advisories/bulk"))
        .header("content-type", "application/json");
    if let Some(t) = t {
        request = request.bearer_auth(t);
    }
    let bytes = body.to_string().into_bytes();
    request = if gzip {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&bytes).unwrap();
        request
            .header("content-encoding", "gzip")
            .body(encoder.finish().unwrap())
    } else {
        request.body(bytes)
    };
    let response = request.send().unwrap();
    let status = response.status();
    let body: Value = response.json().unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn the_bulk_endpoint_reports_published_advisories_only() {
    let (_dir, server) = setup();
    let alice = token(&server, "alice", SCOPES);
    let bob = token(&server, "bob", SCOPES);
    let root = token(&server, "root", SCOPES);
    for version in ["1.0.0", "1.0.1"] {
        let status = Client::new()
            .put(server.url("/npm/@alice%2flib"))
            .bearer_auth(&alice)
            .json(&publish_doc("@alice/lib", version, ""))
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 201);
    }
    let published = draft(
        &server,
        &alice,
        "Prototype pollution in lib",
        (">= 1.0.0, < 1.0.1", Some("1.0.1")),
        "medium",
    );
    review(&server, &root, &published, "published");
    // A draft (alice administers the package, yet npm never sees drafts)
    // and a withdrawn advisory, both covering every version (so unpatched).
    let every = (">= 0.0.1", None);
    draft(&server, &alice, "Draft only", every, "critical");
    let withdrawn = draft(&server, &alice, "Withdrawn", every, "critical");
    review(&server, &root, &withdrawn, "published");
    review(&server, &root, &withdrawn, "withdrawn");

    let query = json!({
        "@alice/lib": ["1.0.1", "1.0.0"],
        "@alice/nope": ["1.0.0"],
        "lodash": ["4.17.20"],
    });
    let answer = bulk(&server, Some(&alice), &query, true);
    let entries = answer.as_object().unwrap();
    assert_eq!(entries.len(), 1, "{answer}");
    let list = answer["@alice/lib"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{answer}");
    let entry = &list[0];
    assert!(entry["id"].is_u64(), "{entry}");
    assert_eq!(entry["title"], "Prototype pollution in lib");
    assert_eq!(entry["severity"], "moderate");
    assert_eq!(entry["vulnerable_versions"], ">=1.0.0 <1.0.1");
    assert_eq!(entry["cwe"], json!(["CWE-1321"]));
    assert_eq!(entry["cvss"], json!({"score": 0, "vectorString": null}));
    assert_eq!(
        entry["url"],
        server.url(&format!("/advisories/{published}"))
    );
    // The same answer uncompressed, and the id is stable.
    let plain = bulk(&server, Some(&alice), &query, false);
    assert_eq!(plain, answer);

    // Unaffected versions: nothing.
    let fixed = bulk(
        &server,
        Some(&alice),
        &json!({"@alice/lib": ["1.0.1"]}),
        true,
    );
    assert_eq!(fixed, json!({}));

    // The package is private: bob and anonymous callers learn nothing.
    let one = json!({"@alice/lib": ["1.0.0"]});
    assert_eq!(bulk(&server, Some(&bob), &one, true), json!({}));
    assert_eq!(bulk(&server, None, &one, true), json!({}));

    // The older quick audit, minimally.
    let response = Client::new()
        .post(server.url("/npm/-/npm/v1/security/audits/quick"))
        .bearer_auth(&alice)
        .json(&json!({
            "name": "app", "version": "1.0.0", "requires": {"@alice/lib": "1.0.0"},
            "dependencies": {"@alice/lib": {"version": "1.0.0"}},
        }))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let quick: Value = response.json().unwrap();
    let advisories = quick["advisories"].as_object().unwrap();
    assert_eq!(advisories.len(), 1, "{quick}");
    let (_, advisory) = advisories.iter().next().unwrap();
    assert_eq!(advisory["module_name"], "@alice/lib");
    assert_eq!(advisory["findings"][0]["version"], "1.0.0");
    assert_eq!(quick["metadata"]["vulnerabilities"]["moderate"], 1);
}

#[test]
fn npm_audit_reports_a_published_advisory_until_the_upgrade() {
    let (_dir, server) = setup();
    let alice_token = token(&server, "alice", SCOPES);
    let root = token(&server, "root", SCOPES);
    let alice = NpmUser::new(&server, &["alice"], Some(&alice_token));
    let work = alice.dir.path();
    alice.npm_ok(&package(work, "@alice/lib", "1.0.0"), &["publish"]);
    alice.npm_ok(&package(work, "@alice/lib", "1.0.1"), &["publish"]);
    let ghsa = draft(
        &server,
        &alice_token,
        "Prototype pollution in lib",
        ("< 1.0.1", Some("1.0.1")),
        "high",
    );

    let consumer = NpmUser::new(&server, &["alice"], Some(&alice_token));
    let app = project(consumer.dir.path(), "app");
    consumer.npm_ok(&app, &["install", "@alice/lib@1.0.0"]);
    let registry = server.url("/npm/");
    let audit = ["audit", "--registry", registry.as_str()];

    // A draft is not reported.
    let clean = consumer.npm(&app, &audit);
    assert!(clean.status.success(), "{}", text(&clean));

    review(&server, &root, &ghsa, "published");
    let found = consumer.npm(&app, &audit);
    let out = text(&found);
    assert!(!found.status.success(), "{out}");
    assert!(out.contains("Prototype pollution in lib"), "{out}");
    assert!(out.contains("fix available"), "{out}");
    assert!(out.contains(&format!("/advisories/{ghsa}")), "{out}");
    assert!(out.contains("1 high severity vulnerability"), "{out}");

    let json_out = consumer.npm(&app, &["audit", "--json", "--registry", registry.as_str()]);
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let vuln = &report["vulnerabilities"]["@alice/lib"];
    assert_eq!(vuln["severity"], "high", "{report}");
    // npm narrows the advisory's range to the versions the registry has.
    assert_eq!(vuln["range"], "1.0.0", "{report}");
    assert_eq!(vuln["via"][0]["range"], "<1.0.1", "{report}");
    assert_eq!(vuln["via"][0]["title"], "Prototype pollution in lib");
    // 1.0.1 is within the dependency's `^1.0.0`: a plain `npm audit fix`.
    assert_eq!(vuln["fixAvailable"], true, "{report}");

    consumer.npm_ok(&app, &["install", "@alice/lib@1.0.1"]);
    let fixed = consumer.npm(&app, &audit);
    let out = text(&fixed);
    assert!(fixed.status.success(), "{out}");
    assert!(out.contains("found 0 vulnerabilities"), "{out}");
}

//! Security advisories over GitHub's REST API against a real server: drafts
//! by package admins, review by a site administrator, the global list's
//! `affects` filter, each body validated against GitHub's schemas.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

mod common;

use common::openapi::Schemas;
use common::{Server, make_public, publish_doc, token};
use reqwest::Method;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// GitHub's schemas: the packages description's and the advisories'.
static SCHEMAS: std::sync::LazyLock<Schemas> = std::sync::LazyLock::new(Schemas::with_advisories);

fn check(schema: &str, body: &Value, array: bool) {
    SCHEMAS.check(schema, body, array);
}

fn call(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Response {
    let mut request = Client::new().request(method, server.url(&format!("/api/v3{path}")));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(b);
    }
    request.send().unwrap()
}

/// Calls and checks the status; error bodies must be GitHub's.
fn json_call(
    server: &Server,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    status: u16,
) -> Value {
    let label = format!("{method} {path}");
    let response = call(server, method, path, token, body);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8",
        "{label}"
    );
    let got = response.status().as_u16();
    let body: Value = response.json().unwrap();
    assert_eq!(got, status, "{label}: {body}");
    if status >= 400 {
        check("basic-error", &body, false);
        assert!(body["message"].is_string(), "{body}");
    }
    body
}

fn publish(server: &Server, t: &str, name: &str, version: &str, repository: &str) {
    let path = name.replace('/', "%2f");
    let status = Client::new()
        .put(server.url(&format!("/npm/{path}")))
        .bearer_auth(t)
        .json(&publish_doc(name, version, repository))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", common::free_port());
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen],
        &format!("http://{listen}"),
    );
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["user", "create", "root", "--site-admin"]);
    (dir, server)
}

fn draft(name: &str) -> Value {
    json!({
        "summary": "Prototype pollution in lib",
        "description": "Merging untrusted objects pollutes `Object.prototype`.",
        "severity": "high",
        "cve_id": "CVE-2026-12345",
        "cwe_ids": ["CWE-1321"],
        "credits": [{"login": "bob", "type": "finder"}],
        "vulnerabilities": [{
            "package": {"ecosystem": "npm", "name": name},
            "vulnerable_version_range": "< 1.0.1",
            "patched_versions": "1.0.1",
            "vulnerable_functions": ["merge"],
        }],
    })
}

fn global_ids(server: &Server, query: &str, token: Option<&str>) -> Vec<String> {
    let list = json_call(
        server,
        Method::GET,
        &format!("/advisories?{query}"),
        token,
        None,
        200,
    );
    check("global-advisory", &list, true);
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["ghsa_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_package_admin_drafts_and_a_site_admin_publishes_and_withdraws() {
    let (_dir, server) = setup();
    let scopes = "read:packages,write:packages";
    let alice = token(&server, "alice", scopes);
    let bob = token(&server, "bob", scopes);
    let root = token(&server, "root", scopes);
    publish(&server, &alice, "@alice/lib", "1.0.0", "");
    publish(&server, &alice, "@alice/lib", "1.0.1", "");
    make_public(&server, &alice, "npm", "lib");

    // alice drafts through the package's own path.
    let list_path = "/user/packages/npm/lib/security-advisories";
    let created = json_call(
        &server,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&draft("@alice/lib")),
        201,
    );
    check("repository-advisory", &created, false);
    assert_eq!(created["state"], "draft");
    assert_eq!(created["severity"], "high");
    assert_eq!(created["author"]["login"], "alice");
    assert_eq!(created["publisher"], Value::Null);
    assert_eq!(created["published_at"], Value::Null);
    assert_eq!(
        created["vulnerabilities"][0]["package"]["name"],
        "@alice/lib"
    );
    assert_eq!(created["vulnerabilities"][0]["patched_versions"], "1.0.1");
    assert_eq!(created["credits_detailed"][0]["user"]["login"], "bob");
    assert_eq!(
        created["identifiers"],
        json!([{"type": "GHSA", "value": created["ghsa_id"]}, {"type": "CVE", "value": "CVE-2026-12345"}])
    );
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("GHSA-"), "{id}");
    let one = format!("/users/alice/packages/npm/lib/security-advisories/{id}");
    assert_eq!(
        created["url"],
        server.url(&format!("/api/v3{}", one.replace("/users/alice", "/user")))
    );

    // The draft: alice sees it, bob gets 404, anonymous callers 401.
    let mine = json_call(&server, Method::GET, list_path, Some(&alice), None, 200);
    check("repository-advisory", &mine, true);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    json_call(&server, Method::GET, &one, Some(&alice), None, 200);
    json_call(&server, Method::GET, &one, Some(&bob), None, 404);
    json_call(&server, Method::GET, &one, None, None, 401);
    json_call(
        &server,
        Method::GET,
        &format!("/advisories/{id}"),
        Some(&bob),
        None,
        404,
    );
    json_call(
        &server,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        401,
    );
    let bobs = json_call(
        &server,
        Method::GET,
        "/users/alice/packages/npm/lib/security-advisories",
        Some(&bob),
        None,
        200,
    );
    assert_eq!(bobs, json!([]));
    assert!(
        global_ids(&server, "", Some(&alice)).is_empty(),
        "drafts are not global"
    );

    // Validation errors are 422; bob may see the package but not act.
    let mut bad = draft("@alice/lib");
    bad["vulnerabilities"][0]["vulnerable_version_range"] = json!("< banana");
    json_call(
        &server,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&bad),
        422,
    );
    let mut other = draft("@alice/other");
    other["summary"] = json!("x");
    json_call(
        &server,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&other),
        422,
    );
    json_call(
        &server,
        Method::POST,
        "/users/alice/packages/npm/lib/security-advisories",
        Some(&bob),
        Some(&draft("@alice/lib")),
        403,
    );
    json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "bogus"})),
        422,
    );

    // alice edits her draft but may not publish it.
    let edited = json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"summary": "Prototype pollution in merge"})),
        200,
    );
    assert_eq!(edited["summary"], "Prototype pollution in merge");
    json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "published"})),
        403,
    );

    // The site administrator publishes it.
    let published = json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    );
    check("repository-advisory", &published, false);
    assert_eq!(published["state"], "published");
    assert_eq!(published["publisher"]["login"], "root");
    assert!(published["published_at"].is_string());

    // The global list finds it by the versions it affects.
    let affects = |v: &str| format!("affects={}", v.replace('@', "%40").replace('/', "%2F"));
    assert_eq!(
        global_ids(&server, &affects("@alice/lib@1.0.0"), Some(&bob)),
        [id.as_str()]
    );
    assert!(global_ids(&server, &affects("@alice/lib@1.0.1"), Some(&bob)).is_empty());
    assert_eq!(
        global_ids(&server, &affects("@alice/lib"), None),
        [id.as_str()]
    );
    assert_eq!(
        global_ids(&server, &affects("@alice/lib@1.0.1,@alice/lib@0.9.0"), None),
        [id.as_str()]
    );
    assert!(global_ids(&server, &affects("@bob/lib@1.0.0"), None).is_empty());
    assert_eq!(
        global_ids(&server, "ecosystem=npm&severity=high", None),
        [id.as_str()]
    );
    assert!(global_ids(&server, "severity=low", None).is_empty());
    assert_eq!(
        global_ids(&server, "cve_id=CVE-2026-12345", None),
        [id.as_str()]
    );
    assert_eq!(
        global_ids(&server, &format!("ghsa_id={id}"), None),
        [id.as_str()]
    );
    json_call(
        &server,
        Method::GET,
        "/advisories?ecosystem=cobol",
        None,
        None,
        422,
    );

    let global = json_call(
        &server,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    );
    check("global-advisory", &global, false);
    assert_eq!(global["type"], "reviewed");
    assert_eq!(global["severity"], "high");
    assert_eq!(global["withdrawn_at"], Value::Null);
    assert_eq!(
        global["vulnerabilities"][0]["first_patched_version"],
        "1.0.1"
    );
    assert_eq!(
        global["vulnerabilities"][0]["vulnerable_version_range"],
        "< 1.0.1"
    );
    assert_eq!(
        global["vulnerabilities"][0]["package"],
        json!({"ecosystem": "npm", "name": "@alice/lib"})
    );
    assert_eq!(
        global["cwes"],
        json!([{"cwe_id": "CWE-1321", "name": "CWE-1321"}])
    );
    assert_eq!(global["credits"][0]["type"], "finder");
    assert_eq!(
        global["url"],
        server.url(&format!("/api/v3/advisories/{id}"))
    );

    // A second published advisory, to page through.
    let second = json_call(
        &server,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&draft("")),
        201,
    );
    let second_id = second["ghsa_id"].as_str().unwrap().to_owned();
    json_call(
        &server,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{second_id}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    );
    let response = call(
        &server,
        Method::GET,
        "/advisories?ecosystem=npm&per_page=1",
        None,
        None,
    );
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "<{}?ecosystem=npm&page=2&per_page=1>; rel=\"next\"",
            server.url("/api/v3/advisories")
        )),
        "{link}"
    );
    let first_page: Value = response.json().unwrap();
    assert_eq!(first_page.as_array().unwrap().len(), 1);

    // Withdrawing sets withdrawn_at; the advisory stays listed.
    json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "withdrawn"})),
        403,
    );
    let withdrawn = json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "withdrawn"})),
        200,
    );
    assert_eq!(withdrawn["state"], "withdrawn");
    assert!(withdrawn["withdrawn_at"].is_string());
    let global = json_call(
        &server,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    );
    check("global-advisory", &global, false);
    assert!(global["withdrawn_at"].is_string());
    json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"summary": "too late"})),
        422,
    );
    let withdrawn_only = json_call(
        &server,
        Method::GET,
        "/user/packages/npm/lib/security-advisories?state=withdrawn",
        Some(&alice),
        None,
        200,
    );
    assert_eq!(withdrawn_only.as_array().unwrap().len(), 1);
    assert_eq!(withdrawn_only[0]["ghsa_id"], id);
}

#[test]
fn repository_advisories_name_a_connected_package() {
    let (_dir, server) = setup();
    let scopes = "read:packages,write:packages";
    let alice = token(&server, "alice", scopes);
    let bob = token(&server, "bob", scopes);
    let root = token(&server, "root", scopes);
    server.admin(&["repo", "create", "alice/web"]);
    publish(&server, &alice, "@alice/web", "1.0.0", "github:alice/web");
    publish(&server, &alice, "@alice/web", "1.0.1", "github:alice/web");
    publish(&server, &alice, "@alice/lone", "1.0.0", "");

    let path = "/repos/alice/web/security-advisories";
    let created = json_call(
        &server,
        Method::POST,
        path,
        Some(&alice),
        Some(&draft("@alice/web")),
        201,
    );
    check("repository-advisory", &created, false);
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    let one = format!("{path}/{id}");
    assert_eq!(created["url"], server.url(&format!("/api/v3{one}")));
    assert_eq!(created["state"], "draft");

    // A package not connected to the repository cannot be named.
    json_call(
        &server,
        Method::POST,
        path,
        Some(&alice),
        Some(&draft("@alice/lone")),
        422,
    );
    json_call(
        &server,
        Method::POST,
        path,
        Some(&alice),
        Some(&json!({"summary": "s"})),
        422,
    );

    let list = json_call(&server, Method::GET, path, Some(&alice), None, 200);
    check("repository-advisory", &list, true);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let drafts = json_call(
        &server,
        Method::GET,
        &format!("{path}?state=draft"),
        Some(&alice),
        None,
        200,
    );
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    let published = json_call(
        &server,
        Method::GET,
        &format!("{path}?state=published"),
        Some(&alice),
        None,
        200,
    );
    assert_eq!(published, json!([]));
    json_call(
        &server,
        Method::GET,
        &format!("{path}?state=nonsense"),
        Some(&alice),
        None,
        422,
    );
    // bob may read neither the (private) package nor the draft.
    json_call(&server, Method::GET, path, Some(&bob), None, 404);
    json_call(&server, Method::GET, &one, Some(&bob), None, 404);
    json_call(&server, Method::GET, path, None, None, 401);

    make_public(&server, &alice, "npm", "web");
    assert_eq!(
        json_call(&server, Method::GET, path, Some(&bob), None, 200),
        json!([])
    );
    json_call(&server, Method::GET, &one, Some(&bob), None, 404);
    json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "published"})),
        403,
    );
    let published = json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    );
    check("repository-advisory", &published, false);
    assert_eq!(published["state"], "published");
    let seen = json_call(&server, Method::GET, &one, Some(&bob), None, 200);
    assert_eq!(seen["ghsa_id"], id);
    let global = json_call(
        &server,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    );
    check("global-advisory", &global, false);
    assert_eq!(
        global["repository_advisory_url"],
        server.url(&format!("/api/v3{one}"))
    );
    assert_eq!(global["source_code_location"], server.url("/alice/web"));
    // GitHub's `closed` reads as withdrawn.
    let closed = json_call(
        &server,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "closed"})),
        200,
    );
    assert_eq!(closed["state"], "withdrawn");
    assert!(closed["withdrawn_at"].is_string());
    json_call(
        &server,
        Method::GET,
        "/repos/alice/nothing/security-advisories",
        Some(&bob),
        None,
        404,
    );
}

#[test]
fn the_advisory_schemas_catch_a_malformed_body() {
    let missing_cvss = json!({
        "ghsa_id": "GHSA-2222-3333-4444", "cve_id": null, "url": "http://x/a",
        "html_url": "http://x/a", "repository_advisory_url": null, "summary": "s",
        "description": "d", "type": "reviewed", "severity": "high",
        "source_code_location": null, "identifiers": [], "references": [],
        "published_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "github_reviewed_at": null, "nvd_published_at": null, "withdrawn_at": null,
        "vulnerabilities": [], "cwes": [], "credits": [],
    });
    let caught = std::panic::catch_unwind(|| check("global-advisory", &missing_cvss, false));
    assert!(
        caught.is_err(),
        "a body without `cvss` must fail the schema"
    );
    let mut complete = missing_cvss.clone();
    complete["cvss"] = json!({"vector_string": null, "score": null});
    check("global-advisory", &complete, false);
    complete["severity"] = json!("severe");
    assert!(std::panic::catch_unwind(|| check("global-advisory", &complete, false)).is_err());
}

fn page(server: &Server, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = Client::new().get(server.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn package_pages_warn_on_affected_versions_and_point_to_the_fix() {
    let (_dir, server) = setup();
    let scopes = "read:packages,write:packages";
    let alice = token(&server, "alice", scopes);
    let root = token(&server, "root", scopes);
    publish(&server, &alice, "@alice/lib", "1.0.0", "");
    publish(&server, &alice, "@alice/lib", "1.0.1", "");
    make_public(&server, &alice, "npm", "lib");
    let created = json_call(
        &server,
        Method::POST,
        "/user/packages/npm/lib/security-advisories",
        Some(&alice),
        Some(&draft("@alice/lib")),
        201,
    );
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    let package = "/users/alice/packages/npm/package/lib";
    let affected = format!("{package}?version=1.0.0");

    // A draft marks nothing; its page is for the package's admins only.
    let (_, html) = page(&server, &affected, None);
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    assert_eq!(page(&server, &format!("/advisories/{id}"), None).0, 404);
    let (status, html) = page(&server, &format!("/advisories/{id}"), Some(&alice));
    assert_eq!(status, 200);
    assert!(html.contains("draft"), "{html}");

    json_call(
        &server,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{id}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    );
    // The affected version: a banner naming the advisory and the fix.
    let (status, html) = page(&server, &affected, None);
    assert_eq!(status, 200);
    let banner = html
        .split("class=\"vulnerable\"")
        .nth(1)
        .expect("a banner on 1.0.0")
        .split("</p>")
        .next()
        .unwrap();
    assert!(banner.contains(&format!("/advisories/{id}")), "{banner}");
    assert!(banner.contains("Prototype pollution in lib"), "{banner}");
    assert!(banner.contains("?version=1.0.1"), "{banner}");
    assert!(html.contains("badge danger\">vulnerable"), "{html}");
    // The fixed version: no banner.
    let (_, html) = page(&server, &format!("{package}?version=1.0.1"), None);
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    assert!(html.contains("Security advisories"), "{html}");
    // The advisory's own page, for anyone who may read the package.
    let (status, html) = page(&server, &format!("/advisories/{id}"), None);
    assert_eq!(status, 200);
    for text in [
        "Prototype pollution in lib",
        "CVE-2026-12345",
        "&lt; 1.0.1",
        "CWE-1321",
        "bob",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    assert!(
        html.contains("?version=1.0.0"),
        "the affected version is linked"
    );

    // Withdrawn: the banner goes, the page says so.
    json_call(
        &server,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{id}"),
        Some(&root),
        Some(&json!({"state": "withdrawn"})),
        200,
    );
    let (_, html) = page(&server, &affected, None);
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    let (_, html) = page(&server, &format!("/advisories/{id}"), None);
    assert!(html.contains("was withdrawn"), "{html}");
}

//! Security advisories over GitHub's REST API, in process: drafts by
//! package admins, review by a site administrator, the global list's
//! `affects` filter, each body validated against GitHub's schemas.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use axum::http::Method;
use serde_json::{Value, json};

use crate::common::openapi::Schemas;
use crate::common::publish_doc;
use crate::test_app::{TestApp, TestResponse, make_public};

/// GitHub's schemas: the packages description's and the advisories'.
static SCHEMAS: std::sync::LazyLock<Schemas> = std::sync::LazyLock::new(Schemas::with_advisories);

fn check(schema: &str, body: &Value, array: bool) {
    SCHEMAS.check(schema, body, array);
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> TestResponse {
    let mut request = app.request(method, &format!("/api/v3{path}"));
    if let Some(t) = token {
        request = request.bearer(t);
    }
    if let Some(b) = body {
        request = request.json(b);
    }
    request.send().await
}

/// Calls and checks the status; error bodies must be GitHub's.
async fn json_call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    status: u16,
) -> Value {
    let label = format!("{method} {path}");
    let response = call(app, method, path, token, body).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=utf-8",
        "{label}"
    );
    let got = response.status().as_u16();
    let body: Value = response.json();
    assert_eq!(got, status, "{label}: {body}");
    if status >= 400 {
        check("basic-error", &body, false);
        assert!(body["message"].is_string(), "{body}");
    }
    body
}

async fn publish(app: &TestApp, t: &str, name: &str, version: &str, repository: &str) {
    let path = name.replace('/', "%2f");
    let status = app
        .put(&format!("/npm/{path}"))
        .bearer(t)
        .json(&publish_doc(name, version, repository))
        .send()
        .await
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

/// alice, bob and the site administrator root.
async fn setup() -> TestApp {
    let app = TestApp::new().await;
    for user in ["alice", "bob"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    app
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

async fn global_ids(app: &TestApp, query: &str, token: Option<&str>) -> Vec<String> {
    let list = json_call(
        app,
        Method::GET,
        &format!("/advisories?{query}"),
        token,
        None,
        200,
    )
    .await;
    check("global-advisory", &list, true);
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["ghsa_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_package_admin_drafts_and_a_site_admin_publishes_and_withdraws() {
    let app = setup().await;
    let scopes = "read:packages,write:packages";
    let alice = app.token("alice", scopes).await;
    let bob = app.token("bob", scopes).await;
    let root = app.token("root", scopes).await;
    publish(&app, &alice, "@alice/lib", "1.0.0", "").await;
    publish(&app, &alice, "@alice/lib", "1.0.1", "").await;
    make_public(&app, &alice, "npm", "lib").await;

    // alice drafts through the package's own path.
    let list_path = "/user/packages/npm/lib/security-advisories";
    let created = json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&draft("@alice/lib")),
        201,
    )
    .await;
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
        app.url(&format!("/api/v3{}", one.replace("/users/alice", "/user")))
    );

    // The draft: alice sees it, bob gets 404, anonymous callers 401.
    let mine = json_call(&app, Method::GET, list_path, Some(&alice), None, 200).await;
    check("repository-advisory", &mine, true);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    json_call(&app, Method::GET, &one, Some(&alice), None, 200).await;
    json_call(&app, Method::GET, &one, Some(&bob), None, 404).await;
    json_call(&app, Method::GET, &one, None, None, 401).await;
    json_call(
        &app,
        Method::GET,
        &format!("/advisories/{id}"),
        Some(&bob),
        None,
        404,
    )
    .await;
    json_call(
        &app,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        401,
    )
    .await;
    let bobs = json_call(
        &app,
        Method::GET,
        "/users/alice/packages/npm/lib/security-advisories",
        Some(&bob),
        None,
        200,
    )
    .await;
    assert_eq!(bobs, json!([]));
    assert!(
        global_ids(&app, "", Some(&alice)).await.is_empty(),
        "drafts are not global"
    );

    // Validation errors are 422; bob may see the package but not act.
    let mut bad = draft("@alice/lib");
    bad["vulnerabilities"][0]["vulnerable_version_range"] = json!("< banana");
    json_call(&app, Method::POST, list_path, Some(&alice), Some(&bad), 422).await;
    let mut other = draft("@alice/other");
    other["summary"] = json!("x");
    json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&other),
        422,
    )
    .await;
    json_call(
        &app,
        Method::POST,
        "/users/alice/packages/npm/lib/security-advisories",
        Some(&bob),
        Some(&draft("@alice/lib")),
        403,
    )
    .await;
    json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "bogus"})),
        422,
    )
    .await;

    // alice edits her draft but may not publish it.
    let edited = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"summary": "Prototype pollution in merge"})),
        200,
    )
    .await;
    assert_eq!(edited["summary"], "Prototype pollution in merge");
    json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "published"})),
        403,
    )
    .await;

    // The site administrator publishes it.
    let published = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    )
    .await;
    check("repository-advisory", &published, false);
    assert_eq!(published["state"], "published");
    assert_eq!(published["publisher"]["login"], "root");
    assert!(published["published_at"].is_string());

    // The global list finds it by the versions it affects.
    let affects = |v: &str| format!("affects={}", v.replace('@', "%40").replace('/', "%2F"));
    assert_eq!(
        global_ids(&app, &affects("@alice/lib@1.0.0"), Some(&bob)).await,
        [id.as_str()]
    );
    assert!(
        global_ids(&app, &affects("@alice/lib@1.0.1"), Some(&bob))
            .await
            .is_empty()
    );
    assert_eq!(
        global_ids(&app, &affects("@alice/lib"), None).await,
        [id.as_str()]
    );
    assert_eq!(
        global_ids(&app, &affects("@alice/lib@1.0.1,@alice/lib@0.9.0"), None).await,
        [id.as_str()]
    );
    assert!(
        global_ids(&app, &affects("@bob/lib@1.0.0"), None)
            .await
            .is_empty()
    );
    assert_eq!(
        global_ids(&app, "ecosystem=npm&severity=high", None).await,
        [id.as_str()]
    );
    assert!(global_ids(&app, "severity=low", None).await.is_empty());
    assert_eq!(
        global_ids(&app, "cve_id=CVE-2026-12345", None).await,
        [id.as_str()]
    );
    assert_eq!(
        global_ids(&app, &format!("ghsa_id={id}"), None).await,
        [id.as_str()]
    );
    json_call(
        &app,
        Method::GET,
        "/advisories?ecosystem=cobol",
        None,
        None,
        422,
    )
    .await;

    let global = json_call(
        &app,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    )
    .await;
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
    assert_eq!(global["url"], app.url(&format!("/api/v3/advisories/{id}")));

    // A second published advisory, to page through.
    let second = json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&draft("")),
        201,
    )
    .await;
    let second_id = second["ghsa_id"].as_str().unwrap().to_owned();
    json_call(
        &app,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{second_id}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    )
    .await;
    let response = call(
        &app,
        Method::GET,
        "/advisories?ecosystem=npm&per_page=1",
        None,
        None,
    )
    .await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "<{}?ecosystem=npm&page=2&per_page=1>; rel=\"next\"",
            app.url("/api/v3/advisories")
        )),
        "{link}"
    );
    let first_page: Value = response.json();
    assert_eq!(first_page.as_array().unwrap().len(), 1);

    // Withdrawing sets withdrawn_at; the advisory stays listed.
    json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "withdrawn"})),
        403,
    )
    .await;
    let withdrawn = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "withdrawn"})),
        200,
    )
    .await;
    assert_eq!(withdrawn["state"], "withdrawn");
    assert!(withdrawn["withdrawn_at"].is_string());
    let global = json_call(
        &app,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    )
    .await;
    check("global-advisory", &global, false);
    assert!(global["withdrawn_at"].is_string());
    json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"summary": "too late"})),
        422,
    )
    .await;
    let withdrawn_only = json_call(
        &app,
        Method::GET,
        "/user/packages/npm/lib/security-advisories?state=withdrawn",
        Some(&alice),
        None,
        200,
    )
    .await;
    assert_eq!(withdrawn_only.as_array().unwrap().len(), 1);
    assert_eq!(withdrawn_only[0]["ghsa_id"], id);
}

#[tokio::test(flavor = "multi_thread")]
async fn repository_advisories_name_a_connected_package() {
    let app = setup().await;
    let scopes = "read:packages,write:packages";
    let alice = app.token("alice", scopes).await;
    let bob = app.token("bob", scopes).await;
    let root = app.token("root", scopes).await;
    app.repo("alice/web").await;
    publish(&app, &alice, "@alice/web", "1.0.0", "github:alice/web").await;
    publish(&app, &alice, "@alice/web", "1.0.1", "github:alice/web").await;
    publish(&app, &alice, "@alice/lone", "1.0.0", "").await;

    let path = "/repos/alice/web/security-advisories";
    let created = json_call(
        &app,
        Method::POST,
        path,
        Some(&alice),
        Some(&draft("@alice/web")),
        201,
    )
    .await;
    check("repository-advisory", &created, false);
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    let one = format!("{path}/{id}");
    assert_eq!(created["url"], app.url(&format!("/api/v3{one}")));
    assert_eq!(created["state"], "draft");

    // A package not connected to the repository cannot be named.
    json_call(
        &app,
        Method::POST,
        path,
        Some(&alice),
        Some(&draft("@alice/lone")),
        422,
    )
    .await;
    json_call(
        &app,
        Method::POST,
        path,
        Some(&alice),
        Some(&json!({"summary": "s"})),
        422,
    )
    .await;

    let list = json_call(&app, Method::GET, path, Some(&alice), None, 200).await;
    check("repository-advisory", &list, true);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let drafts = json_call(
        &app,
        Method::GET,
        &format!("{path}?state=draft"),
        Some(&alice),
        None,
        200,
    )
    .await;
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    let published = json_call(
        &app,
        Method::GET,
        &format!("{path}?state=published"),
        Some(&alice),
        None,
        200,
    )
    .await;
    assert_eq!(published, json!([]));
    json_call(
        &app,
        Method::GET,
        &format!("{path}?state=nonsense"),
        Some(&alice),
        None,
        422,
    )
    .await;
    // bob may read neither the (private) package nor the draft.
    json_call(&app, Method::GET, path, Some(&bob), None, 404).await;
    json_call(&app, Method::GET, &one, Some(&bob), None, 404).await;
    json_call(&app, Method::GET, path, None, None, 401).await;

    make_public(&app, &alice, "npm", "web").await;
    assert_eq!(
        json_call(&app, Method::GET, path, Some(&bob), None, 200).await,
        json!([])
    );
    json_call(&app, Method::GET, &one, Some(&bob), None, 404).await;
    json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"state": "published"})),
        403,
    )
    .await;
    let published = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    )
    .await;
    check("repository-advisory", &published, false);
    assert_eq!(published["state"], "published");
    let seen = json_call(&app, Method::GET, &one, Some(&bob), None, 200).await;
    assert_eq!(seen["ghsa_id"], id);
    let global = json_call(
        &app,
        Method::GET,
        &format!("/advisories/{id}"),
        None,
        None,
        200,
    )
    .await;
    check("global-advisory", &global, false);
    assert_eq!(
        global["repository_advisory_url"],
        app.url(&format!("/api/v3{one}"))
    );
    assert_eq!(global["source_code_location"], app.url("/alice/web"));
    // GitHub's `closed` reads as withdrawn.
    let closed = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&root),
        Some(&json!({"state": "closed"})),
        200,
    )
    .await;
    assert_eq!(closed["state"], "withdrawn");
    assert!(closed["withdrawn_at"].is_string());
    json_call(
        &app,
        Method::GET,
        "/repos/alice/nothing/security-advisories",
        Some(&bob),
        None,
        404,
    )
    .await;
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

async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (u16, String) {
    let mut request = app.get(path);
    if let Some(t) = token {
        request = request.bearer(t);
    }
    let r = request.send().await;
    (r.status().as_u16(), r.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn package_pages_warn_on_affected_versions_and_point_to_the_fix() {
    let app = setup().await;
    let scopes = "read:packages,write:packages";
    let alice = app.token("alice", scopes).await;
    let root = app.token("root", scopes).await;
    publish(&app, &alice, "@alice/lib", "1.0.0", "").await;
    publish(&app, &alice, "@alice/lib", "1.0.1", "").await;
    make_public(&app, &alice, "npm", "lib").await;
    let created = json_call(
        &app,
        Method::POST,
        "/user/packages/npm/lib/security-advisories",
        Some(&alice),
        Some(&draft("@alice/lib")),
        201,
    )
    .await;
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    let package = "/users/alice/packages/npm/package/lib";
    let affected = format!("{package}?version=1.0.0");

    // A draft marks nothing; its page is for the package's admins only.
    let (_, html) = page(&app, &affected, None).await;
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    assert_eq!(page(&app, &format!("/advisories/{id}"), None).await.0, 404);
    let (status, html) = page(&app, &format!("/advisories/{id}"), Some(&alice)).await;
    assert_eq!(status, 200);
    assert!(html.contains("draft"), "{html}");

    json_call(
        &app,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{id}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    )
    .await;
    // The affected version: a banner naming the advisory and the fix.
    let (status, html) = page(&app, &affected, None).await;
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
    let (_, html) = page(&app, &format!("{package}?version=1.0.1"), None).await;
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    assert!(html.contains("Security advisories"), "{html}");
    // The advisory's own page, for anyone who may read the package.
    let (status, html) = page(&app, &format!("/advisories/{id}"), None).await;
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
        &app,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{id}"),
        Some(&root),
        Some(&json!({"state": "withdrawn"})),
        200,
    )
    .await;
    let (_, html) = page(&app, &affected, None).await;
    assert!(!html.contains("class=\"vulnerable\""), "{html}");
    let (_, html) = page(&app, &format!("/advisories/{id}"), None).await;
    assert!(html.contains("was withdrawn"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_patched_version_inside_its_own_range_is_refused() {
    let app = setup().await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    publish(&app, &alice, "@alice/lib", "1.0.0", "").await;
    let list_path = "/user/packages/npm/lib/security-advisories";
    let mut inside = draft("@alice/lib");
    inside["vulnerabilities"][0]["vulnerable_version_range"] = json!(">= 1.0.0, < 1.0.1");
    inside["vulnerabilities"][0]["patched_versions"] = json!("1.0.0");
    let refused = json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&inside),
        422,
    )
    .await;
    assert_eq!(
        refused["message"],
        "Affected range 1: the first patched version `1.0.0` is inside the vulnerable range `>= 1.0.0, < 1.0.1`",
    );
    // A range that is not one is quoted as sent.
    let mut typo = draft("@alice/lib");
    typo["vulnerabilities"][0]["vulnerable_version_range"] = json!("<< 1.0.1");
    let refused = json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&typo),
        422,
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("Affected range 1: `<< 1.0.1` is not an npm version range"),
        "{refused}"
    );
    // The same check on an edit: the second range's fix is inside it.
    let created = json_call(
        &app,
        Method::POST,
        list_path,
        Some(&alice),
        Some(&draft("@alice/lib")),
        201,
    )
    .await;
    let one = format!("{list_path}/{}", created["ghsa_id"].as_str().unwrap());
    let vulnerability = |range: &str, patched: &str| {
        json!({
            "package": {"ecosystem": "npm", "name": "@alice/lib"},
            "vulnerable_version_range": range,
            "patched_versions": patched,
        })
    };
    let refused = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"vulnerabilities": [
            vulnerability("< 1.0.1", "1.0.1"),
            vulnerability(">= 2.0.0, < 2.0.3", "2.0.2"),
        ]})),
        422,
    )
    .await;
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("Affected range 2: the first patched version `2.0.2`"),
        "{refused}"
    );
    let summary = json_call(
        &app,
        Method::PATCH,
        &one,
        Some(&alice),
        Some(&json!({"summary": " "})),
        422,
    )
    .await;
    assert_eq!(summary["message"], "Summary: 1 to 1,024 characters.");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_affected_version_is_pointed_to_the_fix_of_its_own_range() {
    let app = setup().await;
    let scopes = "read:packages,write:packages";
    let alice = app.token("alice", scopes).await;
    let root = app.token("root", scopes).await;
    for version in ["1.0.0", "1.0.1", "2.0.1", "2.0.3"] {
        publish(&app, &alice, "@alice/lib", version, "").await;
    }
    make_public(&app, &alice, "npm", "lib").await;
    let mut two_ranges = draft("@alice/lib");
    two_ranges["vulnerabilities"] = json!([
        {
            "package": {"ecosystem": "npm", "name": "@alice/lib"},
            "vulnerable_version_range": "< 1.0.1",
            "patched_versions": "1.0.1",
        },
        {
            "package": {"ecosystem": "npm", "name": "@alice/lib"},
            "vulnerable_version_range": ">= 2.0.0, < 2.0.3",
            "patched_versions": "2.0.3",
        },
    ]);
    let created = json_call(
        &app,
        Method::POST,
        "/user/packages/npm/lib/security-advisories",
        Some(&alice),
        Some(&two_ranges),
        201,
    )
    .await;
    let id = created["ghsa_id"].as_str().unwrap().to_owned();
    json_call(
        &app,
        Method::PATCH,
        &format!("/users/alice/packages/npm/lib/security-advisories/{id}"),
        Some(&root),
        Some(&json!({"state": "published"})),
        200,
    )
    .await;
    let package = "/users/alice/packages/npm/package/lib";
    let banner = |html: &str| -> String {
        html.split("class=\"vulnerable\"")
            .nth(1)
            .unwrap_or_else(|| panic!("a banner: {html}"))
            .split("</p>")
            .next()
            .unwrap()
            .to_owned()
    };
    let (_, html) = page(&app, &format!("{package}?version=2.0.1"), None).await;
    let on_two = banner(&html);
    assert!(
        on_two.contains("Upgrade to <a href=\"?version=2.0.3\">2.0.3</a>"),
        "{on_two}"
    );
    assert!(!on_two.contains("1.0.1"), "{on_two}");
    // The side column, for no one version, names every range's fix.
    assert!(html.contains("fixed in 1.0.1, 2.0.3"), "{html}");
    let (_, html) = page(&app, &format!("{package}?version=1.0.0"), None).await;
    let on_one = banner(&html);
    assert!(on_one.contains("?version=1.0.1"), "{on_one}");
    assert!(!on_one.contains("2.0.3"), "{on_one}");

    // Its own page: both ranges, labelled for phones, and who published it.
    let (status, html) = page(&app, &format!("/advisories/{id}"), None).await;
    assert_eq!(status, 200);
    for text in [
        "Affected packages",
        "data-label=\"Affected versions\"",
        "data-label=\"Patched versions\"",
        "Affected versions published here:",
        "<a href=\"/advisories\">security advisories</a>",
        "by <a href=\"/root\">root</a>",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
}

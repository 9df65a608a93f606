//! The OSV API, in process: a package in every format with an advisory on
//! `< 1.0.1`, queried by name and by purl, in batches the way scanners send
//! a lockfile, each document validated against the published OSV schema
//! (ossf/osv-schema); who sees what; the bulk zip. (The real `pip-audit`
//! pointed at the API: `tests/binary/osv.rs`.)
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use std::io::Read;

use axum::http::Method;
use serde_json::{Value, json};

use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, pom, twine_wheel_upload,
};
use crate::common::publish_doc;
use crate::test_app::{TestApp, TestRequest, alice_packages, make_public};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../support/osv-schema.json")).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OSV schema compiles")
}

fn assert_osv(doc: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not OSV: {errors:?}\n{doc:#}");
}

fn authed(request: TestRequest, token: Option<&str>) -> TestRequest {
    match token {
        Some(t) => request.bearer(t),
        None => request,
    }
}

async fn osv_post(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let r = authed(app.post(path), token).json(body).send().await;
    (r.status().as_u16(), r.json())
}

fn ok(expected: u16, (status, body): (u16, Value)) -> Value {
    assert_eq!(status, expected, "{body}");
    body
}

async fn api(app: &TestApp, t: &str, method: Method, path: &str, body: &Value) -> Value {
    let r = app
        .request(method, &format!("/api/v3{path}"))
        .bearer(t)
        .json(body)
        .send()
        .await;
    let status = r.status().as_u16();
    let body: Value = r.json();
    assert!(status < 300, "{path}: {status} {body}");
    body
}

/// One package per format, as alice publishes it: 1.0.0 and 1.0.1.
pub(crate) struct Published {
    /// GitHub's package type, the stored name, OSV's ecosystem and name.
    pub(crate) package_type: &'static str,
    pub(crate) stored: String,
    pub(crate) ecosystem: &'static str,
    pub(crate) name: &'static str,
}

/// Publishes `version` of one package in every format as alice, the way
/// each client sends it: `@alice/lib` (npm), `com.example:lib` (Maven, in
/// `alice/java`), `tinygem`, `Alice.Lib` (NuGet), `tiny-lib` (PyPI) and
/// `tiny_lib` (Cargo).
async fn one_of_each(app: &TestApp, token: &str, version: &str) {
    let npm = app
        .put("/npm/@alice%2flib")
        .bearer(token)
        .json(&publish_doc("@alice/lib", version, ""))
        .send()
        .await;
    assert_eq!(npm.status(), 201, "npm {version}");
    let base = format!("/maven/alice/java/com/example/lib/{version}/lib-{version}");
    for (ext, body) in [
        ("pom", pom("com.example", "lib", version).into_bytes()),
        ("jar", b"PK fake jar".to_vec()),
    ] {
        let r = app
            .put(&format!("{base}.{ext}"))
            .basic("alice", token)
            .body(body)
            .send()
            .await;
        assert_eq!(r.status(), 201, "maven {ext} {version}");
    }
    let (content_type, wheel) = twine_wheel_upload("tiny-lib", version);
    let requests = [
        app.post("/rubygems/alice/api/v1/gems")
            .header("authorization", token)
            .body(gem_of(&gemspec("tinygem", version, None), false)),
        app.put("/nuget/alice/api/v2/package/")
            .header("x-nuget-apikey", token)
            .body(nupkg_of("Alice.Lib", version, "")),
        app.post("/pypi/alice/")
            .basic("__token__", token)
            .header("content-type", content_type)
            .body(wheel),
        app.put("/cargo/alice/api/v1/crates/new")
            .header("authorization", token)
            .body(crate_body(
                &crate_metadata("tiny_lib", version),
                &crate_of("tiny_lib", version),
            )),
    ];
    for (format, request) in ["rubygems", "nuget", "pypi", "cargo"]
        .into_iter()
        .zip(requests)
    {
        let r = request.send().await;
        assert!(
            r.status().is_success(),
            "{format} {version}: {} {}",
            r.status(),
            r.text()
        );
    }
}

pub(crate) async fn publish_everything(app: &TestApp, alice: &str) -> Vec<Published> {
    app.repo("alice/java").await;
    for version in ["1.0.0", "1.0.1"] {
        one_of_each(app, alice, version).await;
    }
    let mut stored = Vec::new();
    for package_type in ["npm", "maven", "rubygems", "nuget", "pypi", "cargo"] {
        let listed = alice_packages(app, alice, package_type).await;
        stored.push(listed[0]["name"].as_str().unwrap().to_owned());
    }
    [
        ("npm", "npm", "@alice/lib"),
        ("maven", "Maven", "com.example:lib"),
        ("rubygems", "RubyGems", "tinygem"),
        ("nuget", "NuGet", "Alice.Lib"),
        ("pypi", "PyPI", "tiny-lib"),
        ("cargo", "crates.io", "tiny_lib"),
    ]
    .into_iter()
    .zip(stored)
    .map(|((package_type, ecosystem, name), stored)| Published {
        package_type,
        stored,
        ecosystem,
        name,
    })
    .collect()
}

/// GitHub's advisory ecosystem of a package type.
fn github_ecosystem(package_type: &str) -> &'static str {
    match package_type {
        "npm" => "npm",
        "maven" => "maven",
        "rubygems" => "rubygems",
        "nuget" => "nuget",
        "pypi" => "pip",
        _ => "rust",
    }
}

/// alice drafts an advisory on `< 1.0.1`; its id.
pub(crate) async fn advise(app: &TestApp, alice: &str, p: &Published) -> String {
    let created = api(
        app,
        alice,
        Method::POST,
        &format!(
            "/user/packages/{}/{}/security-advisories",
            p.package_type, p.stored
        ),
        &json!({
            "summary": format!("Remote code execution in {}", p.name),
            "description": "Crafted input runs code.",
            "cvss_vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "cve_id": "CVE-2026-40001",
            "cwe_ids": ["CWE-94"],
            "credits": [{"login": "bob", "type": "finder"}],
            "vulnerabilities": [{
                "package": {"ecosystem": github_ecosystem(p.package_type), "name": p.name},
                "vulnerable_version_range": "< 1.0.1",
                "patched_versions": "1.0.1",
            }],
        }),
    )
    .await;
    created["ghsa_id"].as_str().unwrap().to_owned()
}

pub(crate) async fn review(app: &TestApp, root: &str, p: &Published, id: &str, state: &str) {
    api(
        app,
        root,
        Method::PATCH,
        &format!(
            "/users/alice/packages/{}/{}/security-advisories/{id}",
            p.package_type, p.stored
        ),
        &json!({"state": state}),
    )
    .await;
}

/// alice, bob and the site administrator root; alice's and root's tokens.
pub(crate) async fn setup() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    for user in ["alice", "bob"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    let alice = app
        .token("alice", "read:packages,write:packages,repo")
        .await;
    let root = app.token("root", "read:packages,write:packages").await;
    (app, alice, root)
}

fn ids(result: &Value) -> Vec<String> {
    result["vulns"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|x| x["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn osv_queries_find_the_advisories_of_every_format_in_schema_valid_documents() {
    let (app, alice, root) = setup().await;
    let published = publish_everything(&app, &alice).await;
    let mut advisories = Vec::new();
    for p in &published {
        let id = advise(&app, &alice, p).await;
        // A draft is no vulnerability yet.
        let q = json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": "1.0.0"});
        assert_eq!(
            ok(200, osv_post(&app, "/osv/v1/query", Some(&alice), &q).await),
            json!({})
        );
        review(&app, &root, p, &id, "published").await;
        advisories.push(id);
    }

    for (p, id) in published.iter().zip(&advisories) {
        let label = format!("{} {}", p.ecosystem, p.name);
        // The affected version: the full document, valid OSV.
        let q = json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": "1.0.0"});
        let found = ok(200, osv_post(&app, "/osv/v1/query", Some(&alice), &q).await);
        assert_eq!(ids(&found), vec![id.clone()], "{label}: {found}");
        let doc = &found["vulns"][0];
        assert_osv(doc);
        assert_eq!(doc["aliases"], json!(["CVE-2026-40001"]));
        assert_eq!(
            doc["summary"],
            format!("Remote code execution in {}", p.name)
        );
        let affected = &doc["affected"][0];
        assert_eq!(affected["package"]["ecosystem"], p.ecosystem, "{label}");
        assert_eq!(affected["package"]["name"], p.name, "{label}");
        assert_eq!(
            affected["ranges"][0]["events"],
            json!([{"introduced": "0"}, {"fixed": "1.0.1"}]),
            "{label}"
        );
        assert_eq!(affected["versions"], json!(["1.0.0"]), "{label}");
        assert_eq!(
            doc["severity"],
            json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}])
        );
        assert_eq!(doc["credits"], json!([{"name": "bob", "type": "FINDER"}]));
        // The fixed version: nothing, as osv.dev answers.
        let q = json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": "1.0.1"});
        assert_eq!(
            ok(200, osv_post(&app, "/osv/v1/query", Some(&alice), &q).await),
            json!({}),
            "{label}"
        );
        // By purl, with the version inside it.
        let purl = affected["package"]["purl"].as_str().unwrap();
        let q = json!({"package": {"purl": format!("{purl}@1.0.0")}});
        let found = ok(200, osv_post(&app, "/osv/v1/query", Some(&alice), &q).await);
        assert_eq!(ids(&found), vec![id.clone()], "{label} by {purl}");
        // By id.
        let r = app
            .get(&format!("/osv/v1/vulns/{id}"))
            .bearer(&alice)
            .send()
            .await;
        assert_eq!(r.status(), 200);
        let by_id: Value = r.json();
        assert_osv(&by_id);
        assert_eq!(by_id["id"], *id);
    }

    // Names as each ecosystem spells them alike.
    for (ecosystem, name) in [
        ("PyPI", "Tiny_Lib"),
        ("NuGet", "alice.lib"),
        ("crates.io", "tiny-lib"),
    ] {
        let q = json!({"package": {"name": name, "ecosystem": ecosystem}, "version": "1.0.0"});
        let found = ok(200, osv_post(&app, "/osv/v1/query", Some(&alice), &q).await);
        assert_eq!(ids(&found).len(), 1, "{ecosystem} {name}");
    }

    // A lockfile's worth in one batch: exactly the affected entries.
    let mut queries = Vec::new();
    let mut expected = Vec::new();
    for (p, id) in published.iter().zip(&advisories) {
        for (version, hit) in [("1.0.0", true), ("1.0.1", false)] {
            queries.push(
                json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": version}),
            );
            expected.push(hit.then(|| id.clone()));
        }
    }
    queries.push(json!({"package": {"name": "left-pad", "ecosystem": "npm"}, "version": "1.0.0"}));
    expected.push(None);
    queries.push(json!({"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}));
    expected.push(None);
    let batch = ok(
        200,
        osv_post(
            &app,
            "/osv/v1/querybatch",
            Some(&alice),
            &json!({"queries": queries}),
        )
        .await,
    );
    let results = batch["results"].as_array().unwrap();
    assert_eq!(results.len(), expected.len());
    for (i, (result, want)) in results.iter().zip(&expected).enumerate() {
        match want {
            Some(id) => {
                assert_eq!(ids(result), vec![id.clone()], "query {i}");
                assert!(
                    result["vulns"][0]["modified"]
                        .as_str()
                        .unwrap()
                        .ends_with('Z')
                );
            }
            None => assert_eq!(result, &json!({}), "query {i}"),
        }
    }

    // Bad queries get osv.dev's error shape.
    let (status, body) = osv_post(&app, "/osv/v1/query", None, &json!({"version": "1"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 3, "{body}");
    let (status, body) = osv_post(
        &app,
        "/osv/v1/query",
        None,
        &json!({"package": {"purl": "pkg:npm/%40alice/lib@1.0.0"}, "version": "1.0.0"}),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (400, Some(3)), "{body}");

    // Who sees what: nothing here is public yet.
    let q = json!({"package": {"name": "@alice/lib", "ecosystem": "npm"}, "version": "1.0.0"});
    assert_eq!(
        ok(200, osv_post(&app, "/osv/v1/query", None, &q).await),
        json!({})
    );
    let bob = app.token("bob", "read:packages").await;
    assert_eq!(
        ok(200, osv_post(&app, "/osv/v1/query", Some(&bob), &q).await),
        json!({})
    );
    let by_id = async |t: Option<&str>| {
        authed(app.get(&format!("/osv/v1/vulns/{}", advisories[0])), t)
            .send()
            .await
    };
    let anonymous = by_id(None).await;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(by_id(Some(&bob)).await.status(), 404);
    make_public(&app, &alice, "npm", "lib").await;
    assert_eq!(
        ids(&ok(200, osv_post(&app, "/osv/v1/query", None, &q).await)),
        vec![advisories[0].clone()]
    );
    assert_eq!(by_id(None).await.status(), 200);

    // The bulk layout offline scanners download.
    let r = app.get("/osv/ecosystems.txt").send().await;
    assert_eq!(r.text(), "npm\nMaven\nRubyGems\nNuGet\nPyPI\ncrates.io\n");
    let r = app.get("/osv/npm/all.zip").send().await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(zip.len(), 1);
    let mut text = String::new();
    zip.by_name(&format!("{}.json", advisories[0]))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_osv(&serde_json::from_str(&text).unwrap());

    // Withdrawn: out of queries, still readable by id with its time.
    review(&app, &root, &published[0], &advisories[0], "withdrawn").await;
    assert_eq!(
        ok(200, osv_post(&app, "/osv/v1/query", None, &q).await),
        json!({})
    );
    let withdrawn: Value = by_id(None).await.json();
    assert_osv(&withdrawn);
    assert!(withdrawn["withdrawn"].is_string(), "{withdrawn}");
}

#[test]
fn the_schema_check_catches_a_malformed_document() {
    let bad = json!({
        "id": "GHSA-xxxx-xxxx-xxxx",
        "modified": "2026-11-22 10:00:00",
        "affected": [{"package": {"ecosystem": "Nowhere", "name": "x"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}]}],
    });
    let errors = validator().iter_errors(&bad).count();
    assert!(errors >= 3, "{errors}");
}

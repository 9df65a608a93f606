//! The OSV API against a real server: a package in every format with an
//! advisory on `< 1.0.1`, queried by name and by purl, in batches the way
//! scanners send a lockfile, each document validated against the published
//! OSV schema (ossf/osv-schema); who sees what; the bulk zip; and the real
//! `pip-audit` pointed at the API with `--osv-url`.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

mod common;

use std::io::Read;

use common::artifacts::twine_wheel_upload;
use common::{Server, make_public, token};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("support/osv-schema.json")).unwrap();
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

fn authed(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    }
}

fn osv_post(server: &Server, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let r = authed(Client::new().post(server.url(path)), token)
        .json(body)
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

fn ok(expected: u16, (status, body): (u16, Value)) -> Value {
    assert_eq!(status, expected, "{body}");
    body
}

fn api(server: &Server, t: &str, method: reqwest::Method, path: &str, body: &Value) -> Value {
    let r = Client::new()
        .request(method, server.url(&format!("/api/v3{path}")))
        .bearer_auth(t)
        .json(body)
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().unwrap();
    assert!(status < 300, "{path}: {status} {body}");
    body
}

/// One package per format, as alice publishes it: 1.0.0 and 1.0.1.
struct Published {
    /// GitHub's package type, the stored name, OSV's ecosystem and name.
    package_type: &'static str,
    stored: String,
    ecosystem: &'static str,
    name: &'static str,
}

fn publish_everything(server: &Server, alice: &str) -> Vec<Published> {
    server.admin(&["repo", "create", "alice/java"]);
    for version in ["1.0.0", "1.0.1"] {
        common::publish::one_of_each(server, alice, version);
    }
    let stored = |package_type: &str| {
        common::alice_packages(server, alice, package_type)[0]["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    [
        ("npm", "npm", "@alice/lib"),
        ("maven", "Maven", "com.example:lib"),
        ("rubygems", "RubyGems", "tinygem"),
        ("nuget", "NuGet", "Alice.Lib"),
        ("pypi", "PyPI", "tiny-lib"),
        ("cargo", "crates.io", "tiny_lib"),
    ]
    .into_iter()
    .map(|(package_type, ecosystem, name)| Published {
        package_type,
        stored: stored(package_type),
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
fn advise(server: &Server, alice: &str, p: &Published) -> String {
    let created = api(
        server,
        alice,
        reqwest::Method::POST,
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
    );
    created["ghsa_id"].as_str().unwrap().to_owned()
}

fn review(server: &Server, root: &str, p: &Published, id: &str, state: &str) {
    api(
        server,
        root,
        reqwest::Method::PATCH,
        &format!(
            "/users/alice/packages/{}/{}/security-advisories/{id}",
            p.package_type, p.stored
        ),
        &json!({"state": state}),
    );
}

fn setup() -> (tempfile::TempDir, Server, String, String) {
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
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    let root = token(&server, "root", "read:packages,write:packages");
    (dir, server, alice, root)
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

#[test]
fn osv_queries_find_the_advisories_of_every_format_in_schema_valid_documents() {
    let (_dir, server, alice, root) = setup();
    let published = publish_everything(&server, &alice);
    let mut advisories = Vec::new();
    for p in &published {
        let id = advise(&server, &alice, p);
        // A draft is no vulnerability yet.
        let q = json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": "1.0.0"});
        assert_eq!(
            ok(200, osv_post(&server, "/osv/v1/query", Some(&alice), &q)),
            json!({})
        );
        review(&server, &root, p, &id, "published");
        advisories.push(id);
    }

    for (p, id) in published.iter().zip(&advisories) {
        let label = format!("{} {}", p.ecosystem, p.name);
        // The affected version: the full document, valid OSV.
        let q = json!({"package": {"name": p.name, "ecosystem": p.ecosystem}, "version": "1.0.0"});
        let found = ok(200, osv_post(&server, "/osv/v1/query", Some(&alice), &q));
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
            ok(200, osv_post(&server, "/osv/v1/query", Some(&alice), &q)),
            json!({}),
            "{label}"
        );
        // By purl, with the version inside it.
        let purl = affected["package"]["purl"].as_str().unwrap();
        let q = json!({"package": {"purl": format!("{purl}@1.0.0")}});
        let found = ok(200, osv_post(&server, "/osv/v1/query", Some(&alice), &q));
        assert_eq!(ids(&found), vec![id.clone()], "{label} by {purl}");
        // By id.
        let r = Client::new()
            .get(server.url(&format!("/osv/v1/vulns/{id}")))
            .bearer_auth(&alice)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        let by_id: Value = r.json().unwrap();
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
        let found = ok(200, osv_post(&server, "/osv/v1/query", Some(&alice), &q));
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
            &server,
            "/osv/v1/querybatch",
            Some(&alice),
            &json!({"queries": queries}),
        ),
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
    let (status, body) = osv_post(&server, "/osv/v1/query", None, &json!({"version": "1"}));
    assert_eq!(status, 400);
    assert_eq!(body["code"], 3, "{body}");
    let (status, body) = osv_post(
        &server,
        "/osv/v1/query",
        None,
        &json!({"package": {"purl": "pkg:npm/%40alice/lib@1.0.0"}, "version": "1.0.0"}),
    );
    assert_eq!((status, body["code"].as_i64()), (400, Some(3)), "{body}");

    // Who sees what: nothing here is public yet.
    let q = json!({"package": {"name": "@alice/lib", "ecosystem": "npm"}, "version": "1.0.0"});
    assert_eq!(
        ok(200, osv_post(&server, "/osv/v1/query", None, &q)),
        json!({})
    );
    let bob = token(&server, "bob", "read:packages");
    assert_eq!(
        ok(200, osv_post(&server, "/osv/v1/query", Some(&bob), &q)),
        json!({})
    );
    let by_id = |t: Option<&str>| {
        authed(
            Client::new().get(server.url(&format!("/osv/v1/vulns/{}", advisories[0]))),
            t,
        )
        .send()
        .unwrap()
    };
    let anonymous = by_id(None);
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    assert_eq!(by_id(Some(&bob)).status(), 404);
    make_public(&server, &alice, "npm", "lib");
    assert_eq!(
        ids(&ok(200, osv_post(&server, "/osv/v1/query", None, &q))),
        vec![advisories[0].clone()]
    );
    assert_eq!(by_id(None).status(), 200);

    // The bulk layout offline scanners download.
    let r = Client::new()
        .get(server.url("/osv/ecosystems.txt"))
        .send()
        .unwrap();
    assert_eq!(
        r.text().unwrap(),
        "npm\nMaven\nRubyGems\nNuGet\nPyPI\ncrates.io\n"
    );
    let r = Client::new()
        .get(server.url("/osv/npm/all.zip"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(zip.len(), 1);
    let mut text = String::new();
    zip.by_name(&format!("{}.json", advisories[0]))
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_osv(&serde_json::from_str(&text).unwrap());

    // Withdrawn: out of queries, still readable by id with its time.
    review(&server, &root, &published[0], &advisories[0], "withdrawn");
    assert_eq!(
        ok(200, osv_post(&server, "/osv/v1/query", None, &q)),
        json!({})
    );
    let withdrawn: Value = by_id(None).json().unwrap();
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

#[test]
fn pip_audit_reports_a_private_advisory_through_the_osv_api() {
    let (dir, server, alice, root) = setup();
    let client = Client::new();
    for version in ["1.0.0", "1.0.1"] {
        let (content_type, body) = twine_wheel_upload("tiny-lib", version);
        let r = client
            .post(server.url("/pypi/alice/"))
            .basic_auth("__token__", Some(&alice))
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().unwrap());
    }
    let p = Published {
        package_type: "pypi",
        stored: common::alice_packages(&server, &alice, "pypi")[0]["name"]
            .as_str()
            .unwrap()
            .to_owned(),
        ecosystem: "PyPI",
        name: "tiny-lib",
    };
    let id = advise(&server, &alice, &p);
    review(&server, &root, &p, &id, "published");

    // The package stays private: pip-audit's requests read `NETRC`.
    let host = server.url("/").replace("http://", "");
    let host = host.split(':').next().unwrap().to_owned();
    let netrc = dir.path().join("netrc");
    std::fs::write(
        &netrc,
        format!("machine {host} login __token__ password {alice}\n"),
    )
    .unwrap();
    let audit = |requirement: &str| {
        let requirements = dir.path().join("requirements.txt");
        std::fs::write(&requirements, format!("{requirement}\n")).unwrap();
        common::process::run(
            std::process::Command::new("pip-audit")
                .args([
                    "--disable-pip",
                    "--no-deps",
                    "--progress-spinner",
                    "off",
                    "--aliases",
                ])
                .args(["--vulnerability-service", "osv", "--osv-url"])
                .arg(server.url("/osv/v1/query"))
                .arg("-r")
                .arg(&requirements)
                .env("PIP_AUDIT_CACHE_DIR", dir.path().join("cache"))
                .env("NETRC", &netrc),
        )
    };
    let vulnerable = audit("tiny-lib==1.0.0");
    let out = common::process::text(&vulnerable);
    assert_eq!(vulnerable.status.code(), Some(1), "{out}");
    assert!(out.contains(&id) && out.contains("CVE-2026-40001"), "{out}");
    assert!(out.contains("1.0.1"), "the fixed version: {out}");
    let fixed = audit("tiny-lib==1.0.1");
    let out = common::process::text(&fixed);
    assert!(fixed.status.success(), "{out}");
    assert!(out.contains("No known vulnerabilities found"), "{out}");
}

//! The OSV API against a real server: the real `pip-audit` pointed at it
//! with `--osv-url` reports a private advisory. (Queries, batches, who sees
//! what and the bulk zip, request by request: `tests/app/osv.rs`.)

use crate::common::artifacts::twine_wheel_upload;
use crate::common::{Server, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};

pub(crate) fn api(
    server: &Server,
    t: &str,
    method: reqwest::Method,
    path: &str,
    body: &Value,
) -> Value {
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

/// alice's package, 1.0.0 and 1.0.1.
pub(crate) struct Published {
    /// GitHub's package type, the stored name, and the name OSV knows.
    pub(crate) package_type: &'static str,
    pub(crate) stored: String,
    pub(crate) name: &'static str,
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
pub(crate) fn advise(server: &Server, alice: &str, p: &Published) -> String {
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

pub(crate) fn review(server: &Server, root: &str, p: &Published, id: &str, state: &str) {
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
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
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
        stored: crate::common::alice_packages(&server, &alice, "pypi")[0]["name"]
            .as_str()
            .unwrap()
            .to_owned(),
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
        crate::common::process::run(
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
    let out = crate::common::process::text(&vulnerable);
    assert_eq!(vulnerable.status.code(), Some(1), "{out}");
    assert!(out.contains(&id) && out.contains("CVE-2026-40001"), "{out}");
    assert!(out.contains("1.0.1"), "the fixed version: {out}");
    let fixed = audit("tiny-lib==1.0.1");
    let out = crate::common::process::text(&fixed);
    assert!(fixed.status.success(), "{out}");
    assert!(out.contains("No known vulnerabilities found"), "{out}");
}

//! GitHub's REST API for packages against a real server: every operation,
//! each body validated against GitHub's own OpenAPI description.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::openapi::Schemas;
use common::{Server, publish_doc, token};
use reqwest::Method;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use sha2::Digest;

struct Api<'a> {
    server: &'a Server,
    client: Client,
    spec: Schemas,
    operations: BTreeSet<String>,
}

impl<'a> Api<'a> {
    fn new(server: &'a Server) -> Api<'a> {
        Api {
            server,
            client: Client::new(),
            spec: Schemas::packages(),
            operations: BTreeSet::new(),
        }
    }

    /// Calls `METHOD /api/v3{path}`, recording the operation's template.
    fn call(
        &mut self,
        method: Method,
        path: &str,
        template: &str,
        token: Option<&str>,
    ) -> Response {
        self.operations.insert(format!("{method} {template}"));
        let mut request = self
            .client
            .request(method, self.server.url(&format!("/api/v3{path}")));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().unwrap();
        if response.status() != 204 {
            assert_eq!(
                response.headers()["content-type"],
                "application/json; charset=utf-8",
                "{template}"
            );
        }
        response
    }

    fn json(
        &mut self,
        method: Method,
        path: &str,
        template: &str,
        token: Option<&str>,
        status: u16,
    ) -> Value {
        let response = self.call(method, path, template, token);
        assert_eq!(response.status().as_u16(), status, "{path}");
        if status == 204 {
            return Value::Null;
        }
        let body: Value = response.json().unwrap();
        if status >= 400 {
            self.spec.check("basic-error", &body, false);
        }
        body
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

fn setup(extra_args: &[&str]) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", common::free_port());
    let mut args = vec!["--listen", listen.as_str()];
    args.extend_from_slice(extra_args);
    let server = Server::start_in(dir.path(), &args, &format!("http://{listen}"));
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    (dir, server)
}

#[test]
fn all_27_operations_answer_in_githubs_shapes() {
    let (_dir, server) = setup(&[]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    for name in ["@alice/hello", "@acme/tool"] {
        publish(&server, &t, name, "1.0.0");
        publish(&server, &t, name, "1.1.0");
    }
    let mut api = Api::new(&server);
    for (prefix, template, name) in [
        ("/user", "/user", "hello"),
        ("/users/alice", "/users/{username}", "hello"),
        ("/orgs/acme", "/orgs/{org}", "tool"),
    ] {
        let list = api.json(
            Method::GET,
            &format!("{prefix}/packages?package_type=npm"),
            &format!("{template}/packages"),
            Some(&t),
            200,
        );
        api.spec.check("package", &list, true);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["name"], name);

        let pkg_path = format!("{prefix}/packages/npm/{name}");
        let pkg_template = format!("{template}/packages/{{package_type}}/{{package_name}}");
        let package = api.json(Method::GET, &pkg_path, &pkg_template, Some(&t), 200);
        api.spec.check("package", &package, false);
        assert_eq!(package["version_count"], 2);
        assert_eq!(package["visibility"], "private");
        assert_eq!(package["package_type"], "npm");
        assert!(package["url"].as_str().unwrap().contains("/api/v3/"));
        let owner_segment = if name == "tool" {
            "orgs/acme"
        } else {
            "users/alice"
        };
        assert_eq!(
            package["html_url"],
            server.url(&format!("/{owner_segment}/packages/npm/package/{name}"))
        );

        let versions = api.json(
            Method::GET,
            &format!("{pkg_path}/versions"),
            &format!("{pkg_template}/versions"),
            Some(&t),
            200,
        );
        api.spec.check("package-version", &versions, true);
        assert_eq!(versions[0]["name"], "1.1.0", "newest first");
        let old_id = versions[1]["id"].as_i64().unwrap();
        let version_path = format!("{pkg_path}/versions/{old_id}");
        let version_template = format!("{pkg_template}/versions/{{package_version_id}}");
        let version = api.json(Method::GET, &version_path, &version_template, Some(&t), 200);
        api.spec.check("package-version", &version, false);
        assert_eq!(version["metadata"]["package_type"], "npm");
        assert_eq!(version["package_html_url"], package["html_url"]);

        api.json(
            Method::DELETE,
            &version_path,
            &version_template,
            Some(&t),
            204,
        );
        let deleted = api.json(
            Method::GET,
            &format!("{pkg_path}/versions?state=deleted"),
            &format!("{pkg_template}/versions"),
            Some(&t),
            200,
        );
        api.spec.check("package-version", &deleted, true);
        assert_eq!(deleted[0]["id"], old_id);
        assert!(deleted[0]["deleted_at"].is_string());
        api.json(
            Method::POST,
            &format!("{version_path}/restore"),
            &format!("{version_template}/restore"),
            Some(&t),
            204,
        );

        api.json(Method::DELETE, &pkg_path, &pkg_template, Some(&t), 204);
        api.json(Method::GET, &pkg_path, &pkg_template, Some(&t), 404);
        api.json(
            Method::POST,
            &format!("{pkg_path}/restore"),
            &format!("{pkg_template}/restore"),
            Some(&t),
            204,
        );
        let restored = api.json(Method::GET, &pkg_path, &pkg_template, Some(&t), 200);
        assert_eq!(restored["version_count"], 2);

        let conflicts = api.json(
            Method::GET,
            &format!("{prefix}/docker/conflicts"),
            &format!("{template}/docker/conflicts"),
            Some(&t),
            200,
        );
        api.spec.check("package", &conflicts, true);
    }
    assert_eq!(api.operations.len(), 27, "{:#?}", api.operations);
}

#[test]
fn pagination_walks_250_packages_by_following_link() {
    let (_dir, server) = setup(&[]);
    let t = token(&server, "alice", "read:packages,write:packages");
    for i in 0..250 {
        publish(&server, &t, &format!("@alice/pkg-{i:03}"), "1.0.0");
    }
    let client = Client::new();
    let mut url = Some(server.url("/api/v3/users/alice/packages?package_type=npm&per_page=100"));
    let mut names = BTreeSet::new();
    let mut pages = 0;
    while let Some(next) = url.take() {
        let response = client.get(&next).bearer_auth(&t).send().unwrap();
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let page: Vec<Value> = response.json().unwrap();
        pages += 1;
        names.extend(page.iter().map(|p| p["name"].as_str().unwrap().to_owned()));
        if let Some(link) = link {
            assert!(
                link.contains("rel=\"last\"") || link.contains("rel=\"first\""),
                "{link}"
            );
            url = link
                .split(", ")
                .find(|l| l.ends_with("rel=\"next\""))
                .map(|l| {
                    l.trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap()
                        .to_owned()
                });
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 250);
    let too_far = client
        .get(server.url("/api/v3/users/alice/packages?package_type=npm&per_page=100&page=101"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(too_far.status(), 400);
}

#[test]
fn list_parameters_are_checked_like_githubs() {
    let (_dir, server) = setup(&[]);
    let t = token(&server, "alice", "read:packages,write:packages");
    publish(&server, &t, "@alice/hello", "1.0.0");
    let client = Client::new();
    let get = |path: &str| {
        client
            .get(server.url(&format!("/api/v3{path}")))
            .bearer_auth(&t)
            .send()
            .unwrap()
    };
    assert_eq!(
        get("/user/packages").status(),
        400,
        "package_type is required"
    );
    assert_eq!(get("/user/packages?package_type=bogus").status(), 400);
    assert_eq!(
        get("/user/packages?package_type=npm&visibility=secret").status(),
        400
    );
    let public: Vec<Value> = get("/user/packages?package_type=npm&visibility=public")
        .json()
        .unwrap();
    assert!(public.is_empty());
    let private: Vec<Value> = get("/user/packages?package_type=npm&visibility=private")
        .json()
        .unwrap();
    assert_eq!(private.len(), 1);
    assert_eq!(
        get("/user/packages/npm/hello/versions?state=bogus").status(),
        400
    );
    assert_eq!(
        get("/orgs/alice/packages?package_type=npm").status(),
        404,
        "alice is a user, not an org"
    );
}

#[test]
fn deleting_the_last_version_is_refused_with_githubs_advice() {
    let (_dir, server) = setup(&[]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/solo", "1.0.0");
    let client = Client::new();
    let versions: Vec<Value> = client
        .get(server.url("/api/v3/user/packages/npm/solo/versions"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = versions[0]["id"].as_i64().unwrap();
    let refused = client
        .delete(server.url(&format!("/api/v3/user/packages/npm/solo/versions/{id}")))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().unwrap();
    assert_eq!(
        body["message"],
        "You cannot delete the last version of a package. You must delete the package instead."
    );
}

#[test]
fn public_versions_past_the_download_threshold_cannot_be_deleted() {
    let (_dir, server) = setup(&["--delete-download-limit", "2"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/popular", "1.0.0");
    publish(&server, &t, "@alice/popular", "1.1.0");
    let client = Client::new();
    for _ in 0..3 {
        let r = client
            .get(server.url("/npm/@alice/popular/-/popular-1.0.0.tgz"))
            .bearer_auth(&t)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let versions: Vec<Value> = client
        .get(server.url("/api/v3/user/packages/npm/popular/versions"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let popular = versions.iter().find(|v| v["name"] == "1.0.0").unwrap();
    assert_eq!(popular["download_count"], 3);
    let version_url = server.url(&format!(
        "/api/v3/user/packages/npm/popular/versions/{}",
        popular["id"]
    ));

    // Private: deletable whatever the downloads.
    assert_eq!(
        client
            .delete(&version_url)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        client
            .post(format!("{version_url}/restore"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );

    let patched = client
        .patch(server.url("/api/v3/user/packages/npm/popular"))
        .bearer_auth(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    assert_eq!(patched.status(), 200);
    let refused = client.delete(&version_url).bearer_auth(&t).send().unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("more than 2 downloads")
    );
    assert_eq!(
        client
            .delete(server.url("/api/v3/user/packages/npm/popular"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        403
    );

    // Public is for good.
    let back = client
        .patch(server.url("/api/v3/user/packages/npm/popular"))
        .bearer_auth(&t)
        .json(&json!({"visibility": "private"}))
        .send()
        .unwrap();
    assert_eq!(back.status(), 403);
    let anonymous: Vec<Value> = client
        .get(server.url("/api/v3/users/alice/packages?package_type=npm"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        anonymous.len(),
        1,
        "public packages are listed to anonymous callers"
    );
}

#[test]
fn missing_scopes_get_403_naming_the_scope() {
    let (_dir, server) = setup(&[]);
    let writer = token(&server, "alice", "read:packages,write:packages");
    publish(&server, &writer, "@alice/hello", "1.0.0");
    let client = Client::new();
    let refused = client
        .delete(server.url("/api/v3/user/packages/npm/hello"))
        .bearer_auth(&writer)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.headers()["x-accepted-oauth-scopes"],
        "delete:packages, read:packages"
    );
    assert!(
        refused.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("delete:packages")
    );

    let repo_only = token(&server, "alice", "repo");
    let listed = client
        .get(server.url("/api/v3/user/packages?package_type=npm"))
        .bearer_auth(&repo_only)
        .send()
        .unwrap();
    assert_eq!(listed.status(), 403);
    assert_eq!(listed.headers()["x-accepted-oauth-scopes"], "read:packages");
    assert!(
        listed.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("read:packages")
    );

    let deleter_without_write = token(&server, "alice", "read:packages,delete:packages");
    assert_eq!(
        client
            .delete(server.url("/api/v3/user/packages/npm/hello"))
            .bearer_auth(&deleter_without_write)
            .send()
            .unwrap()
            .status(),
        204
    );
    let restore = client
        .post(server.url("/api/v3/user/packages/npm/hello/restore"))
        .bearer_auth(&deleter_without_write)
        .send()
        .unwrap();
    assert_eq!(restore.status(), 403, "restoring needs write:packages");
}

#[test]
fn another_users_private_package_is_404_and_anonymous_callers_get_401() {
    let (_dir, server) = setup(&[]);
    let alice = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let bob = token(
        &server,
        "bob",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &alice, "@alice/hello", "1.0.0");
    let client = Client::new();
    let url = server.url("/api/v3/users/alice/packages/npm/hello");
    assert_eq!(
        client.get(&url).bearer_auth(&bob).send().unwrap().status(),
        404
    );
    assert_eq!(
        client
            .delete(&url)
            .bearer_auth(&bob)
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(client.get(&url).send().unwrap().status(), 401);
    let listed: Vec<Value> = client
        .get(server.url("/api/v3/users/alice/packages?package_type=npm"))
        .bearer_auth(&bob)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(listed.is_empty());
    assert_eq!(
        client
            .get(server.url("/api/v3/user/packages?package_type=npm"))
            .send()
            .unwrap()
            .status(),
        401
    );
}

#[test]
fn a_deleted_version_vanishes_from_npm_and_comes_back_bit_identical() {
    let (_dir, server) = setup(&[]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/hello", "1.0.0");
    publish(&server, &t, "@alice/hello", "1.1.0");
    let client = Client::new();
    let tarball = server.url("/npm/@alice/hello/-/hello-1.0.0.tgz");
    let before = sha2::Sha256::digest(
        client
            .get(&tarball)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .bytes()
            .unwrap(),
    );
    let versions: Vec<Value> = client
        .get(server.url("/api/v3/user/packages/npm/hello/versions"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let id = versions.iter().find(|v| v["name"] == "1.0.0").unwrap()["id"].clone();
    let version_url = server.url(&format!("/api/v3/user/packages/npm/hello/versions/{id}"));
    assert_eq!(
        client
            .delete(&version_url)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        client
            .get(&tarball)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    let packument: Value = client
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(packument["versions"].get("1.0.0").is_none());
    assert_eq!(
        client
            .post(format!("{version_url}/restore"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    let after = sha2::Sha256::digest(
        client
            .get(&tarball)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .bytes()
            .unwrap(),
    );
    assert_eq!(before, after);

    // The whole package too.
    assert_eq!(
        client
            .delete(server.url("/api/v3/user/packages/npm/hello"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        client
            .get(server.url("/npm/@alice%2fhello"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    // The name is taken again meanwhile: restore fails clearly.
    publish(&server, &t, "@alice/hello", "2.0.0");
    let blocked = client
        .post(server.url("/api/v3/user/packages/npm/hello/restore"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(blocked.status(), 409);
    assert!(
        blocked.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("delete it before restoring")
    );
}

#[test]
fn rate_limit_headers_count_down_and_the_limit_is_enforced() {
    let (_dir, server) = setup(&["--api-rate-limit", "3"]);
    let t = token(&server, "alice", "read:packages");
    let client = Client::new();
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = client
            .get(server.url("/api/v3/user"))
            .bearer_auth(&t)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-ratelimit-limit"], "3");
        assert_eq!(r.headers()["x-ratelimit-resource"], "core");
        assert!(
            r.headers()["x-ratelimit-reset"]
                .to_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > 1_700_000_000
        );
        remaining.push(
            r.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let over = client
        .get(server.url("/api/v3/user"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(over.status(), 403);
    assert_eq!(over.headers()["x-ratelimit-remaining"], "0");
    assert!(
        over.json::<Value>().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("rate limit")
    );
    let other = token(&server, "bob", "read:packages");
    assert_eq!(
        client
            .get(server.url("/api/v3/user"))
            .bearer_auth(&other)
            .send()
            .unwrap()
            .status(),
        200,
        "limits are per token"
    );
}

#[test]
fn octokit_lists_paginates_gets_deletes_and_restores_with_only_base_url_changed() {
    let (_dir, server) = setup(&[]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/hello", "1.0.0");
    publish(&server, &t, "@alice/hello", "1.1.0");
    for i in 0..120 {
        publish(&server, &t, &format!("@alice/extra-{i:03}"), "1.0.0");
    }
    let support = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/octokit");
    assert!(
        std::path::Path::new(support)
            .join("node_modules/@octokit/rest")
            .exists(),
        "run scripts/test (it installs @octokit/rest from the lockfile)"
    );
    let out = Command::new("node")
        .args([
            &format!("{support}/octokit.mjs"),
            &server.url("/api/v3"),
            &t,
            "alice",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        result,
        json!({
            "login": "alice", "mine": 121, "theirs": 121, "versionCount": 2,
            "versions": ["1.1.0", "1.0.0"], "deleted": ["1.0.0"],
            "afterDelete": 404, "restoredVersionCount": 2,
        })
    );
}

#[test]
fn the_schema_check_catches_a_malformed_body() {
    let spec = Schemas::packages();
    let malformed = json!({"id": "one", "name": 1});
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        spec.check("package", &malformed, false);
    }));
    assert!(
        caught.is_err(),
        "a package without its required fields must not validate"
    );
    let null_owner = json!({
        "id": 1, "name": "x", "package_type": "npm", "visibility": "private", "url": "u", "html_url": "h",
        "version_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "owner": null, "repository": null,
    });
    spec.check("package", &null_owner, false);
}

//! GitHub's REST API for packages, in process: every operation, each body
//! validated against GitHub's own OpenAPI description. (Octokit against a
//! served registry: `tests/binary/rest_api.rs`.)
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::openapi::Schemas;
use crate::common::publish_doc;
use crate::test_app::{TestApp, TestResponse};

struct Api<'a> {
    app: &'a TestApp,
    spec: Schemas,
    operations: BTreeSet<String>,
}

impl<'a> Api<'a> {
    fn new(app: &'a TestApp) -> Api<'a> {
        Api {
            app,
            spec: Schemas::packages(),
            operations: BTreeSet::new(),
        }
    }

    /// Calls `METHOD /api/v3{path}`, recording the operation's template.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        template: &str,
        token: Option<&str>,
    ) -> TestResponse {
        self.operations.insert(format!("{method} {template}"));
        let mut request = self.app.request(method, &format!("/api/v3{path}"));
        if let Some(t) = token {
            request = request.bearer(t);
        }
        let response = request.send().await;
        if response.status() != 204 {
            assert_eq!(
                response.headers()["content-type"],
                "application/json; charset=utf-8",
                "{template}"
            );
        }
        response
    }

    async fn json(
        &mut self,
        method: Method,
        path: &str,
        template: &str,
        token: Option<&str>,
        status: u16,
    ) -> Value {
        let response = self.call(method, path, template, token).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        if status == 204 {
            return Value::Null;
        }
        let body: Value = response.json();
        if status >= 400 {
            self.spec.check("basic-error", &body, false);
        }
        body
    }
}

async fn publish(app: &TestApp, t: &str, name: &str, version: &str) {
    let path = name.replace('/', "%2f");
    let status = app
        .put(&format!("/npm/{path}"))
        .bearer(t)
        .json(&publish_doc(name, version, ""))
        .send()
        .await
        .status();
    assert_eq!(status, 201, "publishing {name}@{version}");
}

/// The binary's defaults and `extra_args`; alice and bob, and the
/// organization acme that alice owns.
async fn setup(extra_args: &[&str]) -> TestApp {
    let app = TestApp::with_args(extra_args).await;
    for user in ["alice", "bob"] {
        app.user(user).await;
    }
    app.org("acme", "alice").await;
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn all_27_operations_answer_in_githubs_shapes() {
    let app = setup(&[]).await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for name in ["@alice/hello", "@acme/tool"] {
        publish(&app, &t, name, "1.0.0").await;
        publish(&app, &t, name, "1.1.0").await;
    }
    let mut api = Api::new(&app);
    for (prefix, template, name) in [
        ("/user", "/user", "hello"),
        ("/users/alice", "/users/{username}", "hello"),
        ("/orgs/acme", "/orgs/{org}", "tool"),
    ] {
        let list = api
            .json(
                Method::GET,
                &format!("{prefix}/packages?package_type=npm"),
                &format!("{template}/packages"),
                Some(&t),
                200,
            )
            .await;
        api.spec.check("package", &list, true);
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["name"], name);

        let pkg_path = format!("{prefix}/packages/npm/{name}");
        let pkg_template = format!("{template}/packages/{{package_type}}/{{package_name}}");
        let package = api
            .json(Method::GET, &pkg_path, &pkg_template, Some(&t), 200)
            .await;
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
            app.url(&format!("/{owner_segment}/packages/npm/package/{name}"))
        );

        let versions = api
            .json(
                Method::GET,
                &format!("{pkg_path}/versions"),
                &format!("{pkg_template}/versions"),
                Some(&t),
                200,
            )
            .await;
        api.spec.check("package-version", &versions, true);
        assert_eq!(versions[0]["name"], "1.1.0", "newest first");
        let old_id = versions[1]["id"].as_i64().unwrap();
        let version_path = format!("{pkg_path}/versions/{old_id}");
        let version_template = format!("{pkg_template}/versions/{{package_version_id}}");
        let version = api
            .json(Method::GET, &version_path, &version_template, Some(&t), 200)
            .await;
        api.spec.check("package-version", &version, false);
        assert_eq!(version["metadata"]["package_type"], "npm");
        assert_eq!(version["package_html_url"], package["html_url"]);

        api.json(
            Method::DELETE,
            &version_path,
            &version_template,
            Some(&t),
            204,
        )
        .await;
        let deleted = api
            .json(
                Method::GET,
                &format!("{pkg_path}/versions?state=deleted"),
                &format!("{pkg_template}/versions"),
                Some(&t),
                200,
            )
            .await;
        api.spec.check("package-version", &deleted, true);
        assert_eq!(deleted[0]["id"], old_id);
        assert!(deleted[0]["deleted_at"].is_string());
        api.json(
            Method::POST,
            &format!("{version_path}/restore"),
            &format!("{version_template}/restore"),
            Some(&t),
            204,
        )
        .await;

        api.json(Method::DELETE, &pkg_path, &pkg_template, Some(&t), 204)
            .await;
        api.json(Method::GET, &pkg_path, &pkg_template, Some(&t), 404)
            .await;
        api.json(
            Method::POST,
            &format!("{pkg_path}/restore"),
            &format!("{pkg_template}/restore"),
            Some(&t),
            204,
        )
        .await;
        let restored = api
            .json(Method::GET, &pkg_path, &pkg_template, Some(&t), 200)
            .await;
        assert_eq!(restored["version_count"], 2);

        let conflicts = api
            .json(
                Method::GET,
                &format!("{prefix}/docker/conflicts"),
                &format!("{template}/docker/conflicts"),
                Some(&t),
                200,
            )
            .await;
        api.spec.check("package", &conflicts, true);
    }
    assert_eq!(api.operations.len(), 27, "{:#?}", api.operations);
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_walks_250_packages_by_following_link() {
    let app = setup(&[]).await;
    let t = app.token("alice", "read:packages,write:packages").await;
    for i in 0..250 {
        publish(&app, &t, &format!("@alice/pkg-{i:03}"), "1.0.0").await;
    }
    let mut url = Some(app.url("/api/v3/users/alice/packages?package_type=npm&per_page=100"));
    let mut names = BTreeSet::new();
    let mut pages = 0;
    while let Some(next) = url.take() {
        let response = app.get(&next).bearer(&t).send().await;
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let page: Vec<Value> = response.json();
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
    let too_far = app
        .get("/api/v3/users/alice/packages?package_type=npm&per_page=100&page=101")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(too_far.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_parameters_are_checked_like_githubs() {
    let app = setup(&[]).await;
    let t = app.token("alice", "read:packages,write:packages").await;
    publish(&app, &t, "@alice/hello", "1.0.0").await;
    let get = async |path: &str| app.get(&format!("/api/v3{path}")).bearer(&t).send().await;
    assert_eq!(
        get("/user/packages").await.status(),
        400,
        "package_type is required"
    );
    assert_eq!(get("/user/packages?package_type=bogus").await.status(), 400);
    assert_eq!(
        get("/user/packages?package_type=npm&visibility=secret")
            .await
            .status(),
        400
    );
    let public: Vec<Value> = get("/user/packages?package_type=npm&visibility=public")
        .await
        .json();
    assert!(public.is_empty());
    let private: Vec<Value> = get("/user/packages?package_type=npm&visibility=private")
        .await
        .json();
    assert_eq!(private.len(), 1);
    assert_eq!(
        get("/user/packages/npm/hello/versions?state=bogus")
            .await
            .status(),
        400
    );
    assert_eq!(
        get("/orgs/alice/packages?package_type=npm").await.status(),
        404,
        "alice is a user, not an org"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_last_version_is_refused_with_githubs_advice() {
    let app = setup(&[]).await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    publish(&app, &t, "@alice/solo", "1.0.0").await;
    let versions: Vec<Value> = app
        .get("/api/v3/user/packages/npm/solo/versions")
        .bearer(&t)
        .send()
        .await
        .json();
    let id = versions[0]["id"].as_i64().unwrap();
    let refused = app
        .delete(&format!("/api/v3/user/packages/npm/solo/versions/{id}"))
        .bearer(&t)
        .send()
        .await;
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json();
    assert_eq!(
        body["message"],
        "You cannot delete the last version of a package. You must delete the package instead."
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn another_user_pages_through_only_what_they_may_read() {
    let app = setup(&[]).await;
    let t = app.token("alice", "read:packages,write:packages").await;
    for name in ["a", "b", "c"] {
        publish(&app, &t, &format!("@alice/{name}"), "1.0.0").await;
    }
    for name in ["a", "c"] {
        crate::test_app::make_public(&app, &t, "npm", name).await;
    }
    let bob = app.token("bob", "read:packages").await;
    let page = |n: u32| {
        let app = &app;
        let bob = bob.clone();
        async move {
            let r = app
                .get(&format!(
                    "/api/v3/users/alice/packages?package_type=npm&per_page=1&page={n}"
                ))
                .bearer(&bob)
                .send()
                .await;
            assert_eq!(r.status(), 200);
            let link = r.headers()["link"].to_str().unwrap().to_owned();
            let names: Vec<Value> = r
                .json::<Vec<Value>>()
                .iter()
                .map(|p| p["name"].clone())
                .collect();
            (names, link)
        }
    };
    let (first, link) = page(1).await;
    assert_eq!(first, ["a"]);
    assert!(
        link.contains("&page=2&per_page=1>; rel=\"last\""),
        "two readable, not three: {link}"
    );
    let (second, _) = page(2).await;
    assert_eq!(second, ["c"], "b is private and never listed");
    // With a visibility asked for, the same packages.
    let public: Vec<Value> = app
        .get("/api/v3/users/alice/packages?package_type=npm&visibility=public")
        .bearer(&bob)
        .send()
        .await
        .json();
    let names: Vec<_> = public.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["a", "c"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_counts_each_packages_own_live_versions_and_downloads() {
    let app = setup(&[]).await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    for version in ["1.0.0", "1.1.0", "1.2.0"] {
        publish(&app, &t, "@alice/three", version).await;
    }
    publish(&app, &t, "@alice/one", "1.0.0").await;
    for _ in 0..2 {
        let got = app
            .get("/npm/@alice/three/-/three-1.0.0.tgz")
            .bearer(&t)
            .send()
            .await;
        assert_eq!(got.status(), 200);
    }
    let got = app
        .get("/npm/@alice/one/-/one-1.0.0.tgz")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(got.status(), 200);
    // A deleted version is not counted; its downloads still are.
    let versions: Vec<Value> = app
        .get("/api/v3/user/packages/npm/three/versions")
        .bearer(&t)
        .send()
        .await
        .json();
    let first = versions.iter().find(|v| v["name"] == "1.0.0").unwrap();
    let deleted = app
        .delete(&format!(
            "/api/v3/user/packages/npm/three/versions/{}",
            first["id"]
        ))
        .bearer(&t)
        .send()
        .await;
    assert_eq!(deleted.status(), 204);

    let listed: Vec<Value> = app
        .get("/api/v3/user/packages?package_type=npm")
        .bearer(&t)
        .send()
        .await
        .json();
    let counts = |name: &str| {
        let p = listed.iter().find(|p| p["name"] == name).unwrap();
        (p["version_count"].clone(), p["download_count"].clone())
    };
    assert_eq!(counts("three"), (2.into(), 2.into()));
    assert_eq!(counts("one"), (1.into(), 1.into()));
    // One package's answer counts the same.
    let three: Value = app
        .get("/api/v3/user/packages/npm/three")
        .bearer(&t)
        .send()
        .await
        .json();
    assert_eq!(
        (
            three["version_count"].clone(),
            three["download_count"].clone()
        ),
        (2.into(), 2.into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn public_versions_past_the_download_threshold_cannot_be_deleted() {
    let app = setup(&["--delete-download-limit", "2"]).await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    publish(&app, &t, "@alice/popular", "1.0.0").await;
    publish(&app, &t, "@alice/popular", "1.1.0").await;
    for _ in 0..3 {
        let r = app
            .get("/npm/@alice/popular/-/popular-1.0.0.tgz")
            .bearer(&t)
            .send()
            .await;
        assert_eq!(r.status(), 200);
    }
    let versions: Vec<Value> = app
        .get("/api/v3/user/packages/npm/popular/versions")
        .bearer(&t)
        .send()
        .await
        .json();
    let popular = versions.iter().find(|v| v["name"] == "1.0.0").unwrap();
    assert_eq!(popular["download_count"], 3);
    let version_url = app.url(&format!(
        "/api/v3/user/packages/npm/popular/versions/{}",
        popular["id"]
    ));

    // Private: deletable whatever the downloads.
    assert_eq!(
        app.delete(&version_url).bearer(&t).send().await.status(),
        204
    );
    assert_eq!(
        app.post(&format!("{version_url}/restore"))
            .bearer(&t)
            .send()
            .await
            .status(),
        204
    );

    let patched = app
        .patch("/api/v3/user/packages/npm/popular")
        .bearer(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .await;
    assert_eq!(patched.status(), 200);
    let refused = app.delete(&version_url).bearer(&t).send().await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("more than 2 downloads")
    );
    assert_eq!(
        app.delete("/api/v3/user/packages/npm/popular")
            .bearer(&t)
            .send()
            .await
            .status(),
        403
    );

    // Public is for good.
    let back = app
        .patch("/api/v3/user/packages/npm/popular")
        .bearer(&t)
        .json(&json!({"visibility": "private"}))
        .send()
        .await;
    assert_eq!(back.status(), 403);
    let anonymous: Vec<Value> = app
        .get("/api/v3/users/alice/packages?package_type=npm")
        .send()
        .await
        .json();
    assert_eq!(
        anonymous.len(),
        1,
        "public packages are listed to anonymous callers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_scopes_get_403_naming_the_scope() {
    let app = setup(&[]).await;
    let writer = app.token("alice", "read:packages,write:packages").await;
    publish(&app, &writer, "@alice/hello", "1.0.0").await;
    let refused = app
        .delete("/api/v3/user/packages/npm/hello")
        .bearer(&writer)
        .send()
        .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.headers()["x-accepted-oauth-scopes"],
        "delete:packages, read:packages"
    );
    assert!(
        refused.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("delete:packages")
    );

    let repo_only = app.token("alice", "repo").await;
    let listed = app
        .get("/api/v3/user/packages?package_type=npm")
        .bearer(&repo_only)
        .send()
        .await;
    assert_eq!(listed.status(), 403);
    assert_eq!(listed.headers()["x-accepted-oauth-scopes"], "read:packages");
    assert!(
        listed.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("read:packages")
    );

    let deleter_without_write = app.token("alice", "read:packages,delete:packages").await;
    assert_eq!(
        app.delete("/api/v3/user/packages/npm/hello")
            .bearer(&deleter_without_write)
            .send()
            .await
            .status(),
        204
    );
    let restore = app
        .post("/api/v3/user/packages/npm/hello/restore")
        .bearer(&deleter_without_write)
        .send()
        .await;
    assert_eq!(restore.status(), 403, "restoring needs write:packages");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_users_private_package_is_404_and_anonymous_callers_get_401() {
    let app = setup(&[]).await;
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let bob = app
        .token("bob", "read:packages,write:packages,delete:packages")
        .await;
    publish(&app, &alice, "@alice/hello", "1.0.0").await;
    let url = app.url("/api/v3/users/alice/packages/npm/hello");
    assert_eq!(app.get(&url).bearer(&bob).send().await.status(), 404);
    assert_eq!(app.delete(&url).bearer(&bob).send().await.status(), 404);
    assert_eq!(app.get(&url).send().await.status(), 401);
    let listed: Vec<Value> = app
        .get("/api/v3/users/alice/packages?package_type=npm")
        .bearer(&bob)
        .send()
        .await
        .json();
    assert!(listed.is_empty());
    assert_eq!(
        app.get("/api/v3/user/packages?package_type=npm")
            .send()
            .await
            .status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_version_vanishes_from_npm_and_comes_back_bit_identical() {
    let app = setup(&[]).await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    publish(&app, &t, "@alice/hello", "1.0.0").await;
    publish(&app, &t, "@alice/hello", "1.1.0").await;
    let tarball = app.url("/npm/@alice/hello/-/hello-1.0.0.tgz");
    let before = sha2::Sha256::digest(app.get(&tarball).bearer(&t).send().await.bytes());
    let versions: Vec<Value> = app
        .get("/api/v3/user/packages/npm/hello/versions")
        .bearer(&t)
        .send()
        .await
        .json();
    let id = versions.iter().find(|v| v["name"] == "1.0.0").unwrap()["id"].clone();
    let version_url = app.url(&format!("/api/v3/user/packages/npm/hello/versions/{id}"));
    assert_eq!(
        app.delete(&version_url).bearer(&t).send().await.status(),
        204
    );
    assert_eq!(app.get(&tarball).bearer(&t).send().await.status(), 404);
    let packument: Value = app
        .get("/npm/@alice%2fhello")
        .bearer(&t)
        .send()
        .await
        .json();
    assert!(packument["versions"].get("1.0.0").is_none());
    assert_eq!(
        app.post(&format!("{version_url}/restore"))
            .bearer(&t)
            .send()
            .await
            .status(),
        204
    );
    let after = sha2::Sha256::digest(app.get(&tarball).bearer(&t).send().await.bytes());
    assert_eq!(before, after);

    // The whole package too.
    assert_eq!(
        app.delete("/api/v3/user/packages/npm/hello")
            .bearer(&t)
            .send()
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get("/npm/@alice%2fhello")
            .bearer(&t)
            .send()
            .await
            .status(),
        404
    );
    // The name is taken again meanwhile: restore fails clearly.
    publish(&app, &t, "@alice/hello", "2.0.0").await;
    let blocked = app
        .post("/api/v3/user/packages/npm/hello/restore")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(blocked.status(), 409);
    assert!(
        blocked.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("delete it before restoring")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_headers_count_down_and_the_limit_is_enforced() {
    let app = setup(&["--api-rate-limit", "3"]).await;
    let t = app.token("alice", "read:packages").await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let r = app.get("/api/v3/user").bearer(&t).send().await;
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
    let over = app.get("/api/v3/user").bearer(&t).send().await;
    assert_eq!(over.status(), 403);
    assert_eq!(over.headers()["x-ratelimit-remaining"], "0");
    assert!(
        over.json::<Value>()["message"]
            .as_str()
            .unwrap()
            .contains("rate limit")
    );
    let other = app.token("bob", "read:packages").await;
    assert_eq!(
        app.get("/api/v3/user").bearer(&other).send().await.status(),
        200,
        "limits are per token"
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

/// What GitHub's clients read before anything else: the root with the
/// token's scopes, `/meta`, `/rate_limit` (which costs nothing), and
/// `ETag`s that answer 304.
#[tokio::test(flavor = "multi_thread")]
async fn the_root_meta_rate_limit_and_etags_are_githubs() {
    let app = TestApp::new().await;
    app.user("alice").await;
    let t = app.token("alice", "read:packages,write:packages").await;
    for path in ["/api/v3/", "/api/v3"] {
        let root = app.get(path).bearer(&t).send().await;
        assert_eq!(root.status(), 200, "{path}");
        assert_eq!(
            root.header("x-oauth-scopes"),
            "read:packages, write:packages"
        );
        assert!(!root.header("x-github-request-id").is_empty());
    }
    let meta = app.get("/api/v3/meta").send().await;
    assert_eq!(meta.status(), 200);
    assert!(meta.json::<Value>()["installed_version"].is_string());

    let before = app.get("/api/v3/rate_limit").bearer(&t).send().await;
    let used = before.json::<Value>()["resources"]["core"]["used"].clone();
    let again = app.get("/api/v3/rate_limit").bearer(&t).send().await;
    assert_eq!(
        again.json::<Value>()["resources"]["core"]["used"],
        used,
        "free"
    );
    app.get("/api/v3/user").bearer(&t).send().await;
    let after: Value = app.get("/api/v3/rate_limit").bearer(&t).send().await.json();
    assert_eq!(
        after["resources"]["core"]["used"],
        used.as_u64().unwrap() + 1
    );
    assert_eq!(after["rate"], after["resources"]["core"]);

    let me = app.get("/api/v3/user").bearer(&t).send().await;
    let etag = me.header("etag").to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let unchanged = app
        .get("/api/v3/user")
        .bearer(&t)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(unchanged.status(), 304);
    assert_eq!(unchanged.header("etag"), etag);
    assert!(unchanged.bytes().is_empty());
}

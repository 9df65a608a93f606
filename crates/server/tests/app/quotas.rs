//! Quotas: a publish over an owner's, a format's or a package's quota is
//! refused saying which and how much is used, and keeps nothing; the
//! instance's default holds until a site administrator sets the owner's
//! own; only site administrators set quotas, over the REST API too.

use entrepot_core::PackageType;
use entrepot_core::quota::Limits;
use serde_json::{Value, json};

use crate::cleanup::app_with_gems;
use crate::common::artifacts::{gem_of, gemspec};
use crate::test_app::TestApp;

async fn push(app: &TestApp, token: &str, name: &str, version: &str) -> (u16, String) {
    let pushed = app
        .post("/rubygems/alice/api/v1/gems")
        .header("authorization", token)
        .body(gem_of(&gemspec(name, version, None), false))
        .send()
        .await;
    (pushed.status().as_u16(), pushed.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_over_a_quota_is_refused_saying_which_and_keeps_nothing() {
    let (app, alice) = app_with_gems().await;
    let registry = &app.registry;
    let governance = registry.governance();
    let owner = registry.accounts().account("alice").await.unwrap();
    let used = governance.usage(&owner).await.unwrap().bytes;
    let limits = |bytes, package_bytes, versions| Limits {
        bytes,
        package_bytes,
        versions,
    };
    governance
        .set_quota(&owner, None, limits(Some(used + 10), None, None))
        .await
        .unwrap();
    let (status, said) = push(&app, &alice, "snap", "5.0.0").await;
    assert_eq!(status, 403, "{said}");
    assert!(
        said.contains("quota exceeded: alice's packages use"),
        "{said}"
    );
    let info = app
        .get("/rubygems/alice/info/snap")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(!info.contains("5.0.0"), "nothing kept: {info}");
    assert_eq!(governance.usage(&owner).await.unwrap().bytes, used);

    // A quota limits something.
    governance
        .set_quota(&owner, None, Limits::default())
        .await
        .unwrap_err();
    governance.remove_quota(&owner, None).await.unwrap();

    // A version count per package, for one format.
    governance
        .set_quota(
            &owner,
            Some(PackageType::Rubygems),
            limits(None, None, Some(4)),
        )
        .await
        .unwrap();
    let (status, said) = push(&app, &alice, "snap", "5.0.0").await;
    assert_eq!(status, 403, "{said}");
    assert!(said.contains("snap has 4 versions"), "{said}");
    assert_eq!(push(&app, &alice, "keep", "3.0.0").await.0, 200);

    // Bytes per package: `keep` has room, `snap` has none.
    let usage = governance.usage(&owner).await.unwrap();
    let bytes_of = |name: &str| {
        usage
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .bytes
    };
    let most = bytes_of("snap") + 10;
    assert!(bytes_of("keep") + 3_000 < most, "a gem is small");
    governance
        .set_quota(&owner, None, limits(None, Some(most), None))
        .await
        .unwrap();
    let (status, said) = push(&app, &alice, "snap", "6.0.0").await;
    assert_eq!(status, 403, "{said}");
    assert!(
        said.contains("quota exceeded: the rubygems package alice/snap use"),
        "{said}"
    );
    assert_eq!(push(&app, &alice, "keep", "4.0.0").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_quota_holds_until_the_owner_has_its_own() {
    let app = TestApp::with_args(&["--default-quota-versions", "2"]).await;
    app.user("alice").await;
    app.site_admin("root").await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    let root = app.token("root", "read:packages,write:packages").await;
    assert_eq!(push(&app, &alice, "tiny", "1.0.0").await.0, 200);
    assert_eq!(push(&app, &alice, "tiny", "2.0.0").await.0, 200);
    let (status, said) = push(&app, &alice, "tiny", "3.0.0").await;
    assert_eq!(status, 403, "{said}");
    assert!(said.contains("tiny has 2 versions"), "{said}");

    let listed: Value = app
        .get("/api/v3/user/quotas")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(
        listed,
        json!([{"format": null, "bytes": null, "package_bytes": null,
                "versions": 2, "default": true}])
    );
    // alice may see her quotas but not change them; a site administrator may.
    let own = json!({"versions": 10, "bytes": 1_000_000});
    let refused = app
        .put("/api/v3/user/quotas/all")
        .bearer(&alice)
        .json(&own)
        .send()
        .await;
    assert_eq!(refused.status(), 403, "{}", refused.text());
    let set = app
        .put("/api/v3/users/alice/quotas/all")
        .bearer(&root)
        .json(&own)
        .send()
        .await;
    assert_eq!(set.status(), 200, "{}", set.text());
    assert_eq!(push(&app, &alice, "tiny", "3.0.0").await.0, 200);
    let listed: Value = app
        .get("/api/v3/user/quotas")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(listed[0]["default"], false);
    assert_eq!(listed[0]["versions"], 10);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    // An upstream's cache is bounded by the cache's own limit, not this.
    app.registry
        .upstreams()
        .add_upstream(entrepot_service::upstreams::UpstreamRequest {
            name: "oci-up".into(),
            format: "container".into(),
            url: "http://127.0.0.1:9/".into(),
            username: None,
            password: None,
            metadata_ttl: None,
            is_default: false,
        })
        .await
        .unwrap();
    let upstream = app.registry.accounts().account("oci-up").await.unwrap();
    let governance = app.registry.governance();
    assert!(
        governance
            .quotas_in_force(&upstream)
            .await
            .unwrap()
            .is_empty()
    );

    let path = "/api/v3/users/alice/quotas/all";
    assert_eq!(app.delete(path).bearer(&alice).send().await.status(), 403);
    assert_eq!(app.delete(path).bearer(&root).send().await.status(), 204);
    assert_eq!(app.delete(path).bearer(&root).send().await.status(), 404);
    let (status, _) = push(&app, &alice, "tiny", "4.0.0").await;
    assert_eq!(status, 403, "the default holds again");
}

#[tokio::test(flavor = "multi_thread")]
async fn who_may_see_and_set_quotas() {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    app.site_admin("root").await;
    let bob = app.token("bob", "read:packages,write:packages").await;
    let root = app.token("root", "read:packages,write:packages").await;
    let root_read = app.token("root", "read:packages").await;
    let path = "/api/v3/users/alice/quotas/npm";
    let body = json!({"package_bytes": 1_000});
    for (token, status) in [(&bob, 403), (&root_read, 403), (&root, 200)] {
        let answer = app.put(path).bearer(token).json(&body).send().await;
        assert_eq!(answer.status(), status, "{}", answer.text());
    }
    assert_eq!(app.put(path).json(&body).send().await.status(), 401);
    assert_eq!(
        app.get("/api/v3/users/alice/quotas")
            .bearer(&bob)
            .send()
            .await
            .status(),
        403
    );
    let listed: Value = app
        .get("/api/v3/users/alice/quotas")
        .bearer(&root)
        .send()
        .await
        .json();
    assert_eq!(listed[0]["format"], "npm");
    assert_eq!(listed[0]["package_bytes"], 1_000);
    for (scope, body, said) in [
        ("npm", json!({}), "a quota limits"),
        ("nonsense", json!({"bytes": 1}), "not a package format"),
        ("npm", json!({"bytes": -1}), "Problems parsing JSON"),
        ("npm", json!({"size": 1}), "Problems parsing JSON"),
    ] {
        let answer = app
            .put(&format!("/api/v3/users/alice/quotas/{scope}"))
            .bearer(&root)
            .json(&body)
            .send()
            .await;
        assert_eq!(answer.status(), 422, "{scope} {body}: {}", answer.text());
        assert!(answer.text().contains(said), "{}", answer.text());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_declared_too_big_is_refused_before_its_body_is_read() {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.repo("alice/tiny").await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    let owner = app.registry.accounts().account("alice").await.unwrap();
    app.registry
        .governance()
        .set_quota(
            &owner,
            None,
            Limits {
                bytes: Some(1_000),
                ..Limits::default()
            },
        )
        .await
        .unwrap();
    // A body that never comes: only a refusal before reading it answers.
    let never = || {
        axum::body::Body::from_stream(futures::stream::pending::<
            Result<bytes::Bytes, std::io::Error>,
        >())
    };
    let digest = format!("sha256:{}", "ab".repeat(32));
    let requests = [
        app.post("/rubygems/alice/api/v1/gems")
            .header("authorization", &alice),
        app.put("/maven/alice/tiny/com/example/tiny/1.0.0/tiny-1.0.0.jar")
            .basic("alice", &alice),
        app.post(&format!("/v2/alice/big/blobs/uploads/?digest={digest}"))
            .basic("alice", &alice),
    ];
    for request in requests {
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            request
                .header("content-length", "2000000")
                .body(never())
                .send(),
        )
        .await
        .expect("refused without waiting for the body");
        assert_eq!(answer.status(), 403, "{}", answer.text());
        assert!(
            answer
                .text()
                .contains("quota exceeded: alice's packages use 0 B of their 1000 B"),
            "{}",
            answer.text()
        );
    }
}

/// Who may do what to an organization's governance settings: its owners
/// set rules and immutable tags, its members read them (and the quotas),
/// only site administrators set quotas, and others are refused.
#[tokio::test(flavor = "multi_thread")]
async fn the_permission_matrix_of_rules_immutable_tags_usage_and_quotas() {
    use axum::http::Method;
    use entrepot_core::OrgRole;
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    app.org("acme", "alice").await;
    app.org_member("acme", "bob", OrgRole::Member).await;
    let scopes = "read:packages,write:packages,delete:packages";
    let mut tokens = Vec::new();
    for user in ["alice", "bob", "carol", "root"] {
        tokens.push(app.token(user, scopes).await);
    }
    let rule = json!({"keep_newest": 3});
    let tag = json!({"pattern": "v*"});
    let quota = json!({"bytes": 1_000_000});
    // Expected status for alice (owner), bob (member), carol, root.
    let matrix: [(Method, &str, Option<&Value>, [u16; 4]); 10] = [
        (Method::GET, "cleanup/rules", None, [200, 200, 403, 200]),
        (
            Method::POST,
            "cleanup/rules",
            Some(&rule),
            [201, 403, 403, 201],
        ),
        (Method::POST, "cleanup/preview", None, [200, 403, 403, 200]),
        (Method::POST, "cleanup/run", None, [200, 403, 403, 200]),
        (Method::GET, "immutable-tags", None, [200, 200, 403, 200]),
        (
            Method::POST,
            "immutable-tags",
            Some(&tag),
            [201, 403, 403, 201],
        ),
        (Method::GET, "usage", None, [200, 403, 403, 200]),
        (Method::GET, "quotas", None, [200, 200, 403, 200]),
        (
            Method::PUT,
            "quotas/all",
            Some(&quota),
            [403, 403, 403, 200],
        ),
        (Method::DELETE, "quotas/all", None, [403, 403, 403, 204]),
    ];
    for (method, path, body, expected) in &matrix {
        let url = format!("/api/v3/orgs/acme/{path}");
        for ((who, token), status) in ["alice", "bob", "carol", "root"]
            .iter()
            .zip(&tokens)
            .zip(expected)
        {
            let mut request = app.request(method.clone(), &url).bearer(token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = request.send().await;
            assert_eq!(
                answer.status(),
                *status,
                "{who}: {method} {path}: {}",
                answer.text()
            );
        }
        let anonymous = app.request(method.clone(), &url).send().await;
        assert_eq!(anonymous.status(), 401, "anonymous: {method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_npm_tarball_stops_as_soon_as_it_crosses_the_quota() {
    use base64::Engine as _;
    use futures::StreamExt as _;
    let app = TestApp::new().await;
    app.user("alice").await;
    let alice = app.token("alice", "read:packages,write:packages").await;
    let owner = app.registry.accounts().account("alice").await.unwrap();
    app.registry
        .governance()
        .set_quota(
            &owner,
            None,
            Limits {
                bytes: Some(5_000),
                ..Limits::default()
            },
        )
        .await
        .unwrap();
    // The document and 20 KB of its tarball, then a body that never ends:
    // only a store that stops at the quota answers.
    let head = format!(
        r#"{{"name":"@alice/big","versions":{{"1.0.0":{{"name":"@alice/big","version":"1.0.0","dist":{{"tarball":"x"}}}}}},"_attachments":{{"big-1.0.0.tgz":{{"content_type":"application/octet-stream","data":"{}"#,
        base64::engine::general_purpose::STANDARD.encode(vec![7u8; 20_000])
    );
    let body = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(head))])
        .chain(futures::stream::pending());
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        app.put("/npm/@alice%2fbig")
            .bearer(&alice)
            .header("content-type", "application/json")
            .body(axum::body::Body::from_stream(body))
            .send(),
    )
    .await
    .expect("refused without waiting for the rest of the body");
    assert_eq!(answer.status(), 403, "{}", answer.text());
    assert!(
        answer
            .text()
            .contains("quota exceeded: alice's packages use 0 B of their 4.9 KiB quota"),
        "{}",
        answer.text()
    );
    assert_eq!(
        app.registry.governance().usage(&owner).await.unwrap().bytes,
        0
    );
}

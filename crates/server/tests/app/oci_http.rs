//! The distribution API at the HTTP level: what the conformance suite and
//! clients other than skopeo rely on.

use axum::http::Method;
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

use crate::test_app::{TestApp, TestRequest, TestResponse};

pub(crate) fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A user of the registry, signing in as docker does (Basic, the token).
pub(crate) struct Oci<'a> {
    pub app: &'a TestApp,
    pub user: &'a str,
    pub token: String,
}

impl Oci<'_> {
    pub(crate) fn req(&self, method: Method, path: &str) -> TestRequest {
        self.app.request(method, path).basic(self.user, &self.token)
    }

    pub(crate) async fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let r = self
            .req(
                Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
            )
            .body(bytes.to_vec())
            .send()
            .await;
        assert_eq!(r.status(), 201, "monolithic upload");
        assert_eq!(r.headers()["docker-content-digest"], digest.as_str());
        digest
    }

    pub(crate) async fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        manifest: &Value,
    ) -> TestResponse {
        self.req(Method::PUT, &format!("/v2/{repo}/manifests/{reference}"))
            .header("Content-Type", manifest["mediaType"].as_str().unwrap())
            .body(serde_json::to_vec(manifest).unwrap())
            .send()
            .await
    }

    /// An image manifest with one layer and a config, pushed under `tag`.
    pub(crate) async fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> (String, Value) {
        let layer_digest = self.push_blob(repo, layer).await;
        let config = br#"{"architecture":"amd64","os":"linux"}"#;
        let config_digest = self.push_blob(repo, config).await;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}],
        });
        let r = self.push_manifest(repo, tag, &manifest).await;
        assert_eq!(r.status(), 201);
        (sha256(&serde_json::to_vec(&manifest).unwrap()), manifest)
    }

    /// The status of `method path`.
    pub(crate) async fn status(&self, method: Method, path: &str) -> u16 {
        self.req(method, path).send().await.status().as_u16()
    }
}

pub(crate) fn error_code(r: &TestResponse) -> String {
    let body: Value = r.json();
    body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) async fn setup() -> TestApp {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    app
}

pub(crate) async fn alice(app: &TestApp) -> Oci<'_> {
    Oci {
        app,
        user: "alice",
        token: app
            .token("alice", "read:packages,write:packages,delete:packages")
            .await,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_uploads_continue_in_order_and_refuse_gaps_with_416() {
    let app = setup().await;
    let r = alice(&app).await;
    let start = r
        .req(Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .await;
    assert_eq!(start.status(), 202);
    let location = start.header("location").to_owned();
    let uuid = start.header("docker-upload-uuid").to_owned();
    assert!(location.ends_with(&uuid));

    let data = b"0123456789abcdefghij";
    let first = r
        .req(Method::PATCH, &location)
        .header("Content-Range", "0-9")
        .body(data[..10].to_vec())
        .send()
        .await;
    assert_eq!(first.status(), 202);
    assert_eq!(first.headers()["range"], "0-9");
    let gap = r
        .req(Method::PATCH, &location)
        .header("Content-Range", "15-19")
        .body(data[15..].to_vec())
        .send()
        .await;
    assert_eq!(gap.status(), 416, "out-of-order chunks are refused");
    let status = r.req(Method::GET, &location).send().await;
    assert_eq!(status.status(), 204);
    assert_eq!(status.headers()["range"], "0-9");

    // A streamed PATCH (no Content-Range) continues, and the PUT closes it
    // with the last chunk.
    let streamed = r
        .req(Method::PATCH, &location)
        .body(data[10..15].to_vec())
        .send()
        .await;
    assert_eq!(streamed.status(), 202);
    assert_eq!(streamed.headers()["range"], "0-14");
    let digest = sha256(data);
    let done = r
        .req(Method::PUT, &format!("{location}?digest={digest}"))
        .header("Content-Range", "15-19")
        .body(data[15..].to_vec())
        .send()
        .await;
    assert_eq!(done.status(), 201);
    assert_eq!(done.headers()["docker-content-digest"], digest.as_str());
    let blob_path = format!("/v2/alice/app/blobs/{digest}");
    let blob = r.req(Method::GET, &blob_path).send().await;
    assert_eq!(blob.headers()["docker-content-digest"], digest.as_str());
    assert_eq!(&blob.bytes()[..], data);
    let part = r
        .req(Method::GET, &blob_path)
        .header("Range", "bytes=2-4")
        .send()
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes()[..], b"234");
    let suffix = r
        .req(Method::GET, &blob_path)
        .header("Range", "bytes=-3")
        .send()
        .await;
    assert_eq!(suffix.status(), 206);
    assert_eq!(&suffix.bytes()[..], b"hij");
    let inverted = r
        .req(Method::GET, &blob_path)
        .header("Range", "bytes=5-1")
        .send()
        .await;
    assert_eq!(inverted.status(), 416);
    // The session is gone.
    assert_eq!(r.status(Method::GET, &location).await, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_digest_fails_the_upload_and_keeps_nothing() {
    let app = setup().await;
    let r = alice(&app).await;
    let start = r
        .req(Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .await;
    let location = start.header("location").to_owned();
    let wrong = sha256(b"something else");
    let put = r
        .req(Method::PUT, &format!("{location}?digest={wrong}"))
        .body(b"content".to_vec())
        .send()
        .await;
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(&put), "DIGEST_INVALID");
    let head = r
        .status(Method::HEAD, &format!("/v2/alice/app/blobs/{wrong}"))
        .await;
    assert_eq!(head, 404);
    let bad = r
        .req(
            Method::POST,
            "/v2/alice/app/blobs/uploads/?digest=sha256:nothex",
        )
        .body("x")
        .send()
        .await;
    assert_eq!(bad.status(), 400);
    assert_eq!(error_code(&bad), "DIGEST_INVALID");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_uploads_are_gone_and_sha512_blobs_work() {
    let app = setup().await;
    let r = alice(&app).await;
    let start = r
        .req(Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .await;
    let location = start.header("location").to_owned();
    assert_eq!(r.status(Method::DELETE, &location).await, 204);
    let gone = r.req(Method::GET, &location).send().await;
    assert_eq!(gone.status(), 404);
    assert_eq!(error_code(&gone), "BLOB_UPLOAD_UNKNOWN");

    let data = b"sha512 content";
    let digest = format!("sha512:{}", hex::encode(sha2::Sha512::digest(data)));
    let put = r
        .req(
            Method::POST,
            &format!("/v2/alice/app/blobs/uploads/?digest={digest}"),
        )
        .body(data.to_vec())
        .send()
        .await;
    assert_eq!(put.status(), 201);
    let head = r
        .req(Method::HEAD, &format!("/v2/alice/app/blobs/{digest}"))
        .send()
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        data.len().to_string().as_str()
    );
    assert_eq!(head.headers()["docker-content-digest"], digest.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn manifests_round_trip_byte_exact_by_tag_and_digest_and_check_their_blobs() {
    let app = setup().await;
    let r = alice(&app).await;
    let (digest, manifest) = r.push_image("alice/app", "v1", b"layer one").await;
    let by_tag = r
        .req(Method::GET, "/v2/alice/app/manifests/v1")
        .send()
        .await;
    assert_eq!(
        by_tag.headers()["content-type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(by_tag.headers()["docker-content-digest"], digest.as_str());
    assert_eq!(
        &by_tag.bytes()[..],
        serde_json::to_vec(&manifest).unwrap().as_slice()
    );
    let head = r
        .req(Method::HEAD, &format!("/v2/alice/app/manifests/{digest}"))
        .send()
        .await;
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("content-length"));

    let missing_blob = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"nope"), "size": 4},
        "layers": [],
    });
    let refused = r.push_manifest("alice/app", "v2", &missing_blob).await;
    assert_eq!(refused.status(), 400);
    assert_eq!(error_code(&refused), "MANIFEST_BLOB_UNKNOWN");
    let wrong_digest = r
        .push_manifest("alice/app", &sha256(b"other"), &manifest)
        .await;
    assert_eq!(wrong_digest.status(), 400);
    assert_eq!(error_code(&wrong_digest), "DIGEST_INVALID");
    let unknown = r
        .req(Method::GET, "/v2/alice/app/manifests/nope")
        .send()
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(&unknown), "MANIFEST_UNKNOWN");

    // ?tag= on a push by digest answers OCI-Tag for each.
    let tagged = r
        .req(
            Method::PUT,
            &format!("/v2/alice/app/manifests/{digest}?tag=a&tag=b"),
        )
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(serde_json::to_vec(&manifest).unwrap())
        .send()
        .await;
    assert_eq!(tagged.status(), 201);
    let oci_tags: Vec<_> = tagged
        .headers()
        .get_all("oci-tag")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(oci_tags, ["a", "b"]);

    // Tags list with n/last and Link.
    let page = r
        .req(Method::GET, "/v2/alice/app/tags/list?n=2")
        .send()
        .await;
    assert_eq!(
        page.headers()["link"],
        "</v2/alice/app/tags/list?n=2&last=b>; rel=\"next\""
    );
    let body: Value = page.json();
    assert_eq!(body, json!({"name": "alice/app", "tags": ["a", "b"]}));
    let rest: Value = r
        .req(Method::GET, "/v2/alice/app/tags/list?n=2&last=b")
        .send()
        .await
        .json();
    assert_eq!(rest["tags"], json!(["v1"]));
    let none: Value = r
        .req(Method::GET, "/v2/alice/app/tags/list?n=0")
        .send()
        .await
        .json();
    assert_eq!(none["tags"], json!([]));

    // Deleting a tag keeps the manifest; deleting the manifest removes it.
    let by_digest = format!("/v2/alice/app/manifests/{digest}");
    assert_eq!(
        r.status(Method::DELETE, "/v2/alice/app/manifests/a").await,
        202
    );
    assert_eq!(
        r.status(Method::GET, "/v2/alice/app/manifests/a").await,
        404
    );
    assert_eq!(r.status(Method::DELETE, &by_digest).await, 202);
    assert_eq!(r.status(Method::GET, &by_digest).await, 404);
    let layer = format!("/v2/alice/app/blobs/{}", sha256(b"layer one"));
    assert_eq!(r.status(Method::DELETE, &layer).await, 202);
    assert_eq!(r.status(Method::HEAD, &layer).await, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pulled_manifest_is_kept_only_until_its_tag_moves_or_it_goes() {
    let app = setup().await;
    let r = alice(&app).await;
    let (first, manifest) = r.push_image("alice/kept", "v1", b"layer one").await;
    let pull = async |reference: &str| {
        r.req(
            Method::GET,
            &format!("/v2/alice/kept/manifests/{reference}"),
        )
        .send()
        .await
    };
    for _ in 0..2 {
        let by_tag = pull("v1").await;
        assert_eq!(by_tag.status(), 200);
        assert_eq!(by_tag.headers()["docker-content-digest"], first.as_str());
        assert_eq!(by_tag.headers()["cache-control"], "private, no-cache");
        assert_eq!(
            &by_tag.bytes()[..],
            serde_json::to_vec(&manifest).unwrap().as_slice()
        );
    }
    let by_digest = pull(&first).await;
    assert_eq!(
        by_digest.headers()["cache-control"],
        "private, max-age=31536000, immutable"
    );
    let etag = by_digest.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", first.trim_start_matches("sha256:")));
    let current = r
        .req(Method::GET, &format!("/v2/alice/kept/manifests/{first}"))
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(current.status(), 304);
    let head = r
        .req(Method::HEAD, "/v2/alice/kept/manifests/v1")
        .send()
        .await;
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        by_digest.bytes().len().to_string().as_str()
    );
    assert!(head.bytes().is_empty());

    // The tag moves: the next pull by tag gets the new manifest.
    let (second, _) = r.push_image("alice/kept", "v1", b"layer two").await;
    assert_ne!(first, second);
    let moved = pull("v1").await;
    assert_eq!(moved.headers()["docker-content-digest"], second.as_str());
    assert_eq!(sha256(&moved.bytes()), second);
    // The first manifest, deleted after it was pulled, is gone.
    assert_eq!(pull(&first).await.status(), 200);
    assert_eq!(
        r.status(Method::DELETE, &format!("/v2/alice/kept/manifests/{first}"))
            .await,
        202
    );
    assert_eq!(pull(&first).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_artifact_with_a_subject_is_listed_by_the_referrers_api() {
    let app = setup().await;
    let r = alice(&app).await;
    let (subject, manifest) = r.push_image("alice/app", "v1", b"layer").await;
    let empty = r.push_blob("alice/app", b"{}").await;
    let signature = r.push_blob("alice/app", b"signature bytes").await;
    let artifact = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.signature",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": signature, "size": 15}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject,
                    "size": serde_json::to_vec(&manifest).unwrap().len()},
        "annotations": {"org.example.signed-by": "alice"},
    });
    let pushed = r
        .push_manifest(
            "alice/app",
            &sha256(&serde_json::to_vec(&artifact).unwrap()),
            &artifact,
        )
        .await;
    assert_eq!(pushed.status(), 201);
    assert_eq!(pushed.headers()["oci-subject"], subject.as_str());

    let referrers = r
        .req(Method::GET, &format!("/v2/alice/app/referrers/{subject}"))
        .send()
        .await;
    assert_eq!(
        referrers.headers()["content-type"],
        "application/vnd.oci.image.index.v1+json"
    );
    let index: Value = referrers.json();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(
        index["manifests"][0]["artifactType"],
        "application/vnd.example.signature"
    );
    assert_eq!(
        index["manifests"][0]["annotations"]["org.example.signed-by"],
        "alice"
    );

    let filtered = r
        .req(
            Method::GET,
            &format!("/v2/alice/app/referrers/{subject}?artifactType=application/vnd.other"),
        )
        .send()
        .await;
    assert_eq!(filtered.headers()["oci-filters-applied"], "artifactType");
    assert_eq!(filtered.json::<Value>()["manifests"], json!([]));
    let none = r
        .status(Method::GET, &format!("/v2/alice/empty/referrers/{subject}"))
        .await;
    assert_eq!(none, 200, "an empty repository has an empty referrers list");
    assert_eq!(
        r.status(Method::GET, "/v2/alice/app/referrers/sha256:bad")
            .await,
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn blobs_mount_across_repositories_the_caller_may_read() {
    let app = setup().await;
    let r = alice(&app).await;
    let digest = r.push_blob("alice/one", b"shared layer").await;
    let mounted = r
        .req(
            Method::POST,
            &format!("/v2/alice/two/blobs/uploads/?mount={digest}&from=alice/one"),
        )
        .send()
        .await;
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        mounted.headers()["location"],
        format!("/v2/alice/two/blobs/{digest}").as_str()
    );
    let without_from = r
        .status(
            Method::POST,
            &format!("/v2/alice/three/blobs/uploads/?mount={digest}"),
        )
        .await;
    assert_eq!(without_from, 201, "mount without from");
    // Bob cannot mount alice's private blob into his own repository.
    let bob = Oci {
        app: &app,
        user: "bob",
        token: app.token("bob", "write:packages").await,
    };
    let refused = bob
        .status(
            Method::POST,
            &format!("/v2/bob/mine/blobs/uploads/?mount={digest}&from=alice/one"),
        )
        .await;
    assert_eq!(
        refused, 202,
        "not mountable: a normal upload session instead"
    );
}

/// A registry token from `/token` for `scope`, signed in as `user` (or
/// anonymously).
async fn token_for(app: &TestApp, user: Option<(&str, &str)>, scope: &str) -> String {
    let mut req = app
        .get("/token")
        .query(&[("service", "x"), ("scope", scope)]);
    if let Some((u, p)) = user {
        req = req.basic(u, p);
    }
    let body: Value = req.send().await.json();
    assert!(body["expires_in"].as_i64().unwrap() >= 60);
    assert_eq!(body["token"], body["access_token"]);
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docker_token_flow_grants_only_what_the_caller_may_do() {
    let app = setup().await;
    let r = alice(&app).await;
    r.push_image("alice/app", "v1", b"layer").await;
    let challenge = app.get("/v2/").send().await;
    assert_eq!(challenge.status(), 401);
    let header = challenge.header("www-authenticate");
    assert!(
        header.starts_with(&format!("Bearer realm=\"{}\"", app.url("/token"))),
        "{header}"
    );
    assert_eq!(error_code(&challenge), "UNAUTHORIZED");

    let manifest = "/v2/alice/app/manifests/v1";
    let pull_only = token_for(&app, Some(("alice", &r.token)), "repository:alice/app:pull").await;
    let got = app.get(manifest).bearer(&pull_only).send().await;
    assert_eq!(got.status(), 200);
    let push = app
        .post("/v2/alice/app/blobs/uploads/")
        .bearer(&pull_only)
        .send()
        .await;
    assert_eq!(push.status(), 401, "a pull-only token cannot push");
    assert!(
        push.header("www-authenticate")
            .contains("scope=\"repository:alice/app:pull,push\"")
    );

    // Bob asks for push on alice's repository: granted nothing, not an error.
    let bob_token = app.token("bob", "write:packages").await;
    let bobs = token_for(
        &app,
        Some(("bob", &bob_token)),
        "repository:alice/app:pull,push",
    )
    .await;
    let claims = bobs.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["acc"], json!([]));
    let bobs_pull = app.get(manifest).bearer(&bobs).send().await;
    assert_eq!(bobs_pull.status(), 401);

    // Anonymous tokens pull public images only.
    let anonymous = token_for(&app, None, "repository:alice/app:pull").await;
    let private_pull = app.get(manifest).bearer(&anonymous).send().await;
    assert_eq!(private_pull.status(), 401);
    app.patch("/api/v3/user/packages/container/app")
        .bearer(&r.token)
        .json(&json!({"visibility": "public"}))
        .send()
        .await;
    let anonymous = token_for(&app, None, "repository:alice/app:pull").await;
    let public_pull = app.get(manifest).bearer(&anonymous).send().await;
    assert_eq!(public_pull.status(), 200);

    // Wrong credentials at /token are 401.
    let bad = app
        .get("/token")
        .query(&[("scope", "repository:alice/app:pull")])
        .basic("alice", "entp_wrong")
        .send()
        .await;
    assert_eq!(bad.status(), 401);
    // A revoked token's registry tokens stop working too.
    for id in app.token_ids("alice").await {
        app.revoke(id).await;
    }
    let revoked_pull = app.get(manifest).bearer(&pull_only).send().await;
    assert_eq!(revoked_pull.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalog_is_for_site_administrators() {
    let app = setup().await;
    let r = alice(&app).await;
    r.push_image("alice/one", "v1", b"1").await;
    r.push_image("alice/two", "v1", b"2").await;
    app.site_admin("root").await;
    let admin_token = app.token("root", "read:packages").await;
    let catalog: Value = app
        .get("/v2/_catalog")
        .basic("root", &admin_token)
        .send()
        .await
        .json();
    assert_eq!(catalog["repositories"], json!(["alice/one", "alice/two"]));
    let paged = app
        .get("/v2/_catalog?n=1")
        .basic("root", &admin_token)
        .send()
        .await;
    assert_eq!(
        paged.headers()["link"],
        "</v2/_catalog?n=1&last=alice/one>; rel=\"next\""
    );
    assert_eq!(r.status(Method::GET, "/v2/_catalog").await, 403);
    assert_eq!(app.get("/v2/_catalog").send().await.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_names_and_unknown_repositories_get_the_specs_codes() {
    let app = setup().await;
    let r = alice(&app).await;
    let invalid = r.req(Method::GET, "/v2/alice/UPPER/tags/list").send().await;
    assert_eq!(error_code(&invalid), "NAME_INVALID");
    let unknown = r
        .req(Method::GET, "/v2/alice/nothing/tags/list")
        .send()
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(&unknown), "NAME_UNKNOWN");
    let bob = app.token("bob", "read:packages").await;
    r.push_image("alice/private", "v1", b"p").await;
    let hidden = app
        .get("/v2/alice/private/tags/list")
        .basic("bob", &bob)
        .send()
        .await;
    assert_eq!(
        hidden.status(),
        404,
        "another user's private image is unknown to bob"
    );
    let version: Value = r.req(Method::GET, "/v2/").send().await.json();
    assert_eq!(version, json!({}));
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_collection_takes_only_blobs_no_manifest_names() {
    let app = setup().await;
    let r = alice(&app).await;
    let (_, _) = r.push_image("alice/app", "v1", b"kept layer").await;
    let stray = r.push_blob("alice/app", b"a blob no manifest names").await;
    let start = r
        .req(Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .await;
    assert_eq!(start.status(), 202);

    // What `admin gc --dry-run` lists (image blobs, uploads, then package
    // blobs past their grace): nothing is old enough yet.
    let registry = &app.registry;
    let young = entrepot_oci::gc::collect(registry, entrepot_oci::gc::GRACE, true)
        .await
        .unwrap();
    let blobs = registry
        .blobs()
        .collectable_blobs(entrepot_service::blobs::BLOB_GRACE)
        .await
        .unwrap();
    assert!(
        young.blobs.is_empty() && young.uploads.is_empty() && blobs.is_empty(),
        "nothing is old enough yet"
    );

    let dry = entrepot_oci::gc::collect(registry, chrono::TimeDelta::zero(), true)
        .await
        .unwrap();
    assert_eq!(dry.blobs, vec![format!("alice/app@{stray}")]);
    let stray_blob = format!("/v2/alice/app/blobs/{stray}");
    let stray_head = r.status(Method::HEAD, &stray_blob).await;
    assert_eq!(stray_head, 200, "a dry run removes nothing");
    let done = entrepot_oci::gc::collect(registry, chrono::TimeDelta::zero(), false)
        .await
        .unwrap();
    assert_eq!(done.blobs.len(), 1);
    let report = registry
        .maintenance()
        .purge_expired(std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(report.blobs, 1, "the stray blob's bytes go too");
    assert_eq!(r.status(Method::HEAD, &stray_blob).await, 404);
    let manifest = r.status(Method::GET, "/v2/alice/app/manifests/v1").await;
    assert_eq!(manifest, 200, "the image is intact");
    let layer = sha256(b"kept layer");
    let pulled = r
        .req(Method::GET, &format!("/v2/alice/app/blobs/{layer}"))
        .send()
        .await;
    assert_eq!(&pulled.bytes()[..], b"kept layer");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_source_annotation_connects_the_repository_and_feeds_the_package() {
    let app = setup().await;
    app.repo("alice/web").await;
    let r = alice(&app).await;
    let config = br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"org.opencontainers.image.licenses":"MIT"}}}"#;
    let config_digest = r.push_blob("alice/web", config).await;
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [],
        "annotations": {
            "org.opencontainers.image.source": "https://github.com/alice/web",
            "org.opencontainers.image.description": "The web front end",
        },
    });
    let pushed = r.push_manifest("alice/web", "1.0", &manifest).await;
    assert_eq!(pushed.status(), 201);
    let package: Value = app
        .get("/api/v3/user/packages/container/web")
        .bearer(&r.token)
        .send()
        .await
        .json();
    assert_eq!(package["repository"]["full_name"], "alice/web");
    let versions: Value = app
        .get("/api/v3/user/packages/container/web/versions")
        .bearer(&r.token)
        .send()
        .await
        .json();
    assert_eq!(versions[0]["description"], "The web front end");
    assert_eq!(
        versions[0]["license"], "MIT",
        "licenses come from the image config's labels"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_images_page_weighs_its_layers_and_an_indexs_its_platforms() {
    let app = setup().await;
    let r = alice(&app).await;
    let layer = vec![7u8; 3 * 1024 * 1024];
    let (digest, manifest) = r.push_image("alice/app", "v1", &layer).await;
    let config_size = manifest["config"]["size"].as_u64().unwrap();
    let page = |version: &str| {
        r.req(
            Method::GET,
            &format!("/users/alice/packages/container/package/app?version={version}"),
        )
        .send()
    };
    let html = page(&digest).await.text();
    // 3 MiB and the config's few bytes: what a pull downloads, not the
    // manifest's size.
    assert!(
        html.contains("<dt>Size</dt><dd>3.0 MiB</dd>"),
        "config of {config_size} B: {html}"
    );
    assert!(html.contains("Layers (1, 3.0 MiB in all)"));

    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest,
            "size": serde_json::to_vec(&manifest).unwrap().len(),
            "platform": {"os": "linux", "architecture": "amd64"}}],
    });
    assert_eq!(
        r.push_manifest("alice/app", "multi", &index).await.status(),
        201
    );
    let index_digest = sha256(&serde_json::to_vec(&index).unwrap());
    let html = page(&index_digest).await.text();
    assert!(html.contains("linux/amd64"), "{html}");
    assert!(
        html.contains("3.0 MiB"),
        "the platform's image size: {html}"
    );
    assert!(
        !html.contains("<dt>Size</dt>"),
        "several platforms have no one size"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_immutable_tag_is_never_moved_nor_removed_and_its_image_stays() {
    let app = setup().await;
    let r = alice(&app).await;
    let (first, _) = r.push_image("alice/fixed", "v1", b"layer one").await;
    let rule = app
        .post("/api/v3/user/immutable-tags")
        .bearer(&r.token)
        .json(&json!({"pattern": "v*", "format": "container"}))
        .send()
        .await;
    assert_eq!(rule.status(), 201, "{}", rule.text());

    // Pushing another image under `v1` is refused with DENIED, naming the rule.
    let layer = r.push_blob("alice/fixed", b"layer two").await;
    let config = br#"{"architecture":"arm64","os":"linux"}"#;
    let config_digest = r.push_blob("alice/fixed", config).await;
    let other = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 9}],
    });
    let moved = r.push_manifest("alice/fixed", "v1", &other).await;
    assert_eq!(moved.status(), 403, "{}", moved.text());
    assert_eq!(error_code(&moved), "DENIED");
    assert!(moved.text().contains("immutable"), "{}", moved.text());
    // Under a tag no rule keeps, the same image goes in, and may move.
    let latest = r.push_manifest("alice/fixed", "latest", &other).await;
    assert_eq!(latest.status(), 201, "{}", latest.text());
    let pulled = r
        .req(Method::GET, "/v2/alice/fixed/manifests/v1")
        .send()
        .await;
    assert_eq!(pulled.headers()["docker-content-digest"], first.as_str());

    for path in [
        "/v2/alice/fixed/manifests/v1".to_owned(),
        format!("/v2/alice/fixed/manifests/{first}"),
    ] {
        let deleted = r.req(Method::DELETE, &path).send().await;
        assert_eq!(deleted.status(), 403, "{path}: {}", deleted.text());
    }
    let whole = app
        .delete("/api/v3/user/packages/container/fixed")
        .bearer(&r.token)
        .send()
        .await;
    assert_eq!(whole.status(), 403, "{}", whole.text());
    let untagged = app
        .post("/api/v3/user/cleanup/preview")
        .bearer(&r.token)
        .json(&json!({"keep_pattern": "none"}))
        .send()
        .await;
    let preview: Value = untagged.json();
    assert!(
        !preview.to_string().contains(&first),
        "cleanup leaves the image an immutable tag names: {preview}"
    );

    // Once the rule goes, the tag moves again.
    let id = rule.json::<Value>()["id"].as_i64().unwrap();
    let removed = app
        .delete(&format!("/api/v3/user/immutable-tags/{id}"))
        .bearer(&r.token)
        .send()
        .await;
    assert_eq!(removed.status(), 204);
    let moved = r.push_manifest("alice/fixed", "v1", &other).await;
    assert_eq!(moved.status(), 201, "{}", moved.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_usage_counts_a_shared_layer_once_per_owner() {
    let app = setup().await;
    let r = alice(&app).await;
    let layer = vec![7u8; 10_000];
    let (manifest, _) = r.push_image("alice/one", "v1", &layer).await;
    r.push_image("alice/two", "v1", &layer).await;
    let usage: Value = app
        .get("/api/v3/user/usage")
        .bearer(&r.token)
        .send()
        .await
        .json();
    let packages = usage["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 2, "{usage}");
    let each = packages[0]["bytes"].as_u64().unwrap();
    assert!(each > 10_000, "the layer, config and manifest: {usage}");
    assert_eq!(packages[1]["bytes"].as_u64().unwrap(), each);
    assert_eq!(packages[0]["name"], "alice/one");
    assert_eq!(
        usage["bytes"].as_u64().unwrap(),
        each,
        "stored once: {usage}"
    );
    assert_eq!(usage["by_format"][0]["format"], "container");
    assert_eq!(usage["versions"], 2);

    // A deleted image counts until it is purged.
    let deleted = r
        .req(
            Method::DELETE,
            &format!("/v2/alice/one/manifests/{manifest}"),
        )
        .send()
        .await;
    assert_eq!(deleted.status(), 202);
    let usage: Value = app
        .get("/api/v3/user/usage")
        .bearer(&r.token)
        .send()
        .await
        .json();
    assert_eq!(usage["bytes"].as_u64().unwrap(), each);
    assert_eq!(usage["packages"][0]["deleted_versions"], 1, "{usage}");
    let bob = app.token("bob", "read:packages").await;
    let hidden = app
        .get("/api/v3/users/alice/usage")
        .bearer(&bob)
        .send()
        .await;
    assert_eq!(hidden.status(), 403, "{}", hidden.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_layer_over_the_quota_is_denied_and_not_linked() {
    let app = setup().await;
    let r = alice(&app).await;
    let owner = app.registry.accounts().account("alice").await.unwrap();
    app.registry
        .governance()
        .set_quota(
            &owner,
            Some(entrepot_core::PackageType::Container),
            entrepot_core::quota::Limits {
                bytes: Some(5_000),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let layer = vec![1u8; 10_000];
    let digest = sha256(&layer);
    let pushed = r
        .req(
            Method::POST,
            &format!("/v2/alice/big/blobs/uploads/?digest={digest}"),
        )
        .body(layer)
        .send()
        .await;
    assert_eq!(pushed.status(), 403, "{}", pushed.text());
    assert_eq!(error_code(&pushed), "DENIED");
    assert!(
        pushed.text().contains("quota exceeded"),
        "{}",
        pushed.text()
    );
    assert_eq!(
        r.status(Method::HEAD, &format!("/v2/alice/big/blobs/{digest}"))
            .await,
        404,
        "not linked"
    );
    // What fits goes in.
    r.push_image("alice/small", "v1", b"a small layer").await;

    // Over the quota now, a layer linked here already adds nothing: it is
    // pushed again (its length declared); a new one is not.
    let kept = b"a layer pushed twice".to_vec();
    let push = |layer: Vec<u8>| {
        let digest = sha256(&layer);
        r.req(
            Method::POST,
            &format!("/v2/alice/small/blobs/uploads/?digest={digest}"),
        )
        .header("content-length", layer.len().to_string())
        .body(layer)
        .send()
    };
    assert_eq!(push(kept.clone()).await.status(), 201);
    app.registry
        .governance()
        .set_quota(
            &owner,
            Some(entrepot_core::PackageType::Container),
            entrepot_core::quota::Limits {
                bytes: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(push(kept).await.status(), 201, "already linked");
    let refused = push(b"a new layer".to_vec()).await;
    assert_eq!(refused.status(), 403, "{}", refused.text());
}

//! The distribution API at the HTTP level: what the conformance suite and
//! clients other than skopeo rely on.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

mod common;

use base64::Engine;
use common::{Server, token};
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use sha2::Digest;

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

struct Registry<'a> {
    server: &'a Server,
    client: Client,
    user: &'a str,
    token: String,
}

impl Registry<'_> {
    fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.server.url(path)
        };
        self.client
            .request(method, url)
            .basic_auth(self.user, Some(&self.token))
    }

    fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/v2/{repo}/blobs/uploads/?digest={digest}"),
            )
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "monolithic upload");
        assert_eq!(r.headers()["docker-content-digest"], digest.as_str());
        digest
    }

    fn push_manifest(&self, repo: &str, reference: &str, manifest: &Value) -> Response {
        self.req(
            reqwest::Method::PUT,
            &format!("/v2/{repo}/manifests/{reference}"),
        )
        .header("Content-Type", manifest["mediaType"].as_str().unwrap())
        .body(serde_json::to_vec(manifest).unwrap())
        .send()
        .unwrap()
    }

    /// An image manifest with one layer and a config, pushed under `tag`.
    fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> (String, Value) {
        let layer_digest = self.push_blob(repo, layer);
        let config = br#"{"architecture":"amd64","os":"linux"}"#;
        let config_digest = self.push_blob(repo, config);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer.len()}],
        });
        let r = self.push_manifest(repo, tag, &manifest);
        assert_eq!(r.status(), 201);
        (sha256(&serde_json::to_vec(&manifest).unwrap()), manifest)
    }
}

fn error_code(r: Response) -> String {
    let body: Value = r.json().unwrap();
    body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    (dir, server)
}

fn alice(server: &Server) -> Registry<'_> {
    Registry {
        server,
        client: Client::new(),
        user: "alice",
        token: token(
            server,
            "alice",
            "read:packages,write:packages,delete:packages",
        ),
    }
}

#[test]
fn chunked_uploads_continue_in_order_and_refuse_gaps_with_416() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let start = r
        .req(reqwest::Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .unwrap();
    assert_eq!(start.status(), 202);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let uuid = start.headers()["docker-upload-uuid"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.ends_with(&uuid));

    let data = b"0123456789abcdefghij";
    let first = r
        .req(reqwest::Method::PATCH, &location)
        .header("Content-Range", "0-9")
        .body(data[..10].to_vec())
        .send()
        .unwrap();
    assert_eq!(first.status(), 202);
    assert_eq!(first.headers()["range"], "0-9");
    let gap = r
        .req(reqwest::Method::PATCH, &location)
        .header("Content-Range", "15-19")
        .body(data[15..].to_vec())
        .send()
        .unwrap();
    assert_eq!(gap.status(), 416, "out-of-order chunks are refused");
    let status = r.req(reqwest::Method::GET, &location).send().unwrap();
    assert_eq!(status.status(), 204);
    assert_eq!(status.headers()["range"], "0-9");

    // A streamed PATCH (no Content-Range) continues, and the PUT closes it
    // with the last chunk.
    let streamed = r
        .req(reqwest::Method::PATCH, &location)
        .body(data[10..15].to_vec())
        .send()
        .unwrap();
    assert_eq!(streamed.status(), 202);
    assert_eq!(streamed.headers()["range"], "0-14");
    let digest = sha256(data);
    let done = r
        .req(reqwest::Method::PUT, &format!("{location}?digest={digest}"))
        .header("Content-Range", "15-19")
        .body(data[15..].to_vec())
        .send()
        .unwrap();
    assert_eq!(done.status(), 201);
    assert_eq!(done.headers()["docker-content-digest"], digest.as_str());
    let blob = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/blobs/{digest}"),
        )
        .send()
        .unwrap();
    assert_eq!(blob.headers()["docker-content-digest"], digest.as_str());
    assert_eq!(&blob.bytes().unwrap()[..], data);
    let part = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/blobs/{digest}"),
        )
        .header("Range", "bytes=2-4")
        .send()
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes().unwrap()[..], b"234");
    let suffix = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/blobs/{digest}"),
        )
        .header("Range", "bytes=-3")
        .send()
        .unwrap();
    assert_eq!(suffix.status(), 206);
    assert_eq!(&suffix.bytes().unwrap()[..], b"hij");
    let inverted = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/blobs/{digest}"),
        )
        .header("Range", "bytes=5-1")
        .send()
        .unwrap();
    assert_eq!(inverted.status(), 416);
    // The session is gone.
    assert_eq!(
        r.req(reqwest::Method::GET, &location)
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn a_wrong_digest_fails_the_upload_and_keeps_nothing() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let start = r
        .req(reqwest::Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .unwrap();
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let wrong = sha256(b"something else");
    let put = r
        .req(reqwest::Method::PUT, &format!("{location}?digest={wrong}"))
        .body(b"content".to_vec())
        .send()
        .unwrap();
    assert_eq!(put.status(), 400);
    assert_eq!(error_code(put), "DIGEST_INVALID");
    let head = r
        .req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/blobs/{wrong}"),
        )
        .send()
        .unwrap();
    assert_eq!(head.status(), 404);
    let bad = r
        .req(
            reqwest::Method::POST,
            "/v2/alice/app/blobs/uploads/?digest=sha256:nothex",
        )
        .body("x")
        .send()
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(error_code(bad), "DIGEST_INVALID");
}

#[test]
fn cancelled_uploads_are_gone_and_sha512_blobs_work() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let start = r
        .req(reqwest::Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .unwrap();
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        r.req(reqwest::Method::DELETE, &location)
            .send()
            .unwrap()
            .status(),
        204
    );
    let gone = r.req(reqwest::Method::GET, &location).send().unwrap();
    assert_eq!(gone.status(), 404);
    assert_eq!(error_code(gone), "BLOB_UPLOAD_UNKNOWN");

    let data = b"sha512 content";
    let digest = format!("sha512:{}", hex::encode(sha2::Sha512::digest(data)));
    let put = r
        .req(
            reqwest::Method::POST,
            &format!("/v2/alice/app/blobs/uploads/?digest={digest}"),
        )
        .body(data.to_vec())
        .send()
        .unwrap();
    assert_eq!(put.status(), 201);
    let head = r
        .req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/blobs/{digest}"),
        )
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers()["content-length"],
        data.len().to_string().as_str()
    );
    assert_eq!(head.headers()["docker-content-digest"], digest.as_str());
}

#[test]
fn manifests_round_trip_byte_exact_by_tag_and_digest_and_check_their_blobs() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let (digest, manifest) = r.push_image("alice/app", "v1", b"layer one");
    let by_tag = r
        .req(reqwest::Method::GET, "/v2/alice/app/manifests/v1")
        .send()
        .unwrap();
    assert_eq!(
        by_tag.headers()["content-type"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(by_tag.headers()["docker-content-digest"], digest.as_str());
    assert_eq!(
        &by_tag.bytes().unwrap()[..],
        serde_json::to_vec(&manifest).unwrap().as_slice()
    );
    let head = r
        .req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/manifests/{digest}"),
        )
        .send()
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.headers().contains_key("content-length"));

    let missing_blob = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(b"nope"), "size": 4},
        "layers": [],
    });
    let refused = r.push_manifest("alice/app", "v2", &missing_blob);
    assert_eq!(refused.status(), 400);
    assert_eq!(error_code(refused), "MANIFEST_BLOB_UNKNOWN");
    let wrong_digest = r.push_manifest("alice/app", &sha256(b"other"), &manifest);
    assert_eq!(wrong_digest.status(), 400);
    assert_eq!(error_code(wrong_digest), "DIGEST_INVALID");
    let unknown = r
        .req(reqwest::Method::GET, "/v2/alice/app/manifests/nope")
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "MANIFEST_UNKNOWN");

    // ?tag= on a push by digest answers OCI-Tag for each.
    let tagged = r
        .req(
            reqwest::Method::PUT,
            &format!("/v2/alice/app/manifests/{digest}?tag=a&tag=b"),
        )
        .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        .body(serde_json::to_vec(&manifest).unwrap())
        .send()
        .unwrap();
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
        .req(reqwest::Method::GET, "/v2/alice/app/tags/list?n=2")
        .send()
        .unwrap();
    assert_eq!(
        page.headers()["link"],
        "</v2/alice/app/tags/list?n=2&last=b>; rel=\"next\""
    );
    let body: Value = page.json().unwrap();
    assert_eq!(body, json!({"name": "alice/app", "tags": ["a", "b"]}));
    let rest: Value = r
        .req(reqwest::Method::GET, "/v2/alice/app/tags/list?n=2&last=b")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(rest["tags"], json!(["v1"]));
    let none: Value = r
        .req(reqwest::Method::GET, "/v2/alice/app/tags/list?n=0")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(none["tags"], json!([]));

    // Deleting a tag keeps the manifest; deleting the manifest removes it.
    assert_eq!(
        r.req(reqwest::Method::DELETE, "/v2/alice/app/manifests/a")
            .send()
            .unwrap()
            .status(),
        202
    );
    assert_eq!(
        r.req(reqwest::Method::GET, "/v2/alice/app/manifests/a")
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        r.req(
            reqwest::Method::DELETE,
            &format!("/v2/alice/app/manifests/{digest}")
        )
        .send()
        .unwrap()
        .status(),
        202
    );
    assert_eq!(
        r.req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/manifests/{digest}")
        )
        .send()
        .unwrap()
        .status(),
        404
    );
    let layer = sha256(b"layer one");
    assert_eq!(
        r.req(
            reqwest::Method::DELETE,
            &format!("/v2/alice/app/blobs/{layer}")
        )
        .send()
        .unwrap()
        .status(),
        202
    );
    assert_eq!(
        r.req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/blobs/{layer}")
        )
        .send()
        .unwrap()
        .status(),
        404
    );
}

#[test]
fn an_artifact_with_a_subject_is_listed_by_the_referrers_api() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let (subject, manifest) = r.push_image("alice/app", "v1", b"layer");
    let empty = r.push_blob("alice/app", b"{}");
    let signature = r.push_blob("alice/app", b"signature bytes");
    let artifact = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.signature",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": signature, "size": 15}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": subject,
                    "size": serde_json::to_vec(&manifest).unwrap().len()},
        "annotations": {"org.example.signed-by": "alice"},
    });
    let pushed = r.push_manifest(
        "alice/app",
        &sha256(&serde_json::to_vec(&artifact).unwrap()),
        &artifact,
    );
    assert_eq!(pushed.status(), 201);
    assert_eq!(pushed.headers()["oci-subject"], subject.as_str());

    let referrers = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/referrers/{subject}"),
        )
        .send()
        .unwrap();
    assert_eq!(
        referrers.headers()["content-type"],
        "application/vnd.oci.image.index.v1+json"
    );
    let index: Value = referrers.json().unwrap();
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
            reqwest::Method::GET,
            &format!("/v2/alice/app/referrers/{subject}?artifactType=application/vnd.other"),
        )
        .send()
        .unwrap();
    assert_eq!(filtered.headers()["oci-filters-applied"], "artifactType");
    assert_eq!(filtered.json::<Value>().unwrap()["manifests"], json!([]));
    let none = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/empty/referrers/{subject}"),
        )
        .send()
        .unwrap();
    assert_eq!(
        none.status(),
        200,
        "an empty repository has an empty referrers list"
    );
    assert_eq!(
        r.req(reqwest::Method::GET, "/v2/alice/app/referrers/sha256:bad")
            .send()
            .unwrap()
            .status(),
        400
    );
}

#[test]
fn blobs_mount_across_repositories_the_caller_may_read() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let digest = r.push_blob("alice/one", b"shared layer");
    let mounted = r
        .req(
            reqwest::Method::POST,
            &format!("/v2/alice/two/blobs/uploads/?mount={digest}&from=alice/one"),
        )
        .send()
        .unwrap();
    assert_eq!(mounted.status(), 201);
    assert_eq!(
        mounted.headers()["location"],
        format!("/v2/alice/two/blobs/{digest}").as_str()
    );
    let without_from = r
        .req(
            reqwest::Method::POST,
            &format!("/v2/alice/three/blobs/uploads/?mount={digest}"),
        )
        .send()
        .unwrap();
    assert_eq!(without_from.status(), 201, "mount without from");
    // Bob cannot mount alice's private blob into his own repository.
    let bob = Registry {
        server: &server,
        client: Client::new(),
        user: "bob",
        token: token(&server, "bob", "write:packages"),
    };
    let refused = bob
        .req(
            reqwest::Method::POST,
            &format!("/v2/bob/mine/blobs/uploads/?mount={digest}&from=alice/one"),
        )
        .send()
        .unwrap();
    assert_eq!(
        refused.status(),
        202,
        "not mountable: a normal upload session instead"
    );
}

#[test]
fn the_docker_token_flow_grants_only_what_the_caller_may_do() {
    let (_dir, server) = setup();
    let r = alice(&server);
    r.push_image("alice/app", "v1", b"layer");
    let client = Client::new();
    let challenge = client.get(server.url("/v2/")).send().unwrap();
    assert_eq!(challenge.status(), 401);
    let header = challenge.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        header.starts_with(&format!("Bearer realm=\"{}\"", server.url("/token"))),
        "{header}"
    );
    assert_eq!(error_code(challenge), "UNAUTHORIZED");

    let token_for = |user: Option<(&str, &str)>, scope: &str| -> String {
        let mut req = client
            .get(server.url("/token"))
            .query(&[("service", "x"), ("scope", scope)]);
        if let Some((u, p)) = user {
            req = req.basic_auth(u, Some(p));
        }
        let body: Value = req.send().unwrap().json().unwrap();
        assert!(body["expires_in"].as_i64().unwrap() >= 60);
        assert_eq!(body["token"], body["access_token"]);
        body["token"].as_str().unwrap().to_owned()
    };
    let pull_only = token_for(Some(("alice", &r.token)), "repository:alice/app:pull");
    let got = client
        .get(server.url("/v2/alice/app/manifests/v1"))
        .bearer_auth(&pull_only)
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
    let push = client
        .post(server.url("/v2/alice/app/blobs/uploads/"))
        .bearer_auth(&pull_only)
        .send()
        .unwrap();
    assert_eq!(push.status(), 401, "a pull-only token cannot push");
    assert!(
        push.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"repository:alice/app:pull,push\"")
    );

    // Bob asks for push on alice's repository: granted nothing, not an error.
    let bob_token = token(&server, "bob", "write:packages");
    let bobs = token_for(Some(("bob", &bob_token)), "repository:alice/app:pull,push");
    let claims = bobs.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["acc"], json!([]));
    assert_eq!(
        client
            .get(server.url("/v2/alice/app/manifests/v1"))
            .bearer_auth(&bobs)
            .send()
            .unwrap()
            .status(),
        401
    );

    // Anonymous tokens pull public images only.
    let anonymous = token_for(None, "repository:alice/app:pull");
    assert_eq!(
        client
            .get(server.url("/v2/alice/app/manifests/v1"))
            .bearer_auth(&anonymous)
            .send()
            .unwrap()
            .status(),
        401
    );
    client
        .patch(server.url("/api/v3/user/packages/container/app"))
        .bearer_auth(&r.token)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    let anonymous = token_for(None, "repository:alice/app:pull");
    assert_eq!(
        client
            .get(server.url("/v2/alice/app/manifests/v1"))
            .bearer_auth(&anonymous)
            .send()
            .unwrap()
            .status(),
        200
    );

    // Wrong credentials at /token are 401.
    let bad = client
        .get(server.url("/token"))
        .query(&[("scope", "repository:alice/app:pull")])
        .basic_auth("alice", Some("entp_wrong"))
        .send()
        .unwrap();
    assert_eq!(bad.status(), 401);
    // A revoked token's registry tokens stop working too.
    let listed = String::from_utf8(server.admin(&["token", "list", "alice"]).stdout).unwrap();
    for line in listed.lines() {
        server.admin(&["token", "revoke", line.split('\t').next().unwrap()]);
    }
    assert_eq!(
        client
            .get(server.url("/v2/alice/app/manifests/v1"))
            .bearer_auth(&pull_only)
            .send()
            .unwrap()
            .status(),
        401
    );
}

#[test]
fn the_catalog_is_for_site_administrators() {
    let (_dir, server) = setup();
    let r = alice(&server);
    r.push_image("alice/one", "v1", b"1");
    r.push_image("alice/two", "v1", b"2");
    server.admin(&["user", "create", "root", "--site-admin"]);
    let admin_token = token(&server, "root", "read:packages");
    let client = Client::new();
    let catalog: Value = client
        .get(server.url("/v2/_catalog"))
        .basic_auth("root", Some(&admin_token))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(catalog["repositories"], json!(["alice/one", "alice/two"]));
    let paged = client
        .get(server.url("/v2/_catalog?n=1"))
        .basic_auth("root", Some(&admin_token))
        .send()
        .unwrap();
    assert_eq!(
        paged.headers()["link"],
        "</v2/_catalog?n=1&last=alice/one>; rel=\"next\""
    );
    assert_eq!(
        r.req(reqwest::Method::GET, "/v2/_catalog")
            .send()
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        client
            .get(server.url("/v2/_catalog"))
            .send()
            .unwrap()
            .status(),
        401
    );
}

#[test]
fn invalid_names_and_unknown_repositories_get_the_specs_codes() {
    let (_dir, server) = setup();
    let r = alice(&server);
    let invalid = r
        .req(reqwest::Method::GET, "/v2/alice/UPPER/tags/list")
        .send()
        .unwrap();
    assert_eq!(error_code(invalid), "NAME_INVALID");
    let unknown = r
        .req(reqwest::Method::GET, "/v2/alice/nothing/tags/list")
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_code(unknown), "NAME_UNKNOWN");
    let bob = token(&server, "bob", "read:packages");
    r.push_image("alice/private", "v1", b"p");
    let hidden = Client::new()
        .get(server.url("/v2/alice/private/tags/list"))
        .basic_auth("bob", Some(&bob))
        .send()
        .unwrap();
    assert_eq!(
        hidden.status(),
        404,
        "another user's private image is unknown to bob"
    );
    let version: Value = r
        .req(reqwest::Method::GET, "/v2/")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(version, json!({}));
}

#[test]
fn garbage_collection_takes_only_blobs_no_manifest_names() {
    let (dir, server) = setup();
    let r = alice(&server);
    let (_, _) = r.push_image("alice/app", "v1", b"kept layer");
    let stray = r.push_blob("alice/app", b"a blob no manifest names");
    let start = r
        .req(reqwest::Method::POST, "/v2/alice/app/blobs/uploads/")
        .send()
        .unwrap();
    assert_eq!(start.status(), 202);

    // The admin command's dry run lists nothing young.
    let dry = server.admin(&["gc", "--dry-run"]);
    assert!(
        String::from_utf8_lossy(&dry.stdout).trim().is_empty(),
        "nothing is old enough yet"
    );

    let rt = tokio::runtime::Runtime::new().unwrap();
    let registry = rt.block_on(async {
        let data = dir.path().join("entrepot-data");
        let meta = entrepot_store::SqlStore::open_path(&data.join("entrepot.db"))
            .await
            .unwrap();
        let blobs = entrepot_store::FsBlobStore::open(data.join("blobs"))
            .await
            .unwrap();
        entrepot_service::Registry::new(
            std::sync::Arc::new(meta),
            std::sync::Arc::new(blobs),
            entrepot_core::Policy::default(),
            entrepot_service::Limits::default(),
        )
    });
    let dry = rt
        .block_on(entrepot_oci::gc::collect(
            &registry,
            chrono::TimeDelta::zero(),
            true,
        ))
        .unwrap();
    assert_eq!(dry.blobs, vec![format!("alice/app@{stray}")]);
    let stray_head = r
        .req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/blobs/{stray}"),
        )
        .send()
        .unwrap();
    assert_eq!(stray_head.status(), 200, "a dry run removes nothing");
    let done = rt
        .block_on(entrepot_oci::gc::collect(
            &registry,
            chrono::TimeDelta::zero(),
            false,
        ))
        .unwrap();
    assert_eq!(done.blobs.len(), 1);
    let report = rt
        .block_on(registry.purge_expired(std::time::Duration::ZERO))
        .unwrap();
    assert_eq!(report.blobs, 1, "the stray blob's bytes go too");
    assert_eq!(
        r.req(
            reqwest::Method::HEAD,
            &format!("/v2/alice/app/blobs/{stray}")
        )
        .send()
        .unwrap()
        .status(),
        404
    );
    let manifest = r
        .req(reqwest::Method::GET, "/v2/alice/app/manifests/v1")
        .send()
        .unwrap();
    assert_eq!(manifest.status(), 200, "the image is intact");
    let layer = sha256(b"kept layer");
    let pulled = r
        .req(
            reqwest::Method::GET,
            &format!("/v2/alice/app/blobs/{layer}"),
        )
        .send()
        .unwrap();
    assert_eq!(&pulled.bytes().unwrap()[..], b"kept layer");
}

#[test]
fn the_source_annotation_connects_the_repository_and_feeds_the_package() {
    let (_dir, server) = setup();
    server.admin(&["repo", "create", "alice/web"]);
    let r = alice(&server);
    let config = br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"org.opencontainers.image.licenses":"MIT"}}}"#;
    let config_digest = r.push_blob("alice/web", config);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [],
        "annotations": {
            "org.opencontainers.image.source": "https://github.com/alice/web",
            "org.opencontainers.image.description": "The web front end",
        },
    });
    assert_eq!(r.push_manifest("alice/web", "1.0", &manifest).status(), 201);
    let client = Client::new();
    let package: Value = client
        .get(server.url("/api/v3/user/packages/container/web"))
        .bearer_auth(&r.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(package["repository"]["full_name"], "alice/web");
    let versions: Value = client
        .get(server.url("/api/v3/user/packages/container/web/versions"))
        .bearer_auth(&r.token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(versions[0]["description"], "The web front end");
    assert_eq!(
        versions[0]["license"], "MIT",
        "licenses come from the image config's labels"
    );
}

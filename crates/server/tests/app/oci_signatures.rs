//! Signed images at the HTTP level: cosign's signature attachments checked
//! against a required key (and an index's signature covering its
//! platforms), who may read and add signatures through the extension API,
//! and the keys on the package's settings page. skopeo's own signatures
//! are in the binary tests (`signed_images.rs`).

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use axum::http::Method;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::oci_http::{Oci, alice, error_code, setup, sha256};
use crate::test_app::TestApp;
use crate::web::{Browser, csrf_of};

/// A cosign key pair: the signer and its `cosign.pub`.
fn cosign_key() -> (EcdsaKeyPair, String) {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
        .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
    let der: PublicKeyX509Der<'_> = pair.public_key().as_der().unwrap();
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der.as_ref())
    );
    (pair, pem)
}

/// Signs `digest` of `repo` as cosign does: the payload as a layer of a
/// manifest tagged `sha256-<hex>.sig`, the signature in its annotation.
async fn cosign_sign(r: &Oci<'_>, repo: &str, digest: &str, key: &EcdsaKeyPair) {
    let payload = json!({
        "critical": {
            "identity": {"docker-reference": format!("registry.example/{repo}")},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": null,
    })
    .to_string();
    let signature = key.sign(&SystemRandom::new(), payload.as_bytes()).unwrap();
    let layer = r.push_blob(repo, payload.as_bytes()).await;
    let config = r.push_blob(repo, b"{}").await;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{
            "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
            "digest": layer,
            "size": payload.len(),
            "annotations": {"dev.cosignproject.cosign/signature": STANDARD.encode(signature.as_ref())},
        }],
    });
    let tag = format!("sha256-{}.sig", digest.trim_start_matches("sha256:"));
    let pushed = r.push_manifest(repo, &tag, &manifest).await;
    assert_eq!(pushed.status(), 201, "{}", pushed.text());
}

async fn require_key(app: &TestApp, token: &str, image: &str, pem: &str) -> Value {
    let added = app
        .post(&format!(
            "/api/v3/user/packages/container/{image}/signing-keys"
        ))
        .bearer(token)
        .json(&json!({"public_key": pem}))
        .send()
        .await;
    assert_eq!(added.status(), 201, "{}", added.text());
    added.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_cosign_key_serves_only_what_it_signed_and_never_hides_signatures() {
    let app = setup().await;
    let r = alice(&app).await;
    let (key, pem) = cosign_key();
    let (stranger, _) = cosign_key();
    let (signed, _) = r.push_image("alice/app", "signed", b"one").await;
    let (unsigned, _) = r.push_image("alice/app", "unsigned", b"two").await;
    let (forged, _) = r.push_image("alice/app", "forged", b"three").await;
    cosign_sign(&r, "alice/app", &signed, &key).await;
    cosign_sign(&r, "alice/app", &forged, &stranger).await;
    // Before any key is required, everything is served.
    assert_eq!(
        r.status(Method::GET, "/v2/alice/app/manifests/unsigned")
            .await,
        200
    );

    let added = require_key(&app, &r.token, "app", &pem).await;
    assert_eq!(added["kind"], "cosign");
    assert!(
        added["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    for reference in ["signed", signed.as_str()] {
        let path = format!("/v2/alice/app/manifests/{reference}");
        assert_eq!(r.status(Method::GET, &path).await, 200, "{reference}");
        assert_eq!(r.status(Method::HEAD, &path).await, 200, "{reference}");
    }
    for reference in ["unsigned", unsigned.as_str(), "forged", forged.as_str()] {
        let refused = r
            .req(Method::GET, &format!("/v2/alice/app/manifests/{reference}"))
            .send()
            .await;
        assert_eq!(refused.status(), 403, "{reference}");
        assert_eq!(error_code(&refused), "DENIED");
        assert!(
            refused
                .text()
                .contains("not signed by a key this package requires"),
            "{}",
            refused.text()
        );
    }
    // cosign reads the signatures by their tags, signed or not.
    let sig_tag = format!("sha256-{}.sig", forged.trim_start_matches("sha256:"));
    assert_eq!(
        r.status(Method::GET, &format!("/v2/alice/app/manifests/{sig_tag}"))
            .await,
        200
    );

    // The REST API reports each signature and what it came to.
    let versions: Vec<Value> = app
        .get("/api/v3/user/packages/container/app/versions")
        .bearer(&r.token)
        .send()
        .await
        .json();
    let id_of = |digest: &str| versions.iter().find(|v| v["name"] == digest).unwrap()["id"].clone();
    let reports: Vec<Value> = app
        .get(&format!(
            "/api/v3/user/packages/container/app/versions/{}/signatures",
            id_of(&forged)
        ))
        .bearer(&r.token)
        .send()
        .await
        .json();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["format"], "sigstore");
    assert_eq!(reports[0]["verified_by"], Value::Null);
    assert_eq!(
        reports[0]["problem"],
        "not signed by a key this package requires"
    );
    let reports: Vec<Value> = app
        .get(&format!(
            "/api/v3/user/packages/container/app/versions/{}/signatures",
            id_of(&signed)
        ))
        .bearer(&r.token)
        .send()
        .await
        .json();
    assert_eq!(reports[0]["verified_by"], added["fingerprint"]);

    // The image's page lists its signatures and what they came to.
    let page = |version: &str| {
        r.req(
            Method::GET,
            &format!("/users/alice/packages/container/package/app?version={version}"),
        )
        .send()
    };
    let html = page(&signed).await.text();
    assert!(html.contains("Signatures"), "{html}");
    assert!(html.contains("verified"), "{html}");
    let html = page(&unsigned).await.text();
    assert!(
        html.contains("unsigned: not served while the package requires signing keys"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_index_covers_the_platform_manifests_it_holds() {
    let app = setup().await;
    let r = alice(&app).await;
    let (key, pem) = cosign_key();
    let (amd, amd_manifest) = r.push_image("alice/multi", "amd", b"amd").await;
    let (arm, arm_manifest) = r.push_image("alice/multi", "arm", b"arm").await;
    let size = |m: &Value| serde_json::to_vec(m).unwrap().len();
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd, "size": size(&amd_manifest),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": size(&arm_manifest),
             "platform": {"os": "linux", "architecture": "arm64"}},
        ],
    });
    assert_eq!(
        r.push_manifest("alice/multi", "1", &index).await.status(),
        201
    );
    let index_digest = sha256(&serde_json::to_vec(&index).unwrap());
    cosign_sign(&r, "alice/multi", &index_digest, &key).await;
    require_key(&app, &r.token, "multi", &pem).await;
    for reference in ["1", amd.as_str(), arm.as_str()] {
        let path = format!("/v2/alice/multi/manifests/{reference}");
        assert_eq!(r.status(Method::GET, &path).await, 200, "{reference}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_signature_extension_takes_signatures_only_from_those_who_may_push() {
    let app = setup().await;
    let r = alice(&app).await;
    let (digest, _) = r.push_image("alice/app", "1", b"layer").await;
    let path = format!("/extensions/v2/alice/app/signatures/{digest}");
    let signature = |name: &str, content: &[u8]| json!({"schemaVersion": 2, "type": "atomic", "name": name, "content": STANDARD.encode(content)});
    let good = signature(
        &format!("{digest}@0123456789abcdef0123456789abcdef"),
        b"\xa3\x01pgp",
    );

    // The ping announces the extension, to anyone.
    let ping = app.get("/v2/").send().await;
    assert_eq!(ping.status(), 401);
    assert_eq!(ping.headers()["x-registry-supports-signatures"], "1");

    let none: Value = r.req(Method::GET, &path).send().await.json();
    assert_eq!(none, json!({"signatures": []}));
    let anonymous = app.put(&path).json(&good).send().await;
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let bob = app.token("bob", "read:packages,write:packages").await;
    let stranger = app.put(&path).basic("bob", &bob).json(&good).send().await;
    assert_eq!(
        stranger.status(),
        404,
        "a private image is not there for bob"
    );
    app.patch("/api/v3/user/packages/container/app")
        .bearer(&r.token)
        .json(&json!({"visibility": "public"}))
        .send()
        .await;
    let reader = app.put(&path).basic("bob", &bob).json(&good).send().await;
    assert_eq!(reader.status(), 403, "bob may read, not push");
    assert_eq!(error_code(&reader), "DENIED");

    // Bad input is refused and keeps nothing.
    for (body, status) in [
        (signature("not-the-digest@1", b"x"), 400),
        (signature(&format!("{digest}@../../x"), b"x"), 400),
        (
            json!({"schemaVersion": 1, "type": "atomic", "name": "x", "content": ""}),
            400,
        ),
        (json!({"signatures": "wrong shape"}), 400),
        (
            signature(&format!("{digest}@1"), &vec![0u8; 70 * 1024]),
            400,
        ),
        (
            signature(&format!("{digest}@1"), &vec![0u8; 200 * 1024]),
            413,
        ),
    ] {
        let refused = r.req(Method::PUT, &path).json(&body).send().await;
        assert_eq!(refused.status(), status, "{}", refused.text());
    }
    let unknown = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let missing = r
        .req(
            Method::PUT,
            &format!("/extensions/v2/alice/app/signatures/{unknown}"),
        )
        .json(&good)
        .send()
        .await;
    assert_eq!(missing.status(), 404);
    assert_eq!(error_code(&missing), "MANIFEST_UNKNOWN");
    let none: Value = r.req(Method::GET, &path).send().await.json();
    assert_eq!(none, json!({"signatures": []}));

    // Alice's is kept, once, byte for byte.
    for _ in 0..2 {
        let added = r.req(Method::PUT, &path).json(&good).send().await;
        assert_eq!(added.status(), 201, "{}", added.text());
    }
    let kept: Value = app.get(&path).send().await.json();
    assert_eq!(kept, json!({"signatures": [good]}));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_page_requires_and_removes_signing_keys() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "a long passphrase").await;
    let r = Oci {
        app: &app,
        user: "alice",
        token: app.token("alice", "read:packages,write:packages").await,
    };
    r.push_image("alice/app", "1", b"layer").await;
    let (_, pem) = cosign_key();
    let browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("alice", "a long passphrase").await.status(),
        303
    );
    let settings = "/users/alice/packages/container/app/settings";
    let (status, page) = browser.get(settings).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signing keys"), "{page}");
    let csrf = csrf_of(&page);
    let bad = [
        ("csrf", csrf.as_str()),
        ("action", "image_key_add"),
        ("public_key", "ssh-ed25519 AAAA"),
    ];
    let refused = browser.post(settings, &bad).await;
    assert_ne!(refused.status(), 303);
    assert!(
        refused
            .text()
            .contains("give an armored OpenPGP public key"),
        "{}",
        refused.text()
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("action", "image_key_add"),
        ("public_key", pem.as_str()),
        ("note", "release"),
    ];
    let added = browser.post(settings, &form).await;
    assert_eq!(added.status(), 303, "{}", added.text());
    let (_, page) = browser.get(added.header("location")).await;
    assert!(page.contains("Signing key required"), "{page}");
    assert!(page.contains("<code>SHA256:"), "{page}");
    assert_eq!(
        r.status(Method::GET, "/v2/alice/app/manifests/1").await,
        403
    );
    let id = page
        .split("name=\"key_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let remove = [
        ("csrf", csrf.as_str()),
        ("action", "image_key_remove"),
        ("key_id", id.as_str()),
    ];
    let removed = browser.post(settings, &remove).await;
    assert_eq!(removed.status(), 303);
    let (_, page) = browser.get(removed.header("location")).await;
    assert!(page.contains("Signing key removed."), "{page}");
    assert!(!page.contains("<code>SHA256:"), "{page}");
    assert_eq!(
        r.status(Method::GET, "/v2/alice/app/manifests/1").await,
        200
    );
}

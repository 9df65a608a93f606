//! The permission matrix's single sign-on rows: acme enforces a provider;
//! in every registry, its members reach its private packages, and publish
//! to them, only with a token authorized for acme — not with one that is
//! not, nor with one whose authorization went with a revoked identity —
//! while its public package stays readable to all. The REST API's 403
//! carries GitHub's `X-GitHub-SSO` header; every client's 403 says where
//! to authorize the token.

use std::fmt::Write as _;

use entrepot_core::{OrgRole, Visibility};
use serde_json::json;

use super::{Auth, Caller, FULL, send_ok, sha256};
use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, twine_form, wheel_of,
};
use crate::common::publish_doc;
use crate::test_app::{TestApp, TestRequest};

/// The callers, in column order.
const COLUMNS: [&str; 3] = ["authorized", "not authorized", "revoked"];

type Build = Box<dyn Fn(&TestApp, usize) -> TestRequest>;

fn gem(version: &str) -> Vec<u8> {
    gem_of(&gemspec("ssogem", version, None), false)
}

fn nupkg(version: &str) -> Vec<u8> {
    nupkg_of("Acme.Lib", version, "")
}

fn wheel(version: &str) -> (String, Vec<u8>) {
    twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "acme-lib"),
            ("version", version),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
        ],
        &format!("acme_lib-{version}-py3-none-any.whl"),
        &wheel_of("acme-lib", version),
    )
}

fn krate(version: &str) -> Vec<u8> {
    crate_body(
        &crate_metadata("acme_lib", version),
        &crate_of("acme_lib", version),
    )
}

const CONFIG: &[u8] = br#"{"architecture":"arm64","os":"linux"}"#;
const LAYER: &[u8] = b"an sso layer";

fn manifest(n: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(CONFIG), "size": CONFIG.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(LAYER), "size": LAYER.len()}],
        "annotations": {"n": n.to_string()},
    }))
    .unwrap()
}

/// acme's packages in every registry, published by its owner oscar
/// before single sign-on is required; `@acme/pub` is public.
async fn publish(app: &TestApp, oscar: &str) {
    for name in ["priv", "pub"] {
        send_ok(
            app.put(&format!("/npm/@acme%2f{name}"))
                .bearer(oscar)
                .json(&publish_doc(&format!("@acme/{name}"), "1.0.0", "")),
            name,
        )
        .await;
    }
    send_ok(
        app.patch("/api/v3/orgs/acme/packages/npm/pub")
            .bearer(oscar)
            .json(&json!({"visibility": "public"})),
        "public",
    )
    .await;
    let pom = crate::common::artifacts::pom("com.acme", "tool", "1.0.0");
    send_ok(
        app.put("/maven/acme/tools/com/acme/tool/1.0.0/tool-1.0.0.pom")
            .basic("oscar", oscar)
            .body(pom),
        "maven",
    )
    .await;
    send_ok(
        app.post("/rubygems/acme/api/v1/gems")
            .header("authorization", oscar)
            .body(gem("1.0.0")),
        "gem",
    )
    .await;
    send_ok(
        app.put("/nuget/acme/api/v2/package/")
            .header("x-nuget-apikey", oscar)
            .body(nupkg("1.0.0")),
        "nupkg",
    )
    .await;
    let (content_type, body) = wheel("1.0.0");
    send_ok(
        app.post("/pypi/acme/")
            .basic("__token__", oscar)
            .header("content-type", content_type)
            .body(body),
        "wheel",
    )
    .await;
    send_ok(
        app.put("/cargo/acme/api/v1/crates/new")
            .header("authorization", oscar)
            .body(krate("1.0.0")),
        "crate",
    )
    .await;
    for blob in [CONFIG, LAYER] {
        send_ok(
            app.post(&format!(
                "/v2/acme/image/blobs/uploads/?digest={}",
                sha256(blob)
            ))
            .bearer(oscar)
            .body(blob.to_vec()),
            "blob",
        )
        .await;
    }
    send_ok(
        app.put("/v2/acme/image/manifests/1.0")
            .bearer(oscar)
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(manifest(99)),
        "manifest",
    )
    .await;
}

/// Each row: what it tries, how the client authenticates, the statuses
/// of the three columns, and the request.
fn rows() -> Vec<(&'static str, Auth, [u16; 3], Build)> {
    let closed = |ok: u16| [ok, 403, 403];
    let open = [200, 200, 200];
    vec![
        (
            "npm read @acme/priv",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| c.get("/npm/@acme%2fpriv")),
        ),
        (
            "npm tarball of @acme/priv",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| c.get("/npm/@acme/priv/-/priv-1.0.0.tgz")),
        ),
        (
            "npm publish @acme/priv",
            Auth::Bearer,
            closed(201),
            Box::new(|c, n| {
                c.put("/npm/@acme%2fpriv")
                    .json(&publish_doc("@acme/priv", &format!("2.0.{n}"), ""))
            }),
        ),
        (
            "npm read public @acme/pub",
            Auth::Bearer,
            open,
            Box::new(|c, _| c.get("/npm/@acme%2fpub")),
        ),
        (
            "npm publish public @acme/pub",
            Auth::Bearer,
            closed(201),
            Box::new(|c, n| {
                c.put("/npm/@acme%2fpub")
                    .json(&publish_doc("@acme/pub", &format!("2.0.{n}"), ""))
            }),
        ),
        (
            "maven read acme/tools",
            Auth::Basic,
            closed(200),
            Box::new(|c, _| c.get("/maven/acme/tools/com/acme/tool/1.0.0/tool-1.0.0.pom")),
        ),
        (
            "maven deploy to acme/tools",
            Auth::Basic,
            closed(201),
            Box::new(|c, n| {
                let v = format!("2.0.{n}");
                c.put(&format!("/maven/acme/tools/com/acme/tool/{v}/tool-{v}.pom"))
                    .body(crate::common::artifacts::pom("com.acme", "tool", &v))
            }),
        ),
        (
            "rubygems read",
            Auth::Basic,
            closed(200),
            Box::new(|c, _| c.get("/rubygems/acme/info/ssogem")),
        ),
        (
            "rubygems push",
            Auth::Raw,
            closed(200),
            Box::new(|c, n| {
                c.post("/rubygems/acme/api/v1/gems")
                    .body(gem(&format!("2.0.{n}")))
            }),
        ),
        (
            "nuget read",
            Auth::Basic,
            closed(200),
            Box::new(|c, _| c.get("/nuget/acme/v3/flat/acme.lib/1.0.0/acme.lib.1.0.0.nupkg")),
        ),
        (
            "nuget push",
            Auth::NuGetKey,
            closed(201),
            Box::new(|c, n| {
                c.put("/nuget/acme/api/v2/package/")
                    .body(nupkg(&format!("2.0.{n}")))
            }),
        ),
        (
            "pypi read",
            Auth::PyPi,
            closed(200),
            Box::new(|c, _| c.get("/pypi/acme/simple/acme-lib/")),
        ),
        (
            "pypi upload",
            Auth::PyPi,
            closed(200),
            Box::new(|c, n| {
                let (content_type, body) = wheel(&format!("2.0.{n}"));
                c.post("/pypi/acme/")
                    .header("content-type", content_type)
                    .body(body)
            }),
        ),
        (
            "cargo read",
            Auth::Raw,
            closed(200),
            Box::new(|c, _| c.get("/cargo/acme/index/ac/me/acme_lib")),
        ),
        (
            "cargo publish",
            Auth::Raw,
            closed(200),
            Box::new(|c, n| {
                c.put("/cargo/acme/api/v1/crates/new")
                    .body(krate(&format!("2.0.{n}")))
            }),
        ),
        (
            "oci pull",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| {
                c.get("/v2/acme/image/manifests/1.0")
                    .header("accept", "application/vnd.oci.image.manifest.v1+json")
            }),
        ),
        (
            "oci push",
            Auth::Bearer,
            closed(201),
            Box::new(|c, n| {
                c.put(&format!("/v2/acme/image/manifests/w{n}"))
                    .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                    .body(manifest(n))
            }),
        ),
        (
            "rest private package",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| c.get("/api/v3/orgs/acme/packages/npm/priv")),
        ),
        (
            "rest list of acme's packages",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| c.get("/api/v3/orgs/acme/packages?package_type=npm")),
        ),
        (
            "rest private repository",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| c.get("/api/v3/repos/acme/tools")),
        ),
        (
            "rest change the repository",
            Auth::Bearer,
            closed(200),
            Box::new(|c, _| {
                c.patch("/api/v3/repos/acme/tools")
                    .json(&json!({"private": true}))
            }),
        ),
        (
            "rest add a collaborator",
            Auth::Bearer,
            closed(204),
            Box::new(|c, _| {
                c.put("/api/v3/repos/acme/tools/collaborators/oscar")
                    .json(&json!({"permission": "pull"}))
            }),
        ),
        (
            "rest public package",
            Auth::Bearer,
            open,
            Box::new(|c, _| c.get("/api/v3/orgs/acme/packages/npm/pub")),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn single_sign_on_rows_in_every_registry() {
    let app = TestApp::new().await;
    for user in ["oscar", "mia", "max"] {
        app.user(user).await;
    }
    app.org("acme", "oscar").await;
    for member in ["mia", "max"] {
        app.org_member("acme", member, OrgRole::Owner).await;
    }
    app.repo_with("acme/tools", Visibility::Private).await;
    let oscar = app.token("oscar", FULL).await;
    publish(&app, &oscar).await;

    // acme requires single sign-on; mia signed on and authorized one of
    // her tokens; max authorized his, then an owner revoked his identity.
    let store = app.store().await;
    let acme = store.account_by_login("acme").await.unwrap().unwrap().id;
    let now = chrono::Utc::now();
    store.set_org_sso(acme, Some("corp"), now).await.unwrap();
    let authorized = app.issue("mia", FULL, None).await;
    let plain = app.token("mia", FULL).await;
    let revoked = app.issue("max", FULL, None).await;
    for (login, token) in [("mia", &authorized), ("max", &revoked)] {
        let user = store.account_by_login(login).await.unwrap().unwrap().id;
        store
            .link_org_sso_identity(acme, user, &format!("corp#{login}"), now)
            .await
            .unwrap();
        store
            .authorize_token_for_org(token.record.id, acme, now)
            .await
            .unwrap();
    }
    let max = store.account_by_login("max").await.unwrap().unwrap().id;
    assert!(store.revoke_org_sso_identity(acme, max).await.unwrap());
    let callers = [
        Caller {
            login: "mia",
            token: Some(authorized.secret.clone()),
        },
        Caller {
            login: "mia",
            token: Some(plain.clone()),
        },
        Caller {
            login: "max",
            token: Some(revoked.secret.clone()),
        },
    ];

    let mut table = String::new();
    let mut mismatches = Vec::new();
    for (name, auth, expected, build) in rows() {
        let _ = write!(table, "{name:32}");
        for (n, caller) in callers.iter().enumerate() {
            let response = caller.apply(auth, build(&app, n)).send().await;
            let status = response.status().as_u16();
            let body = String::from_utf8_lossy(&response.bytes()).into_owned();
            let _ = write!(table, " {:>16}", format!("{}:{status}", COLUMNS[n]));
            if status != expected[n] {
                mismatches.push(format!(
                    "{name} as {}: {status}, expected {}: {}",
                    COLUMNS[n],
                    expected[n],
                    body.chars().take(200).collect::<String>()
                ));
            } else if status == 403 && !body.contains("/orgs/acme/sso") {
                mismatches.push(format!(
                    "{name} as {}: the 403 does not say where to authorize: {body}",
                    COLUMNS[n]
                ));
            }
            if name.starts_with("rest") && status == 403 {
                let header = response.headers().get("x-github-sso");
                if !header.is_some_and(|h| {
                    h.to_str().is_ok_and(|h| {
                        h.starts_with("required; url=") && h.ends_with("/orgs/acme/sso")
                    })
                }) {
                    mismatches.push(format!("{name}: X-GitHub-SSO is {header:?}"));
                }
            }
        }
        table.push('\n');
    }
    println!("{table}");
    assert!(mismatches.is_empty(), "{table}\n{}", mismatches.join("\n"));

    // Without single sign-on, the plain token reaches everything again,
    // once the server has seen the change made through another handle on
    // its database (its read cache looks at most every millisecond).
    store.set_org_sso(acme, None, now).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = app.get("/npm/@acme%2fpriv").bearer(&plain).send().await;
        if r.status() == 200 || std::time::Instant::now() > deadline {
            assert_eq!(r.status(), 200, "{}", r.text());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

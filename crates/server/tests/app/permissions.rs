//! The permission matrix (issue 14): every format's read, write and delete
//! (or yank), and the REST API's package operations, each tried by every kind
//! of caller — anonymous, the owner (with every scope and with
//! `read:packages` alone), a stranger, the read, write and admin
//! collaborators of the connected repository, an organization's owner and
//! member, a site administrator, an expired and a revoked token, and the
//! owner's tokens without `delete:packages` and without `repo`, the owner's
//! narrow token reaching one repository, and an organization's robot — against
//! the status `docs/PERMISSIONS.md` promises. Every mismatch is collected and
//! the whole matrix printed; every 401 must carry a `WWW-Authenticate`
//! challenge, since Maven, pip, gem and NuGet send credentials only after one.
#![expect(clippy::too_many_lines, reason = "the matrix reads as one table")]

use std::fmt::Write as _;

use entrepot_core::{OrgRole, Role, Visibility};
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nupkg_of, pom,
};
use crate::common::publish_doc;
use crate::test_app::{TestApp, TestRequest, alice_packages, make_public};

mod sso;

/// Every package scope, and `repo` for the repository-scoped registries.
const FULL: &str = "read:packages,write:packages,delete:packages,repo";

/// The repository alice's granular packages connect to, and Maven's home.
const REPO_URL: &str = "https://github.com/alice/app";

/// The callers, in the matrix's column order.
const ACTORS: [&str; 16] = [
    "anonymous",
    "owner",
    "owner:read-only",
    "stranger",
    "collab:read",
    "collab:write",
    "collab:admin",
    "org:owner",
    "org:member",
    "site-admin",
    "expired",
    "revoked",
    "owner:no-delete",
    "owner:no-repo",
    "narrow:repo",
    "robot:acme",
];

/// How a format's client sends its credentials.
#[derive(Clone, Copy)]
enum Auth {
    /// npm, OCI clients with a token, the REST API.
    Bearer,
    /// Maven, gem and NuGet reads, docker: the login and the token.
    Basic,
    /// gem push and cargo: the token alone in `Authorization`.
    Raw,
    /// `nuget push` and `nuget delete`.
    NuGetKey,
    /// twine and pip: `__token__` and the token.
    PyPi,
}

struct Caller {
    login: &'static str,
    token: Option<String>,
}

impl Caller {
    fn apply(&self, auth: Auth, r: TestRequest) -> TestRequest {
        let Some(t) = &self.token else {
            return r;
        };
        match auth {
            Auth::Bearer => r.bearer(t),
            Auth::Basic => r.basic(self.login, t),
            Auth::Raw => r.header("authorization", t),
            Auth::NuGetKey => r.header("x-nuget-apikey", t),
            Auth::PyPi => r.basic("__token__", t),
        }
    }
}

/// Makes a row's request for the caller of a column.
type Build = dyn Fn(&Ctx, usize) -> TestRequest;

/// One endpoint: a request per caller (by column, so that writes and
/// deletes each touch their own version) and the status expected of each.
struct Row {
    area: &'static str,
    name: &'static str,
    auth: Auth,
    build: Box<Build>,
    expected: [u16; 16],
}

/// A row: the statuses of the first twelve callers as written, those of
/// the owner's two narrower tokens from the scope rules.
fn row(
    area: &'static str,
    name: &'static str,
    auth: Auth,
    expected: [u16; 12],
    build: impl Fn(&Ctx, usize) -> TestRequest + 'static,
) -> Row {
    let [no_delete, no_repo] = narrower_tokens(area, name, expected[1]);
    let mut all = [0; 16];
    all[..12].copy_from_slice(&expected);
    all[12] = no_delete;
    all[13] = no_repo;
    all[14] = narrow_to_alices_repository(name, expected[1]);
    all[15] = expected[7];
    Row {
        area,
        name,
        auth,
        build: Box::new(build),
        expected: all,
    }
}

/// What the owner's token without `delete:packages`, and the one without
/// `repo`, get where the owner's full token gets `owner`: 403 (the owner
/// sees the package; the token may not act) for a delete, yank or unlist
/// without `delete:packages`, and for anything in a repository-scoped
/// registry (Maven) without `repo`; otherwise what the full token gets.
fn narrower_tokens(area: &str, name: &str, owner: u16) -> [u16; 2] {
    let allowed = (200..300).contains(&owner);
    let deletes = ["delete", "unpublish", "yank", "unlist"]
        .iter()
        .any(|w| name.contains(w));
    let repository_scoped = area == "maven" || name.contains("maven");
    [
        if allowed && deletes { 403 } else { owner },
        if allowed && repository_scoped {
            403
        } else {
            owner
        },
    ]
}

/// What alice's token narrowed to her repository alice/app gets where her
/// full token gets `owner`: the same for every package in or connected to
/// alice/app; outside it, what anyone gets: @alice/pub (connected to no
/// repository) is read but not written, acme's internal packages are not
/// seen (a publish there is refused as one into any namespace is). (A
/// robot token of acme gets what acme's owner gets.)
fn narrow_to_alices_repository(name: &str, owner: u16) -> u16 {
    if name.contains("@alice/pub") && name.contains("publish") {
        403
    } else if name.contains("internal") && !name.contains("publish") {
        404
    } else {
        owner
    }
}

/// Where the rows' requests go.
type Ctx = TestApp;

async fn send_ok(r: TestRequest, what: &str) -> Value {
    let r = r.send().await;
    let status = r.status();
    let text = r.text();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A gemspec whose `github_repo` connects it to alice/app.
fn gem(version: &str) -> Vec<u8> {
    let spec = gemspec("tinygem", version, None).replace(
        "metadata: {}\n",
        &format!("metadata:\n  github_repo: {REPO_URL}\n"),
    );
    gem_of(&spec, false)
}

fn nupkg(version: &str) -> Vec<u8> {
    nupkg_of(
        "Alice.Lib",
        version,
        &format!(r#"<repository type="git" url="{REPO_URL}" />"#),
    )
}

/// twine's upload of a wheel naming alice/app as its source.
fn wheel(version: &str) -> (String, Vec<u8>) {
    let file = crate::common::artifacts::wheel_of("tiny-lib", version);
    crate::common::artifacts::twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "tiny-lib"),
            ("version", version),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", "Says hi"),
            ("project_urls", &format!("Source, {REPO_URL}")),
        ],
        &format!("tiny_lib-{version}-py3-none-any.whl"),
        &file,
    )
}

fn krate(version: &str) -> Vec<u8> {
    let mut metadata = crate_metadata("tiny_lib", version);
    metadata["repository"] = json!(REPO_URL);
    crate_body(&metadata, &crate_of("tiny_lib", version))
}

/// An image manifest over alice/app-image's blobs; `n` makes its digest.
fn image_manifest(config: &str, layer: &str, n: usize) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": CONFIG.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": LAYER.len()}],
        "annotations": {"org.opencontainers.image.source": REPO_URL, "n": n.to_string()},
    }))
    .unwrap()
}

const CONFIG: &[u8] = br#"{"architecture":"amd64","os":"linux"}"#;
const LAYER: &[u8] = b"a layer";

/// A token of alice's that expired an hour ago: written to the store
/// directly, since `--expires-in` is at least a minute.
async fn expired_token(app: &TestApp) -> String {
    use entrepot_store::NewTokenRecord;
    let store = app.store().await;
    let alice = store.account_by_login("alice").await.unwrap().unwrap();
    let new = entrepot_core::token::generate();
    store
        .create_token(NewTokenRecord {
            user_id: alice.id,
            hash: new.hash,
            prefix: new.prefix,
            scopes: entrepot_core::Scopes::parse_list(FULL).unwrap(),
            note: Some("expired".into()),
            expires_at: Some(chrono::Utc::now() - chrono::TimeDelta::hours(1)),
            bound_to: None,
        })
        .await
        .unwrap();
    new.secret
}

/// A narrow token of `login`'s reaching `repositories` (none: a robot's,
/// reaching its organization), with every scope.
async fn bounded(app: &TestApp, login: &str, repositories: &[&str]) -> String {
    let reach = entrepot_service::narrow::Reach {
        repositories: repositories.iter().map(|r| (*r).to_owned()).collect(),
        ..Default::default()
    };
    app.registry
        .accounts()
        .create_bounded_token(
            None,
            login,
            (
                entrepot_core::Scopes::parse_list(FULL).unwrap(),
                chrono::TimeDelta::days(30),
            ),
            None,
            &reach,
        )
        .await
        .unwrap()
        .secret
}

/// A token of alice's, revoked as `admin token revoke` revokes it.
async fn revoked_token(app: &TestApp) -> String {
    let issued = app.issue("alice", FULL, None).await;
    app.revoke(issued.record.id).await;
    issued.secret
}

struct World {
    app: TestApp,
    callers: Vec<Caller>,
    alice: String,
}

async fn setup() -> World {
    let app = TestApp::new().await;
    for user in ["alice", "bob", "carol", "dave", "erin", "oscar", "mia"] {
        app.user(user).await;
    }
    app.site_admin("root").await;
    app.org("acme", "oscar").await;
    app.org_member("acme", "mia", OrgRole::Member).await;
    app.repo_with("alice/app", Visibility::Private).await;
    app.repo_with("acme/tools", Visibility::Private).await;
    for (user, permission) in [
        ("carol", Role::Read),
        ("dave", Role::Write),
        ("erin", Role::Admin),
    ] {
        app.collaborator("alice/app", user, permission).await;
    }
    let full = async |user: &str| app.token(user, FULL).await;
    let alice = full("alice").await;
    let callers = vec![
        Caller {
            login: "alice",
            token: None,
        },
        Caller {
            login: "alice",
            token: Some(alice.clone()),
        },
        Caller {
            login: "alice",
            token: Some(app.token("alice", "read:packages").await),
        },
        Caller {
            login: "bob",
            token: Some(full("bob").await),
        },
        Caller {
            login: "carol",
            token: Some(full("carol").await),
        },
        Caller {
            login: "dave",
            token: Some(full("dave").await),
        },
        Caller {
            login: "erin",
            token: Some(full("erin").await),
        },
        Caller {
            login: "oscar",
            token: Some(full("oscar").await),
        },
        Caller {
            login: "mia",
            token: Some(full("mia").await),
        },
        Caller {
            login: "root",
            token: Some(full("root").await),
        },
        Caller {
            login: "alice",
            token: Some(expired_token(&app).await),
        },
        Caller {
            login: "alice",
            token: Some(revoked_token(&app).await),
        },
        Caller {
            login: "alice",
            token: Some(
                app.token("alice", "read:packages,write:packages,repo")
                    .await,
            ),
        },
        Caller {
            login: "alice",
            token: Some(
                app.token("alice", "read:packages,write:packages,delete:packages")
                    .await,
            ),
        },
        Caller {
            login: "alice",
            token: Some(bounded(&app, "alice", &["alice/app"]).await),
        },
        Caller {
            login: "acme",
            token: Some(bounded(&app, "acme", &[]).await),
        },
    ];
    World {
        app,
        callers,
        alice,
    }
}

/// What alice (and oscar, for acme) publish before the matrix runs; the
/// per-caller versions and packages that writes and deletes use.
struct Fixtures {
    npm_lib: String,
    maven_name: String,
    /// By column: the digest of the image the column deletes.
    image_digests: Vec<String>,
    /// The manifest the write rows tag again.
    image: Vec<u8>,
    config: String,
    /// By column: the REST ids of @alice/lib 4.0.N (live) and 5.0.N (deleted).
    delete_ids: Vec<i64>,
    restore_ids: Vec<i64>,
    /// By column: the REST id of @acme/int 3.0.N.
    internal_delete_ids: Vec<i64>,
}

/// The generic package `tool`: 1.0.0 and a version per column to delete,
/// connected to alice/app from its settings (its uploads name none).
async fn generic_fixtures(app: &TestApp, alice: &str) {
    let versions =
        std::iter::once("1.0.0".to_owned()).chain((0..ACTORS.len()).map(|n| format!("3.0.{n}")));
    for v in versions {
        send_ok(
            app.put(&format!("/generic/alice/tool/{v}/tool.bin"))
                .basic("alice", alice)
                .body(b"tool".to_vec()),
            "generic",
        )
        .await;
    }
    let registry = &app.registry;
    let owner = registry
        .accounts()
        .account_by_login("alice")
        .await
        .unwrap()
        .unwrap();
    let tool = registry
        .packages()
        .namespace_packages(&owner, entrepot_core::PackageType::Generic)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "tool")
        .unwrap();
    let repository = registry.accounts().repository("alice/app").await.unwrap();
    registry
        .packages()
        .connect_repository(&tool, &repository)
        .await
        .unwrap();
}

async fn publish_fixtures(w: &World) -> Fixtures {
    let app = &w.app;
    let alice = &w.alice;
    let npm = async |name: &str, version: &str, repo: &str, t: &str| {
        let escaped = name.replace('/', "%2f");
        send_ok(
            app.put(&format!("/npm/{escaped}"))
                .bearer(t)
                .json(&publish_doc(name, version, repo)),
            &format!("npm {name} {version}"),
        )
        .await;
    };
    npm("@alice/lib", "1.0.0", REPO_URL, alice).await;
    npm("@alice/pub", "1.0.0", "", alice).await;
    make_public(app, alice, "npm", "pub").await;
    let oscar = w.callers[7].token.clone().unwrap();
    npm("@acme/lib", "1.0.0", "", &oscar).await;
    npm("@acme/int", "1.0.0", "", &oscar).await;
    for n in 0..ACTORS.len() {
        npm("@acme/int", &format!("3.0.{n}"), "", &oscar).await;
    }
    send_ok(
        app.patch("/api/v3/orgs/acme/packages/npm/int")
            .bearer(&oscar)
            .json(&json!({"visibility": "internal"})),
        "make @acme/int internal",
    )
    .await;
    for n in 0..ACTORS.len() {
        npm(&format!("@alice/del{n}"), "1.0.0", REPO_URL, alice).await;
        npm(&format!("@alice/rdel{n}"), "1.0.0", REPO_URL, alice).await;
        npm(&format!("@alice/res{n}"), "1.0.0", REPO_URL, alice).await;
        npm("@alice/lib", &format!("4.0.{n}"), REPO_URL, alice).await;
        npm("@alice/lib", &format!("5.0.{n}"), REPO_URL, alice).await;
    }
    let maven = async |path: &str, body: String, t: &str| {
        send_ok(
            app.put(&format!("/maven/{path}")).basic("x", t).body(body),
            path,
        )
        .await;
    };
    maven(
        "alice/app/com/example/lib/1.0.0/lib-1.0.0.pom",
        pom("com.example", "lib", "1.0.0"),
        alice,
    )
    .await;
    maven(
        "acme/tools/com/acme/tool/1.0.0/tool-1.0.0.pom",
        pom("com.acme", "tool", "1.0.0"),
        &oscar,
    )
    .await;
    send_ok(
        app.post("/rubygems/alice/api/v1/gems")
            .header("authorization", alice)
            .body(gem("1.0.0")),
        "gem",
    )
    .await;
    send_ok(
        app.put("/nuget/alice/api/v2/package/")
            .header("x-nuget-apikey", alice)
            .body(nupkg("1.0.0")),
        "nupkg",
    )
    .await;
    let pypi = async |version: &str| {
        let (content_type, body) = wheel(version);
        send_ok(
            app.post("/pypi/alice/")
                .basic("__token__", alice)
                .header("content-type", content_type)
                .body(body),
            "wheel",
        )
        .await;
    };
    pypi("1.0.0").await;
    send_ok(
        app.put("/cargo/alice/api/v1/crates/new")
            .header("authorization", alice)
            .body(krate("1.0.0")),
        "crate",
    )
    .await;
    for n in 0..ACTORS.len() {
        let v = format!("3.0.{n}");
        send_ok(
            app.post("/rubygems/alice/api/v1/gems")
                .header("authorization", alice)
                .body(gem(&v)),
            "gem",
        )
        .await;
        send_ok(
            app.put("/nuget/alice/api/v2/package/")
                .header("x-nuget-apikey", alice)
                .body(nupkg(&v)),
            "nupkg",
        )
        .await;
        pypi(&v).await;
        send_ok(
            app.put("/cargo/alice/api/v1/crates/new")
                .header("authorization", alice)
                .body(krate(&v)),
            "crate",
        )
        .await;
    }
    generic_fixtures(app, alice).await;
    // The image: its blobs, 1.0, and one manifest per column to delete.
    let blob = async |bytes: &[u8]| {
        let digest = sha256(bytes);
        send_ok(
            app.post(&format!(
                "/v2/alice/app-image/blobs/uploads/?digest={digest}"
            ))
            .bearer(alice)
            .body(bytes.to_vec()),
            "blob",
        )
        .await;
        digest
    };
    let config = blob(CONFIG).await;
    let layer = blob(LAYER).await;
    let manifest = async |reference: &str, body: &[u8]| {
        send_ok(
            app.put(&format!("/v2/alice/app-image/manifests/{reference}"))
                .bearer(alice)
                .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                .body(body.to_vec()),
            "manifest",
        )
        .await;
    };
    let image = image_manifest(&config, &layer, 1000);
    manifest("1.0", &image).await;
    let mut image_digests = Vec::new();
    for n in 0..ACTORS.len() {
        let body = image_manifest(&config, &layer, n);
        manifest(&format!("d{n}"), &body).await;
        image_digests.push(sha256(&body));
    }

    // The REST API's names and version ids.
    let packages = async |package_type: &str| alice_packages(app, alice, package_type).await;
    let npm_lib = packages("npm")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .find(|n| n.ends_with("lib"))
        .unwrap();
    let maven_name = packages("maven").await[0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let versions = send_ok(
        app.get(&format!(
            "/api/v3/user/packages/npm/{npm_lib}/versions?per_page=100"
        ))
        .bearer(alice),
        "versions",
    )
    .await;
    let id_of = |name: &str| {
        versions
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no version {name} in {versions}"))["id"]
            .as_i64()
            .unwrap()
    };
    let delete_ids = (0..ACTORS.len())
        .map(|n| id_of(&format!("4.0.{n}")))
        .collect();
    let restore_ids: Vec<i64> = (0..ACTORS.len())
        .map(|n| id_of(&format!("5.0.{n}")))
        .collect();
    for id in &restore_ids {
        let r = app
            .delete(&format!(
                "/api/v3/user/packages/npm/{npm_lib}/versions/{id}"
            ))
            .bearer(alice)
            .send()
            .await;
        assert_eq!(r.status(), 204, "{}", r.text());
    }
    for n in 0..ACTORS.len() {
        let r = app
            .delete(&format!("/api/v3/user/packages/npm/res{n}"))
            .bearer(alice)
            .send()
            .await;
        assert_eq!(r.status(), 204, "{}", r.text());
    }
    let internal = send_ok(
        app.get("/api/v3/orgs/acme/packages/npm/int/versions?per_page=100")
            .bearer(&oscar),
        "internal versions",
    )
    .await;
    let internal_delete_ids = (0..ACTORS.len())
        .map(|n| {
            internal
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == format!("3.0.{n}"))
                .unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    Fixtures {
        npm_lib,
        maven_name,
        image_digests,
        image,
        config,
        delete_ids,
        restore_ids,
        internal_delete_ids,
    }
}

// Columns: anonymous, owner, owner:read-only, stranger, collab:read,
// collab:write, collab:admin, org:owner, org:member, site-admin, expired,
// revoked.

/// Reading an organization's internal package: anyone signed in.
const INTERNAL_READ: [u16; 12] = [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401];

/// Reading a private package connected to alice/app.
const fn private_read(ok: u16) -> [u16; 12] {
    [401, ok, ok, 404, ok, ok, ok, 404, 404, ok, 401, 401]
}

/// Publishing into it: write access and `write:packages`.
const fn private_write(ok: u16) -> [u16; 12] {
    [401, ok, 403, 404, 403, ok, ok, 404, 404, ok, 401, 401]
}

/// Publishing into a granular package: as above, but whoever may not
/// create a package in alice's account gets the 403 a new name would get,
/// so that a publish does not reveal whether a private package exists.
const fn granular_write(ok: u16) -> [u16; 12] {
    [401, ok, 403, 403, 403, ok, ok, 403, 403, ok, 401, 401]
}

/// Deleting from it: admin access, `read:packages` and `delete:packages`;
/// settings and advisories: admin access and `write:packages`.
const fn private_admin(ok: u16) -> [u16; 12] {
    [401, ok, 403, 404, 403, 403, ok, 404, 404, ok, 401, 401]
}

fn rows(f: &Fixtures) -> Vec<Row> {
    let mut rows = Vec::new();

    // npm: a private package connected to alice/app, a public one, acme's.
    {
        rows.push(row(
            "npm",
            "read @alice/lib",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get("/npm/@alice%2flib"),
        ));
        rows.push(row(
            "npm",
            "tarball of @alice/lib",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get("/npm/@alice/lib/-/lib-1.0.0.tgz"),
        ));
        rows.push(row(
            "npm",
            "publish @alice/lib",
            Auth::Bearer,
            granular_write(201),
            move |c, n| {
                c.put("/npm/@alice%2flib").json(&publish_doc(
                    "@alice/lib",
                    &format!("2.0.{n}"),
                    REPO_URL,
                ))
            },
        ));
        rows.push(row(
            "npm",
            "unpublish @alice/delN",
            Auth::Bearer,
            private_admin(200),
            move |c, n| c.delete(&format!("/npm/@alice%2fdel{n}/-rev/1-0")),
        ));
        rows.push(row(
            "npm",
            "read public @alice/pub",
            Auth::Bearer,
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401],
            move |c, _| c.get("/npm/@alice%2fpub"),
        ));
        rows.push(row(
            "npm",
            "publish public @alice/pub",
            Auth::Bearer,
            [401, 201, 403, 403, 403, 403, 403, 403, 403, 201, 401, 401],
            move |c, n| {
                c.put("/npm/@alice%2fpub")
                    .json(&publish_doc("@alice/pub", &format!("2.0.{n}"), ""))
            },
        ));
        rows.push(row(
            "npm",
            "read private @acme/lib",
            Auth::Bearer,
            [401, 404, 404, 404, 404, 404, 404, 200, 404, 200, 401, 401],
            move |c, _| c.get("/npm/@acme%2flib"),
        ));
        // Internal: every signed-in user reads it; writing still takes a role.
        rows.push(row(
            "npm",
            "read internal @acme/int",
            Auth::Bearer,
            INTERNAL_READ,
            move |c, _| c.get("/npm/@acme%2fint"),
        ));
        rows.push(row(
            "npm",
            "tarball of internal @acme/int",
            Auth::Bearer,
            INTERNAL_READ,
            move |c, _| c.get("/npm/@acme/int/-/int-1.0.0.tgz"),
        ));
        rows.push(row(
            "npm",
            "publish internal @acme/int",
            Auth::Bearer,
            [401, 403, 403, 403, 403, 403, 403, 201, 403, 201, 401, 401],
            move |c, n| {
                c.put("/npm/@acme%2fint")
                    .json(&publish_doc("@acme/int", &format!("2.0.{n}"), ""))
            },
        ));
        rows.push(row(
            "npm",
            "create @acme/newN",
            Auth::Bearer,
            [401, 403, 403, 403, 403, 403, 403, 201, 201, 201, 401, 401],
            move |c, n| {
                c.put(&format!("/npm/@acme%2fnew{n}")).json(&publish_doc(
                    &format!("@acme/new{n}"),
                    "1.0.0",
                    "",
                ))
            },
        ));
    }

    // Maven: repository-scoped, so `repo` is needed and the org's members read.
    {
        rows.push(row(
            "maven",
            "read alice/app pom",
            Auth::Basic,
            [401, 200, 403, 404, 200, 200, 200, 404, 404, 200, 401, 401],
            move |c, _| c.get("/maven/alice/app/com/example/lib/1.0.0/lib-1.0.0.pom"),
        ));
        rows.push(row(
            "maven",
            "deploy to alice/app",
            Auth::Basic,
            private_write(201),
            move |c, n| {
                let v = format!("2.0.{n}");
                c.put(&format!("/maven/alice/app/com/example/lib/{v}/lib-{v}.pom"))
                    .body(pom("com.example", "lib", &v))
            },
        ));
        rows.push(row(
            "maven",
            "read acme/tools pom",
            Auth::Basic,
            [401, 404, 404, 404, 404, 404, 404, 200, 200, 200, 401, 401],
            move |c, _| c.get("/maven/acme/tools/com/acme/tool/1.0.0/tool-1.0.0.pom"),
        ));
        rows.push(row(
            "maven",
            "deploy to acme/tools",
            Auth::Basic,
            [401, 404, 404, 404, 404, 404, 404, 201, 403, 201, 401, 401],
            move |c, n| {
                let v = format!("2.0.{n}");
                c.put(&format!("/maven/acme/tools/com/acme/tool/{v}/tool-{v}.pom"))
                    .body(pom("com.acme", "tool", &v))
            },
        ));
        // A new artifact takes the repository's permissions too: a member's
        // base permission (read) does not create one.
        rows.push(row(
            "maven",
            "create a new artifact in acme/tools",
            Auth::Basic,
            [401, 404, 404, 404, 404, 404, 404, 201, 403, 201, 401, 401],
            move |c, n| {
                let a = format!("fresh{n}");
                c.put(&format!(
                    "/maven/acme/tools/com/acme/{a}/1.0.0/{a}-1.0.0.pom"
                ))
                .body(pom("com.acme", &a, "1.0.0"))
            },
        ));
    }

    // RubyGems
    {
        rows.push(row(
            "rubygems",
            "download tinygem",
            Auth::Basic,
            private_read(200),
            move |c, _| c.get("/rubygems/alice/gems/tinygem-1.0.0.gem"),
        ));
        rows.push(row(
            "rubygems",
            "compact index /versions",
            Auth::Basic,
            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401],
            move |c, _| c.get("/rubygems/alice/versions"),
        ));
        rows.push(row(
            "rubygems",
            "info/tinygem",
            Auth::Basic,
            private_read(200),
            move |c, _| c.get("/rubygems/alice/info/tinygem"),
        ));
        rows.push(row(
            "rubygems",
            "gem push",
            Auth::Raw,
            granular_write(200),
            move |c, n| {
                c.post("/rubygems/alice/api/v1/gems")
                    .body(gem(&format!("2.0.{n}")))
            },
        ));
        rows.push(row(
            "rubygems",
            "gem yank",
            Auth::Raw,
            private_admin(200),
            move |c, n| {
                c.delete("/rubygems/alice/api/v1/gems/yank").form(&[
                    ("gem_name", "tinygem".to_owned()),
                    ("version", format!("3.0.{n}")),
                ])
            },
        ));
    }

    // NuGet
    {
        rows.push(row(
            "nuget",
            "download nupkg",
            Auth::Basic,
            private_read(200),
            move |c, _| c.get("/nuget/alice/v3/flat/alice.lib/1.0.0/alice.lib.1.0.0.nupkg"),
        ));
        rows.push(row(
            "nuget",
            "search",
            Auth::Basic,
            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401],
            move |c, _| c.get("/nuget/alice/v3/query?q=alice"),
        ));
        rows.push(row(
            "nuget",
            "push",
            Auth::NuGetKey,
            granular_write(201),
            move |c, n| {
                c.put("/nuget/alice/api/v2/package/")
                    .body(nupkg(&format!("2.0.{n}")))
            },
        ));
        rows.push(row(
            "nuget",
            "delete (unlist)",
            Auth::NuGetKey,
            private_admin(204),
            move |c, n| c.delete(&format!("/nuget/alice/api/v2/package/Alice.Lib/3.0.{n}")),
        ));
    }

    // PyPI
    {
        rows.push(row(
            "pypi",
            "simple/tiny-lib",
            Auth::PyPi,
            private_read(200),
            move |c, _| c.get("/pypi/alice/simple/tiny-lib/"),
        ));
        rows.push(row(
            "pypi",
            "simple/ (project list)",
            Auth::PyPi,
            [401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401],
            move |c, _| c.get("/pypi/alice/simple/"),
        ));
        rows.push(row(
            "pypi",
            "twine upload",
            Auth::PyPi,
            granular_write(200),
            move |c, n| {
                let (content_type, body) = wheel(&format!("2.0.{n}"));
                c.post("/pypi/alice/")
                    .header("content-type", content_type)
                    .body(body)
            },
        ));
        rows.push(row(
            "pypi",
            "yank",
            Auth::PyPi,
            private_admin(200),
            move |c, n| {
                c.post(&format!("/pypi/alice/tiny-lib/3.0.{n}/yank"))
                    .form(&[("reason", "broken")])
            },
        ));
    }

    // Cargo
    {
        rows.push(row(
            "cargo",
            "index ti/ny/tiny_lib",
            Auth::Raw,
            private_read(200),
            move |c, _| c.get("/cargo/alice/index/ti/ny/tiny_lib"),
        ));
        rows.push(row(
            "cargo",
            "download",
            Auth::Raw,
            private_read(200),
            move |c, _| c.get("/cargo/alice/api/v1/crates/tiny_lib/1.0.0/download"),
        ));
        // Cargo answers a publish to a crate the caller may not see as it
        // would a new name (403: only the owner or the organization's
        // members create crates; docs/cargo.md), so that its existence is
        // not given away; the other formats answer 404.
        rows.push(row(
            "cargo",
            "publish",
            Auth::Raw,
            [401, 200, 403, 403, 403, 200, 200, 403, 403, 200, 401, 401],
            move |c, n| {
                c.put("/cargo/alice/api/v1/crates/new")
                    .body(krate(&format!("2.0.{n}")))
            },
        ));
        rows.push(row(
            "cargo",
            "yank",
            Auth::Raw,
            private_admin(200),
            move |c, n| c.delete(&format!("/cargo/alice/api/v1/crates/tiny_lib/3.0.{n}/yank")),
        ));
    }

    // Generic: tool, connected to alice/app.
    {
        rows.push(row(
            "generic",
            "download tool.bin",
            Auth::Basic,
            private_read(200),
            move |c, _| c.get("/generic/alice/tool/1.0.0/tool.bin"),
        ));
        rows.push(row(
            "generic",
            "upload",
            Auth::Basic,
            granular_write(201),
            move |c, n| {
                c.put(&format!("/generic/alice/tool/2.0.{n}/tool.bin"))
                    .body(b"tool".to_vec())
            },
        ));
        rows.push(row(
            "generic",
            "delete version",
            Auth::Basic,
            private_admin(204),
            move |c, n| c.delete(&format!("/generic/alice/tool/3.0.{n}")),
        ));
    }

    // OCI: alice/app-image, connected to alice/app by its source annotation.
    {
        rows.push(row(
            "oci",
            "pull manifest",
            Auth::Basic,
            private_read(200),
            move |c, _| {
                c.get("/v2/alice/app-image/manifests/1.0")
                    .header("accept", "application/vnd.oci.image.manifest.v1+json")
            },
        ));
        let config = f.config.clone();
        rows.push(row(
            "oci",
            "pull blob",
            Auth::Basic,
            private_read(200),
            move |c, _| c.get(&format!("/v2/alice/app-image/blobs/{config}")),
        ));
        let image = f.image.clone();
        rows.push(row(
            "oci",
            "push manifest",
            Auth::Basic,
            private_write(201),
            move |c, n| {
                c.put(&format!("/v2/alice/app-image/manifests/w{n}"))
                    .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                    .body(image.clone())
            },
        ));
        rows.push(row(
            "oci",
            "start blob upload",
            Auth::Basic,
            private_write(202),
            move |c, _| c.post("/v2/alice/app-image/blobs/uploads/"),
        ));
        let digests = f.image_digests.clone();
        rows.push(row(
            "oci",
            "delete manifest",
            Auth::Basic,
            private_admin(202),
            move |c, n| c.delete(&format!("/v2/alice/app-image/manifests/{}", digests[n])),
        ));
    }

    // The REST API, on @alice/lib unless named.
    {
        let lib = format!("/api/v3/users/alice/packages/npm/{}", f.npm_lib);
        rows.push(row(
            "rest",
            "list alice's npm packages",
            Auth::Bearer,
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401],
            move |c, _| c.get("/api/v3/users/alice/packages?package_type=npm"),
        ));
        let p = lib.clone();
        rows.push(row(
            "rest",
            "get package",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get(&p),
        ));
        let p = lib.clone();
        rows.push(row(
            "rest",
            "list versions",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get(&format!("{p}/versions")),
        ));
        let p = lib.clone();
        let id = f.delete_ids[0];
        rows.push(row(
            "rest",
            "get version",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get(&format!("{p}/versions/{id}")),
        ));
        let p = lib.clone();
        let ids = f.delete_ids.clone();
        rows.push(row(
            "rest",
            "delete version",
            Auth::Bearer,
            private_admin(204),
            move |c, n| c.delete(&format!("{p}/versions/{}", ids[n])),
        ));
        let p = lib.clone();
        let ids = f.restore_ids.clone();
        rows.push(row(
            "rest",
            "restore version",
            Auth::Bearer,
            private_admin(204),
            move |c, n| c.post(&format!("{p}/versions/{}/restore", ids[n])),
        ));
        let p = lib.clone();
        rows.push(row(
            "rest",
            "set visibility",
            Auth::Bearer,
            private_admin(200),
            move |c, _| c.patch(&p).json(&json!({"visibility": "private"})),
        ));
        rows.push(row(
            "rest",
            "delete package rdelN",
            Auth::Bearer,
            private_admin(204),
            move |c, n| c.delete(&format!("/api/v3/users/alice/packages/npm/rdel{n}")),
        ));
        rows.push(row(
            "rest",
            "restore package resN",
            Auth::Bearer,
            private_admin(204),
            move |c, n| c.post(&format!("/api/v3/users/alice/packages/npm/res{n}/restore")),
        ));
        let p = lib.clone();
        rows.push(row(
            "rest",
            "list advisories",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get(&format!("{p}/security-advisories")),
        ));
        let p = lib.clone();
        rows.push(row(
            "rest",
            "draft advisory",
            Auth::Bearer,
            private_admin(201),
            move |c, n| {
                c.post(&format!("{p}/security-advisories")).json(&json!({
                    "summary": format!("Draft {n}"),
                    "description": "Crafted input runs code.",
                    "vulnerabilities": [{
                        "package": {"ecosystem": "npm", "name": "@alice/lib"},
                        "vulnerable_version_range": "< 1.0.1",
                    }],
                }))
            },
        ));
        let maven = format!("/api/v3/users/alice/packages/maven/{}", f.maven_name);
        rows.push(row(
            "rest",
            "get maven package",
            Auth::Bearer,
            [401, 200, 403, 404, 200, 200, 200, 404, 404, 200, 401, 401],
            move |c, _| c.get(&maven),
        ));
        rows.push(row(
            "rest",
            "get internal org package",
            Auth::Bearer,
            INTERNAL_READ,
            move |c, _| c.get("/api/v3/orgs/acme/packages/npm/int"),
        ));
        let internal_ids = f.internal_delete_ids.clone();
        rows.push(row(
            "rest",
            "delete internal @acme/int 3.0.N",
            Auth::Bearer,
            [401, 403, 403, 403, 403, 403, 403, 204, 403, 204, 401, 401],
            move |c, n| {
                c.delete(&format!(
                    "/api/v3/orgs/acme/packages/npm/int/versions/{}",
                    internal_ids[n]
                ))
            },
        ));
        rows.push(row(
            "rest",
            "get container package",
            Auth::Bearer,
            private_read(200),
            move |c, _| c.get("/api/v3/users/alice/packages/container/app-image"),
        ));
    }
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_answers_every_caller_as_the_rules_say() {
    let w = setup().await;
    let f = publish_fixtures(&w).await;
    let rows = rows(&f);
    let ctx: &Ctx = &w.app;

    let mut table = String::new();
    let mut mismatches = Vec::new();
    let width = rows
        .iter()
        .map(|r| r.area.len() + r.name.len() + 1)
        .max()
        .unwrap_or(0);
    let _ = write!(table, "{:width$}", "");
    for (n, actor) in ACTORS.iter().enumerate() {
        let _ = write!(table, " {n:>2}:{actor}");
    }
    table.push('\n');
    for r in &rows {
        let _ = write!(table, "{:width$}", format!("{} {}", r.area, r.name));
        for (n, caller) in w.callers.iter().enumerate() {
            let response = caller.apply(r.auth, (r.build)(ctx, n)).send().await;
            let status = response.status().as_u16();
            let challenge = response.headers().get("www-authenticate").cloned();
            let body = String::from_utf8_lossy(&response.bytes()).into_owned();
            let expected = r.expected[n];
            let mut cell = status.to_string();
            if status != expected {
                cell = format!("{status}≠{expected}");
                mismatches.push(format!(
                    "{} {} as {}: {status}, expected {expected}: {}",
                    r.area,
                    r.name,
                    ACTORS[n],
                    body.chars().take(200).collect::<String>()
                ));
            }
            if status == 401 && challenge.is_none() {
                cell.push('!');
                mismatches.push(format!(
                    "{} {} as {}: 401 without WWW-Authenticate",
                    r.area, r.name, ACTORS[n]
                ));
            }
            let column = ACTORS[n].len() + 3 + usize::from(n >= 10);
            let _ = write!(table, " {cell:>column$}");
        }
        table.push('\n');
    }
    let cases = rows.len() * ACTORS.len();
    println!(
        "{} rows × {} callers = {cases} cases\n{table}",
        rows.len(),
        ACTORS.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases differ (actual≠expected; ! = 401 without a challenge):\n{table}\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

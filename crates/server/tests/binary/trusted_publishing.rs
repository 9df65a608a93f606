//! Trusted publishing with the real clients: a local CI issuer stands in
//! for GitHub Actions. The npm CLI publishes with no token at all in an
//! environment that looks to it like a workflow run; twine uploads with
//! the token PyPI's exchange mints, cargo publishes with the one Cargo's
//! exchange mints and the job revokes it. Each exchange is refused, with
//! the claim named, for another repository, workflow or audience, an
//! expired token and a token used twice; a minted token publishes its own
//! package and nothing else.

use std::path::Path;
use std::process::{Command, Output};

use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::common::ci_issuer::{Issuer, REQUEST_TOKEN};
use crate::common::npm::{NpmUser, package};
use crate::common::process::text;
use crate::common::{Server, free_port, token};

/// A server trusting `issuer`'s tokens and reaching it on loopback, with
/// the users alice and bob; alice's token.
fn setup(dir: &Path, issuer: &Issuer) -> (Server, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let server = Server::start_in(
        dir,
        &[
            "--listen",
            &listen,
            "--outbound-allow",
            "127.0.0.0/8",
            "--trusted-issuers",
            &issuer.url,
        ],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    let alice = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    (server, alice)
}

/// `admin trusted-publisher add alice` for `format` `package`: the release
/// workflow of acme/widget, in its `release` environment.
fn trust(server: &Server, issuer: &Issuer, format: &str, package: &str) {
    server.admin(&[
        "trusted-publisher",
        "add",
        "alice",
        "--format",
        format,
        "--package",
        package,
        "--repository",
        "acme/widget",
        "--workflow",
        "release.yml",
        "--environment",
        "release",
        "--issuer",
        &issuer.url,
    ]);
}

/// `npm publish` in `project` as a GitHub Actions job whose token has
/// `claims`, with no token in `.npmrc`.
fn npm_publish_in_ci(user: &NpmUser, issuer: &Issuer, project: &Path, claims: &Value) -> Output {
    let mut cmd = Command::new("npm");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        // Only GitHub Actions: ci-info would take another CI's variables.
        if key == "CI" || key.starts_with("GITLAB") || key.starts_with("CIRCLE") {
            cmd.env_remove(key);
        }
    }
    cmd.args(["publish", "--loglevel=verbose"])
        .current_dir(project)
        .env("NPM_CONFIG_USERCONFIG", user.npmrc())
        .env("npm_config_cache", user.dir.path().join("cache"))
        .env("NO_UPDATE_NOTIFIER", "1")
        .env("GITHUB_ACTIONS", "true")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", issuer.request_url(claims))
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
        .output()
        .expect("npm runs")
}

fn exchange_npm(server: &Server, name: &str, jwt: &str) -> (u16, Value) {
    let response = Client::new()
        .post(server.url(&format!(
            "/-/npm/v1/oidc/token/exchange/package/{}",
            name.replace('/', "%2f")
        )))
        .bearer_auth(jwt)
        .send()
        .unwrap();
    (response.status().as_u16(), response.json().unwrap())
}

fn versions(server: &Server, token: &str, path: &str) -> Vec<String> {
    let list: Value = Client::new()
        .get(server.url(&format!("/api/v3/user/packages/{path}/versions")))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mut names: Vec<String> = list
        .as_array()
        .unwrap_or_else(|| panic!("versions of {path}: {list}"))
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn npm_publishes_from_a_ci_run_without_a_token_and_only_from_the_declared_one() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "npm", "widget");
    // npm sends the CI token to the exchange (at the host's root) only
    // when the registry is its default one, as `setup-node` writes it.
    let user = NpmUser::new(&server, &["alice"], None);
    let npmrc = std::fs::read_to_string(user.npmrc()).unwrap();
    let registry = server.url("/npm/");
    std::fs::write(user.npmrc(), format!("{npmrc}registry={registry}\n")).unwrap();

    let project = package(dir.path(), "@alice/widget", "1.0.0");
    let out = npm_publish_in_ci(&user, &issuer, &project, &json!({}));
    assert!(out.status.success(), "npm publish in CI: {}", text(&out));
    assert_eq!(versions(&server, &alice, "npm/widget"), ["1.0.0"]);
    // The version's page names the run it came from.
    crate::common::make_public(&server, &alice, "npm", "widget");
    let page = Client::new()
        .get(server.url("/users/alice/packages/npm/package/widget?version=1.0.0"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let run = format!(
        "from CI (acme/widget, release.yml @ refs/tags/v1.0.0 (release) via {}, by trusted publishing)",
        issuer.url
    );
    assert!(page.contains(&run), "{page}");

    // Another repository's run gets no token: npm has none to publish with.
    let project = package(dir.path(), "@alice/widget", "1.0.1");
    let claims = json!({"repository": "mallory/widget"});
    let out = npm_publish_in_ci(&user, &issuer, &project, &claims);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("repository"),
        "npm's log names the claim: {}",
        text(&out)
    );
    assert_eq!(versions(&server, &alice, "npm/widget"), ["1.0.0"]);

    // The token npm then holds publishes that package and no other.
    let audience = "npm:127.0.0.1";
    let jwt = issuer.token(audience, &json!({}));
    let (status, minted) = exchange_npm(&server, "@alice/widget", &jwt);
    assert_eq!(status, 201, "{minted}");
    let minted = minted["token"].as_str().unwrap().to_owned();
    let with_minted = NpmUser::new(&server, &["alice"], Some(&minted));
    let other = package(dir.path(), "@alice/other", "1.0.0");
    let out = with_minted.npm(&other, &["publish"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("trusted publishing"),
        "the refusal says why: {}",
        text(&out)
    );
    with_minted.npm_ok(&project, &["publish"]);
    assert_eq!(versions(&server, &alice, "npm/widget"), ["1.0.0", "1.0.1"]);
    let deleted = Client::new()
        .delete(server.url("/api/v3/user/packages/npm/widget"))
        .bearer_auth(&minted)
        .send()
        .unwrap();
    assert!(
        matches!(deleted.status().as_u16(), 403 | 404),
        "a minted token deletes nothing: {}",
        deleted.status()
    );
    assert_eq!(versions(&server, &alice, "npm/widget"), ["1.0.0", "1.0.1"]);

    // Used twice, refused.
    let (status, answer) = exchange_npm(&server, "@alice/widget", &jwt);
    assert_eq!(status, 403);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("already exchanged"),
        "{answer}"
    );
}

#[test]
fn each_refused_exchange_names_what_failed() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, _alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "npm", "widget");
    let audience = "npm:127.0.0.1";
    let cases = [
        (
            audience,
            json!({"repository": "mallory/widget"}),
            "repository",
        ),
        (
            audience,
            json!({"job_workflow_ref": "acme/widget/.github/workflows/ci.yml@refs/heads/main"}),
            "workflow",
        ),
        (audience, json!({"environment": "staging"}), "environment"),
        ("npm:registry.npmjs.org", json!({}), "audience"),
        (audience, json!({"exp": 1_000_000_000}), "expired"),
    ];
    for (aud, claims, named) in cases {
        let jwt = issuer.token(aud, &claims);
        let (status, answer) = exchange_npm(&server, "@alice/widget", &jwt);
        assert_eq!(status, 403, "{claims}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(named), "{claims}: {message}");
    }
    // A package with no trusted publisher, and a token not signed by the
    // issuer's key.
    let jwt = issuer.token(audience, &json!({}));
    let (status, answer) = exchange_npm(&server, "@alice/gadget", &jwt);
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("no trusted publisher")
    );
    let mut forged = jwt.clone();
    forged.truncate(jwt.len() - 4);
    forged.push_str("AAAA");
    let (status, answer) = exchange_npm(&server, "@alice/widget", &forged);
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("signature"),
        "{answer}"
    );
}

#[test]
fn twine_uploads_with_the_token_pypis_exchange_mints() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "pypi", "Tiny_Pkg");
    let client = Client::new();
    let audience: Value = client
        .get(server.url("/_/oidc/audience"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let audience = audience["audience"].as_str().unwrap().to_owned();
    assert_eq!(audience, "pypi:127.0.0.1");
    let mint = |jwt: &str| {
        let response = client
            .post(server.url("/_/oidc/mint-token"))
            .json(&json!({ "token": jwt }))
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().unwrap(),
        )
    };

    let claims = json!({"job_workflow_ref": "acme/widget/.github/workflows/ci.yml@refs/heads/x"});
    let (status, refused) = mint(&issuer.token(&audience, &claims));
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["errors"][0]["code"], "invalid-publisher");
    assert!(
        refused["errors"][0]["description"]
            .as_str()
            .unwrap()
            .contains("workflow"),
        "{refused}"
    );

    let (status, minted) = mint(&issuer.token(&audience, &json!({})));
    assert_eq!(status, 200, "{minted}");
    assert_eq!(minted["success"], true);
    let minted = minted["token"].as_str().unwrap();
    let python = crate::pypi::Python::new(dir.path());
    let dists = python.build("1.0.0", true);
    let upload_url = crate::pypi::upload_url(&server, "alice");
    let out = python.twine_upload(&upload_url, "__token__", minted, &dists);
    assert!(out.status.success(), "twine: {}", text(&out));
    assert_eq!(versions(&server, &alice, "pypi/tiny-pkg"), ["1.0.0"]);
}

#[test]
fn cargo_publishes_with_the_token_cargos_exchange_mints_until_the_job_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "cargo", "widget-core");
    let client = Client::new();
    let tokens = server.url("/cargo/alice/api/v1/trusted_publishing/tokens");
    let mint = |audience: &str| {
        let response = client
            .post(&tokens)
            .json(&json!({ "jwt": issuer.token(audience, &json!({})) }))
            .send()
            .unwrap();
        (
            response.status().as_u16(),
            response.json::<Value>().unwrap(),
        )
    };
    let (status, refused) = mint("crates.io");
    assert_eq!(status, 403, "{refused}");
    assert!(refused.to_string().contains("audience"), "{refused}");
    let (status, minted) = mint("127.0.0.1");
    assert_eq!(status, 200, "{minted}");
    let minted = minted["token"].as_str().unwrap().to_owned();

    let index = format!("sparse+{}", server.url("/cargo/alice/index/"));
    let cargo = crate::cargo::Cargo::new(dir.path(), "ci", &index);
    let krate = crate::cargo::library(dir.path(), "widget-core", "0.1.0", "", None);
    cargo.publish(&krate, &minted);
    assert_eq!(versions(&server, &alice, "cargo/widget-core"), ["0.1.0"]);

    let revoked = client
        .delete(&tokens)
        .header("Authorization", &minted)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let next = crate::cargo::library(dir.path(), "widget-core", "0.2.0", "", None);
    let out = cargo.fails(
        &next,
        Some(&minted),
        &["publish", "--registry", "entrepot", "--allow-dirty"],
    );
    assert!(out.contains("401") || out.contains("token"), "{out}");
    assert_eq!(versions(&server, &alice, "cargo/widget-core"), ["0.1.0"]);
}

#[test]
fn gem_push_and_nuget_push_take_the_keys_their_exchanges_mint() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "rubygems", "tinygem");
    trust(&server, &issuer, "nuget", "Tiny.Demo");
    let client = Client::new();

    // RubyGems, as configure-rubygems-credentials asks.
    let exchange = server.url("/rubygems/alice/api/v1/oidc/trusted_publisher/exchange_token");
    let refused = client
        .post(&exchange)
        .json(&json!({ "jwt": issuer.token("127.0.0.1", &json!({"ref": "refs/heads/x", "environment": "dev"})) }))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().unwrap().contains("environment"));
    let answer: Value = client
        .post(&exchange)
        .json(&json!({ "jwt": issuer.token("127.0.0.1", &json!({})) }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(answer["gem"]["name"], "tinygem", "{answer}");
    assert_eq!(answer["scopes"], json!(["push_rubygem"]));
    let key = answer["rubygems_api_key"].as_str().unwrap();
    let ruby = crate::rubygems::Ruby::new(dir.path(), "ci");
    let gem = crate::rubygems::GemSpec {
        name: "tinygem",
        version: "1.0.0",
        extra: "",
        lib: &crate::rubygems::versioned_lib("Tinygem", "1.0.0"),
    }
    .build(&ruby, dir.path());
    let host = crate::rubygems::push_host(&server, "alice");
    let out = ruby.push(&gem, &host, Some(key));
    assert!(out.status.success(), "gem push: {}", text(&out));
    assert_eq!(versions(&server, &alice, "rubygems/tinygem"), ["1.0.0"]);

    // NuGet, as NuGet/login asks: the key goes to `nuget push -ApiKey`.
    let answer: Value = client
        .post(server.url("/nuget/alice/api/v2/token"))
        .bearer_auth(issuer.token("127.0.0.1", &json!({})))
        .json(&json!({"username": "alice", "tokenType": "ApiKey"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let key = answer["apiKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"));
    let config = crate::nuget::feed_config(dir.path(), &server, "alice", None);
    let nuget = crate::nuget::NuGet::new(dir.path(), "ci", &config);
    let nupkg = nuget.pack("Tiny.Demo", "1.0.0", "");
    crate::nuget::assert_said(&nuget.push(&nupkg, key), "Your package was pushed.");
    assert_eq!(versions(&server, &alice, "nuget/tiny.demo"), ["1.0.0"]);
    let other = nuget.pack("Other.Demo", "1.0.0", "");
    let out = nuget.push(&other, key);
    assert!(!out.status.success(), "{}", text(&out));
}

#[test]
fn skopeo_pushes_an_image_with_the_ci_token_as_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let issuer = Issuer::start();
    let (server, alice) = setup(dir.path(), &issuer);
    trust(&server, &issuer, "container", "app");
    crate::oci::build_image(dir.path(), "layout", "hello");
    let source = format!("oci:{}:1", dir.path().join("layout").display());
    let host = server.base.trim_start_matches("http://").to_owned();
    let copy = |creds: &str, image: &str| {
        Command::new("skopeo")
            .args(["copy", "--dest-tls-verify=false", "--dest-creds", creds])
            .arg(&source)
            .arg(format!("docker://{host}/alice/{image}"))
            .output()
            .expect("skopeo runs")
    };
    // The same CI token logs in again and again, as clients send it.
    let creds = format!("alice:{}", issuer.token("127.0.0.1", &json!({})));
    for tag in ["1.0", "1.1"] {
        let out = copy(&creds, &format!("app:{tag}"));
        assert!(out.status.success(), "skopeo copy: {}", text(&out));
    }
    let out = copy(&creds, "other:1.0");
    assert!(!out.status.success(), "another image: {}", text(&out));
    let wrong = issuer.token("127.0.0.1", &json!({"repository": "mallory/app"}));
    let out = copy(&format!("alice:{wrong}"), "app:2.0");
    assert!(!out.status.success(), "another run: {}", text(&out));

    let tags: Value = Client::new()
        .get(server.url("/v2/alice/app/tags/list"))
        .basic_auth("alice", Some(&alice))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(tags["tags"], json!(["1.0", "1.1"]), "{tags}");
}

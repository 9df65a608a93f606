//! The Cargo registry with the machine's real cargo: `cargo publish` of a
//! crate and of another depending on it, `cargo build` and `cargo run` of a
//! binary that fetches both through the sparse index with `auth-required`,
//! `cargo yank` and `--undo`, `cargo owner` and `cargo search`, and the
//! refusals (no token, someone else's registry, a version published twice).
//! Every client runs with its own `CARGO_HOME` and target folder, and the
//! test crates depend on nothing from crates.io, which tests cannot reach.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::common::process::{run, text};
use crate::common::{Server, make_public, server_with_alice, token};
use reqwest::blocking::Client;
use serde_json::Value;
use sha2::Digest;

/// One cargo user: a `CARGO_HOME` that knows the registry as `entrepot`,
/// and a target folder of its own.
pub(crate) struct Cargo {
    root: PathBuf,
}

impl Cargo {
    pub(crate) fn new(parent: &Path, name: &str, index: &str) -> Cargo {
        let root = parent.join(format!("cargo-{name}"));
        std::fs::create_dir_all(root.join("home")).unwrap();
        std::fs::write(
            root.join("home/config.toml"),
            format!(
                "[registries.entrepot]\nindex = \"{index}\"\n\n\
                 [registry]\nglobal-credential-providers = [\"cargo:token\"]\n\n\
                 [net]\noffline = false\n"
            ),
        )
        .unwrap();
        Cargo { root }
    }

    /// Its `config.toml`, for settings beyond the registry's.
    pub(crate) fn config(&self) -> PathBuf {
        self.root.join("home/config.toml")
    }

    /// `cargo ARGS` in `cwd`, with `token` (if any) as the registry's, and
    /// nothing of the outer cargo's environment.
    pub(crate) fn run(&self, cwd: &Path, token: Option<&str>, args: &[&str]) -> Output {
        let mut cmd = Command::new("cargo");
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("CARGO")
                || key.starts_with("RUSTC")
                || key.starts_with("RUSTDOC")
                || key == "RUSTFLAGS"
                || key.ends_with("_PROXY")
                || key.ends_with("_proxy")
            {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(cwd)
            .args(args)
            .env("CARGO_HOME", self.root.join("home"))
            .env("CARGO_TARGET_DIR", self.root.join("target"))
            .env("CARGO_TERM_COLOR", "never")
            .env("CARGO_TERM_PROGRESS_WHEN", "never")
            .stdin(Stdio::null());
        if let Some(t) = token {
            cmd.env("CARGO_REGISTRIES_ENTREPOT_TOKEN", t);
        }
        run(&mut cmd)
    }

    /// Runs cargo, asserts it succeeded, and returns what it printed.
    pub(crate) fn ok(&self, cwd: &Path, token: Option<&str>, args: &[&str]) -> String {
        let out = self.run(cwd, token, args);
        assert!(
            out.status.success(),
            "cargo {args:?} failed:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// Runs cargo, asserts it failed, and returns what it printed.
    pub(crate) fn fails(&self, cwd: &Path, token: Option<&str>, args: &[&str]) -> String {
        let out = self.run(cwd, token, args);
        assert!(
            !out.status.success(),
            "cargo {args:?} should fail:\n{}",
            text(&out)
        );
        text(&out)
    }

    pub(crate) fn publish(&self, project: &Path, token: &str) -> String {
        self.ok(
            project,
            Some(token),
            &["publish", "--registry", "entrepot", "--allow-dirty"],
        )
    }
}

/// Writes a library crate `name` `version` under `parent`, publishable to
/// `entrepot` only, with `deps` as its `[dependencies]` and `hi()` saying
/// its name and version (and its dependency's `hi()` after a `+`, when
/// `calls` names one).
pub(crate) fn library(
    parent: &Path,
    name: &str,
    version: &str,
    deps: &str,
    calls: Option<&str>,
) -> PathBuf {
    let dir = parent.join(format!("src-{name}-{version}"));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n\
             description = \"The {name} crate\"\nlicense = \"MIT\"\npublish = [\"entrepot\"]\n\
             repository = \"https://github.com/alice/{name}\"\n\n[dependencies]\n{deps}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("README.md"),
        format!("# {name}\n\nThe readme of {name}.\n"),
    )
    .unwrap();
    let body = match calls {
        Some(dep) => format!("format!(\"{name} {version}+{{}}\", {dep}::hi())"),
        None => format!("\"{name} {version}\".to_string()"),
    };
    std::fs::write(
        dir.join("src/lib.rs"),
        format!("pub fn hi() -> String {{\n    {body}\n}}\n"),
    )
    .unwrap();
    dir
}

/// A binary `app` under `parent/NAME` with `deps`, printing `CALL::hi()`.
pub(crate) fn binary(parent: &Path, name: &str, deps: &str, call: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{deps}"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        format!("fn main() {{\n    println!(\"{{}}\", {call}::hi());\n}}\n"),
    )
    .unwrap();
    dir
}

/// The `(name, version, checksum)` of every package a lockfile takes from
/// a registry, sorted.
fn locked(project: &Path) -> Vec<(String, String, String)> {
    let lock = std::fs::read_to_string(project.join("Cargo.lock")).unwrap();
    let mut packages = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(&format!("{key} = \""))
                    .and_then(|v| v.strip_suffix('"'))
                    .map(str::to_owned)
            })
        };
        if let (Some(name), Some(version), Some(source), Some(sum)) = (
            field("name"),
            field("version"),
            field("source"),
            field("checksum"),
        ) {
            assert!(source.starts_with("sparse+"), "{source}");
            packages.push((name, version, sum));
        }
    }
    packages.sort();
    packages
}

/// `server_with_alice`, and the sparse index of alice's registry as cargo
/// names it.
fn setup(dir: &Path) -> (Server, String, String) {
    let (server, t) = server_with_alice(dir);
    let index = format!("sparse+{}", server.url("/cargo/alice/index/"));
    (server, t, index)
}

/// A GET with alice's token, as JSON.
fn api(server: &Server, token: &str, path: &str) -> Value {
    let response = Client::new()
        .get(server.url(path))
        .header("authorization", token)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().unwrap()
}

/// The download count of one version, through the REST API.
fn downloads(server: &Server, token: &str, name: &str, version: &str) -> i64 {
    let versions = api(
        server,
        token,
        &format!("/api/v3/user/packages/cargo/{name}/versions"),
    );
    versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("{name} {version} in {versions}"))["download_count"]
        .as_i64()
        .unwrap()
}

#[test]
fn a_binary_builds_from_two_crates_published_to_entrepot() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t, index) = setup(dir.path());
    let alice = Cargo::new(dir.path(), "alice", &index);

    // Crate A, then crate B depending on A from the same registry.
    let a = library(dir.path(), "alpha", "1.0.0", "", None);
    let out = alice.publish(&a, &t);
    assert!(out.contains("Published alpha v1.0.0"), "{out}");
    let b = library(
        dir.path(),
        "beta",
        "1.0.0",
        "alpha = { version = \"1\", registry = \"entrepot\" }\n",
        Some("alpha"),
    );
    let out = alice.publish(&b, &t);
    assert!(out.contains("Published beta v1.0.0"), "{out}");

    // A consumer with a read-only token and nothing cached: cargo asks for
    // config.json, is challenged, retries with the token, and fetches both.
    let reader = token(&server, "alice", "read:packages");
    // (Publishing beta built it, which downloaded alpha once already.)
    let alpha_before = downloads(&server, &t, "alpha", "1.0.0");
    let consumer = Cargo::new(dir.path(), "consumer", &index);
    let app = binary(
        dir.path(),
        "app",
        "beta = { version = \"1\", registry = \"entrepot\" }\n",
        "beta",
    );
    let out = consumer.ok(&app, Some(&reader), &["run"]);
    assert!(out.contains("beta 1.0.0+alpha 1.0.0"), "{out}");
    for name in ["alpha", "beta"] {
        assert!(
            out.contains(&format!("Downloaded {name} v1.0.0 (registry `entrepot`)")),
            "{out}"
        );
    }
    // The lockfile takes both from the sparse index, with the checksums
    // the index published, which are those of the bytes served.
    let lock = locked(&app);
    assert_eq!(lock.len(), 2, "{lock:?}");
    for (name, version, sum) in &lock {
        let file = Client::new()
            .get(server.url(&format!(
                "/cargo/alice/api/v1/crates/{name}/{version}/download"
            )))
            .header("authorization", &reader)
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&file)), *sum);
    }
    // One download by cargo and one by the check above, each counted.
    assert_eq!(downloads(&server, &t, "alpha", "1.0.0"), alpha_before + 2);
    assert_eq!(downloads(&server, &t, "beta", "1.0.0"), 2);

    // A version is never published twice: cargo sees it in the index and
    // stops, and the server refuses the upload anyway (see cargo_http).
    let again = alice.fails(
        &a,
        Some(&t),
        &["publish", "--registry", "entrepot", "--allow-dirty"],
    );
    assert!(again.contains("already exists"), "{again}");

    // The package page shows the README and how to use the crate.
    let page = Client::new()
        .get(server.url("/users/alice/packages/cargo/package/beta"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("The readme of beta."), "{page}");
    assert!(
        page.contains("cargo add beta@1.0.0 --registry entrepot"),
        "{page}"
    );
    assert!(page.contains(&index), "{page}");
}

#[test]
fn a_yanked_version_is_skipped_by_new_resolutions_but_builds_when_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t, index) = setup(dir.path());
    let alice = Cargo::new(dir.path(), "alice", &index);
    for version in ["1.0.0", "1.1.0"] {
        alice.publish(&library(dir.path(), "alpha", version, "", None), &t);
    }
    let deps = "alpha = { version = \"1\", registry = \"entrepot\" }\n";
    let consumer = Cargo::new(dir.path(), "consumer", &index);
    let first = binary(dir.path(), "first", deps, "alpha");
    let out = consumer.ok(&first, Some(&t), &["run"]);
    assert!(out.contains("alpha 1.1.0"), "{out}");

    let out = alice.ok(
        dir.path(),
        Some(&t),
        &["yank", "--registry", "entrepot", "alpha@1.1.0"],
    );
    assert!(out.contains("Yank alpha@1.1.0"), "{out}");

    // A new project resolves ^1 to 1.0.0, through the same cargo home,
    // whose cached index file is revalidated (a new ETag: 200).
    let second = binary(dir.path(), "second", deps, "alpha");
    let out = consumer.ok(&second, Some(&t), &["run"]);
    assert!(out.contains("alpha 1.0.0"), "{out}");
    assert!(
        locked(&second)
            .iter()
            .any(|(n, v, _)| n == "alpha" && v == "1.0.0")
    );
    // The first project's lockfile still pins 1.1.0, which still builds,
    // even for someone who never downloaded it.
    let fresh = Cargo::new(dir.path(), "fresh", &index);
    let out = fresh.ok(&first, Some(&t), &["run", "--locked"]);
    assert!(out.contains("alpha 1.1.0"), "{out}");
    assert!(
        out.contains("Downloaded alpha v1.1.0 (registry `entrepot`)"),
        "{out}"
    );

    // Undone, 1.1.0 is chosen again.
    let out = alice.ok(
        dir.path(),
        Some(&t),
        &["yank", "--undo", "--registry", "entrepot", "alpha@1.1.0"],
    );
    assert!(out.contains("Unyank alpha@1.1.0"), "{out}");
    let third = binary(dir.path(), "third", deps, "alpha");
    let out = consumer.ok(&third, Some(&t), &["run"]);
    assert!(out.contains("alpha 1.1.0"), "{out}");

    // Yanking needs delete:packages.
    let no_delete = token(&server, "alice", "read:packages,write:packages");
    let out = alice.fails(
        dir.path(),
        Some(&no_delete),
        &["yank", "--registry", "entrepot", "alpha@1.1.0"],
    );
    assert!(
        out.contains("403") && out.contains("delete:packages"),
        "{out}"
    );
}

#[test]
fn cargo_without_a_token_or_with_someone_elses_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t, index) = setup(dir.path());
    let alice = Cargo::new(dir.path(), "alice", &index);
    alice.publish(&library(dir.path(), "alpha", "1.0.0", "", None), &t);
    let app = binary(
        dir.path(),
        "app",
        "alpha = { version = \"1\", registry = \"entrepot\" }\n",
        "alpha",
    );

    // No token: config.json answers 401, and cargo has nothing to retry with.
    let anonymous = Cargo::new(dir.path(), "anonymous", &index);
    let out = anonymous.fails(&app, None, &["build"]);
    assert!(out.contains("no token found for `entrepot`"), "{out}");

    // Bob's token reads nothing of alice's private registry…
    let bob_token = token(&server, "bob", "read:packages,write:packages");
    let bob = Cargo::new(dir.path(), "bob", &index);
    let out = bob.fails(&app, Some(&bob_token), &["build"]);
    assert!(
        out.contains("no matching package named `alpha` found"),
        "{out}"
    );
    // …and publishes nothing into it: not a new crate, not a new version
    // of alice's (answered alike, so that bob learns nothing of it).
    for (name, version) in [("bobs", "1.0.0"), ("alpha", "2.0.0")] {
        let out = bob.fails(
            &library(dir.path(), name, version, "", None),
            Some(&bob_token),
            &["publish", "--registry", "entrepot", "--allow-dirty"],
        );
        assert!(
            out.contains("403") && out.contains("only the owner"),
            "{out}"
        );
    }
    let listed = api(&server, &t, "/api/v3/user/packages?package_type=cargo");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

#[test]
fn owners_and_search_work_with_cargo() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t, index) = setup(dir.path());
    let alice = Cargo::new(dir.path(), "alice", &index);
    alice.publish(&library(dir.path(), "alpha", "1.0.0", "", None), &t);
    alice.publish(&library(dir.path(), "beta-tools", "0.3.0", "", None), &t);

    let out = alice.ok(
        dir.path(),
        Some(&t),
        &["search", "--registry", "entrepot", "alpha"],
    );
    assert!(
        out.contains("alpha = \"1.0.0\"") && out.contains("# The alpha crate"),
        "{out}"
    );
    assert!(!out.contains("beta"), "{out}");
    // Names match with `-` and `_` alike.
    let out = alice.ok(
        dir.path(),
        Some(&t),
        &["search", "--registry", "entrepot", "beta_tools"],
    );
    assert!(out.contains("beta-tools = \"0.3.0\""), "{out}");

    // Adding bob as an owner lets him publish the next version.
    let owners = |who: &Cargo, token: &str| {
        who.ok(
            dir.path(),
            Some(token),
            &["owner", "--registry", "entrepot", "--list", "alpha"],
        )
    };
    assert!(!owners(&alice, &t).contains("bob"));
    let out = alice.ok(
        dir.path(),
        Some(&t),
        &["owner", "--registry", "entrepot", "--add", "bob", "alpha"],
    );
    assert!(out.contains("bob added to crate `alpha`"), "{out}");
    let bob_token = token(
        &server,
        "bob",
        "read:packages,write:packages,delete:packages",
    );
    let bob = Cargo::new(dir.path(), "bob", &index);
    let listed = owners(&bob, &bob_token);
    assert!(
        listed.contains("alice") && listed.contains("bob"),
        "{listed}"
    );
    bob.publish(&library(dir.path(), "alpha", "1.1.0", "", None), &bob_token);

    // Removed again, he cannot; and alice, who owns the registry, stays.
    alice.ok(
        dir.path(),
        Some(&t),
        &[
            "owner",
            "--registry",
            "entrepot",
            "--remove",
            "bob",
            "alpha",
        ],
    );
    let out = bob.fails(
        &library(dir.path(), "alpha", "1.2.0", "", None),
        Some(&bob_token),
        &["publish", "--registry", "entrepot", "--allow-dirty"],
    );
    assert!(out.contains("403"), "{out}");
    let out = alice.fails(
        dir.path(),
        Some(&t),
        &[
            "owner",
            "--registry",
            "entrepot",
            "--remove",
            "alice",
            "alpha",
        ],
    );
    assert!(out.contains("stays an owner"), "{out}");
}

#[test]
fn an_all_public_registry_builds_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t, index) = setup(dir.path());
    let alice = Cargo::new(dir.path(), "alice", &index);
    alice.publish(&library(dir.path(), "alpha", "1.0.0", "", None), &t);
    make_public(&server, &t, "cargo", "alpha");

    let config: Value = Client::new()
        .get(server.url("/cargo/alice/index/config.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(config["auth-required"], false, "{config}");
    let anonymous = Cargo::new(dir.path(), "anonymous", &index);
    let app = binary(
        dir.path(),
        "app",
        "alpha = { version = \"1\", registry = \"entrepot\" }\n",
        "alpha",
    );
    let out = anonymous.ok(&app, None, &["run"]);
    assert!(out.contains("alpha 1.0.0"), "{out}");

    // A new crate is private: the registry asks for a token again, and
    // alice's publish goes through the challenge and waits for its crate.
    let out = alice.publish(&library(dir.path(), "beta", "1.0.0", "", None), &t);
    assert!(out.contains("Published beta v1.0.0"), "{out}");
    let status = Client::new()
        .get(server.url("/cargo/alice/index/config.json"))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

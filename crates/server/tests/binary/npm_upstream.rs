//! The real npm CLI pointed at Entrepot alone (`registry=BASE/npm/`), with
//! Verdaccio 6.8 on loopback as the default npm upstream: a tree mixing a
//! local `@alice/` package, unscoped and foreign-scoped upstream packages
//! installs; alice's scope never comes from the upstream; with the
//! upstream stopped, the cached tree installs again from a fresh client
//! cache, and an uncached name fails with a clear message. pnpm 10 installs
//! the same tree, and again from its lockfile with the upstream down.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::npm::{NpmUser, project};
use crate::common::process::text;
use crate::common::{Server, free_port, token};

const VERDACCIO: &str = "/opt/verdaccio-peer/node_modules/.bin/verdaccio";

/// Verdaccio on a loopback port, with its own storage and one user who
/// publishes there.
struct Verdaccio {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Verdaccio {
    fn start() -> Verdaccio {
        assert!(
            Path::new(VERDACCIO).exists(),
            "Verdaccio is missing: scripts/install-verdaccio installs it"
        );
        let dir = tempfile::tempdir().unwrap();
        let config = "storage: ./storage\n\
            auth:\n  htpasswd:\n    file: ./htpasswd\n    max_users: 1000\n\
            uplinks: {}\n\
            packages:\n  '@*/*':\n    access: $all\n    publish: $authenticated\n\
            \x20 '**':\n    access: $all\n    publish: $authenticated\n\
            log: { type: stdout, format: pretty, level: warn }\n\
            web:\n  enable: false\n";
        std::fs::write(dir.path().join("config.yaml"), config).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("verdaccio.log")).unwrap();
        let child = Command::new(VERDACCIO)
            .arg("--config")
            .arg(dir.path().join("config.yaml"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("Verdaccio starts");
        let url = format!("http://127.0.0.1:{port}/");
        let deadline = Instant::now() + Duration::from_mins(1);
        let client = reqwest::blocking::Client::new();
        while !client
            .get(format!("{url}-/ping"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "Verdaccio did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let added: Value = client
            .put(format!("{url}-/user/org.couchdb.user:loader"))
            .json(&json!({"name": "loader", "password": "loader-pass-1"}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let token = added["token"].as_str().expect("Verdaccio's token");
        let rc = format!(
            "registry={url}\n//127.0.0.1:{port}/:_authToken={token}\naudit=false\nfund=false\n"
        );
        std::fs::write(dir.path().join(".npmrc"), rc).unwrap();
        Verdaccio { child, url, dir }
    }

    /// Publishes `name@version` with `dependencies` to Verdaccio.
    fn publish(&self, name: &str, version: &str, dependencies: &Value) {
        let folder = package(self.dir.path(), name, version, dependencies);
        let out = Command::new("npm")
            .arg("publish")
            .current_dir(&folder)
            .env("NPM_CONFIG_USERCONFIG", self.dir.path().join(".npmrc"))
            .env("npm_config_cache", self.dir.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "publishing {name} to Verdaccio: {}",
            text(&out)
        );
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Verdaccio {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A package folder whose module exports its name and version.
fn package(parent: &Path, name: &str, version: &str, dependencies: &Value) -> PathBuf {
    let dir = parent.join(format!("{}-{version}", name.replace(['@', '/'], "_")));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = json!({"name": name, "version": version, "main": "index.js",
                          "license": "MIT", "dependencies": dependencies});
    std::fs::write(dir.join("package.json"), manifest.to_string()).unwrap();
    std::fs::write(
        dir.join("index.js"),
        format!("module.exports = \"{name}@{version}\";\n"),
    )
    .unwrap();
    dir
}

/// An npm user whose only registry is Entrepot's, with `token`.
fn consumer(server: &Server, token: &str) -> NpmUser {
    let user = NpmUser::new(server, &[], Some(token));
    let registry = server.url("/npm/");
    let host_path = registry.trim_start_matches("http://");
    let rc = format!(
        "registry={registry}\n//{host_path}:_authToken={token}\naudit=false\nfund=false\nupdate-notifier=false\n"
    );
    std::fs::write(user.npmrc(), rc).unwrap();
    user
}

const PNPM: &str = "/opt/pnpm/node_modules/.bin/pnpm";

/// Runs pnpm in `cwd` with `user`'s `.npmrc` as the project's, its own
/// store `store`, and no other configuration.
fn pnpm(user: &NpmUser, cwd: &Path, store: &str, args: &[&str]) -> std::process::Output {
    assert!(
        Path::new(PNPM).exists(),
        "pnpm is missing: scripts/install-pnpm installs it"
    );
    std::fs::copy(user.npmrc(), cwd.join(".npmrc")).unwrap();
    let home = user.dir.path().join(format!("home-{store}"));
    std::fs::create_dir_all(&home).unwrap();
    Command::new(PNPM)
        .args(args)
        .arg("--store-dir")
        .arg(user.dir.path().join(store))
        .current_dir(cwd)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("npm_config_update_notifier", "false")
        .env("CI", "true")
        .stdin(Stdio::null())
        .output()
        .expect("pnpm runs")
}

/// Whether pnpm's virtual store holds `name@version`.
fn in_pnpm_store(app: &Path, name: &str, version: &str) -> bool {
    app.join("node_modules/.pnpm")
        .join(format!("{}@{version}", name.replace('/', "+")))
        .is_dir()
}

fn installed_version(app: &Path, name: &str) -> String {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(app.join("node_modules").join(name).join("package.json"))
            .unwrap_or_else(|e| panic!("{name} is installed: {e}")),
    )
    .unwrap();
    manifest["version"].as_str().unwrap().to_owned()
}

#[test]
fn npm_installs_a_mixed_tree_through_entrepot_alone_and_again_with_the_upstream_down() {
    let mut verdaccio = Verdaccio::start();
    verdaccio.publish("dep-b", "1.0.0", &json!({}));
    verdaccio.publish("dep-b", "1.1.0", &json!({}));
    verdaccio.publish("dep-a", "1.0.0", &json!({"dep-b": "^1.0.0"}));
    verdaccio.publish("@ext/lib", "2.0.0", &json!({"dep-b": "^1.0.0"}));
    // Someone else's `@alice/app`, higher than alice's own.
    verdaccio.publish("@alice/app", "9.9.9", &json!({}));

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&[
        "upstream",
        "add",
        "npmjs",
        "--format",
        "npm",
        "--url",
        &verdaccio.url,
        "--default",
    ]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let alice = consumer(&server, &t);
    let app_deps = json!({"dep-a": "^1.0.0", "@ext/lib": "^2.0.0"});
    alice.npm_ok(
        &package(alice.dir.path(), "@alice/app", "1.0.0", &app_deps),
        &["publish"],
    );

    let user = consumer(&server, &t);
    let work = project(user.dir.path(), "work");
    user.npm_ok(&work, &["install", "@alice/app"]);
    assert_eq!(
        installed_version(&work, "@alice/app"),
        "1.0.0",
        "alice's own"
    );
    assert_eq!(installed_version(&work, "dep-a"), "1.0.0");
    assert_eq!(installed_version(&work, "dep-b"), "1.1.0");
    assert_eq!(installed_version(&work, "@ext/lib"), "2.0.0");
    let node = Command::new("node")
        .args(["-e", "console.log(require('dep-a'), require('@ext/lib'))"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&node.stdout).trim(),
        "dep-a@1.0.0 @ext/lib@2.0.0"
    );
    let lock = std::fs::read_to_string(work.join("package-lock.json")).unwrap();
    assert!(
        lock.contains(&server.url("/npm/dep-b/-/dep-b-1.1.0.tgz")),
        "every tarball resolves to Entrepot: {lock}"
    );
    assert!(!lock.contains(&verdaccio.url), "{lock}");
    let pinned = user.npm(&work, &["install", "@alice/app@9.9.9"]);
    assert!(
        !pinned.status.success(),
        "the upstream's @alice/app is never served"
    );

    // pnpm installs the same tree.
    let by_pnpm = project(user.dir.path(), "by-pnpm");
    let out = pnpm(&user, &by_pnpm, "store", &["add", "@alice/app"]);
    assert!(out.status.success(), "pnpm: {}", text(&out));
    assert_eq!(installed_version(&by_pnpm, "@alice/app"), "1.0.0");
    for (name, version) in [
        ("dep-a", "1.0.0"),
        ("dep-b", "1.1.0"),
        ("@ext/lib", "2.0.0"),
    ] {
        assert!(
            in_pnpm_store(&by_pnpm, name, version),
            "pnpm installed {name}@{version}: {}",
            text(&out)
        );
    }

    // The upstream goes away: the cached tree installs from a fresh client
    // cache, and a name never cached fails naming the upstream.
    verdaccio.stop();
    std::fs::remove_dir_all(by_pnpm.join("node_modules")).unwrap();
    let out = pnpm(
        &user,
        &by_pnpm,
        "fresh-store",
        &["install", "--frozen-lockfile"],
    );
    assert!(out.status.success(), "pnpm, upstream down: {}", text(&out));
    assert!(in_pnpm_store(&by_pnpm, "dep-b", "1.1.0"));
    std::fs::remove_dir_all(work.join("node_modules")).unwrap();
    let fresh = consumer(&server, &t);
    fresh.npm_ok(&work, &["ci"]);
    assert_eq!(installed_version(&work, "dep-b"), "1.1.0");
    let ghost = fresh.npm(&work, &["install", "ghost-package"]);
    assert!(!ghost.status.success());
    let said = text(&ghost);
    assert!(said.contains("502") && said.contains("npmjs"), "{said}");
}

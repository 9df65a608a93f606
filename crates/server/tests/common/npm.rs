//! Driving the real npm CLI from tests.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;

use super::Server;

/// A scratch folder with its own `.npmrc` and npm cache.
pub struct NpmUser {
    pub dir: tempfile::TempDir,
}

impl NpmUser {
    /// An npm user with `token` for `scopes` on `server` (no token: anonymous).
    pub fn new(server: &Server, scopes: &[&str], token: Option<&str>) -> NpmUser {
        let dir = tempfile::tempdir().unwrap();
        let registry = server.url("/npm/");
        let mut rc = String::from("audit=false\nfund=false\nupdate-notifier=false\n");
        for scope in scopes {
            writeln!(rc, "@{scope}:registry={registry}").unwrap();
        }
        if let Some(t) = token {
            let host_path = registry.trim_start_matches("http://");
            writeln!(rc, "//{host_path}:_authToken={t}").unwrap();
        }
        std::fs::write(dir.path().join(".npmrc"), rc).unwrap();
        NpmUser { dir }
    }

    pub fn npmrc(&self) -> PathBuf {
        self.dir.path().join(".npmrc")
    }

    /// Runs npm in `cwd` with this user's configuration and an empty cache.
    pub fn npm(&self, cwd: &Path, args: &[&str]) -> Output {
        Command::new("npm")
            .args(args)
            .current_dir(cwd)
            .env("NPM_CONFIG_USERCONFIG", self.npmrc())
            .env("npm_config_cache", self.dir.path().join("cache"))
            .env("NO_UPDATE_NOTIFIER", "1")
            .output()
            .expect("npm runs")
    }

    pub fn npm_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.npm(cwd, args);
        assert!(
            out.status.success(),
            "npm {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Writes a package folder for `name`@`version` with a README.
pub fn package(parent: &Path, name: &str, version: &str) -> PathBuf {
    let dir = parent.join(format!("{}-{version}", name.replace(['@', '/'], "_")));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = json!({
        "name": name, "version": version, "description": "says hello", "main": "index.js",
        "license": "MIT", "repository": {"type": "git", "url": "git+https://github.com/alice/hello.git"},
    });
    std::fs::write(dir.join("package.json"), manifest.to_string()).unwrap();
    std::fs::write(
        dir.join("index.js"),
        format!("module.exports = {version:?};\n"),
    )
    .unwrap();
    std::fs::write(
        dir.join("README.md"),
        format!("# {name}\n\nVersion {version} says hello.\n"),
    )
    .unwrap();
    dir
}

pub fn project(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("package.json"),
        json!({"name": name, "version": "1.0.0", "private": true}).to_string(),
    )
    .unwrap();
    dir
}

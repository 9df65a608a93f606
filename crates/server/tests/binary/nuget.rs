//! The NuGet feed with the real clients: NuGet.exe 5.8 on mono (the v3
//! protocol: `pack`, `push`, `install`, `restore` of a `packages.config`,
//! `list` and `delete`, which unlists) and Debian's `nuget` 2.8 (the v2 feed
//! only, and anonymous only, since it cannot answer a 401 without a prompt).
//! Every client has a home of its own, so that none reads another's HTTP
//! cache (where NuGet keeps `index.json` and registrations for 30 minutes),
//! global packages folder or settings; a test makes a new one whenever the
//! feed changed since a client last read it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::process::{run_within, text};
use crate::common::{Server, alice_packages, make_public, server_with_alice, token};
use reqwest::blocking::Client;
use serde_json::Value;

/// NuGet.exe 5.8, as the npm package `nuget-exe` ships it; mono runs it.
const NUGET_EXE: &str = "/opt/nuget-exe/node_modules/nuget-exe/nuget-5.8.0.exe";

/// Debian's NuGet 2.8.7.
const NUGET_2: &str = "/usr/bin/nuget";

/// How long one client command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_mins(3);

/// The `<repository>` element of a nuspec, naming `alice/tiny`.
const REPOSITORY: &str = r#"<repository type="git" url="https://github.com/alice/tiny" />"#;

/// Folders made so far, so that each client and each build has its own.
static FOLDERS: AtomicUsize = AtomicUsize::new(0);

/// A folder under `parent` that no other part of the test uses.
pub(crate) fn fresh_folder(parent: &Path, name: &str) -> PathBuf {
    let path = parent.join(format!("{name}-{}", FOLDERS.fetch_add(1, Ordering::SeqCst)));
    std::fs::create_dir_all(&path).unwrap();
    path
}

/// One NuGet user: a folder with its own `HOME` (where NuGet keeps its
/// settings, its HTTP cache and its global packages folder) and temporary
/// folder, and the `nuget.config` its commands are given.
pub(crate) struct NuGet {
    root: PathBuf,
    config: PathBuf,
}

impl NuGet {
    /// A user with nothing cached, reading `config`.
    pub(crate) fn new(parent: &Path, name: &str, config: &Path) -> NuGet {
        let root = fresh_folder(parent, name);
        for sub in ["home", "tmp", "inst"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        NuGet {
            root,
            config: config.to_owned(),
        }
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// Where `install` puts packages.
    pub(crate) fn inst(&self) -> PathBuf {
        self.root.join("inst")
    }

    /// `program ARGS` in this user's folder, with its environment and none
    /// of the machine's NuGet, XDG or proxy settings; stdin is empty, so
    /// that a prompt cannot hang.
    pub(crate) fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("NUGET") || upper.starts_with("XDG_") || upper.ends_with("_PROXY")
            {
                cmd.env_remove(key);
            }
        }
        let home = self.home();
        cmd.args(args)
            .current_dir(&self.root)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("TMPDIR", self.root.join("tmp"))
            .stdin(Stdio::null());
        cmd
    }

    /// NuGet.exe `ARGS -NonInteractive`.
    pub(crate) fn exe(&self, args: &[&str]) -> Output {
        let mut all = vec![NUGET_EXE];
        all.extend_from_slice(args);
        all.push("-NonInteractive");
        run_within(&mut self.command("mono", &all), COMMAND_TIMEOUT)
    }

    /// NuGet.exe `ARGS -NonInteractive -ConfigFile CONFIG`.
    pub(crate) fn configured(&self, args: &[&str]) -> Output {
        let config = self.config.to_str().unwrap().to_owned();
        let mut all = args.to_vec();
        all.extend_from_slice(&["-ConfigFile", &config]);
        self.exe(&all)
    }

    /// Like `configured`, asserting success; the output.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.configured(args);
        assert!(
            out.status.success(),
            "nuget {args:?} failed:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// `nuget push NUPKG -Source local -ApiKey KEY`.
    pub(crate) fn push(&self, nupkg: &Path, key: &str) -> Output {
        self.configured(&[
            "push",
            nupkg.to_str().unwrap(),
            "-Source",
            "local",
            "-ApiKey",
            key,
        ])
    }

    /// `nuget install ID -Source local -OutputDirectory inst`, and `more`.
    pub(crate) fn install(&self, id: &str, more: &[&str]) -> Output {
        let inst = self.inst();
        let mut args = vec![
            "install",
            id,
            "-Source",
            "local",
            "-OutputDirectory",
            inst.to_str().unwrap(),
        ];
        args.extend_from_slice(more);
        self.configured(&args)
    }

    /// The `ID VERSION` lines `nuget list ARGS` printed.
    pub(crate) fn list(&self, id: &str, more: &[&str]) -> Vec<String> {
        let mut args = vec!["list", "-Source", "local"];
        args.extend_from_slice(more);
        let out = self.ok(&args);
        let prefix = format!("{id} ");
        let mut lines: Vec<String> = out
            .lines()
            .filter(|l| l.starts_with(&prefix))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    }

    /// Debian's `nuget install ID -Source V2FEED -OutputDirectory inst`, and
    /// `more`.
    pub(crate) fn install_v2(&self, id: &str, feed: &str, more: &[&str]) -> Output {
        let inst = self.inst();
        let mut args = vec![
            "install",
            id,
            "-Source",
            feed,
            "-OutputDirectory",
            inst.to_str().unwrap(),
            "-NonInteractive",
        ];
        args.extend_from_slice(more);
        run_within(&mut self.command(NUGET_2, &args), COMMAND_TIMEOUT)
    }

    /// The folders `install` made (`ID.VERSION`), sorted.
    pub(crate) fn installed(&self) -> Vec<String> {
        folders(&self.inst())
    }

    /// Writes a nuspec for `id` `version` (with `extra` metadata) and a
    /// `content/readme.txt` saying `ID VERSION`, runs `nuget pack` and
    /// returns the package it made.
    pub(crate) fn pack(&self, id: &str, version: &str, extra: &str) -> PathBuf {
        let src = fresh_folder(&self.root, &format!("src-{id}-{version}"));
        std::fs::create_dir_all(src.join("lib/netstandard2.0")).unwrap();
        std::fs::write(
            src.join("lib/netstandard2.0/readme.txt"),
            format!("{id} {version}\n"),
        )
        .unwrap();
        let nuspec = src.join(format!("{id}.nuspec"));
        std::fs::write(
            &nuspec,
            format!(
                r#"<?xml version="1.0"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{id}</id><version>{version}</version><authors>Alice</authors>
    <description>{id}, a package for Entrepot's tests</description>
    {extra}
  </metadata>
  <files><file src="lib/netstandard2.0/readme.txt" target="content/readme.txt" /></files>
</package>
"#
            ),
        )
        .unwrap();
        let out_dir = src.join("out");
        let out = self.exe(&[
            "pack",
            nuspec.to_str().unwrap(),
            "-OutputDirectory",
            out_dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "pack {id} {version}: {}", text(&out));
        let nupkg = out_dir.join(format!("{id}.{version}.nupkg"));
        assert!(
            nupkg.is_file(),
            "pack made {}: {}",
            nupkg.display(),
            text(&out)
        );
        nupkg
    }
}

/// The names in `dir`, sorted (none when it does not exist).
pub(crate) fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A `nuget.config` in a folder of its own under `parent` whose one source,
/// `local`, is `owner`'s feed, with `user`'s token as its credentials when
/// given.
pub(crate) fn feed_config(
    parent: &Path,
    server: &Server,
    owner: &str,
    credentials: Option<(&str, &str)>,
) -> PathBuf {
    let url = server.url(&format!("/nuget/{owner}/index.json"));
    let credentials = credentials.map_or(String::new(), |(user, token)| {
        format!(
            r#"
  <packageSourceCredentials><local>
    <add key="Username" value="{user}" /><add key="ClearTextPassword" value="{token}" />
  </local></packageSourceCredentials>"#
        )
    });
    let path = fresh_folder(parent, "config").join("nuget.config");
    std::fs::write(
        &path,
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources><clear /><add key="local" value="{url}" /></packageSources>{credentials}
</configuration>
"#
        ),
    )
    .unwrap();
    path
}

/// Asserts that `out` succeeded and said `expected`.
pub(crate) fn assert_said(out: &Output, expected: &str) {
    assert!(
        out.status.success() && text(out).contains(expected),
        "expected success and {expected:?}:\n{}",
        text(out)
    );
}

/// The `content/readme.txt` an installed package folder holds.
pub(crate) fn readme(packages: &Path, folder: &str) -> String {
    std::fs::read_to_string(packages.join(folder).join("content/readme.txt"))
        .unwrap_or_else(|e| panic!("{folder} has its readme: {e}"))
}

/// The status and JSON body of a GET as `user` with `token`.
fn get_json(url: &str, user: &str, token: &str) -> (u16, Value) {
    let response = Client::new()
        .get(url)
        .basic_auth(user, Some(token))
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

#[test]
fn nuget_exe_pushes_installs_restores_and_lists_private_packages_and_prereleases() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    server.admin(&["repo", "create", "alice/tiny"]);
    let config = feed_config(dir.path(), &server, "alice", Some(("alice", &t)));
    let pusher = NuGet::new(dir.path(), "pusher", &config);
    let mut nupkgs = Vec::new();
    for version in ["1.0.0", "1.1.0", "2.0.0-beta"] {
        let nupkg = pusher.pack("Tiny.Demo", version, REPOSITORY);
        assert_said(&pusher.push(&nupkg, &t), "Your package was pushed.");
        nupkgs.push(nupkg);
    }
    // Versions are immutable: pushing 1.1.0 again is a conflict.
    let again = pusher.push(&nupkgs[1], &t);
    assert!(!again.status.success(), "{}", text(&again));
    // NuGet prints the reason phrase, which carries why.
    assert!(text(&again).contains("409 (Conflict: "), "{}", text(&again));

    // A consumer gets the newest release, and with -Prerelease the beta.
    let consumer = NuGet::new(dir.path(), "consumer", &config);
    assert_said(
        &consumer.install("Tiny.Demo", &[]),
        "Successfully installed 'Tiny.Demo 1.1.0'",
    );
    assert_eq!(consumer.installed(), ["Tiny.Demo.1.1.0"]);
    assert_eq!(
        readme(&consumer.inst(), "Tiny.Demo.1.1.0"),
        "Tiny.Demo 1.1.0\n"
    );
    assert_said(
        &consumer.install("Tiny.Demo", &["-Prerelease"]),
        "Successfully installed 'Tiny.Demo 2.0.0-beta'",
    );
    assert_eq!(
        consumer.installed(),
        ["Tiny.Demo.1.1.0", "Tiny.Demo.2.0.0-beta"]
    );
    assert_eq!(
        readme(&consumer.inst(), "Tiny.Demo.2.0.0-beta"),
        "Tiny.Demo 2.0.0-beta\n"
    );

    // With its caches cleared, the consumer restores a packages.config from
    // the feed.
    let global = consumer.home().join(".nuget/packages");
    assert_eq!(folders(&global), ["tiny.demo"], "install filled the cache");
    consumer.ok(&["locals", "all", "-clear"]);
    assert!(folders(&global).is_empty(), "the cache is empty");
    std::fs::write(
        consumer.root.join("packages.config"),
        r#"<?xml version="1.0" encoding="utf-8"?>
<packages>
  <package id="Tiny.Demo" version="1.0.0" />
</packages>
"#,
    )
    .unwrap();
    let restored = consumer.ok(&[
        "restore",
        "packages.config",
        "-PackagesDirectory",
        "packages",
    ]);
    assert!(
        restored
            .contains(&server.url("/nuget/alice/v3/flat/tiny.demo/1.0.0/tiny.demo.1.0.0.nupkg")),
        "restore downloaded the package: {restored}"
    );
    let packages = consumer.root.join("packages");
    assert_eq!(folders(&packages), ["Tiny.Demo.1.0.0"]);
    assert_eq!(readme(&packages, "Tiny.Demo.1.0.0"), "Tiny.Demo 1.0.0\n");

    // `nuget list` (the v2 feed) shows the newest release, or every version.
    let lister = NuGet::new(dir.path(), "lister", &config);
    assert_eq!(lister.list("Tiny.Demo", &[]), ["Tiny.Demo 1.1.0"]);
    assert_eq!(
        lister.list("Tiny.Demo", &["-AllVersions", "-PreRelease"]),
        ["Tiny.Demo 1.0.0", "Tiny.Demo 1.1.0", "Tiny.Demo 2.0.0-beta"]
    );

    // The REST API knows the package (by its lowercase id), private and in
    // the repository its nuspec named.
    let packages = alice_packages(&server, &t, "nuget");
    assert_eq!(packages.as_array().map(Vec::len), Some(1), "{packages}");
    assert_eq!(packages[0]["name"], "tiny.demo", "{packages}");
    assert_eq!(packages[0]["package_type"], "nuget");
    assert_eq!(packages[0]["visibility"], "private");
    assert_eq!(packages[0]["repository"]["full_name"], "alice/tiny");
}

#[test]
fn nuget_exe_delete_unlists_a_version_which_stays_installable_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    let config = feed_config(dir.path(), &server, "alice", Some(("alice", &t)));
    let pusher = NuGet::new(dir.path(), "pusher", &config);
    for version in ["1.0.0", "1.1.0"] {
        let nupkg = pusher.pack("Tiny.Demo", version, "");
        assert_said(&pusher.push(&nupkg, &t), "Your package was pushed.");
    }
    let delete = |version: &str, key: &str| {
        pusher.configured(&[
            "delete",
            "Tiny.Demo",
            version,
            "-Source",
            "local",
            "-ApiKey",
            key,
        ])
    };
    // Unlisting takes `delete:packages`.
    let write_only = token(&server, "alice", "read:packages,write:packages");
    let refused = delete("1.0.0", &write_only);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("403 (Forbidden: ") && text(&refused).contains("delete:packages"),
        "{}",
        text(&refused)
    );
    assert_said(
        &delete("1.1.0", &t),
        "Tiny.Demo 1.1.0 was deleted successfully.",
    );

    // The registration keeps 1.1.0, marked unlisted the way NuGet reads it.
    let (status, registration) = get_json(
        &server.url("/nuget/alice/v3/registration-semver2/tiny.demo/index.json"),
        "alice",
        &t,
    );
    assert_eq!(status, 200, "{registration}");
    let entries: Vec<&Value> = registration["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap())
        .map(|leaf| &leaf["catalogEntry"])
        .collect();
    let listing: Vec<(&str, bool, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["version"].as_str().unwrap(),
                e["listed"].as_bool().unwrap(),
                e["published"].as_str().unwrap().starts_with("1900-"),
            )
        })
        .collect();
    assert_eq!(
        listing,
        [("1.0.0", true, false), ("1.1.0", false, true)],
        "{registration}"
    );

    // `nuget list` no longer shows it, even with -AllVersions.
    let lister = NuGet::new(dir.path(), "lister", &config);
    assert_eq!(lister.list("Tiny.Demo", &[]), ["Tiny.Demo 1.0.0"]);
    assert_eq!(
        lister.list("Tiny.Demo", &["-AllVersions", "-PreRelease"]),
        ["Tiny.Demo 1.0.0"]
    );

    // It stays installable by its number.
    let pinned = NuGet::new(dir.path(), "pinned", &config);
    assert_said(
        &pinned.install("Tiny.Demo", &["-Version", "1.1.0"]),
        "Successfully installed 'Tiny.Demo 1.1.0'",
    );
    assert_eq!(pinned.installed(), ["Tiny.Demo.1.1.0"]);

    // NuGet.exe's `install` without a version looks for the newest version
    // *including unlisted ones* (`includeUnlisted: true` in its
    // InstallCommand; NuGet/Home#7466, as on nuget.org): it still takes
    // 1.1.0, whatever the feed says.
    let newest = NuGet::new(dir.path(), "newest", &config);
    assert_said(
        &newest.install("Tiny.Demo", &[]),
        "Successfully installed 'Tiny.Demo 1.1.0'",
    );
    assert_eq!(newest.installed(), ["Tiny.Demo.1.1.0"]);

    // NuGet 2.8, which honours listing, takes 1.0.0 through the v2 feed
    // (once the package is public, as it cannot sign in), and 1.1.0 by its
    // number.
    make_public(&server, &t, "nuget", "tiny.demo");
    let feed = server.url("/nuget/alice/api/v2/");
    let v2 = NuGet::new(dir.path(), "v2", &config);
    assert_said(
        &v2.install_v2("Tiny.Demo", &feed, &[]),
        "Successfully installed 'Tiny.Demo 1.0.0'",
    );
    assert_said(
        &v2.install_v2("Tiny.Demo", &feed, &["-Version", "1.1.0"]),
        "Successfully installed 'Tiny.Demo 1.1.0'",
    );
    assert_eq!(v2.installed(), ["Tiny.Demo.1.0.0", "Tiny.Demo.1.1.0"]);
}

#[test]
fn debian_nuget_2_8_installs_and_pushes_through_the_v2_feed() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    let config = feed_config(dir.path(), &server, "alice", Some(("alice", &t)));
    let pusher = NuGet::new(dir.path(), "pusher", &config);
    for version in ["1.0.0", "1.1.0", "2.0.0-beta"] {
        let nupkg = pusher.pack("Tiny.Demo", version, "");
        assert_said(&pusher.push(&nupkg, &t), "Your package was pushed.");
    }
    let feed = server.url("/nuget/alice/api/v2/");

    // Private, the package is not there for NuGet 2.8, which cannot sign in.
    let early = NuGet::new(dir.path(), "early", &config);
    let out = early.install_v2("Tiny.Demo", &feed, &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(early.installed().is_empty());

    make_public(&server, &t, "nuget", "tiny.demo");
    let v2 = NuGet::new(dir.path(), "v2", &config);
    assert_said(
        &v2.install_v2("Tiny.Demo", &feed, &[]),
        "Successfully installed 'Tiny.Demo 1.1.0'",
    );
    assert_eq!(v2.installed(), ["Tiny.Demo.1.1.0"]);
    assert_eq!(readme(&v2.inst(), "Tiny.Demo.1.1.0"), "Tiny.Demo 1.1.0\n");
    assert_said(
        &v2.install_v2("Tiny.Demo", &feed, &["-Version", "1.0.0"]),
        "Successfully installed 'Tiny.Demo 1.0.0'",
    );
    assert_eq!(v2.installed(), ["Tiny.Demo.1.0.0", "Tiny.Demo.1.1.0"]);
    assert_eq!(readme(&v2.inst(), "Tiny.Demo.1.0.0"), "Tiny.Demo 1.0.0\n");

    // NuGet 2.8 pushes through the v2 feed's URL with the key (its form
    // closes with a bare `\n`, which the server accepts).
    // (NuGet 2.8 on mono mangles absolute paths: the package sits in its
    // working directory.)
    let newer = pusher.pack("Tiny.Demo", "1.2.0", "");
    std::fs::copy(&newer, v2.root.join("Tiny.Demo.1.2.0.nupkg")).unwrap();
    let push_url = server.url("/nuget/alice/api/v2/package");
    let out = run_within(
        &mut v2.command(
            NUGET_2,
            &[
                "push",
                "Tiny.Demo.1.2.0.nupkg",
                &t,
                "-Source",
                &push_url,
                "-NonInteractive",
            ],
        ),
        COMMAND_TIMEOUT,
    );
    assert_said(&out, "Your package was pushed.");
    let (status, flat) = get_json(
        &server.url("/nuget/alice/v3/flat/tiny.demo/index.json"),
        "alice",
        &t,
    );
    assert_eq!(status, 200);
    assert_eq!(
        flat["versions"],
        serde_json::json!(["1.0.0", "1.1.0", "1.2.0", "2.0.0-beta"])
    );

    // Public, the v3 feed serves it to NuGet.exe without credentials too.
    let anonymous = NuGet::new(
        dir.path(),
        "anonymous",
        &feed_config(dir.path(), &server, "alice", None),
    );
    assert_said(
        &anonymous.install("Tiny.Demo", &["-Version", "1.0.0"]),
        "Successfully installed 'Tiny.Demo 1.0.0'",
    );
    assert_eq!(anonymous.installed(), ["Tiny.Demo.1.0.0"]);
}

#[test]
fn a_private_feed_refuses_anonymous_installs_and_other_users_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, t) = server_with_alice(dir.path());
    let read_only = token(&server, "alice", "read:packages");
    let bob_t = token(&server, "bob", "read:packages,write:packages");
    let config = feed_config(dir.path(), &server, "alice", Some(("alice", &t)));
    let pusher = NuGet::new(dir.path(), "pusher", &config);
    let first = pusher.pack("Tiny.Demo", "1.0.0", "");
    assert_said(&pusher.push(&first, &t), "Your package was pushed.");

    // Without credentials, NuGet.exe is refused, and gives up.
    let anonymous = NuGet::new(
        dir.path(),
        "anonymous",
        &feed_config(dir.path(), &server, "alice", None),
    );
    let out = anonymous.install("Tiny.Demo", &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("401 (Unauthorized"), "{}", text(&out));
    assert!(anonymous.installed().is_empty());
    // Bob's credentials do not open alice's private package either.
    let bob_config = feed_config(dir.path(), &server, "alice", Some(("bob", &bob_t)));
    let bob = NuGet::new(dir.path(), "bob", &bob_config);
    let out = bob.install("Tiny.Demo", &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(bob.installed().is_empty());

    // No push into alice's feed from bob, of a new version or a new package,
    // nor with alice's token without `write:packages`.
    let newer = pusher.pack("Tiny.Demo", "1.1.0", "");
    let other = pusher.pack("Bob.Thing", "1.0.0", "");
    let reader = NuGet::new(
        dir.path(),
        "reader",
        &feed_config(dir.path(), &server, "alice", Some(("alice", &read_only))),
    );
    for (who, client, nupkg, key) in [
        ("bob, a new version", &bob, &newer, bob_t.as_str()),
        ("bob, a new package", &bob, &other, bob_t.as_str()),
        ("a read-only token", &reader, &newer, read_only.as_str()),
    ] {
        let out = client.push(nupkg, key);
        assert!(
            !out.status.success() && !text(&out).contains("Your package was pushed."),
            "{who} pushed: {}",
            text(&out)
        );
    }
    let (status, versions) = get_json(
        &server.url("/nuget/alice/v3/flat/tiny.demo/index.json"),
        "alice",
        &t,
    );
    assert_eq!(status, 200);
    assert_eq!(versions["versions"], serde_json::json!(["1.0.0"]));
    let (status, _) = get_json(
        &server.url("/nuget/alice/v3/flat/bob.thing/index.json"),
        "alice",
        &t,
    );
    assert_eq!(status, 404);
}

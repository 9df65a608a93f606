//! The gem registry with the real clients, Debian's `gem` (`RubyGems` 3.3.15)
//! and Bundler 2.3.15: `gem build`, `push`, `install`, `list`, `search` and
//! `yank`, and `bundle install` and `update`, on private gems (credentials
//! in the source URL for `gem`, `bundle config` for Bundler), prereleases and
//! platform gems. Every client runs in its own home, gem home, spec cache and
//! Bundler settings, so no command reads another's caches or the machine's.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::process::{run, text};
use crate::common::{Server, alice_packages, make_public, token};
use reqwest::blocking::Client;

/// Where Debian keeps the Bundler gem that `/usr/bin/bundle` runs (2.3.15;
/// without it on `GEM_PATH`, Ruby's default Bundler 2.3.7 would run).
const DEBIAN_GEMS: &str = "/usr/share/rubygems-integration/all";

/// One Ruby user: a folder with its own `HOME`, `GEM_HOME`, spec cache and
/// Bundler settings.
pub(crate) struct Ruby {
    pub(crate) root: PathBuf,
}

impl Ruby {
    pub(crate) fn new(parent: &Path, name: &str) -> Ruby {
        let root = parent.join(format!("ruby-{name}"));
        for sub in ["home", "gems", "bundle-home", "bundle-app"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        Ruby { root }
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    pub(crate) fn gem_home(&self) -> PathBuf {
        self.root.join("gems")
    }

    /// `program` in `cwd` with this user's environment and nothing of the
    /// machine's Ruby settings; stdin is empty, so a prompt cannot hang.
    pub(crate) fn command(&self, program: &str, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            let upper = key.to_ascii_uppercase();
            if upper.starts_with("GEM")
                || upper.starts_with("BUNDLE")
                || upper.starts_with("RUBY")
                || upper.ends_with("_PROXY")
            {
                cmd.env_remove(key);
            }
        }
        let home = self.home();
        let mut gem_path = self.gem_home().into_os_string();
        if Path::new(DEBIAN_GEMS).is_dir() {
            gem_path.push(":");
            gem_path.push(DEBIAN_GEMS);
        }
        cmd.current_dir(cwd)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("GEM_HOME", self.gem_home())
            .env("GEM_PATH", gem_path)
            .env("GEM_SPEC_CACHE", self.root.join("spec-cache"))
            .env("GEMRC", home.join(".gemrc"))
            .env("BUNDLE_USER_HOME", self.root.join("bundle-home"))
            .env("BUNDLE_APP_CONFIG", self.root.join("bundle-app"))
            .env("BUNDLE_SILENCE_ROOT_WARNING", "1")
            .env("NO_PROXY", "*")
            .stdin(Stdio::null());
        cmd
    }

    pub(crate) fn run(&self, cwd: &Path, program: &str, args: &[&str]) -> Output {
        run(self.command(program, cwd).args(args))
    }

    /// Runs the command, asserts it succeeded and returns its stdout.
    pub(crate) fn ok(&self, cwd: &Path, program: &str, args: &[&str]) -> String {
        let out = self.run(cwd, program, args);
        assert!(
            out.status.success(),
            "{program} {args:?} failed:\n{}",
            text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes `~/.gem/credentials` (mode 0600, as `gem` requires) with `key`
    /// for the push host `host`.
    pub(crate) fn save_api_key(&self, host: &str, key: &str) {
        let dir = self.home().join(".gem");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, format!("---\n{host:?}: {key}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// `gem push GEM --host HOST`, with `key` in `GEM_HOST_API_KEY` (without
    /// one, `gem` reads `~/.gem/credentials`).
    pub(crate) fn push(&self, gem: &Path, host: &str, key: Option<&str>) -> Output {
        let mut cmd = self.command("gem", gem.parent().unwrap());
        cmd.arg("push").arg(gem).args(["--host", host]);
        if let Some(key) = key {
            cmd.env("GEM_HOST_API_KEY", key);
        }
        run(&mut cmd)
    }

    pub(crate) fn yank(&self, name: &str, version: &str, host: &str, key: Option<&str>) -> Output {
        let mut cmd = self.command("gem", &self.root);
        cmd.args(["yank", name, "-v", version, "--host", host]);
        if let Some(key) = key {
            cmd.env("GEM_HOST_API_KEY", key);
        }
        run(&mut cmd)
    }

    /// `gem install NAME` from `source` alone, and `more` arguments.
    pub(crate) fn install(&self, name: &str, source: &str, more: &[&str]) -> Output {
        let mut args = vec![
            "install",
            name,
            "--clear-sources",
            "--source",
            source,
            "--no-document",
        ];
        args.extend_from_slice(more);
        self.run(&self.root, "gem", &args)
    }

    /// The names of the installed gems' folders (`NAME-VERSION[-PLATFORM]`).
    pub(crate) fn installed(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.gem_home().join("gems"))
            .map(|dir| {
                dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Runs Ruby `code` with this user's gems and returns what it printed.
    pub(crate) fn ruby(&self, code: &str, args: &[&str]) -> String {
        let mut all = vec!["-e", code];
        all.extend_from_slice(args);
        self.ok(&self.root, "ruby", &all)
    }
}

/// The gem source of `owner`, with `user:token` in it when given.
pub(crate) fn source(server: &Server, owner: &str, credentials: Option<(&str, &str)>) -> String {
    let url = server.url(&format!("/rubygems/{owner}/"));
    match credentials {
        Some((user, token)) => url.replacen("http://", &format!("http://{user}:{token}@"), 1),
        None => url,
    }
}

/// The gem source of `owner` without its trailing slash: `gem push --host`.
pub(crate) fn push_host(server: &Server, owner: &str) -> String {
    server.url(&format!("/rubygems/{owner}"))
}

/// What `gem build` is given: a gemspec and its library.
pub(crate) struct GemSpec<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    /// More lines of the gemspec (dependencies, metadata, platform).
    pub(crate) extra: &'a str,
    /// The source of `lib/NAME.rb`.
    pub(crate) lib: &'a str,
}

/// Source folders of the gems built so far, so each has its own.
static BUILDS: AtomicUsize = AtomicUsize::new(0);

impl GemSpec<'_> {
    /// Writes the gem's sources under `parent`, runs `gem build` and returns
    /// the `.gem` file it made.
    pub(crate) fn build(&self, ruby: &Ruby, parent: &Path) -> PathBuf {
        let GemSpec {
            name,
            version,
            extra,
            lib,
        } = self;
        let dir = parent.join(format!(
            "src-{}-{name}-{version}",
            BUILDS.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join(format!("lib/{name}.rb")), lib).unwrap();
        std::fs::write(
            dir.join("README.md"),
            format!("# {name}\n\nVersion {version}, a gem for Entrepot's tests.\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{name}.gemspec")),
            format!(
                r#"Gem::Specification.new do |spec|
  spec.name = "{name}"
  spec.version = "{version}"
  spec.summary = "{name}, a gem for Entrepot's tests"
  spec.authors = ["Alice"]
  spec.email = "alice@example.com"
  spec.homepage = "https://example.com/{name}"
  spec.license = "MIT"
  spec.files = ["lib/{name}.rb", "README.md"]
{extra}
end
"#
            ),
        )
        .unwrap();
        ruby.ok(&dir, "gem", &["build", &format!("{name}.gemspec")]);
        let gems: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "gem"))
            .collect();
        assert_eq!(gems.len(), 1, "gem build made one gem: {gems:?}");
        gems[0].clone()
    }
}

/// A library defining `MODULE::VERSION`.
pub(crate) fn versioned_lib(module: &str, version: &str) -> String {
    format!("module {module}\n  VERSION = \"{version}\"\nend\n")
}

pub(crate) fn get(
    url: &str,
    auth: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = Client::new().get(url);
    if let Some((user, password)) = auth {
        req = req.basic_auth(user, Some(password));
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().unwrap().to_vec())
}

/// The body of `path` under the source, read as `alice` with `token`.
fn fetch(server: &Server, token: &str, path: &str) -> Vec<u8> {
    let (status, _, body) = get(
        &format!("{}{path}", source(server, "alice", None)),
        Some(("alice", token)),
    );
    assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body
}

/// The versions (`VERSION[-PLATFORM]`) the compact index's `/versions` lists
/// for `name`, read as Bundler reads it: the lines after `---`, where a later
/// line adds versions and `-VERSION` takes one back.
fn compact_versions(body: &str, name: &str) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    for line in body.lines().skip_while(|l| *l != "---").skip(1) {
        let mut fields = line.split(' ');
        if fields.next() != Some(name) {
            continue;
        }
        for version in fields.next().unwrap_or_default().split(',') {
            if let Some(yanked) = version.strip_prefix('-') {
                versions.retain(|v| v != yanked);
            } else {
                versions.push(version.to_owned());
            }
        }
    }
    versions.sort();
    versions
}

/// The versions an `/info/NAME` file describes, one a line after `---`.
fn info_versions(body: &str) -> Vec<String> {
    let mut versions: Vec<String> = body
        .lines()
        .skip_while(|l| *l != "---")
        .skip(1)
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    versions.sort();
    versions
}

/// The tuples of a legacy index (`specs.4.8.gz` and the like), unpacked by
/// Ruby's own `Marshal`: `NAME VERSION PLATFORM`, one a line.
fn legacy_index(server: &Server, token: &str, ruby: &Ruby, file: &str) -> Vec<String> {
    let path = ruby.root.join(file);
    std::fs::write(&path, fetch(server, token, file)).unwrap();
    let out = ruby.ruby(
        "require 'zlib'; Marshal.load(Zlib.gunzip(File.binread(ARGV[0]))).each { |n, v, p| puts [n, v, p].join(' ') }",
        &[path.to_str().unwrap()],
    );
    out.lines().map(str::to_owned).collect()
}

#[test]
fn gem_pushes_installs_lists_and_yanks_private_gems_and_prereleases() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/tinygem"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let host = push_host(&server, "alice");
    let src = source(&server, "alice", Some(("alice", &t)));
    let alice = Ruby::new(dir.path(), "alice");
    alice.save_api_key(&host, &t);

    let mut gems = Vec::new();
    for version in ["1.0.0", "1.1.0", "2.0.0.pre1"] {
        let gem = GemSpec {
            name: "tinygem",
            version,
            extra: r#"  spec.metadata = {"github_repo" => "ssh://github.com/alice/tinygem"}"#,
            lib: &versioned_lib("Tinygem", version),
        }
        .build(&alice, dir.path());
        let pushed = alice.push(&gem, &host, None);
        assert!(pushed.status.success(), "push {version}: {}", text(&pushed));
        gems.push(gem);
    }

    // Versions are immutable: pushing 1.1.0 again fails, with our reason.
    let again = alice.push(&gems[1], &host, None);
    assert!(!again.status.success(), "{}", text(&again));
    let reason = text(&again).to_lowercase();
    assert!(
        ["exist", "conflict", "409", "already"]
            .iter()
            .any(|w| reason.contains(w)),
        "{reason}"
    );

    // A consumer gets the newest release, not the prerelease.
    let consumer = Ruby::new(dir.path(), "consumer");
    let out = consumer.install("tinygem", &src, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(consumer.installed(), ["tinygem-1.1.0"]);
    assert!(
        consumer
            .ok(&consumer.root, "gem", &["list", "tinygem"])
            .contains("tinygem (1.1.0)")
    );
    assert_eq!(
        consumer.ruby("require 'tinygem'; print Tinygem::VERSION", &[]),
        "1.1.0"
    );
    let readme = consumer.gem_home().join("gems/tinygem-1.1.0/README.md");
    assert!(readme.is_file(), "the README came with the gem");
    // `--pre` takes the prerelease.
    let out = consumer.install("tinygem", &src, &["--pre"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        consumer.installed(),
        ["tinygem-1.1.0", "tinygem-2.0.0.pre1"]
    );

    // The legacy indexes, as `gem list -r` and `gem search -r` read them.
    let remote = Ruby::new(dir.path(), "remote");
    let listed = remote.ok(
        &remote.root,
        "gem",
        &["list", "-r", "--all", "--clear-sources", "--source", &src],
    );
    assert!(listed.contains("tinygem (1.1.0, 1.0.0)"), "{listed}");
    let found = remote.ok(
        &remote.root,
        "gem",
        &[
            "search",
            "-r",
            "--prerelease",
            "--clear-sources",
            "--source",
            &src,
            "tinygem",
        ],
    );
    assert!(found.contains("tinygem (2.0.0.pre1)"), "{found}");

    // The REST API knows the package, private and in its repository.
    let packages = alice_packages(&server, &t, "rubygems");
    assert_eq!(packages[0]["name"], "tinygem", "{packages}");
    assert_eq!(packages[0]["package_type"], "rubygems");
    assert_eq!(packages[0]["visibility"], "private");
    assert_eq!(packages[0]["repository"]["full_name"], "alice/tinygem");

    // Yanked, 1.1.0 leaves every index and a fresh consumer gets 1.0.0.
    let yanked = alice.yank("tinygem", "1.1.0", &host, None);
    assert!(yanked.status.success(), "{}", text(&yanked));
    tinygem_1_1_0_is_gone(&server, &t, &Ruby::new(dir.path(), "after-yank"));
}

/// A consumer with nothing cached gets `tinygem` 1.0.0, and no index lists
/// 1.1.0 any more.
fn tinygem_1_1_0_is_gone(server: &Server, t: &str, fresh: &Ruby) {
    let src = source(server, "alice", Some(("alice", t)));
    let out = fresh.install("tinygem", &src, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fresh.installed(), ["tinygem-1.0.0"]);
    let versions = String::from_utf8(fetch(server, t, "versions")).unwrap();
    assert_eq!(
        compact_versions(&versions, "tinygem"),
        ["1.0.0", "2.0.0.pre1"],
        "{versions}"
    );
    let info = String::from_utf8(fetch(server, t, "info/tinygem")).unwrap();
    assert_eq!(info_versions(&info), ["1.0.0", "2.0.0.pre1"], "{info}");
    assert_eq!(
        legacy_index(server, t, fresh, "specs.4.8.gz"),
        ["tinygem 1.0.0 ruby"]
    );
    assert_eq!(
        legacy_index(server, t, fresh, "prerelease_specs.4.8.gz"),
        ["tinygem 2.0.0.pre1 ruby"]
    );
    let listed = fresh.ok(
        &fresh.root,
        "gem",
        &["list", "-r", "--all", "--clear-sources", "--source", &src],
    );
    assert!(listed.contains("tinygem (1.0.0)"), "{listed}");
    let (status, _, json) = get(
        &server.url("/rubygems/alice/api/v1/gems/tinygem.json"),
        Some(("alice", t)),
    );
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(json["name"], "tinygem");
    assert_ne!(json["version"], "1.1.0", "{json}");
}

/// A Bundler project depending on `gems` from `source`, installing into its
/// own `vendor/bundle`.
pub(crate) fn project(
    ruby: &Ruby,
    parent: &Path,
    name: &str,
    source: &str,
    gems: &[&str],
) -> PathBuf {
    let app = parent.join(name);
    std::fs::create_dir_all(&app).unwrap();
    let mut gemfile = format!("source {source:?}\n\n");
    for gem in gems {
        writeln!(gemfile, "gem {gem:?}").unwrap();
    }
    std::fs::write(app.join("Gemfile"), gemfile).unwrap();
    let vendor = app.join("vendor/bundle");
    ruby.ok(
        &app,
        "bundle",
        &["config", "set", "--local", "path", vendor.to_str().unwrap()],
    );
    app
}

/// Whether Bundler cached a compact index (`versions`) from some source.
pub(crate) fn used_compact_index(ruby: &Ruby) -> bool {
    let cache = ruby.root.join("bundle-home/cache/compact_index");
    std::fs::read_dir(cache)
        .is_ok_and(|mut sources| sources.any(|s| s.unwrap().path().join("versions").is_file()))
}

#[test]
fn bundler_installs_and_updates_through_the_compact_index_with_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let host = push_host(&server, "alice");
    let url = source(&server, "alice", None);
    let pusher = Ruby::new(dir.path(), "pusher");
    let push = |spec: &GemSpec| {
        let gem = spec.build(&pusher, dir.path());
        let out = pusher.push(&gem, &host, Some(&t));
        assert!(out.status.success(), "{}", text(&out));
    };
    push(&GemSpec {
        name: "basegem",
        version: "1.0.0",
        extra: "",
        lib: &versioned_lib("Basegem", "1.0.0"),
    });
    push(&GemSpec {
        name: "appgem",
        version: "1.0.0",
        extra: r#"  spec.add_dependency "basegem", "~> 1.0""#,
        lib: "require \"basegem\"\n\nmodule Appgem\n  def self.hi\n    \"hi from appgem on basegem \" + Basegem::VERSION\n  end\nend\n",
    });

    let bundler = Ruby::new(dir.path(), "bundler");
    bundler.ok(
        dir.path(),
        "bundle",
        &["config", "set", "--global", &url, &format!("alice:{t}")],
    );
    let app = project(&bundler, dir.path(), "app", &url, &["appgem"]);
    bundler.ok(&app, "bundle", &["install"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains("    appgem (1.0.0)\n      basegem (~> 1.0)\n")
            && lock.contains("    basegem (1.0.0)\n"),
        "{lock}"
    );
    assert!(used_compact_index(&bundler), "Bundler read /versions");
    let hi = ["exec", "ruby", "-e", "require 'appgem'; print Appgem.hi"];
    assert_eq!(
        bundler.ok(&app, "bundle", &hi),
        "hi from appgem on basegem 1.0.0"
    );

    // A newer basegem: `bundle update` extends its cached index and takes it.
    push(&GemSpec {
        name: "basegem",
        version: "1.1.0",
        extra: "",
        lib: &versioned_lib("Basegem", "1.1.0"),
    });
    bundler.ok(&app, "bundle", &["update", "basegem"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains("    basegem (1.1.0)\n") && lock.contains("    appgem (1.0.0)\n"),
        "{lock}"
    );
    assert_eq!(
        bundler.ok(&app, "bundle", &hi),
        "hi from appgem on basegem 1.1.0"
    );

    // Without credentials, Bundler is told to supply some.
    let anonymous = Ruby::new(dir.path(), "anonymous");
    let app = project(&anonymous, dir.path(), "anonymous-app", &url, &["appgem"]);
    let out = anonymous.run(&app, "bundle", &["install"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Authentication is required for"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_platform_gem_is_installed_on_its_platform() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let host = push_host(&server, "alice");
    let pusher = Ruby::new(dir.path(), "pusher");
    // This machine's platform (`x86_64-linux` on x86-64 Linux).
    let platform = pusher.ruby("print Gem::Platform.local", &[]);
    for built_for in ["ruby", platform.as_str()] {
        let gem = GemSpec {
            name: "nativegem",
            version: "1.0.0",
            extra: &format!("  spec.platform = {built_for:?}"),
            lib: &format!("module Nativegem\n  BUILT_FOR = {built_for:?}\nend\n"),
        }
        .build(&pusher, dir.path());
        let out = pusher.push(&gem, &host, Some(&t));
        assert!(out.status.success(), "{}", text(&out));
    }
    let versions = String::from_utf8(fetch(&server, &t, "versions")).unwrap();
    assert_eq!(
        compact_versions(&versions, "nativegem"),
        ["1.0.0".to_owned(), format!("1.0.0-{platform}")],
        "{versions}"
    );

    let consumer = Ruby::new(dir.path(), "consumer");
    let src = source(&server, "alice", Some(("alice", &t)));
    let out = consumer.install("nativegem", &src, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        consumer.installed(),
        [format!("nativegem-1.0.0-{platform}")]
    );
    assert_eq!(
        consumer.ruby(
            "require 'nativegem'; print Nativegem::BUILT_FOR, ' ', Gem.loaded_specs['nativegem'].platform",
            &[]
        ),
        format!("{platform} {platform}")
    );

    // Bundler picks it too, and locks the platform.
    let url = source(&server, "alice", None);
    consumer.ok(
        dir.path(),
        "bundle",
        &["config", "set", "--global", &url, &format!("alice:{t}")],
    );
    let app = project(&consumer, dir.path(), "app", &url, &["nativegem"]);
    consumer.ok(&app, "bundle", &["install"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(
        lock.contains(&format!("    nativegem (1.0.0-{platform})\n")),
        "{lock}"
    );
    assert_eq!(
        consumer.ok(
            &app,
            "bundle",
            &[
                "exec",
                "ruby",
                "-e",
                "require 'nativegem'; print Nativegem::BUILT_FOR"
            ]
        ),
        platform
    );
}

#[test]
fn private_gems_refuse_anonymous_readers_and_pushes_without_rights() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    let alice_t = token(&server, "alice", "read:packages,write:packages");
    let read_only = token(&server, "alice", "read:packages");
    let bob_t = token(&server, "bob", "read:packages,write:packages");
    let host = push_host(&server, "alice");
    let pusher = Ruby::new(dir.path(), "pusher");
    let secret = |version: &str| {
        GemSpec {
            name: "secretgem",
            version,
            extra: "",
            lib: &versioned_lib("Secretgem", version),
        }
        .build(&pusher, dir.path())
    };
    let out = pusher.push(&secret("1.0.0"), &host, Some(&alice_t));
    assert!(out.status.success(), "{}", text(&out));

    // Readers without credentials are challenged, and `gem` gives up.
    let (status, headers, _) = get(&server.url("/rubygems/alice/versions"), None);
    assert_eq!(status, 401);
    assert_eq!(
        headers["www-authenticate"],
        "Basic realm=\"Entrepot RubyGems\""
    );
    let anonymous = Ruby::new(dir.path(), "anonymous");
    let out = anonymous.install("secretgem", &source(&server, "alice", None), &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("401"), "{}", text(&out));
    assert!(anonymous.installed().is_empty());
    // Bob's token does not open alice's private gem.
    let bob = Ruby::new(dir.path(), "bob");
    let out = bob.install(
        "secretgem",
        &source(&server, "alice", Some(("bob", &bob_t))),
        &[],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(bob.installed().is_empty());

    // No push without `write:packages`, by another user, or without a key
    // (where `gem` tries to sign in, and gets nothing).
    let newer = secret("1.1.0");
    for (who, key) in [
        ("read-only token", Some(read_only.as_str())),
        ("bob", Some(bob_t.as_str())),
        ("no key", None),
    ] {
        let out = anonymous.push(&newer, &host, key);
        assert!(!out.status.success(), "{who} pushed: {}", text(&out));
    }
    // `gem yank` exits 0 whatever the answer: only the index tells that a
    // token without `delete:packages` yanked nothing.
    pusher.yank("secretgem", "1.0.0", &host, Some(&alice_t));
    let versions = String::from_utf8(fetch(&server, &alice_t, "versions")).unwrap();
    assert_eq!(
        compact_versions(&versions, "secretgem"),
        ["1.0.0"],
        "{versions}"
    );
    let out = pusher.install(
        "secretgem",
        &source(&server, "alice", Some(("alice", &read_only))),
        &[],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(pusher.installed(), ["secretgem-1.0.0"]);
}

#[test]
fn a_public_gem_installs_without_credentials_with_gem_and_bundler() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let host = push_host(&server, "alice");
    let url = source(&server, "alice", None);
    let pusher = Ruby::new(dir.path(), "pusher");
    for (name, version) in [("opengem", "1.0.0"), ("closedgem", "1.0.0")] {
        let gem = GemSpec {
            name,
            version,
            extra: "",
            lib: &versioned_lib(
                if name == "opengem" {
                    "Opengem"
                } else {
                    "Closedgem"
                },
                version,
            ),
        }
        .build(&pusher, dir.path());
        let out = pusher.push(&gem, &host, Some(&t));
        assert!(out.status.success(), "{}", text(&out));
    }
    make_public(&server, &t, "rubygems", "opengem");

    // Anonymous callers see the public gem in the indexes, and only it.
    let (status, _, versions) = get(&server.url("/rubygems/alice/versions"), None);
    assert_eq!(status, 200);
    let versions = String::from_utf8(versions).unwrap();
    assert!(versions.contains("opengem 1.0.0 "), "{versions}");
    assert!(!versions.contains("closedgem"), "{versions}");

    let anonymous = Ruby::new(dir.path(), "anonymous");
    let out = anonymous.install("opengem", &url, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(anonymous.installed(), ["opengem-1.0.0"]);
    let out = anonymous.install("closedgem", &url, &[]);
    assert!(!out.status.success(), "the private gem stays private");

    let bundler = Ruby::new(dir.path(), "bundler");
    let app = project(&bundler, dir.path(), "app", &url, &["opengem"]);
    bundler.ok(&app, "bundle", &["install"]);
    let lock = std::fs::read_to_string(app.join("Gemfile.lock")).unwrap();
    assert!(lock.contains("    opengem (1.0.0)\n"), "{lock}");
}

//! Real pip through Entrepot alone, with pypiserver 2.4 on loopback as the
//! PyPI upstream: alice's index falls through to it, so one
//! `--index-url` installs a tree mixing her projects with upstream ones;
//! her own `acme-utils` always wins over the upstream's higher one; the
//! upstream's name is a mirror of it; `--require-hashes` passes; with the
//! upstream stopped, the cached tree installs again and an uncached name
//! fails. uv installs the same tree; a name served from the upstream is
//! kept from alice's own uploads until a site administrator releases it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::Digest;

use crate::common::artifacts::{twine_form, zip_of};
use crate::common::process::text;
use crate::common::{Server, free_port, token};

/// pypiserver on a loopback port, serving the wheels in its folder.
struct PypiServer {
    child: Child,
    url: String,
    packages: tempfile::TempDir,
}

impl PypiServer {
    fn start() -> PypiServer {
        let packages = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new("pypi-server")
            .args(["run", "-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-a", ".", "-P", "."])
            .arg(packages.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pypiserver starts (scripts/test installs it)");
        let url = format!("http://127.0.0.1:{port}/");
        let deadline = Instant::now() + Duration::from_mins(1);
        while !reqwest::blocking::get(format!("{url}simple/"))
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "pypiserver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        PypiServer {
            child,
            url,
            packages,
        }
    }

    fn add(&self, (filename, bytes): &(String, Vec<u8>)) {
        std::fs::write(self.packages.path().join(filename), bytes).unwrap();
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PypiServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A pure-Python wheel of `name` `version` whose module says its version,
/// requiring `requires`; its file name and bytes.
fn wheel(name: &str, version: &str, requires: &[&str]) -> (String, Vec<u8>) {
    let module = name.replace('-', "_");
    let dist_info = format!("{module}-{version}.dist-info");
    let mut metadata = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        let _ = writeln!(metadata, "Requires-Dist: {r}");
    }
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{module}/__init__.py"),
            format!("VERSION = '{version}'\n").into_bytes(),
        ),
        (format!("{dist_info}/METADATA"), metadata.into_bytes()),
        (
            format!("{dist_info}/WHEEL"),
            b"Wheel-Version: 1.0\nGenerator: entrepot-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
                .to_vec(),
        ),
    ];
    let mut record = String::new();
    for (path, body) in &files {
        let digest =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(body));
        let _ = writeln!(record, "{path},sha256={digest},{}", body.len());
    }
    let _ = writeln!(record, "{dist_info}/RECORD,,");
    let record_path = format!("{dist_info}/RECORD");
    let mut entries: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    entries.push((&record_path, record.as_bytes()));
    (
        format!("{module}-{version}-py3-none-any.whl"),
        zip_of(&entries),
    )
}

/// Uploads a wheel to alice's index, as twine does.
fn upload(server: &Server, token: &str, name: &str, version: &str, wheel: &(String, Vec<u8>)) {
    let (status, said) = try_upload(server, token, name, version, wheel);
    assert!(
        (200..300).contains(&status),
        "upload {}: {status} {said}",
        wheel.0
    );
}

/// Uploads a wheel to alice's index; the status and what was said.
fn try_upload(
    server: &Server,
    token: &str,
    name: &str,
    version: &str,
    (filename, bytes): &(String, Vec<u8>),
) -> (u16, String) {
    let sha256 = hex::encode(sha2::Sha256::digest(bytes));
    let (content_type, body) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", name),
            ("version", version),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("sha256_digest", &sha256),
        ],
        filename,
        bytes,
    );
    let sent = reqwest::blocking::Client::new()
        .post(server.url("/pypi/alice/"))
        .basic_auth("__token__", Some(token))
        .header("content-type", content_type)
        .body(body)
        .send()
        .unwrap();
    (sent.status().as_u16(), sent.text().unwrap_or_default())
}

/// `pip install --target TARGET ARGS` from `index`, with none of the
/// machine's pip settings and no cache.
fn pip_install(index: &str, target: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("python3");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.to_ascii_uppercase().starts_with("PIP_") {
            cmd.env_remove(key);
        }
    }
    cmd.args([
        "-m",
        "pip",
        "install",
        "--no-cache-dir",
        "--disable-pip-version-check",
    ])
    .args(["--no-input", "--index-url", index, "--target"])
    .arg(target)
    .args(args)
    .env("PIP_CONFIG_FILE", "/dev/null")
    .env("NO_PROXY", "*")
    .stdin(Stdio::null())
    .output()
    .unwrap()
}

/// `uv pip install --target TARGET ARGS` from `index`, with none of the
/// machine's uv settings and no cache.
fn uv_install(index: &str, target: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("uv");
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.to_ascii_uppercase().starts_with("UV_") {
            cmd.env_remove(key);
        }
    }
    cmd.args([
        "pip",
        "install",
        "--no-config",
        "--no-cache",
        "--python",
        "python3",
    ])
    .args(["--index-url", index, "--target"])
    .arg(target)
    .args(args)
    .env("NO_PROXY", "*")
    .stdin(Stdio::null())
    .output()
    .expect("uv runs (scripts/test installs it)")
}

/// The `NAME-VERSION` of each `*.dist-info` pip put in `target`.
fn installed(target: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".dist-info").map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn fresh(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

#[test]
fn pip_installs_a_mixed_tree_from_one_index_and_again_with_the_upstream_down() {
    let mut upstream = PypiServer::start();
    let dep_b = wheel("dep-b", "1.0", &[]);
    upstream.add(&dep_b);
    upstream.add(&wheel("dep-a", "1.0", &["dep-b"]));
    // Someone else's `acme-utils`, higher than alice's own.
    upstream.add(&wheel("acme-utils", "9.9", &[]));
    // A name alice keeps by a pattern, though she has no such project.
    upstream.add(&wheel("acme-internal-tool", "1.0", &[]));

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&[
        "upstream",
        "add",
        "pypi-up",
        "--format",
        "pypi",
        "--url",
        &upstream.url,
    ]);
    server.admin(&[
        "owner",
        "fallthrough",
        "alice",
        "--format",
        "pypi",
        "--upstream",
        "pypi-up",
        "--reserve",
        "Acme_Internal*",
    ]);
    let t = token(&server, "alice", "read:packages,write:packages");
    upload(
        &server,
        &t,
        "acme-utils",
        "1.0",
        &wheel("acme-utils", "1.0", &[]),
    );
    upload(
        &server,
        &t,
        "alice-app",
        "1.0",
        &wheel("alice-app", "1.0", &["dep-a", "acme-utils"]),
    );

    let index =
        server
            .url("/pypi/alice/simple/")
            .replacen("http://", &format!("http://__token__:{t}@"), 1);
    let work = tempfile::tempdir().unwrap();
    let target = fresh(work.path(), "first");
    let out = pip_install(&index, &target, &["alice-app"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        installed(&target),
        ["acme_utils-1.0", "alice_app-1.0", "dep_a-1.0", "dep_b-1.0"],
        "alice's acme-utils, never the upstream's: {}",
        text(&out)
    );
    let by_uv = fresh(work.path(), "uv");
    let out = uv_install(&index, &by_uv, &["alice-app"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(installed(&by_uv), installed(&target), "uv: {}", text(&out));
    let pinned = pip_install(&index, &fresh(work.path(), "pinned"), &["acme-utils==9.9"]);
    assert!(
        !pinned.status.success(),
        "the upstream's acme-utils is never served"
    );
    let kept = pip_install(&index, &fresh(work.path(), "kept"), &["acme-internal-tool"]);
    assert!(
        !kept.status.success(),
        "a reserved name never comes from the upstream"
    );

    // Hash-checked, from the hashes of the upstream's page.
    let requirements = work.path().join("requirements.txt");
    let mut file = std::fs::File::create(&requirements).unwrap();
    writeln!(
        file,
        "dep-b==1.0 --hash=sha256:{}",
        hex::encode(sha2::Sha256::digest(&dep_b.1))
    )
    .unwrap();
    let hashed = pip_install(
        &index,
        &fresh(work.path(), "hashed"),
        &["--require-hashes", "-r", requirements.to_str().unwrap()],
    );
    assert!(hashed.status.success(), "{}", text(&hashed));

    // The upstream's name is a mirror of it.
    let mirror = server.url("/pypi/pypi-up/simple/");
    let mirrored = pip_install(&mirror, &fresh(work.path(), "mirror"), &["dep-a"]);
    assert!(mirrored.status.success(), "{}", text(&mirrored));

    // The upstream goes away: what was cached installs, the rest fails.
    upstream.stop();
    let again = fresh(work.path(), "again");
    let out = pip_install(&index, &again, &["alice-app"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(installed(&again).len(), 4);
    let out = uv_install(&index, &fresh(work.path(), "uv-again"), &["alice-app==1.0"]);
    assert!(out.status.success(), "{}", text(&out));
    let ghost = pip_install(&index, &fresh(work.path(), "ghost"), &["ghost-package"]);
    assert!(!ghost.status.success());
    assert!(text(&ghost).contains("ghost-package"), "{}", text(&ghost));

    names_kept_and_the_cache_pruned(&server, &t, &index, work.path());
}

/// A name alice's index served from the upstream is kept from her uploads
/// until released; the cache's housekeeping never touches her projects.
fn names_kept_and_the_cache_pruned(server: &Server, t: &str, index: &str, work: &Path) {
    // A name alice's index served from the upstream is no longer hers to
    // publish, until a site administrator releases it.
    let taken = try_upload(server, t, "dep-a", "2.0", &wheel("dep-a", "2.0", &[]));
    assert_eq!(taken.0, 403, "{}", taken.1);
    assert!(taken.1.contains("upstream"), "{}", taken.1);
    server.admin(&["owner", "release", "alice", "Dep_A", "--format", "pypi"]);
    upload(server, t, "dep-a", "2.0", &wheel("dep-a", "2.0", &[]));

    // Housekeeping: a dry run lists what was cached and never alice's;
    // then the cache is emptied, and with the upstream down its files are
    // gone for good.
    let dry = server.admin(&["upstream", "prune", "--max-size", "0", "--dry-run"]);
    let listed = String::from_utf8_lossy(&dry.stdout);
    assert!(listed.contains("pypi-up\tpypi\tdep-b\t1.0\t"), "{listed}");
    assert!(
        !listed.contains("alice-app") && !listed.contains("acme-utils"),
        "{listed}"
    );
    let kept = pip_install(index, &fresh(work, "before-prune"), &["dep-b"]);
    assert!(
        kept.status.success(),
        "a dry run removes nothing: {}",
        text(&kept)
    );
    let pruned = server.admin(&["upstream", "prune", "--max-size", "0"]);
    assert!(String::from_utf8_lossy(&pruned.stderr).contains("evicted"));
    let gone = pip_install(index, &fresh(work, "after-prune"), &["dep-b"]);
    assert!(!gone.status.success(), "evicted: {}", text(&gone));
    let mine = pip_install(index, &fresh(work, "mine"), &["acme-utils"]);
    assert!(mine.status.success(), "alice's own stay: {}", text(&mine));
}

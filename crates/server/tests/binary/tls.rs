//! HTTPS served directly: with a certificate from a test CA, curl speaks
//! HTTP/2 (and HTTP/1.1 when asked), the real npm CLI publishes and
//! installs trusting only that CA (no insecure flag, no proxy), GitHub's
//! CLI signs in and lists, paginates, deletes and restores, skopeo pushes
//! and inspects an image with TLS verified, and a renewed certificate is
//! served without a restart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::npm::{package, project};
use crate::common::process::text;
use crate::common::{BIN, free_port};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", text(&out));
}

/// A CA, and a certificate for 127.0.0.1 it signed with common name `cn`
/// as `server.crt` and `server.key`.
pub(crate) fn issue(dir: &Path, cn: &str) {
    if !dir.join("ca.crt").exists() {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
                "-days",
                "2",
                "-subj",
                "/CN=Entrepot test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ],
        );
        std::fs::write(
            dir.join("leaf.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "new.key",
            "-out",
            "new.csr",
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "new.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "new.crt",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    std::fs::rename(dir.join("new.key"), dir.join("server.key")).unwrap();
    std::fs::rename(dir.join("new.crt"), dir.join("server.crt")).unwrap();
}

pub(crate) fn curl(certs: &Path, args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--cacert"])
        .arg(certs.join("ca.crt"))
        .args(args)
        .output()
        .expect("curl runs")
}

struct Tls {
    child: Child,
    base: String,
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, certs: &Path) -> Tls {
    let listen = format!("127.0.0.1:{}", free_port());
    let child = Command::new(&*BIN)
        .args(["--listen", &listen, "--tls-cert"])
        .arg(certs.join("server.crt"))
        .arg("--tls-key")
        .arg(certs.join("server.key"))
        .arg("serve")
        .env_remove("RUST_LOG")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("https://{listen}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !curl(certs, &[&format!("{base}/healthz")]).status.success() {
        assert!(Instant::now() < deadline, "the HTTPS server never answered");
        std::thread::sleep(Duration::from_millis(100));
    }
    Tls { child, base }
}

pub(crate) fn admin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(&*BIN)
        .arg("admin")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "admin {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn npm(home: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new("npm")
        .args(args)
        .current_dir(cwd)
        .env("NPM_CONFIG_USERCONFIG", home.join(".npmrc"))
        .env("npm_config_cache", home.join("cache"))
        .env("NO_UPDATE_NOTIFIER", "1")
        .output()
        .unwrap()
}

#[test]
fn https_with_http2_npm_trusting_only_its_ca_and_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certs: PathBuf = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    issue(&certs, "first");
    let server = start(dir.path(), &certs);
    let health = format!("{}/healthz", server.base);

    let h2 = curl(
        &certs,
        &["-o", "/dev/null", "-w", "%{http_version}", &health],
    );
    assert_eq!(String::from_utf8_lossy(&h2.stdout), "2", "{}", text(&h2));
    let h1 = curl(
        &certs,
        &[
            "--http1.1",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}",
            &health,
        ],
    );
    assert_eq!(String::from_utf8_lossy(&h1.stdout), "1.1");
    let untrusted = Command::new("curl")
        .args(["-sS", &health])
        .output()
        .unwrap();
    assert!(
        !untrusted.status.success(),
        "only the test CA's trust lets in"
    );

    let t = alice_with_token(dir.path());
    npm_over_https(dir.path(), &certs, &server.base, &t);
    github_cli(dir.path(), &certs, &server.base, &t);
    skopeo_over_https(dir.path(), &certs, &server.base, &t);

    // A renewed certificate is served without a restart.
    issue(&certs, "second");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = curl(&certs, &["-v", "-o", "/dev/null", &health]);
        if text(&seen).contains("CN=second") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still the old certificate: {}",
            text(&seen)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// alice, with a token of every scope the HTTPS tests use.
pub(crate) fn alice_with_token(dir: &Path) -> String {
    admin(dir, &["user", "create", "alice"]);
    admin(
        dir,
        &[
            "token",
            "create",
            "alice",
            "--scopes",
            "read:packages,write:packages,delete:packages,repo,read:org",
        ],
    )
}

/// npm, trusting `certs/ca.crt` and nothing else, publishes two versions
/// and installs one.
pub(crate) fn npm_over_https(dir: &Path, certs: &Path, base: &str, t: &str) {
    let home = dir.join("npm-home");
    std::fs::create_dir(&home).unwrap();
    let registry = format!("{base}/npm/");
    let host_path = registry.trim_start_matches("https://");
    std::fs::write(
        home.join(".npmrc"),
        format!(
            "@alice:registry={registry}\n//{host_path}:_authToken={t}\ncafile={}\naudit=false\nfund=false\n",
            certs.join("ca.crt").display()
        ),
    )
    .unwrap();
    let published = npm(
        &home,
        &package(&home, "@alice/hello", "1.0.0"),
        &["publish"],
    );
    assert!(published.status.success(), "{}", text(&published));
    let app = project(&home, "app");
    let installed = npm(&home, &app, &["install", "@alice/hello"]);
    assert!(installed.status.success(), "{}", text(&installed));
    assert!(app.join("node_modules/@alice/hello/package.json").exists());
    let republished = npm(
        &home,
        &package(&home, "@alice/hello", "1.1.0"),
        &["publish"],
    );
    assert!(republished.status.success(), "{}", text(&republished));
}

/// GitHub's CLI (Debian's `gh`) with `GH_HOST` and `GH_ENTERPRISE_TOKEN`,
/// trusting only the test CA.
fn gh(dir: &Path, certs: &Path, base: &str, token: &str, args: &[&str]) -> Output {
    let host = base
        .trim_start_matches("https://")
        .replacen("127.0.0.1", "localhost", 1);
    let config = dir.join("gh-config");
    std::fs::create_dir_all(&config).unwrap();
    Command::new("gh")
        .args(args)
        .env("GH_HOST", host)
        .env("GH_ENTERPRISE_TOKEN", token)
        .env("GH_CONFIG_DIR", &config)
        .env("GH_NO_UPDATE_NOTIFIER", "1")
        .env("GH_PROMPT_DISABLED", "1")
        .env("NO_COLOR", "1")
        .env("SSL_CERT_FILE", certs.join("ca.crt"))
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .output()
        .expect("gh runs (scripts/test installs Debian's gh)")
}

fn gh_ok(dir: &Path, certs: &Path, base: &str, token: &str, args: &[&str]) -> String {
    let out = gh(dir, certs, base, token, args);
    assert!(out.status.success(), "gh {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).unwrap()
}

pub(crate) fn github_cli(dir: &Path, certs: &Path, base: &str, token: &str) {
    let status = gh(dir, certs, base, token, &["auth", "status"]);
    assert!(status.status.success(), "gh auth status: {}", text(&status));
    let listed = gh_ok(
        dir,
        certs,
        base,
        token,
        &["api", "/user/packages?package_type=npm", "--jq", ".[].name"],
    );
    assert_eq!(listed.trim(), "hello");
    let versions = "/user/packages/npm/hello/versions";
    let paged = gh_ok(
        dir,
        certs,
        base,
        token,
        &[
            "api",
            "--paginate",
            &format!("{versions}?per_page=1"),
            "--jq",
            ".[] | \"\\(.id) \\(.name)\"",
        ],
    );
    let rows: Vec<(&str, &str)> = paged.lines().filter_map(|l| l.split_once(' ')).collect();
    let names: Vec<&str> = rows.iter().map(|(_, n)| *n).collect();
    assert_eq!(names, ["1.1.0", "1.0.0"], "one a page: {paged}");
    let (id, _) = rows[1];
    gh_ok(
        dir,
        certs,
        base,
        token,
        &["api", "-X", "DELETE", &format!("{versions}/{id}")],
    );
    let left = gh_ok(
        dir,
        certs,
        base,
        token,
        &["api", versions, "--jq", ".[].name"],
    );
    assert_eq!(left.trim(), "1.1.0");
    gh_ok(
        dir,
        certs,
        base,
        token,
        &["api", "-X", "POST", &format!("{versions}/{id}/restore")],
    );
    let back = gh_ok(
        dir,
        certs,
        base,
        token,
        &["api", versions, "--jq", ".[].name"],
    );
    assert_eq!(back.lines().count(), 2, "{back}");
}

/// skopeo pushes an image and reads it back with TLS verification on,
/// trusting only the test CA (a certs.d folder holding `ca.crt`).
pub(crate) fn skopeo_over_https(dir: &Path, certs: &Path, base: &str, token: &str) {
    let trust = dir.join("certs.d");
    std::fs::create_dir_all(&trust).unwrap();
    std::fs::copy(certs.join("ca.crt"), trust.join("ca.crt")).unwrap();
    crate::oci::build_image(dir, "layout", "hello over https");
    let host = base.trim_start_matches("https://");
    let remote = format!("docker://{host}/alice/hello:1.0");
    let creds = format!("alice:{token}");
    let source = format!("oci:{}:1", dir.join("layout").display());
    let trust = trust.to_str().unwrap();
    let pushed = Command::new("skopeo")
        .args([
            "copy",
            "--dest-cert-dir",
            trust,
            "--dest-creds",
            &creds,
            &source,
            &remote,
        ])
        .output()
        .unwrap();
    assert!(pushed.status.success(), "skopeo copy: {}", text(&pushed));
    let inspected = Command::new("skopeo")
        .args(["inspect", "--cert-dir", trust, "--creds", &creds, &remote])
        .output()
        .unwrap();
    assert!(
        inspected.status.success(),
        "skopeo inspect: {}",
        text(&inspected)
    );
    let seen: serde_json::Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(
        seen["Digest"],
        crate::oci::index_digest(&dir.join("layout"))
    );
}

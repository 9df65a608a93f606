//! Runs the real `entrepot` binary for end-to-end tests: a server on a free
//! loopback port in its own temporary folder, and admin commands beside it.

#![allow(dead_code)]

pub mod artifacts;
pub mod ci_issuer;
pub mod formats;
pub mod ldap;
pub mod node;
pub mod npm;
pub mod oidc;
pub mod openapi;
pub mod process;
pub mod publish;
pub mod saml;

use std::io::{BufRead, BufReader, Read};

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The binary under test: cargo's, or `ENTREPOT_TEST_BIN` when set (in a
/// target folder shared by several worktrees, `target/debug/entrepot` is
/// whichever worktree linked it last).
pub static BIN: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    std::env::var("ENTREPOT_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_entrepot").to_owned())
});

/// A loopback port no other server of this process was given. Ports come
/// from below the kernel's ephemeral range (32768 and up on Linux), so no
/// outgoing connection can take one between this call and the server's
/// bind, and each is handed out once: two servers never race for a port
/// that the kernel happened to offer twice.
/// `bytes` gunzipped.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    const FIRST: u16 = 20_000;
    const SPAN: u16 = 12_000;
    // Each test process starts at its own offset, so that test binaries
    // run side by side rarely meet; a port that is taken is skipped.
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = (std::process::id() % u32::from(SPAN)) as u16;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = FIRST + (start.wrapping_add(n.wrapping_mul(7))) % SPAN;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + SPAN);
}

/// A name no other file of this test process uses (the process id and a
/// counter: nothing drawn by chance).
pub fn unique_name(prefix: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// A token that differs from `token` in its last character, so it is
/// never a real token: the checksum no longer matches by construction.
pub fn forged(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    format!("{head}{}", if last == "x" { "y" } else { "x" })
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub dir: PathBuf,
    /// Lines the server printed on stdout (the first-start token, if any).
    pub stdout: mpsc::Receiver<String>,
    pub stderr_log: PathBuf,
    /// The configuration flags, which admin commands repeat.
    pub args: Vec<String>,
    /// Environment variables for the server and its admin commands.
    pub env: Vec<(String, String)>,
}

impl Server {
    /// Starts `entrepot serve` in `dir` with `args` and waits until it answers.
    pub fn start_in(dir: &Path, args: &[&str], base: &str) -> Server {
        Server::start_with(dir, args, base, &[])
    }

    /// Like `start_in`, with environment variables for the server and its
    /// admin commands.
    pub fn start_with(dir: &Path, args: &[&str], base: &str, env: &[(&str, &str)]) -> Server {
        let stderr_log =
            std::env::temp_dir().join(format!("{}.log", unique_name("entrepot-test-stderr")));
        let mut child = Command::new(&*BIN)
            .args(args)
            .arg("serve")
            // The caller's RUST_LOG is not the test's; a test may set its own.
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap())
            .spawn()
            .expect("entrepot starts");
        let (tx, rx) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let server = Server {
            child,
            base: base.trim_end_matches('/').to_owned(),
            dir: dir.to_owned(),
            stdout: rx,
            stderr_log,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        server.wait_ready();
        server
    }

    /// Starts a server on a free port in a fresh folder.
    pub fn start(dir: &Path) -> Server {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        Server::start_in(dir, &["--listen", &listen], &format!("http://{listen}"))
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send()
                && r.status().is_success()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "server never became ready: {}",
            std::fs::read_to_string(&self.stderr_log).unwrap_or_default()
        );
    }

    /// The next line on stdout, waiting up to `timeout`.
    pub fn stdout_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The OpenMetrics text of `/metrics`.
    pub fn metrics(&self) -> String {
        reqwest::blocking::get(self.url("/metrics"))
            .and_then(reqwest::blocking::Response::text)
            .expect("/metrics answers")
    }

    /// Runs `entrepot admin ARGS` on the same configuration.
    pub fn admin(&self, args: &[&str]) -> Output {
        self.admin_input(args, None)
    }

    /// Runs `entrepot admin ARGS`, feeding `stdin` (a password), and
    /// asserts it succeeded.
    pub fn admin_input(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let output = self.try_admin(args, stdin);
        assert!(
            output.status.success(),
            "admin {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs `entrepot admin ARGS`, feeding `stdin` (closed when `None`),
    /// whatever its exit status.
    pub fn try_admin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(&*BIN)
            .args(&self.args)
            .arg("admin")
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            if let Some(text) = stdin {
                input.write_all(text.as_bytes()).unwrap();
            }
        }
        child.wait_with_output().unwrap()
    }

    /// Runs `entrepot admin fsck` on the same configuration (whether or not
    /// the server still runs), without judging its exit status.
    pub fn fsck(&self) -> Output {
        Command::new(&*BIN)
            .args(&self.args)
            .args(["admin", "fsck"])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .current_dir(&self.dir)
            .output()
            .unwrap()
    }

    /// Asserts that `admin fsck` finds no fault; its summary line.
    pub fn assert_fsck_clean(&self) -> String {
        let out = self.fsck();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && !stdout.lines().any(|l| l.starts_with("fault\t")),
            "fsck found faults ({}):\n{stdout}\n{stderr}",
            out.status
        );
        stderr.trim().to_owned()
    }

    pub fn sigterm(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Every token this test process made with `token`: each server's log is
/// searched for all of them when it stops, so that every test run also
/// checks that no token is ever logged.
static CREATED_TOKENS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            return;
        }
        let log = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        let tokens = CREATED_TOKENS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        for token in tokens {
            // The token, and its random part alone.
            let tail = &token[token.len().saturating_sub(16)..];
            assert!(
                !log.contains(tail),
                "a token ({}…) is in the server's log {}",
                &token[..token.len().min(6)],
                self.stderr_log.display()
            );
        }
    }
}

/// A fresh database on the local PostgreSQL server for one test's server,
/// dropped with it (after the server, when declared before it).
pub struct Postgres {
    db: entrepot_store::testing::TestDatabase,
    rt: tokio::runtime::Runtime,
}

impl Postgres {
    pub fn create() -> Postgres {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let db = rt.block_on(entrepot_store::testing::TestDatabase::create());
        Postgres { db, rt }
    }

    pub fn url(&self) -> &str {
        &self.db.url
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.rt.block_on(self.db.drop_now());
    }
}

/// Runs an admin command in `dir`, optionally feeding `stdin`.
pub fn admin_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(&*BIN)
        .arg("admin")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "admin {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Creates a token with `admin token create` and returns it.
pub fn token(server: &Server, user: &str, scopes: &str) -> String {
    let out = server.admin(&["token", "create", user, "--scopes", scopes]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "token create prints the token and nothing else: {text:?}"
    );
    let secret = lines[0].to_owned();
    CREATED_TOKENS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(secret.clone());
    secret
}

/// A server with the users `alice` and `bob`; alice's token with every
/// package scope.
pub fn server_with_alice(dir: &Path) -> (Server, String) {
    let server = Server::start(dir);
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    (server, t)
}

/// alice's packages of `package_type`, listed by the REST API for `token`.
pub fn alice_packages(server: &Server, token: &str, package_type: &str) -> Value {
    reqwest::blocking::Client::new()
        .get(server.url(&format!(
            "/api/v3/users/alice/packages?package_type={package_type}"
        )))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// Makes the signed-in user's `package_type` package `name` public through
/// the REST API; returns the package as the API then describes it.
pub fn make_public(server: &Server, token: &str, package_type: &str, name: &str) -> Value {
    let response = reqwest::blocking::Client::new()
        .patch(server.url(&format!("/api/v3/user/packages/{package_type}/{name}")))
        .bearer_auth(token)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    let status = response.status();
    let body = response.text().unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// Files under `dir` named `name`, anywhere.
pub fn files_named(dir: &Path, name: &str) -> usize {
    let mut found = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found += files_named(&path, name);
        } else if path.file_name().is_some_and(|n| n == name) {
            found += 1;
        }
    }
    found
}

pub fn read_to_string(mut r: impl Read) -> String {
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap();
    s
}

/// A minimal valid gzipped tarball and the publish document npm would send.
pub fn publish_doc(name: &str, version: &str, repository: &str) -> Value {
    publish_doc_with_readme(name, version, repository, &format!("# {name} {version}"))
}

/// The same, with `readme` as the tarball's README.md.
pub fn publish_doc_with_readme(name: &str, version: &str, repository: &str, readme: &str) -> Value {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let manifest = json!({"name": name, "version": version});
    for (path, body) in [
        ("package/package.json", manifest.to_string()),
        ("package/README.md", readme.to_owned()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder
            .append_data(&mut header, path, body.as_bytes())
            .unwrap();
    }
    let tgz = builder.into_inner().unwrap().finish().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let integrity = format!("sha512-{}", b64.encode(sha2::Sha512::digest(&tgz)));
    let shasum = hex::encode(sha1::Sha1::digest(&tgz));
    let unscoped = name.split('/').nth(1).unwrap();
    json!({
        "_id": name, "name": name, "description": "a test package",
        "dist-tags": {"latest": version},
        "versions": {version: {"name": name, "version": version, "repository": repository,
            "dependencies": {"left-pad": "^1.0.0"}, "scripts": {"test": "true"},
            "dist": {"integrity": integrity, "shasum": shasum, "tarball": format!("http://x/{name}/-/{unscoped}-{version}.tgz")}}},
        "_attachments": {format!("{name}-{version}.tgz"): {"content_type": "application/octet-stream",
            "data": b64.encode(&tgz), "length": tgz.len()}},
    })
}

//! `TestApp`: the application the binary serves, driven in process. It
//! opens a real registry (SQLite and blob files in a temporary folder, on
//! the RAM disk where there is one) with the binary's own configuration,
//! wiring and router (`Config::resolve`, `Config::open_registry`,
//! `serve::Application`), and sends each request through the router with
//! `tower::ServiceExt::oneshot`: no socket, no process. Users,
//! organizations, repositories and tokens are made by the same service
//! calls `entrepot admin` makes.
//!
//! What a connection would add, the request builder adds: the peer's
//! address (`ConnectInfo`, which `resolve_client` reads), a `Host` header,
//! and on the way back the `Content-Length` hyper would write. Tests that
//! need a real client, a real socket, a crash or a second node run the
//! binary instead (`common::Server`).

#![allow(dead_code, reason = "each test uses the part of the harness it needs")]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use base64::Engine;
use clap::Parser;
use entrepot::cli::Cli;
use entrepot::config::Config;
use entrepot_core::{OrgRole, Role, Scopes, Visibility};
use entrepot_http::AppState;
use entrepot_service::Registry;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

/// The URL the application believes it is reached at, unless a test
/// gives `--base-url`.
pub const BASE: &str = "http://127.0.0.1:8080";

/// The address requests come from unless a test names another.
pub const PEER: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 40_000);

/// A registry and the router the binary would serve it with. Requests are
/// made through `AppClient`'s methods, which it dereferences to.
pub struct TestApp {
    pub registry: Registry,
    pub state: AppState,
    pub config: Config,
    client: AppClient,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for TestApp {
    type Target = AppClient;

    fn deref(&self) -> &AppClient {
        &self.client
    }
}

/// What sends requests to the application: cheap to clone, and owned, so
/// that a spawned task can take one.
#[derive(Clone)]
pub struct AppClient {
    router: axum::Router,
    /// The base URL, without a trailing slash.
    base: String,
}

impl TestApp {
    /// A handle on the registry's own database, beneath the service, for
    /// the few tests that write what no client can (an expired token) or
    /// read a row as it is stored.
    pub async fn store(&self) -> std::sync::Arc<dyn entrepot_store::MetadataStore> {
        std::sync::Arc::new(
            Config::open_metadata(&self.config.database, false)
                .await
                .expect("the database opens"),
        )
    }

    /// An application with the binary's defaults.
    pub async fn new() -> TestApp {
        TestApp::with_args(&[]).await
    }

    /// An application configured by `args`, the flags `entrepot serve`
    /// would be given (`--max-upload-size 1MiB`, `--require-auth-for-reads`).
    pub async fn with_args(args: &[&str]) -> TestApp {
        capture_logs();
        let dir = scratch_folder();
        let data = dir.path().join("entrepot-data");
        let data = data.to_str().expect("a UTF-8 temporary folder");
        let base: &[&str] = if args.contains(&"--base-url") {
            &[]
        } else {
            &["--base-url", BASE]
        };
        let cli = Cli::try_parse_from(
            ["entrepot", "--data-dir", data]
                .into_iter()
                .chain(base.iter().copied())
                .chain(args.iter().copied())
                .chain(["serve"]),
        )
        .unwrap_or_else(|e| panic!("the flags {args:?} do not parse: {e}"));
        let config = Config::resolve(&cli.global).expect("a configuration");
        let base_url = config.base_url.to_string();
        std::fs::create_dir_all(&config.data_dir).expect("the data folder");
        let registry = config
            .open_registry(true)
            .await
            .expect("the registry opens");
        // As `serve` does on its first start.
        if let Some(issued) = registry
            .accounts()
            .bootstrap_admin()
            .await
            .expect("first start")
        {
            remember(&issued.secret);
        }
        let application = entrepot::serve::Application::new(&config, registry);
        let router = application.router();
        let state = application.state;
        TestApp {
            registry: state.registry.clone(),
            state,
            config,
            client: AppClient {
                router,
                base: base_url.trim_end_matches('/').to_owned(),
            },
            dir,
        }
    }

    /// A client of its own, for a task that outlives a borrow.
    pub fn client(&self) -> AppClient {
        self.client.clone()
    }

    /// The folder the test's data lives under (what was the server's
    /// working directory: `entrepot-data/` is in it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The data folder: `entrepot.db` and `blobs/`.
    pub fn data_dir(&self) -> PathBuf {
        self.config.data_dir.clone()
    }

    // Set-up, through the service as `entrepot admin` does it.

    /// `admin user create LOGIN`.
    pub async fn user(&self, login: &str) {
        self.registry
            .accounts()
            .create_user(login, None, false, None)
            .await
            .unwrap_or_else(|e| panic!("user {login}: {e}"));
    }

    /// `admin user create LOGIN --site-admin`.
    pub async fn site_admin(&self, login: &str) {
        self.registry
            .accounts()
            .create_user(login, None, true, None)
            .await
            .unwrap_or_else(|e| panic!("site admin {login}: {e}"));
    }

    /// `admin user create LOGIN --password-stdin`.
    pub async fn user_with_password(&self, login: &str, password: &str) {
        self.registry
            .accounts()
            .create_user(login, None, false, Some(password.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("user {login}: {e}"));
    }

    /// `admin user create LOGIN --site-admin --password-stdin`.
    pub async fn site_admin_with_password(&self, login: &str, password: &str) {
        self.registry
            .accounts()
            .create_user(login, None, true, Some(password.to_owned()))
            .await
            .unwrap_or_else(|e| panic!("site admin {login}: {e}"));
    }

    /// `admin user set-password LOGIN`.
    pub async fn set_password(&self, login: &str, password: &str) {
        self.registry
            .accounts()
            .set_password(login, password.to_owned())
            .await
            .unwrap_or_else(|e| panic!("password of {login}: {e}"));
    }

    /// `admin user unlock LOGIN`: whether there was a lock to lift.
    pub async fn unlock(&self, login: &str) -> bool {
        self.registry
            .sessions()
            .unlock_user(login)
            .await
            .unwrap_or_else(|e| panic!("unlock {login}: {e}"))
    }

    /// `admin org create ORG --owner OWNER`.
    pub async fn org(&self, org: &str, owner: &str) {
        self.registry
            .accounts()
            .create_org(org, owner)
            .await
            .unwrap_or_else(|e| panic!("organization {org}: {e}"));
    }

    /// `admin org add-member ORG USER [--role ROLE]`.
    pub async fn org_member(&self, org: &str, user: &str, role: OrgRole) {
        self.registry
            .accounts()
            .add_org_member(org, user, role)
            .await
            .unwrap_or_else(|e| panic!("{user} in {org}: {e}"));
    }

    /// `admin repo create OWNER/NAME` (public).
    pub async fn repo(&self, full_name: &str) {
        self.repo_with(full_name, Visibility::Public).await;
    }

    /// `admin repo create OWNER/NAME [--private|--internal]`.
    pub async fn repo_with(&self, full_name: &str, visibility: Visibility) {
        self.registry
            .accounts()
            .create_repository(full_name, visibility, None)
            .await
            .unwrap_or_else(|e| panic!("repository {full_name}: {e}"));
    }

    /// `admin repo add-collaborator REPO USER --permission ROLE`.
    pub async fn collaborator(&self, full_name: &str, user: &str, role: Role) {
        self.registry
            .accounts()
            .add_collaborator(full_name, user, role)
            .await
            .unwrap_or_else(|e| panic!("{user} on {full_name}: {e}"));
    }

    /// `admin token create USER --scopes SCOPES`: the token.
    pub async fn token(&self, user: &str, scopes: &str) -> String {
        self.issue(user, scopes, None).await.secret
    }

    /// `admin token create USER --scopes SCOPES [--expires-in LIFETIME]`:
    /// the token and its record.
    pub async fn issue(
        &self,
        user: &str,
        scopes: &str,
        expires_in: Option<&str>,
    ) -> entrepot_service::accounts::IssuedToken {
        let scopes = Scopes::parse_list(scopes).expect("scopes");
        let lifetime =
            expires_in.map(|l| entrepot_service::accounts::parse_lifetime(l).expect("a lifetime"));
        let issued = self
            .registry
            .accounts()
            .create_token(user, scopes, lifetime, None)
            .await
            .unwrap_or_else(|e| panic!("a token for {user}: {e}"));
        remember(&issued.secret);
        issued
    }

    /// `admin token revoke ID`.
    pub async fn revoke(&self, token_id: i64) {
        self.registry
            .accounts()
            .revoke_token(token_id)
            .await
            .unwrap_or_else(|e| panic!("revoke {token_id}: {e}"));
    }

    /// `admin token list USER`: the ids of the user's tokens.
    pub async fn token_ids(&self, user: &str) -> Vec<i64> {
        self.registry
            .accounts()
            .tokens_of(user)
            .await
            .expect("the tokens")
            .into_iter()
            .map(|t| t.id)
            .collect()
    }

    /// Writes the buffered download counts, as `serve` does every second.
    pub async fn flush_downloads(&self) {
        self.registry
            .packages()
            .flush_downloads()
            .await
            .expect("download counts written");
    }

    /// Runs the webhook worker `serve` runs, on the test's runtime.
    pub fn spawn_webhook_worker(&self) -> tokio::task::JoinHandle<()> {
        let registry = self.registry.clone();
        tokio::spawn(async move { registry.webhooks().run_webhook_worker().await })
    }

    /// The OpenMetrics text of `/metrics`.
    pub async fn metrics(&self) -> String {
        let r = self.get("/metrics").send().await;
        assert_eq!(r.status(), 200);
        r.text()
    }
}

impl AppClient {
    /// `path` on the application's base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request for `path`, or for a URL on the base URL.
    pub fn request(&self, method: Method, path: &str) -> TestRequest {
        let path = path.strip_prefix(self.base.as_str()).unwrap_or(path);
        assert!(
            path.starts_with('/'),
            "a path on the application, not {path}"
        );
        TestRequest {
            router: self.router.clone(),
            method,
            target: path.to_owned(),
            headers: HeaderMap::new(),
            body: Body::empty(),
            peer: PEER,
        }
    }

    pub fn get(&self, path: &str) -> TestRequest {
        self.request(Method::GET, path)
    }

    pub fn head(&self, path: &str) -> TestRequest {
        self.request(Method::HEAD, path)
    }

    pub fn put(&self, path: &str) -> TestRequest {
        self.request(Method::PUT, path)
    }

    pub fn post(&self, path: &str) -> TestRequest {
        self.request(Method::POST, path)
    }

    pub fn patch(&self, path: &str) -> TestRequest {
        self.request(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> TestRequest {
        self.request(Method::DELETE, path)
    }
}

impl Drop for TestApp {
    /// Every token this test process made must be absent from the log:
    /// each test run also checks that no token is ever logged.
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        assert_no_token_logged();
    }
}

/// One request, built up and then sent with `send`.
#[must_use = "a request does nothing until it is sent"]
pub struct TestRequest {
    router: axum::Router,
    method: Method,
    target: String,
    headers: HeaderMap,
    body: Body,
    peer: SocketAddr,
}

impl TestRequest {
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let name = HeaderName::from_bytes(name.as_ref().as_bytes()).expect("a header name");
        let value = HeaderValue::from_str(value.as_ref()).expect("a header value");
        self.headers.append(name, value);
        self
    }

    /// A header value given byte for byte (not necessarily UTF-8).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        let value = HeaderValue::from_bytes(value).expect("a header value");
        self.headers.append(name, value);
        self
    }

    /// `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Self {
        self.header(header::AUTHORIZATION, format!("Bearer {token}"))
    }

    /// HTTP Basic authentication.
    pub fn basic(self, user: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header(header::AUTHORIZATION, format!("Basic {encoded}"))
    }

    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// A JSON body, with its content type.
    pub fn json(self, value: &impl Serialize) -> Self {
        self.header(header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(value).expect("JSON"))
    }

    /// A form body (`application/x-www-form-urlencoded`).
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encoded)
    }

    /// Query parameters, appended to the target.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let joiner = if self.target.contains('?') { '&' } else { '?' };
        self.target = format!("{}{joiner}{encoded}", self.target);
        self
    }

    /// The address the request comes from.
    pub fn peer(mut self, peer: SocketAddr) -> Self {
        self.peer = peer;
        self
    }

    /// Sends the request through the router and reads the whole answer.
    pub async fn send(self) -> TestResponse {
        let what = format!("{} {}", self.method, self.target);
        let (response, body) = self.send_streamed().await;
        TestResponse {
            body: body.unwrap_or_else(|e| panic!("{what}: the body: {e}")),
            ..response
        }
    }

    /// Sends the request; the answer, and its body or the error it ended
    /// in (a download cut short).
    pub async fn send_streamed(self) -> (TestResponse, Result<Bytes, String>) {
        let response = self.respond().await;
        let (mut parts, body) = response.into_parts();
        // What hyper writes for a body of known length that has no header.
        let size = axum::body::HttpBody::size_hint(&body).exact();
        if let Some(size) = size
            && !parts.headers.contains_key(header::TRANSFER_ENCODING)
            && parts.status != StatusCode::NO_CONTENT
            && parts.status != StatusCode::NOT_MODIFIED
            && !parts.status.is_informational()
        {
            parts
                .headers
                .entry(header::CONTENT_LENGTH)
                .or_insert(HeaderValue::from(size));
        }
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .map_err(|e| e.to_string());
        let response = TestResponse {
            status: parts.status,
            headers: parts.headers,
            body: Bytes::new(),
        };
        (response, body)
    }

    /// Sends the request; the answer as the router gives it, its body
    /// unread.
    pub async fn respond(self) -> axum::response::Response {
        let mut request = Request::builder()
            .method(self.method.clone())
            .uri(&self.target)
            .body(self.body)
            .unwrap_or_else(|e| panic!("{} {}: {e}", self.method, self.target));
        *request.headers_mut() = self.headers;
        let headers = request.headers_mut();
        headers
            .entry(header::HOST)
            .or_insert(HeaderValue::from_static("127.0.0.1:8080"));
        headers
            .entry(header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        // A client declares the length of a body it has whole (an empty
        // one only where the method defines a body, as reqwest does).
        let size = axum::body::HttpBody::size_hint(request.body()).exact();
        let defines_body = !matches!(
            self.method,
            Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
        );
        if let Some(size) = size.filter(|&n| n > 0 || defines_body)
            && !request.headers().contains_key(header::TRANSFER_ENCODING)
        {
            request
                .headers_mut()
                .entry(header::CONTENT_LENGTH)
                .or_insert(HeaderValue::from(size));
        }
        request.extensions_mut().insert(ConnectInfo(self.peer));
        self.router
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {})
    }
}

/// A whole response.
#[derive(Debug)]
pub struct TestResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A header as text; panics when it is absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .expect("a text header")
    }

    pub fn bytes(&self) -> Bytes {
        self.body.clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("a UTF-8 body")
    }

    /// The body as JSON, or why it is not.
    pub fn try_json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not the JSON expected ({e}), {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A fresh folder for one application's data: on the RAM disk where there
/// is one, since SQLite's fsyncs (`synchronous = FULL`) cost nothing there
/// and nothing these tests check depends on the disk; else in the
/// temporary folder.
fn scratch_folder() -> tempfile::TempDir {
    let mut builder = tempfile::Builder::new();
    builder.prefix("entrepot-app-");
    let ram = Path::new("/dev/shm");
    if ram.is_dir()
        && let Ok(dir) = builder.tempdir_in(ram)
    {
        return dir;
    }
    builder.tempdir().expect("a temporary folder")
}

/// An application with the users `alice` and `bob`, and alice's token
/// with every package scope.
pub async fn with_alice() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    (app, t)
}

/// alice's packages of `package_type`, listed by the REST API for `token`.
pub async fn alice_packages(app: &TestApp, token: &str, package_type: &str) -> serde_json::Value {
    app.get(&format!(
        "/api/v3/users/alice/packages?package_type={package_type}"
    ))
    .bearer(token)
    .send()
    .await
    .json()
}

/// Makes the signed-in user's `package_type` package `name` public through
/// the REST API; returns the package as the API then describes it.
pub async fn make_public(
    app: &TestApp,
    token: &str,
    package_type: &str,
    name: &str,
) -> serde_json::Value {
    let response = app
        .patch(&format!("/api/v3/user/packages/{package_type}/{name}"))
        .bearer(token)
        .json(&serde_json::json!({"visibility": "public"}))
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text());
    response.json()
}

// The log: what the binary writes to standard error, kept in memory.

/// Everything logged in this test process, at the binary's default level.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Every token this test process made.
static TOKENS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn remember(token: &str) {
    TOKENS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(token.to_owned());
}

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Logs as `serve` does (`info` and up, `RUST_LOG` ignored as the tests of
/// the binary ignore it), into `LOG`.
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_ansi(false)
            .with_writer(|| LogWriter)
            .try_init();
    });
}

/// The log so far, as text.
pub fn log() -> String {
    String::from_utf8_lossy(&LOG.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
}

fn assert_no_token_logged() {
    let log = log();
    let tokens = TOKENS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for token in tokens {
        // The token, and its random part alone.
        let tail = &token[token.len().saturating_sub(16)..];
        assert!(
            !log.contains(tail),
            "a token ({}…) is in the log",
            &token[..token.len().min(6)]
        );
    }
    let _ = std::io::stderr().flush();
}

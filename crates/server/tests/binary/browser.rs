//! The web pages in a real browser: Debian's Chromium, headless, driven over
//! WebDriver by chromedriver. Signs in, creates a token on the settings page
//! and publishes with it through the real npm, reads the package page,
//! makes the package public, deletes and restores a version — and saves
//! screenshots of the pages on the way under the test's target folder
//! (`docs/screenshots/` come from `pages_audit.rs`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::npm::{NpmUser, package, project};
use crate::common::{Server, free_port};
use base64::Engine;
use reqwest::blocking::Client;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session behind chromedriver.
pub(crate) struct Chrome {
    driver: Child,
    url: String,
    client: Client,
    _profile: tempfile::TempDir,
}

impl Chrome {
    pub(crate) fn start() -> Chrome {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver) is installed");
        let base = format!("http://127.0.0.1:{port}");
        let client = Client::builder()
            .timeout(Duration::from_mins(1))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{base}/status")).send()
                && r.json::<Value>().is_ok_and(|v| v["value"]["ready"] == true)
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic",
                    "--window-size=1200,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let session: Value = client
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {session}"))
            .to_owned();
        Chrome {
            driver,
            url: format!("{base}/session/{id}"),
            client,
            _profile: profile,
        }
    }

    pub(crate) fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer: Value = req.send().unwrap().json().unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub(crate) fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url})));
    }

    pub(crate) fn find(&self, using: &str, value: &str) -> String {
        let found = self.command(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": using, "value": value})),
        );
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {value}: {found}"))
            .to_owned()
    }

    pub(crate) fn css(&self, selector: &str) -> String {
        self.find("css selector", selector)
    }

    pub(crate) fn type_into(&self, element: &str, text: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        );
    }

    pub(crate) fn click(&self, element: &str) {
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        );
    }

    pub(crate) fn text(&self, element: &str) -> String {
        self.command(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .as_str()
        .unwrap()
        .to_owned()
    }

    pub(crate) fn source(&self) -> String {
        self.command(reqwest::Method::GET, "/source", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Waits until the page holds `text` (a form's answer may still be
    /// loading when a click returns), and returns the page.
    pub(crate) fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let source = self.source();
            if source.contains(text) {
                return source;
            }
            assert!(Instant::now() < deadline, "never saw {text:?} in {source}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn title(&self) -> String {
        self.command(reqwest::Method::GET, "/title", None)
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) fn screenshot(&self, path: &Path) {
        let png = self.command(reqwest::Method::GET, "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs `script` in the page and returns what it returns.
    pub(crate) fn run(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// Runs `script`, which calls its last argument with its answer.
    pub(crate) fn run_async(&self, script: &str) -> Value {
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The errors the console logged since the last call.
    pub(crate) fn console(&self) -> Vec<String> {
        let log = self.command(
            reqwest::Method::POST,
            "/se/log",
            Some(json!({"type": "browser"})),
        );
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Makes the viewport `width` by `height` CSS pixels, as a phone's is
    /// below 500 (headless windows are never narrower than that), and
    /// checks that the page sees it.
    pub(crate) fn resize(&self, width: u32, height: u32) {
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width.max(500), "height": height})),
        );
        self.command(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500
                }}),
            ),
        );
        assert_eq!(
            self.run("return window.innerWidth"),
            json!(width),
            "the viewport is {width} px wide"
        );
    }

    pub(crate) fn sign_in(&self, server: &Server, login: &str, password: &str) {
        self.goto(&server.url("/login"));
        self.type_into(&self.css("#login"), login);
        self.type_into(&self.css("#password"), password);
        self.click(&self.css("form[action='/login'] button[type=submit]"));
        self.wait_for("Signed in as");
    }
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self
            .client
            .delete(&self.url)
            .timeout(Duration::from_secs(10))
            .send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
#[expect(clippy::too_many_lines, reason = "one user's story, step by step")]
fn a_user_signs_in_creates_a_token_publishes_and_manages_the_package_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin_input(
        &["user", "create", "alice", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    let shots = screenshots();
    let chrome = Chrome::start();

    // Sign in, then create a token on the settings page.
    chrome.sign_in(&server, "alice", "correct horse battery");
    chrome.goto(&server.url("/settings/tokens"));
    chrome.type_into(&chrome.css("#note"), "npm publish from the laptop");
    chrome.click(&chrome.css("input[name=scope][value='write:packages']"));
    chrome.click(&chrome.css("form[action='/settings/tokens'] button[type=submit]"));
    chrome.wait_for("id=\"new-token\"");
    let token = chrome.text(&chrome.css("#new-token"));
    assert!(
        token.starts_with("entp_"),
        "the new token is shown: {token}"
    );

    // Publish two versions with it, through npm.
    let npm = NpmUser::new(&server, &["alice"], Some(&token));
    let work = tempfile::tempdir().unwrap();
    for version in ["1.0.0", "1.1.0"] {
        let dir = package(work.path(), "@alice/hello", version);
        npm.npm_ok(&dir, &["publish"]);
    }
    chrome.goto(&server.url("/settings/tokens"));
    assert!(chrome.source().contains("npm publish from the laptop"));
    assert!(!chrome.source().contains(&token), "shown once only");
    chrome.screenshot(&shots.join("tokens.png"));

    // The package page: README, both versions, the real install command.
    let page = server.url("/users/alice/packages/npm/package/hello");
    chrome.goto(&page);
    assert!(chrome.title().contains("hello"));
    let source = chrome.source();
    assert!(
        source.contains("Version 1.1.0 says hello"),
        "README rendered"
    );
    assert!(source.contains(">1.0.0<") && source.contains(">1.1.0<"));
    assert!(source.contains("npm install @alice/hello@1.1.0"));
    assert!(source.contains(&format!("@alice:registry={}", server.url("/npm/"))));
    assert!(chrome.source().contains("No downloads yet"));
    let before = 0;

    // An install counts as a download (from a fresh cache: publishing
    // left the tarball in the publisher's).
    let app = project(work.path(), "app");
    NpmUser::new(&server, &["alice"], Some(&token))
        .npm_ok(&app, &["install", "@alice/hello@1.1.0"]);
    chrome.goto(&page);
    let after: i64 = chrome
        .text(&chrome.css("dl.figures div:first-child dd"))
        .parse()
        .unwrap();
    assert_eq!(after, before + 1, "the download count rose");
    chrome.screenshot(&shots.join("package.png"));

    // Make it public on the settings page; signed out, it is there.
    chrome.click(&chrome.find("link text", "Package settings"));
    chrome.wait_for("Package settings <span");
    chrome.click(&chrome.css("#visibility-public"));
    chrome.type_into(&chrome.css("#visibility-confirm"), "hello");
    chrome.click(&chrome.css("section[aria-labelledby=visibility-heading] button"));
    chrome.wait_for("Visibility changed.");
    chrome.screenshot(&shots.join("settings.png"));
    chrome.click(&chrome.css("form[action='/logout'] button"));
    chrome.wait_for(">Sign in</a>");
    chrome.goto(&page);
    let source = chrome.source();
    assert!(source.contains("Sign in") && !source.contains("Signed in as"));
    assert!(
        source.contains("Version 1.1.0 says hello"),
        "public: seen signed out"
    );

    // Delete a version with its name typed, then restore it.
    chrome.sign_in(&server, "alice", "correct horse battery");
    chrome.goto(&server.url("/users/alice/packages/npm/hello/settings"));
    let row = "//tr[td/a[text()='1.0.0']]";
    chrome.type_into(
        &chrome.find("xpath", &format!("{row}//input[@name='confirm']")),
        "1.0.0",
    );
    chrome.click(&chrome.find("xpath", &format!("{row}//button")));
    chrome.wait_for("Version deleted.");
    chrome.goto(&format!("{page}?version=1.0.0"));
    assert!(
        chrome.source().contains("404"),
        "the deleted version is gone"
    );
    chrome.goto(&server.url("/users/alice/packages/npm/hello/settings"));
    chrome.click(&chrome.css("button[aria-label='Restore version 1.0.0']"));
    chrome.wait_for("Version restored.");
    chrome.goto(&format!("{page}?version=1.0.0"));
    assert!(chrome.source().contains("Version 1.0.0"));

    chrome.goto(&server.url("/alice"));
    assert!(chrome.source().contains("@alice/hello"));
    chrome.screenshot(&shots.join("owner.png"));

    // At phone width nothing overflows sideways.
    chrome.command(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 390, "height": 844})),
    );
    for path in [
        page.clone(),
        server.url("/users/alice/packages/npm/hello/settings"),
    ] {
        chrome.goto(&path);
        let fits = chrome.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({
                "script": "return document.documentElement.scrollWidth <= window.innerWidth || [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right).slice(0, 8).join(', ') + ' ' + document.documentElement.scrollWidth + ' ' + window.innerWidth",
                "args": []
            })),
        );
        assert_eq!(fits, json!(true), "{path} overflows at phone width");
    }
    chrome.goto(&page);
    chrome.screenshot(&shots.join("package-phone.png"));
}

#[test]
fn a_person_signs_in_through_the_openid_providers_own_pages_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, server) = crate::oidc::provider_and_server(dir.path());
    let chrome = Chrome::start();
    let shots = screenshots();

    chrome.goto(&server.url("/login?return_to=/settings/profile"));
    chrome.screenshot(&shots.join("login-providers.png"));
    chrome.click(&chrome.find("link text", "Sign in with Corp"));
    // The provider's own form, on its own origin.
    chrome.wait_for("Sign in to entrepot-corp");
    assert!(
        chrome.source().contains("id=\"login-form\""),
        "the provider's login page"
    );
    chrome.type_into(&chrome.css("#login"), "carol");
    chrome.type_into(&chrome.css("#password"), "not her password");
    chrome.click(&chrome.css("#submit"));
    chrome.wait_for("Invalid login or password");
    chrome.type_into(&chrome.css("#password"), "carol-pw");
    chrome.click(&chrome.css("#submit"));
    // Back on Entrepot, signed in as the account the claim named.
    let page = chrome.wait_for("Signed in as");
    assert!(page.contains("carol"), "{page}");
    assert!(
        page.contains("Your account"),
        "returned to the profile page"
    );
    chrome.screenshot(&shots.join("profile-identities.png"));
    assert!(provider.issuer.starts_with("http://127.0.0.1:"));
}

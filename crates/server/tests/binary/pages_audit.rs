//! Every page in a real browser, at a desktop's width and a phone's, in the
//! light theme and the dark: nothing overflows sideways, the console stays
//! clean, and axe-core (from the npm registry, injected here) finds no
//! serious or critical violation of WCAG 2.1 AA.
//!
//! With `ENTREPOT_SCREENSHOTS=DIR` set, it also saves a screenshot of each
//! page in each theme there: `docs/screenshots/` comes from
//! `ENTREPOT_SCREENSHOTS=$PWD/docs/screenshots cargo test -p entrepot --test binary pages_audit`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::browser::Chrome;
use crate::common::Server;
use crate::common::npm::{NpmUser, package};

/// axe-core as `scripts/test` installs it.
fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} (scripts/test installs it): {e}", path.display()))
}

/// Where screenshots go, if anywhere.
fn screenshots() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("ENTREPOT_SCREENSHOTS")?);
    std::fs::create_dir_all(&dir).unwrap();
    Some(dir)
}

/// What is wrong with the page shown: overflow, console errors, and axe's
/// serious and critical violations, as sentences.
fn problems(chrome: &Chrome, axe: &str) -> Vec<String> {
    let mut found = Vec::new();
    let overflow = chrome.run(
        "return document.documentElement.scrollWidth > window.innerWidth \
         ? [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)\
             .map(e => e.tagName + '.' + e.className).slice(0, 5).join(', ') + ' wider than ' + window.innerWidth \
         : null",
    );
    if let Some(overflow) = overflow.as_str() {
        found.push(format!("overflows: {overflow}"));
    }
    for entry in chrome.console() {
        found.push(format!("console: {entry}"));
    }
    chrome.run(&format!("{axe}\n;return true;"));
    let violations = chrome.run_async(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
           .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' ')).join(' | '))))
           .catch(e => done(['axe failed: ' + e]));",
    );
    for v in violations.as_array().into_iter().flatten() {
        found.push(format!("axe: {}", v.as_str().unwrap_or_default()));
    }
    found
}

/// An image pushed with skopeo, so the container page has layers.
fn push_image(server: &Server, dir: &Path, token: &str) {
    crate::oci::build_image(dir, "layout", "audited");
    let source = format!("oci:{}:1", dir.join("layout").display());
    let remote = format!(
        "docker://{}/alice/tool:1.0",
        server
            .url("")
            .trim_start_matches("http://")
            .trim_end_matches('/')
    );
    let pushed = Command::new("skopeo")
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("alice:{token}"),
            &source,
            &remote,
        ])
        .output()
        .unwrap();
    assert!(
        pushed.status.success(),
        "skopeo copy: {}",
        String::from_utf8_lossy(&pushed.stderr)
    );
}

#[test]
#[expect(clippy::too_many_lines, reason = "one walk through every page")]
fn every_page_passes_axe_without_overflow_at_desktop_and_phone_widths_in_both_themes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin_input(
        &[
            "user",
            "create",
            "alice",
            "--site-admin",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    let made = server.admin(&[
        "token",
        "create",
        "alice",
        "--scopes",
        "read:packages,write:packages,delete:packages,repo",
    ]);
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();
    let npm = NpmUser::new(&server, &["alice"], Some(&token));
    let work = tempfile::tempdir().unwrap();
    for version in ["1.0.0", "1.1.0"] {
        npm.npm_ok(&package(work.path(), "@alice/hello", version), &["publish"]);
    }
    push_image(&server, work.path(), &token);
    // One package of every other format, in repository alice/java for Maven.
    server.admin(&["repo", "create", "alice/java"]);
    crate::common::publish::one_of_each(&server, &token, "1.0.0");
    // Quotas and a rule, so that the cleanup page shows its tables.
    server.admin(&[
        "quota",
        "set",
        "alice",
        "--bytes",
        "1GiB",
        "--package-bytes",
        "100MiB",
        "--versions",
        "50",
    ]);
    server.admin(&[
        "quota", "set", "alice", "--format", "npm", "--bytes", "500MiB",
    ]);
    server.admin(&[
        "cleanup",
        "rule",
        "add",
        "alice",
        "--keep-newest",
        "10",
        "--older-than",
        "90d",
    ]);

    let chrome = Chrome::start();
    chrome.sign_in(&server, "alice", "correct horse battery");
    let npm_page = "/users/alice/packages/npm/package/hello";
    let pages = [
        ("home", "/".to_owned()),
        ("search", "/search?q=hello".to_owned()),
        ("owner", "/alice".to_owned()),
        ("package", npm_page.to_owned()),
        ("version", format!("{npm_page}?version=1.0.0")),
        (
            "versions",
            "/users/alice/packages/npm/hello/versions".to_owned(),
        ),
        (
            "container",
            "/users/alice/packages/container/package/tool".to_owned(),
        ),
        (
            "maven",
            "/users/alice/packages/maven/package/com.example.lib".to_owned(),
        ),
        (
            "rubygems",
            "/users/alice/packages/rubygems/package/tinygem".to_owned(),
        ),
        (
            "nuget",
            "/users/alice/packages/nuget/package/alice.lib".to_owned(),
        ),
        (
            "pypi",
            "/users/alice/packages/pypi/package/tiny-lib".to_owned(),
        ),
        (
            "cargo",
            "/users/alice/packages/cargo/package/tiny_lib".to_owned(),
        ),
        ("repository", "/alice/java/packages".to_owned()),
        (
            "package-settings",
            "/users/alice/packages/npm/hello/settings".to_owned(),
        ),
        (
            "package-hooks",
            "/users/alice/packages/npm/hello/hooks".to_owned(),
        ),
        (
            "package-hook-new",
            "/users/alice/packages/npm/hello/hooks/new".to_owned(),
        ),
        (
            "package-advisories",
            "/users/alice/packages/npm/hello/security-advisories".to_owned(),
        ),
        (
            "package-advisory-new",
            "/users/alice/packages/npm/hello/security-advisories/new".to_owned(),
        ),
        ("hooks", "/settings/hooks".to_owned()),
        ("tokens", "/settings/tokens".to_owned()),
        ("profile", "/settings/profile".to_owned()),
        ("cleanup", "/settings/cleanup".to_owned()),
        ("notifications", "/notifications".to_owned()),
        ("advisories", "/advisories".to_owned()),
        ("admin-users", "/admin/users".to_owned()),
        ("admin-organizations", "/admin/organizations".to_owned()),
        ("admin-repositories", "/admin/repositories".to_owned()),
        ("admin-settings", "/admin/settings".to_owned()),
        (
            "admin-sign-in-providers",
            "/admin/sign-in-providers".to_owned(),
        ),
    ];
    let axe = axe_source();
    let shots = screenshots();
    let mut failures = Vec::new();
    for (width, height) in [(1280, 900), (390, 844)] {
        chrome.resize(width, height);
        for (name, path) in &pages {
            chrome.goto(&server.url(path));
            chrome.console();
            // The page itself, not the 404 page in its place.
            let heading = chrome.run("return document.querySelector('h1').textContent");
            assert!(
                !heading.as_str().unwrap_or_default().contains("404"),
                "{name}: {path} is not found"
            );
            for theme in ["light", "dark"] {
                chrome.run(&format!(
                    "document.documentElement.dataset.theme = '{theme}'; return true;"
                ));
                for problem in problems(&chrome, &axe) {
                    failures.push(format!("{name} at {width} px, {theme}: {problem}"));
                }
                // Every page at a desktop's width; a few at a phone's.
                let phone = width < 500;
                if let Some(shots) = &shots
                    && (!phone || ["home", "package", "container"].contains(name))
                {
                    let suffix = if phone { "-phone" } else { "" };
                    chrome.screenshot(&shots.join(format!("{name}{suffix}-{theme}.png")));
                }
            }
        }
    }
    // Signed out: the sign-in page.
    chrome.run("document.querySelector(\"form[action='/logout'] button\").click(); return true;");
    chrome.wait_for(">Sign in</a>");
    for (width, height) in [(1280, 900), (390, 844)] {
        chrome.resize(width, height);
        chrome.goto(&server.url("/login"));
        for problem in problems(&chrome, &axe) {
            failures.push(format!("login at {width} px: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

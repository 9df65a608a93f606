//! The web pages over HTTP: what a visitor sees of a package and of an
//! owner, and what they must not see.

mod common;

use common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::json;

fn publish(server: &Server, t: &str, name: &str, version: &str, repository: &str) {
    let status = Client::new()
        .put(server.url(&format!("/npm/{}", name.replace('/', "%2f"))))
        .bearer_auth(t)
        .json(&publish_doc(name, version, repository))
        .send()
        .unwrap()
        .status();
    assert_eq!(status, 201);
}

fn setup() -> (tempfile::TempDir, Server, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    server.admin(&["repo", "create", "alice/hello"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let repo_url = server.url("/alice/hello");
    publish(&server, &t, "@alice/hello", "1.0.0", &repo_url);
    publish(&server, &t, "@alice/hello", "1.1.0", &repo_url);
    (dir, server, t)
}

fn html(server: &Server, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut req = Client::new().get(server.url(path));
    if let Some(t) = auth {
        req = req.bearer_auth(t);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_package_page_shows_readme_versions_install_command_and_downloads() {
    let (_dir, server, t) = setup();
    let page = "/users/alice/packages/npm/package/hello";
    let (status, body) = html(&server, page, Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello"));
    assert!(
        body.contains("<h1>@alice/hello 1.1.0</h1>"),
        "the README, rendered"
    );
    assert!(
        body.contains("1.0.0") && body.contains("1.1.0"),
        "both versions"
    );
    assert!(
        body.contains(&format!("@alice:registry={}", server.url("/npm/"))),
        "the real host and port"
    );
    assert!(body.contains("npm install @alice/hello@1.1.0"));
    assert!(
        body.contains("href=\"/alice/hello/packages\""),
        "the connected repository"
    );
    assert!(body.contains("<strong>0</strong> total"));

    // A download shows up.
    let tarball = Client::new()
        .get(server.url("/npm/@alice/hello/-/hello-1.1.0.tgz"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(tarball.status(), 200);
    let (_, body) = html(&server, page, Some(&t));
    assert!(body.contains("<strong>1</strong> total"), "downloads rise");
    assert!(body.contains("<svg class=\"chart\""));

    // The version view lists its files with digests.
    let (status, body) = html(&server, &format!("{page}?version=1.0.0"), Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("Version 1.0.0"));
    assert!(body.contains("hello-1.0.0.tgz"));
    assert_eq!(
        html(&server, &format!("{page}?version=9.9.9"), Some(&t)).0,
        404
    );
}

#[test]
fn private_packages_are_not_there_for_those_who_may_not_see_them() {
    let (_dir, server, t) = setup();
    let page = "/users/alice/packages/npm/package/hello";
    assert_eq!(html(&server, page, None).0, 404);
    let bob = token(&server, "bob", "read:packages");
    assert_eq!(html(&server, page, Some(&bob)).0, 404);
    let (_, owner_page) = html(&server, "/alice", Some(&bob));
    assert!(!owner_page.contains("@alice/hello"));

    // Once public, anyone sees it, signed in or not.
    let made_public = Client::new()
        .patch(server.url("/api/v3/user/packages/npm/hello"))
        .bearer_auth(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    assert_eq!(made_public.status(), 200);
    assert_eq!(html(&server, page, None).0, 200);
    let (_, owner_page) = html(&server, "/alice", None);
    assert!(owner_page.contains("@alice/hello"));
}

#[test]
fn owner_repository_and_search_pages_list_filter_and_sort() {
    let (_dir, server, t) = setup();
    publish(&server, &t, "@alice/other", "1.0.0", "");
    let (status, body) = html(&server, "/alice", Some(&t));
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello") && body.contains("@alice/other"));
    let (_, filtered) = html(&server, "/alice?q=oth", Some(&t));
    assert!(filtered.contains("@alice/other") && !filtered.contains("@alice/hello"));
    assert!(
        !body.contains("value=\"None\""),
        "an empty search box is empty"
    );
    let (_, by_type) = html(&server, "/alice?type=container", Some(&t));
    assert!(by_type.contains("No packages to show."));
    let (status, repo_page) = html(&server, "/alice/hello/packages", Some(&t));
    assert_eq!(status, 200);
    assert!(repo_page.contains("@alice/hello") && !repo_page.contains("@alice/other"));
    let (_, search) = html(&server, "/search?q=hello", Some(&t));
    assert!(search.contains("@alice/hello"));
    assert_eq!(html(&server, "/nobody", None).0, 404);
    let css = Client::new()
        .get(server.url("/static/style.css"))
        .send()
        .unwrap();
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

/// A browser without JavaScript: keeps cookies, does not follow redirects
/// (so that each answer can be checked).
struct Browser<'a> {
    server: &'a Server,
    client: Client,
}

impl<'a> Browser<'a> {
    fn new(server: &'a Server) -> Self {
        Browser {
            server,
            client: Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.server.url(path)).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    }

    fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::blocking::Response {
        self.client
            .post(self.server.url(path))
            .form(form)
            .send()
            .unwrap()
    }

    /// Signs in through the form, returning the answer to the POST.
    fn sign_in(&self, login: &str, password: &str) -> reqwest::blocking::Response {
        let (status, form) = self.get("/login?return_to=/settings/tokens");
        assert_eq!(status, 200);
        let csrf = csrf_of(&form);
        self.post(
            "/login",
            &[
                ("login", login),
                ("password", password),
                ("csrf", &csrf),
                ("return_to", "/settings/tokens"),
            ],
        )
    }

    /// The CSRF token of the forms on `path`.
    fn csrf(&self, path: &str) -> String {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        csrf_of(&body)
    }
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn with_password(server: &Server, login: &str, password: &str) {
    server.admin_input(
        &["user", "create", login, "--password-stdin"],
        Some(&format!("{password}\n")),
    );
}

#[test]
fn signing_in_sets_a_safe_session_cookie_and_signing_out_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    let browser = Browser::new(&server);

    let refused = browser.sign_in("alice", "wrong");
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .text()
            .unwrap()
            .contains("Incorrect user name or password")
    );

    let ok = browser.sign_in("alice", "correct horse battery");
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/settings/tokens");
    let cookie = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("entrepot_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    let secret = cookie["entrepot_session=".len()..]
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let (_, page) = browser.get("/");
    assert!(page.contains("Signed in as"), "{page}");
    assert!(page.contains("<strong>alice</strong>"));

    // Signing out needs the page's CSRF token.
    assert_eq!(browser.post("/logout", &[("csrf", "forged")]).status(), 400);
    let csrf = browser.csrf("/");
    assert_eq!(browser.post("/logout", &[("csrf", &csrf)]).status(), 303);
    let (_, page) = browser.get("/");
    assert!(page.contains("Sign in") && !page.contains("Signed in as"));
    // The session is gone on the server, not just in this browser.
    let replay = Client::new()
        .get(server.url("/settings/tokens"))
        .header("cookie", format!("entrepot_session={secret}"))
        .send()
        .unwrap();
    assert!(
        replay.url().path().starts_with("/login"),
        "{}",
        replay.url()
    );
}

#[test]
fn session_cookies_are_secure_behind_https() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", common::free_port());
    let server = Server::start_in(
        dir.path(),
        &[
            "--listen",
            &listen,
            "--base-url",
            "https://packages.example.test",
        ],
        &format!("http://{listen}"),
    );
    with_password(&server, "alice", "correct horse battery");
    let ok = Browser::new(&server).sign_in("alice", "correct horse battery");
    assert_eq!(ok.status(), 303);
    let cookies: Vec<String> = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("entrepot_session=") && c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[test]
fn a_sign_in_form_from_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    // No CSRF cookie: a form posted from another site.
    let r = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(server.url("/login"))
        .form(&[
            ("login", "alice"),
            ("password", "correct horse battery"),
            ("csrf", "x"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        !r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("entrepot_session=")),
        "no session for a forged form"
    );
}

#[test]
fn failed_sign_ins_are_throttled_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    with_password(&server, "bob", "another good one");
    let browser = Browser::new(&server);
    for _ in 0..5 {
        assert_eq!(browser.sign_in("alice", "guess").status(), 401);
    }
    let locked = browser.sign_in("alice", "correct horse battery");
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked.headers().contains_key("retry-after"));
    // Another user is not locked out by alice's failures.
    assert_eq!(browser.sign_in("bob", "another good one").status(), 303);
}

/// `npm login`'s request; its status.
fn npm_login(server: &Server, login: &str, password: &str) -> u16 {
    Client::new()
        .put(server.url(&format!("/npm/-/user/org.couchdb.user:{login}")))
        .json(&json!({"name": login, "password": password}))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// `gem signin`'s request; its status.
fn gem_signin(server: &Server, login: &str, password: &str) -> u16 {
    Client::new()
        .get(server.url("/rubygems/alice/api/v1/api_key"))
        .basic_auth(login, Some(password))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn every_way_of_presenting_a_password_shares_one_throttle() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    let browser = Browser::new(&server);
    // Five wrong guesses, spread over npm login, gem signin and the web.
    assert_eq!(npm_login(&server, "alice", "guess 1"), 401);
    assert_eq!(npm_login(&server, "alice", "guess 2"), 401);
    assert_eq!(gem_signin(&server, "alice", "guess 3"), 401);
    assert_eq!(gem_signin(&server, "alice", "guess 4"), 401);
    assert_eq!(browser.sign_in("alice", "guess 5").status(), 401);
    // Then the right password waits on every one of them.
    assert_eq!(npm_login(&server, "alice", "correct horse battery"), 429);
    assert_eq!(gem_signin(&server, "alice", "correct horse battery"), 429);
    assert_eq!(
        browser.sign_in("alice", "correct horse battery").status(),
        429
    );
    // Until an operator lifts the lock.
    server.admin(&["user", "unlock", "alice"]);
    assert_eq!(gem_signin(&server, "alice", "correct horse battery"), 200);
    assert_eq!(npm_login(&server, "alice", "correct horse battery"), 201);
}

/// `npm login` as relayed by a proxy that says the client is `client`.
fn npm_login_via(server: &Server, login: &str, password: &str, client: &str) -> u16 {
    Client::new()
        .put(server.url(&format!("/npm/-/user/org.couchdb.user:{login}")))
        .header("x-forwarded-for", client)
        .json(&json!({"name": login, "password": password}))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn the_address_throttle_counts_the_client_a_trusted_proxy_names() {
    let spray = |server: &Server, client: &str| {
        for n in 0..30 {
            assert_eq!(
                npm_login_via(server, &format!("user{n}"), "guess", client),
                401
            );
        }
    };
    // Behind a trusted proxy: one client's guesses lock only that client.
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", common::free_port());
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--trusted-proxies", "127.0.0.1"],
        &format!("http://{listen}"),
    );
    with_password(&server, "alice", "correct horse battery");
    spray(&server, "198.51.100.1");
    assert_eq!(
        npm_login_via(&server, "alice", "correct horse battery", "198.51.100.1"),
        429
    );
    assert_eq!(
        npm_login_via(&server, "alice", "correct horse battery", "198.51.100.2"),
        201
    );
    // Without: the header is the client's own word, and changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    spray(&server, "198.51.100.1");
    assert_eq!(
        npm_login_via(&server, "alice", "correct horse battery", "198.51.100.2"),
        429
    );
}

#[test]
fn concurrent_guesses_cannot_outrun_the_throttle() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    // 29 wrong guesses and the right password, all at once, each from a
    // browser of its own.
    let base = server.base.clone();
    let statuses: Vec<(bool, u16)> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..30)
            .map(|n| {
                let base = &base;
                scope.spawn(move || {
                    let right = n == 29;
                    let password = if right {
                        "correct horse battery"
                    } else {
                        "guess"
                    };
                    let browser = Client::builder()
                        .cookie_store(true)
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .unwrap();
                    let form = browser
                        .get(format!("{base}/login"))
                        .send()
                        .unwrap()
                        .text()
                        .unwrap();
                    let csrf = csrf_of(&form);
                    let status = browser
                        .post(format!("{base}/login"))
                        .form(&[("login", "alice"), ("password", password), ("csrf", &csrf)])
                        .send()
                        .unwrap()
                        .status()
                        .as_u16();
                    (right, status)
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    // Five attempts are counted in; everything else waits. The right
    // password signs in only if it was among them, and then takes back its
    // own count, which one more guess may take in time.
    let wrong_ones_checked = statuses
        .iter()
        .filter(|(right, s)| !right && *s == 401)
        .count();
    let signed_in = statuses.iter().any(|(right, s)| *right && *s == 303);
    let waited = statuses.iter().filter(|(_, s)| *s == 429).count();
    if signed_in {
        assert!((4..=5).contains(&wrong_ones_checked), "{statuses:?}");
    } else {
        assert_eq!(wrong_ones_checked, 5, "{statuses:?}");
    }
    assert_eq!(
        waited,
        30 - wrong_ones_checked - usize::from(signed_in),
        "{statuses:?}"
    );
}

#[test]
fn site_administrators_see_and_lift_sign_in_locks() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    server.admin_input(
        &["user", "create", "root", "--site-admin", "--password-stdin"],
        Some("the root password\n"),
    );
    for _ in 0..5 {
        assert_eq!(npm_login(&server, "alice", "guess"), 401);
    }
    assert_eq!(npm_login(&server, "alice", "correct horse battery"), 429);
    // alice herself may not see the page.
    let alice_browser = Browser::new(&server);
    let root = Browser::new(&server);
    assert_eq!(root.sign_in("root", "the root password").status(), 303);
    let (status, page) = root.get("/admin/sign-in-locks");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("user:alice"), "{page}");
    let csrf = csrf_of(&page);
    let lifted = root.post(
        "/admin/sign-in-locks",
        &[("csrf", csrf.as_str()), ("key", "user:alice")],
    );
    assert_eq!(lifted.status(), 303);
    assert!(!root.get("/admin/sign-in-locks").1.contains("user:alice"));
    assert_eq!(
        alice_browser
            .sign_in("alice", "correct horse battery")
            .status(),
        303
    );
    assert_eq!(alice_browser.get("/admin/sign-in-locks").0, 404);
    assert_eq!(Browser::new(&server).get("/admin/sign-in-locks").0, 303);
}

#[test]
fn the_settings_url_tells_nobody_whether_a_private_package_exists() {
    let (_dir, server, _t) = setup();
    let existing = "/users/alice/packages/npm/hello/settings";
    let missing = "/users/alice/packages/npm/nothing-here/settings";
    // Signed out: both send the browser to sign in.
    for path in [existing, missing] {
        let r = Browser::new(&server)
            .client
            .get(server.url(path))
            .send()
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    // Signed in as a stranger: both are simply not there.
    with_password(&server, "carol", "a long passphrase");
    let carol = Browser::new(&server);
    assert_eq!(carol.sign_in("carol", "a long passphrase").status(), 303);
    let (existing_status, existing_page) = carol.get(existing);
    let (missing_status, missing_page) = carol.get(missing);
    assert_eq!((existing_status, missing_status), (404, 404));
    assert_eq!(existing_page, missing_page);
}

#[test]
fn control_characters_in_a_return_path_are_never_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    let browser = Browser::new(&server);
    assert_eq!(
        browser.sign_in("alice", "correct horse battery").status(),
        303
    );
    let csrf = browser.csrf("/notifications");
    let r = browser.post(
        "/notifications/read",
        &[
            ("csrf", csrf.as_str()),
            ("return_to", "/x\r\nSet-Cookie: a=b"),
        ],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/notifications");
}

#[test]
fn tokens_are_created_shown_once_listed_and_revoked_on_the_settings_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    let anonymous = Browser::new(&server);
    let r = anonymous.post(
        "/settings/tokens",
        &[("note", "x"), ("scope", "read:packages")],
    );
    assert_eq!(r.status(), 303, "signed out: sent to sign in");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    let browser = Browser::new(&server);
    assert_eq!(
        browser.sign_in("alice", "correct horse battery").status(),
        303
    );
    let csrf = browser.csrf("/settings/tokens");

    let forged = browser.post(
        "/settings/tokens",
        &[
            ("csrf", "forged"),
            ("note", "ci"),
            ("scope", "write:packages"),
        ],
    );
    assert_eq!(forged.status(), 400);
    let no_scope = browser.post("/settings/tokens", &[("csrf", &csrf), ("note", "ci")]);
    assert_eq!(no_scope.status(), 422);
    assert!(no_scope.text().unwrap().contains("at least one scope"));

    let created = browser.post(
        "/settings/tokens",
        &[
            ("csrf", &csrf),
            ("note", "ci publish"),
            ("expiration", "7"),
            ("scope", "write:packages"),
            ("scope", "delete:packages"),
        ],
    );
    assert_eq!(created.status(), 201);
    let body = created.text().unwrap();
    let marker = "<code id=\"new-token\" class=\"token\">";
    let start = body.find(marker).unwrap() + marker.len();
    let secret = body[start..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("entp_"), "{secret}");

    // It works, with the scopes chosen (write implies read).
    let user = Client::new()
        .get(server.url("/api/v3/user"))
        .bearer_auth(&secret)
        .send()
        .unwrap();
    assert_eq!(user.status(), 200);
    let scopes = user.headers()["x-oauth-scopes"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(scopes.contains("write:packages") && scopes.contains("delete:packages"));

    // The list shows it, but never again its secret.
    let (_, list) = browser.get("/settings/tokens");
    assert!(list.contains("ci publish") && list.contains("write:packages"));
    assert!(!list.contains(&secret));
    let revoke_path = {
        let marker = "action=\"/settings/tokens/";
        let start = list.find(marker).unwrap() + "action=\"".len();
        list[start..].split('"').next().unwrap().to_owned()
    };
    // Another user cannot revoke it.
    with_password(&server, "bob", "another good one");
    let bob = Browser::new(&server);
    assert_eq!(bob.sign_in("bob", "another good one").status(), 303);
    let bob_csrf = bob.csrf("/settings/tokens");
    assert_eq!(bob.post(&revoke_path, &[("csrf", &bob_csrf)]).status(), 404);
    assert_eq!(
        Client::new()
            .get(server.url("/api/v3/user"))
            .bearer_auth(&secret)
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(browser.post(&revoke_path, &[("csrf", &csrf)]).status(), 303);
    assert_eq!(
        Client::new()
            .get(server.url("/api/v3/user"))
            .bearer_auth(&secret)
            .send()
            .unwrap()
            .status(),
        401,
        "a revoked token is refused"
    );
}

#[test]
#[expect(clippy::too_many_lines, reason = "one user's story, step by step")]
fn package_settings_change_visibility_access_and_delete_and_restore_versions() {
    let settings = "/users/alice/packages/npm/hello/settings";
    let page = "/users/alice/packages/npm/package/hello";
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    with_password(&server, "alice", "correct horse battery");
    with_password(&server, "bob", "another good one");
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    publish(&server, &t, "@alice/hello", "1.0.0", "");
    publish(&server, &t, "@alice/hello", "1.1.0", "");
    let bob_token = token(&server, "bob", "read:packages");

    let signed_out = Browser::new(&server);
    let r = signed_out.post(settings, &[("action", "delete_package")]);
    assert_eq!(
        r.status(),
        303,
        "a browser without a session signs in first"
    );

    let bob_browser = Browser::new(&server);
    assert_eq!(bob_browser.sign_in("bob", "another good one").status(), 303);
    assert_eq!(bob_browser.get(settings).0, 404, "bob may not even see it");

    let alice = Browser::new(&server);
    assert_eq!(
        alice.sign_in("alice", "correct horse battery").status(),
        303
    );
    let (status, body) = alice.get(page);
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("href=\"{settings}\"")),
        "settings link for admins"
    );
    let csrf = alice.csrf(settings);

    // Forged forms change nothing.
    let forged = alice.post(
        settings,
        &[
            ("csrf", "forged"),
            ("action", "delete_package"),
            ("confirm", "hello"),
        ],
    );
    assert_eq!(forged.status(), 400);

    // Access: bob gets read, then sees the page; the settings stay admin-only.
    let grant = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "grant"),
            ("login", "bob"),
            ("role", "read"),
        ],
    );
    assert_eq!(grant.status(), 303);
    assert_eq!(html(&server, page, Some(&bob_token)).0, 200);
    assert_eq!(
        bob_browser.get(settings).0,
        403,
        "bob reads but does not administer"
    );
    let revoke = alice.post(
        settings,
        &[("csrf", &csrf), ("action", "revoke"), ("login", "bob")],
    );
    assert_eq!(revoke.status(), 303);
    assert_eq!(html(&server, page, Some(&bob_token)).0, 404);

    // Public needs the name typed; the wrong name changes nothing.
    let unconfirmed = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "visibility"),
            ("visibility", "public"),
            ("confirm", "hell"),
        ],
    );
    assert_eq!(unconfirmed.status(), 400);
    assert_eq!(html(&server, page, None).0, 404);
    let public = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "visibility"),
            ("visibility", "public"),
            ("confirm", "hello"),
        ],
    );
    assert_eq!(public.status(), 303);
    assert_eq!(html(&server, page, None).0, 200, "public: seen signed out");
    let back = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "visibility"),
            ("visibility", "private"),
        ],
    );
    assert_eq!(back.status(), 403, "public is one-way");

    // Delete a version with its name typed, then restore it.
    let (_, body) = alice.get(settings);
    let id_marker = "name=\"version_id\" value=\"";
    let ids: Vec<String> = body
        .match_indices(id_marker)
        .map(|(i, _)| {
            body[i + id_marker.len()..]
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    let v100 = ids.last().unwrap().clone(); // newest first: 1.0.0 is last
    let wrong = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "delete_version"),
            ("version_id", &v100),
            ("confirm", "1.1.0"),
        ],
    );
    assert_eq!(wrong.status(), 400);
    let deleted = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "delete_version"),
            ("version_id", &v100),
            ("confirm", "1.0.0"),
        ],
    );
    assert_eq!(deleted.status(), 303);
    assert_eq!(
        Client::new()
            .get(server.url("/npm/@alice%2fhello/1.0.0"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let (_, body) = alice.get(settings);
    assert!(body.contains("Deleted versions"));
    let restored = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "restore_version"),
            ("version_id", &v100),
        ],
    );
    assert_eq!(restored.status(), 303);
    assert_eq!(
        Client::new()
            .get(server.url("/npm/@alice%2fhello/1.0.0"))
            .send()
            .unwrap()
            .status(),
        200
    );

    // Delete the whole package; the owner page offers it back; restore it.
    let gone = alice.post(
        settings,
        &[
            ("csrf", &csrf),
            ("action", "delete_package"),
            ("confirm", "hello"),
        ],
    );
    assert_eq!(gone.status(), 303);
    assert_eq!(html(&server, page, None).0, 404);
    let (_, owner) = alice.get("/alice");
    assert!(
        owner.contains("Recently deleted") && owner.contains(settings),
        "{owner}"
    );
    let (_, anonymous_owner) = html(&server, "/alice", None);
    assert!(!anonymous_owner.contains("Recently deleted"));
    let back = alice.post(settings, &[("csrf", &csrf), ("action", "restore_package")]);
    assert_eq!(back.status(), 303);
    assert_eq!(html(&server, page, None).0, 200);
}

#[test]
fn an_operator_sets_the_password_of_an_existing_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "dave"]);
    let browser = Browser::new(&server);
    assert_eq!(browser.sign_in("dave", "a new password").status(), 401);
    server.admin_input(&["user", "set-password", "dave"], Some("a new password\n"));
    assert_eq!(browser.sign_in("dave", "a new password").status(), 303);
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn watching_a_package_brings_its_advisories_to_the_notifications_page() {
    let (_dir, server, alice) = setup();
    server.admin(&["user", "create", "root", "--site-admin"]);
    let root = token(&server, "root", "read:packages,write:packages");
    common::make_public(&server, &alice, "npm", "hello");
    server.admin_input(
        &["user", "set-password", "bob"],
        Some("correct horse battery staple\n"),
    );
    let bob = Browser::new(&server);
    assert_eq!(
        bob.sign_in("bob", "correct horse battery staple").status(),
        303
    );
    // Signed out, the page asks for a sign-in.
    let r = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(server.url("/notifications"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    // bob watches the package from its page.
    let package = "/users/alice/packages/npm/package/hello";
    let (_, page) = bob.get(package);
    assert!(page.contains("Watch for security advisories"), "{page}");
    let csrf = csrf_of(&page);
    let forged = bob.post(
        "/notifications/subscriptions",
        &[
            ("csrf", "forged"),
            ("package_type", "npm"),
            ("owner", "alice"),
            ("name", "hello"),
        ],
    );
    assert_eq!(forged.status(), 400);
    let watched = bob.post(
        "/notifications/subscriptions",
        &[
            ("csrf", &csrf),
            ("package_type", "npm"),
            ("owner", "alice"),
            ("name", "hello"),
            ("return_to", package),
        ],
    );
    assert_eq!(watched.status(), 303);
    assert_eq!(watched.headers()["location"], package);
    let (_, page) = bob.get(package);
    assert!(page.contains(">Unwatch<"), "{page}");
    let (status, inbox) = bob.get("/notifications");
    assert_eq!(status, 200);
    assert!(inbox.contains("0 unread"), "{inbox}");
    assert!(
        inbox.contains("href=\"/users/alice/packages/npm/package/hello\""),
        "{inbox}"
    );

    // An advisory, drafted by alice and published by root, lands there.
    let api = |t: &str, method: reqwest::Method, path: &str, body: serde_json::Value| {
        let r = Client::new()
            .request(method, server.url(&format!("/api/v3{path}")))
            .bearer_auth(t)
            .json(&body)
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json::<serde_json::Value>().unwrap()
    };
    let draft = api(
        &alice,
        reqwest::Method::POST,
        "/user/packages/npm/hello/security-advisories",
        json!({
            "summary": "Path traversal in hello",
            "description": "Reads files outside its folder.",
            "severity": "high",
            "vulnerabilities": [{"package": {"ecosystem": "npm", "name": "@alice/hello"},
                                 "vulnerable_version_range": "< 1.1.0", "patched_versions": "1.1.0"}],
        }),
    );
    let id = draft["ghsa_id"].as_str().unwrap().to_owned();
    api(
        &root,
        reqwest::Method::PATCH,
        &format!("/users/alice/packages/npm/hello/security-advisories/{id}"),
        json!({"state": "published"}),
    );
    let (_, inbox) = bob.get("/notifications");
    assert!(inbox.contains("1 unread"), "{inbox}");
    assert!(inbox.contains("Path traversal in hello"), "{inbox}");
    assert!(inbox.contains(&format!("/advisories/{id}")), "{inbox}");
    // carol watches nothing and hears nothing.
    let carol = Browser::new(&server);
    with_password(&server, "carol", "another long passphrase");
    assert_eq!(
        carol.sign_in("carol", "another long passphrase").status(),
        303
    );
    let (_, carols) = carol.get("/notifications");
    assert!(!carols.contains("Path traversal"), "{carols}");

    // Marked read; then unwatched.
    let csrf = csrf_of(&inbox);
    let numbered = |html: &str, prefix: &str| -> String {
        html.split(prefix)
            .skip(1)
            .filter_map(|rest| rest.split('/').next())
            .find(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no {prefix}ID/ in {html}"))
            .to_owned()
    };
    let notification = numbered(&inbox, "action=\"/notifications/");
    assert_eq!(
        bob.post(
            &format!("/notifications/{notification}/read"),
            &[("csrf", &csrf)]
        )
        .status(),
        303
    );
    let (_, inbox) = bob.get("/notifications");
    assert!(inbox.contains("0 unread"), "{inbox}");
    assert!(
        inbox.contains("Path traversal in hello"),
        "read ones stay listed"
    );
    let subscription = numbered(&inbox, "action=\"/notifications/subscriptions/");
    assert_eq!(carols.matches("/delete").count(), 0);
    let stranger = carol.post(
        &format!("/notifications/subscriptions/{subscription}/delete"),
        &[("csrf", &csrf_of(&carols))],
    );
    assert_eq!(
        stranger.status(),
        404,
        "carol cannot end bob's subscription"
    );
    let r = bob.post(
        &format!("/notifications/subscriptions/{subscription}/delete"),
        &[("csrf", &csrf)],
    );
    assert_eq!(r.status(), 303);
    let (_, page) = bob.get(package);
    assert!(page.contains("Watch for security advisories"), "{page}");
}

//! The web pages over HTTP: what a visitor sees of a package and of an
//! owner, and what they must not see.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::Method;
use serde_json::json;

use crate::common::publish_doc;
use crate::test_app::{AppClient, TestApp, TestRequest, TestResponse, make_public};

async fn publish(app: &TestApp, t: &str, name: &str, version: &str, repository: &str) {
    let status = app
        .put(&format!("/npm/{}", name.replace('/', "%2f")))
        .bearer(t)
        .json(&publish_doc(name, version, repository))
        .send()
        .await
        .status();
    assert_eq!(status, 201);
}

async fn setup() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    app.repo("alice/hello").await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let repo_url = app.url("/alice/hello");
    publish(&app, &t, "@alice/hello", "1.0.0", &repo_url).await;
    publish(&app, &t, "@alice/hello", "1.1.0", &repo_url).await;
    (app, t)
}

async fn html(app: &TestApp, path: &str, auth: Option<&str>) -> (u16, String) {
    let mut req = app.get(path);
    if let Some(t) = auth {
        req = req.bearer(t);
    }
    let r = req.send().await;
    (r.status().as_u16(), r.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_package_page_shows_readme_versions_install_command_and_downloads() {
    let (app, t) = setup().await;
    let page = "/users/alice/packages/npm/package/hello";
    let (status, body) = html(&app, page, Some(&t)).await;
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello"));
    assert!(
        body.contains(">@alice/hello 1.1.0</h2>"),
        "the README, rendered"
    );
    assert!(
        body.contains("1.0.0") && body.contains("1.1.0"),
        "both versions"
    );
    assert!(
        body.contains(&format!("@alice:registry={}", app.url("/npm/"))),
        "the real host and port"
    );
    assert!(body.contains("npm install @alice/hello@1.1.0"));
    assert!(
        body.contains("href=\"/alice/hello/packages\""),
        "the connected repository"
    );
    assert!(body.contains("No downloads yet"));

    // A download shows up.
    let tarball = app
        .get("/npm/@alice/hello/-/hello-1.1.0.tgz")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(tarball.status(), 200);
    let (_, body) = html(&app, page, Some(&t)).await;
    assert!(body.contains("<dt>Total</dt><dd>1</dd>"), "downloads rise");
    assert!(body.contains("<svg class=\"chart\""));

    // The version view lists its files with digests.
    let (status, body) = html(&app, &format!("{page}?version=1.0.0"), Some(&t)).await;
    assert_eq!(status, 200);
    assert!(body.contains("Version 1.0.0"));
    assert!(body.contains("hello-1.0.0.tgz"));
    assert!(
        body.contains("This is not the latest version"),
        "an old version says so"
    );
    assert!(body.contains("href=\"/users/alice/packages/npm/hello/versions\""));

    // Every version, a page at a time, with its tags and downloads.
    let versions = "/users/alice/packages/npm/hello/versions";
    let (status, body) = html(&app, versions, Some(&t)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("2 versions"), "{body}");
    assert!(body.contains("?version=1.0.0") && body.contains("<code>latest</code>"));
    assert_eq!(
        html(&app, &format!("{versions}?page=2"), Some(&t)).await.0,
        404,
        "past the last page"
    );
    assert_eq!(
        html(&app, &format!("{page}?version=9.9.9"), Some(&t))
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn private_packages_are_not_there_for_those_who_may_not_see_them() {
    let (app, t) = setup().await;
    let page = "/users/alice/packages/npm/package/hello";
    assert_eq!(html(&app, page, None).await.0, 404);
    let bob = app.token("bob", "read:packages").await;
    assert_eq!(html(&app, page, Some(&bob)).await.0, 404);
    let (_, owner_page) = html(&app, "/alice", Some(&bob)).await;
    assert!(!owner_page.contains("@alice/hello"));

    // Once public, anyone sees it, signed in or not.
    let made_public = app
        .patch("/api/v3/user/packages/npm/hello")
        .bearer(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .await;
    assert_eq!(made_public.status(), 200);
    assert_eq!(html(&app, page, None).await.0, 200);
    let (_, owner_page) = html(&app, "/alice", None).await;
    assert!(owner_page.contains("@alice/hello"));
}

#[tokio::test(flavor = "multi_thread")]
async fn owner_repository_and_search_pages_list_filter_and_sort() {
    let (app, t) = setup().await;
    publish(&app, &t, "@alice/other", "1.0.0", "").await;
    let (status, body) = html(&app, "/alice", Some(&t)).await;
    assert_eq!(status, 200);
    assert!(body.contains("@alice/hello") && body.contains("@alice/other"));
    let (_, filtered) = html(&app, "/alice?q=oth", Some(&t)).await;
    assert!(filtered.contains("@alice/other") && !filtered.contains("@alice/hello"));
    assert!(
        !body.contains("value=\"None\""),
        "an empty search box is empty"
    );
    let (_, by_type) = html(&app, "/alice?type=container", Some(&t)).await;
    assert!(by_type.contains("No packages to show."));
    let (status, repo_page) = html(&app, "/alice/hello/packages", Some(&t)).await;
    assert_eq!(status, 200);
    assert!(repo_page.contains("@alice/hello") && !repo_page.contains("@alice/other"));
    let (_, search) = html(&app, "/search?q=hello", Some(&t)).await;
    assert!(search.contains("@alice/hello"));
    assert_eq!(html(&app, "/nobody", None).await.0, 404);
    let css = app.get("/static/style.css").send().await;
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

/// A browser without JavaScript: keeps cookies, does not follow redirects
/// (so that each answer can be checked).
pub(crate) struct Browser {
    client: AppClient,
    /// The cookies it holds, by name.
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Browser {
            client: app.client(),
            cookies: Mutex::default(),
        }
    }

    /// Sends `request` with the cookies held, and keeps those it is given
    /// (a cookie given with `Max-Age=0` is dropped).
    async fn send(&self, request: TestRequest) -> TestResponse {
        let held = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if held.is_empty() {
            request
        } else {
            request.header("cookie", held)
        };
        let response = request.send().await;
        let mut cookies = self.cookies.lock().unwrap();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            let expired = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        response
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = self.get_response(path).await;
        (r.status().as_u16(), r.text())
    }

    pub(crate) async fn get_response(&self, path: &str) -> TestResponse {
        self.send(self.client.get(path)).await
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> TestResponse {
        self.send(self.client.post(path).form(form)).await
    }

    /// Signs in through the form, returning the answer to the POST.
    pub(crate) async fn sign_in(&self, login: &str, password: &str) -> TestResponse {
        let (status, form) = self.get("/login?return_to=/settings/tokens").await;
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
        .await
    }

    /// The CSRF token of the forms on `path`.
    pub(crate) async fn csrf(&self, path: &str) -> String {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        csrf_of(&body)
    }
}

pub(crate) fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_sets_a_safe_session_cookie_and_signing_out_ends_the_session() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let browser = Browser::new(&app);

    let refused = browser.sign_in("alice", "wrong").await;
    assert_eq!(refused.status(), 401);
    assert!(refused.text().contains("Incorrect user name or password"));

    let ok = browser.sign_in("alice", "correct horse battery").await;
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

    let (_, page) = browser.get("/").await;
    assert!(page.contains("Signed in as"), "{page}");
    assert!(page.contains("<strong>alice</strong>"));

    // Signing out needs the page's CSRF token.
    assert_eq!(
        browser
            .post("/logout", &[("csrf", "forged")])
            .await
            .status(),
        400
    );
    let csrf = browser.csrf("/").await;
    assert_eq!(
        browser.post("/logout", &[("csrf", &csrf)]).await.status(),
        303
    );
    let (_, page) = browser.get("/").await;
    assert!(page.contains("Sign in") && !page.contains("Signed in as"));
    // The session is gone on the server, not just in this browser: a
    // client that follows redirects ends on the sign-in page.
    let replay = app
        .get("/settings/tokens")
        .header("cookie", format!("entrepot_session={secret}"))
        .send()
        .await;
    assert!(replay.status().is_redirection(), "{replay:?}");
    let location = replay.header("location");
    assert!(location.starts_with("/login"), "{location}");
    let sign_in = app.get(location).send().await;
    assert_eq!(sign_in.status(), 200, "{location}");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookies_are_secure_behind_https() {
    let app = TestApp::with_args(&["--base-url", "https://packages.example.test"]).await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let ok = Browser::new(&app)
        .sign_in("alice", "correct horse battery")
        .await;
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

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_form_from_elsewhere_is_refused() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    // No CSRF cookie: a form posted from another site.
    let r = app
        .post("/login")
        .form(&[
            ("login", "alice"),
            ("password", "correct horse battery"),
            ("csrf", "x"),
        ])
        .send()
        .await;
    assert_eq!(r.status(), 400);
    assert!(
        !r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("entrepot_session=")),
        "no session for a forged form"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_sign_ins_are_throttled_per_user() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    app.user_with_password("bob", "another good one").await;
    let browser = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(browser.sign_in("alice", "guess").await.status(), 401);
    }
    let locked = browser.sign_in("alice", "correct horse battery").await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked.headers().contains_key("retry-after"));
    // Another user is not locked out by alice's failures.
    assert_eq!(
        browser.sign_in("bob", "another good one").await.status(),
        303
    );
}

/// `npm login`'s request; its status.
async fn npm_login(app: &TestApp, login: &str, password: &str) -> u16 {
    app.put(&format!("/npm/-/user/org.couchdb.user:{login}"))
        .json(&json!({"name": login, "password": password}))
        .send()
        .await
        .status()
        .as_u16()
}

/// `gem signin`'s request; its status.
async fn gem_signin(app: &TestApp, login: &str, password: &str) -> u16 {
    app.get("/rubygems/alice/api/v1/api_key")
        .basic(login, password)
        .send()
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_way_of_presenting_a_password_shares_one_throttle() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let browser = Browser::new(&app);
    // Five wrong guesses, spread over npm login, gem signin and the web.
    assert_eq!(npm_login(&app, "alice", "guess 1").await, 401);
    assert_eq!(npm_login(&app, "alice", "guess 2").await, 401);
    assert_eq!(gem_signin(&app, "alice", "guess 3").await, 401);
    assert_eq!(gem_signin(&app, "alice", "guess 4").await, 401);
    assert_eq!(browser.sign_in("alice", "guess 5").await.status(), 401);
    // Then the right password waits on every one of them.
    assert_eq!(npm_login(&app, "alice", "correct horse battery").await, 429);
    assert_eq!(
        gem_signin(&app, "alice", "correct horse battery").await,
        429
    );
    assert_eq!(
        browser
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        429
    );
    // Until an operator lifts the lock.
    assert!(app.unlock("alice").await, "there was a lock to lift");
    assert_eq!(
        gem_signin(&app, "alice", "correct horse battery").await,
        200
    );
    assert_eq!(npm_login(&app, "alice", "correct horse battery").await, 201);
}

/// `npm login` as relayed by a proxy that says the client is `client`.
async fn npm_login_via(app: &TestApp, login: &str, password: &str, client: &str) -> u16 {
    app.put(&format!("/npm/-/user/org.couchdb.user:{login}"))
        .header("x-forwarded-for", client)
        .json(&json!({"name": login, "password": password}))
        .send()
        .await
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_address_throttle_counts_the_client_a_trusted_proxy_names() {
    let spray = async |app: &TestApp, client: &str| {
        for n in 0..30 {
            assert_eq!(
                npm_login_via(app, &format!("user{n}"), "guess", client).await,
                401
            );
        }
    };
    // Behind a trusted proxy: one client's guesses lock only that client.
    let app = TestApp::with_args(&["--trusted-proxies", "127.0.0.1"]).await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    spray(&app, "198.51.100.1").await;
    assert_eq!(
        npm_login_via(&app, "alice", "correct horse battery", "198.51.100.1").await,
        429
    );
    assert_eq!(
        npm_login_via(&app, "alice", "correct horse battery", "198.51.100.2").await,
        201
    );
    // Without: the header is the client's own word, and changes nothing.
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    spray(&app, "198.51.100.1").await;
    assert_eq!(
        npm_login_via(&app, "alice", "correct horse battery", "198.51.100.2").await,
        429
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_guesses_cannot_outrun_the_throttle() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    // 29 wrong guesses and the right password, all at once, each from a
    // browser of its own.
    let guesses: Vec<_> = (0..30)
        .map(|n| {
            let browser = Browser::new(&app);
            tokio::spawn(async move {
                let right = n == 29;
                let password = if right {
                    "correct horse battery"
                } else {
                    "guess"
                };
                let (_, form) = browser.get("/login").await;
                let csrf = csrf_of(&form);
                let form = [("login", "alice"), ("password", password), ("csrf", &csrf)];
                let status = browser.post("/login", &form).await.status().as_u16();
                (right, status)
            })
        })
        .collect();
    let mut statuses: Vec<(bool, u16)> = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
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

#[tokio::test(flavor = "multi_thread")]
async fn site_administrators_see_and_lift_sign_in_locks() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    app.site_admin_with_password("root", "the root password")
        .await;
    for _ in 0..5 {
        assert_eq!(npm_login(&app, "alice", "guess").await, 401);
    }
    assert_eq!(npm_login(&app, "alice", "correct horse battery").await, 429);
    // alice herself may not see the page.
    let alice_browser = Browser::new(&app);
    let root = Browser::new(&app);
    assert_eq!(
        root.sign_in("root", "the root password").await.status(),
        303
    );
    let (status, page) = root.get("/admin/sign-in-locks").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("user:alice"), "{page}");
    let csrf = csrf_of(&page);
    let lifted = root
        .post(
            "/admin/sign-in-locks",
            &[("csrf", csrf.as_str()), ("key", "user:alice")],
        )
        .await;
    assert_eq!(lifted.status(), 303);
    assert!(
        !root
            .get("/admin/sign-in-locks")
            .await
            .1
            .contains("user:alice")
    );
    assert_eq!(
        alice_browser
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    assert_eq!(alice_browser.get("/admin/sign-in-locks").await.0, 404);
    assert_eq!(Browser::new(&app).get("/admin/sign-in-locks").await.0, 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_url_tells_nobody_whether_a_private_package_exists() {
    let (app, _t) = setup().await;
    let existing = "/users/alice/packages/npm/hello/settings";
    let missing = "/users/alice/packages/npm/nothing-here/settings";
    // Signed out: both send the browser to sign in.
    for path in [existing, missing] {
        let r = Browser::new(&app).get_response(path).await;
        assert_eq!(r.status(), 303, "{path}");
        assert!(
            r.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/login")
        );
    }
    // Signed in as a stranger: both are simply not there.
    app.user_with_password("carol", "a long passphrase").await;
    let carol = Browser::new(&app);
    assert_eq!(
        carol.sign_in("carol", "a long passphrase").await.status(),
        303
    );
    let (existing_status, existing_page) = carol.get(existing).await;
    let (missing_status, missing_page) = carol.get(missing).await;
    assert_eq!((existing_status, missing_status), (404, 404));
    assert_eq!(existing_page, missing_page);
}

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_a_return_path_are_never_a_server_error() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    let csrf = browser.csrf("/notifications").await;
    let r = browser
        .post(
            "/notifications/read",
            &[
                ("csrf", csrf.as_str()),
                ("return_to", "/x\r\nSet-Cookie: a=b"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/notifications");
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one user's story, step by step")]
async fn tokens_are_created_shown_once_listed_and_revoked_on_the_settings_page() {
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    let anonymous = Browser::new(&app);
    let r = anonymous
        .post(
            "/settings/tokens",
            &[("note", "x"), ("scope", "read:packages")],
        )
        .await;
    assert_eq!(r.status(), 303, "signed out: sent to sign in");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    let browser = Browser::new(&app);
    assert_eq!(
        browser
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    let csrf = browser.csrf("/settings/tokens").await;

    let forged = browser
        .post(
            "/settings/tokens",
            &[
                ("csrf", "forged"),
                ("note", "ci"),
                ("scope", "write:packages"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 400);
    let no_scope = browser
        .post("/settings/tokens", &[("csrf", &csrf), ("note", "ci")])
        .await;
    assert_eq!(no_scope.status(), 422);
    assert!(no_scope.text().contains("at least one scope"));

    let created = browser
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("note", "ci publish"),
                ("expiration", "7"),
                ("scope", "write:packages"),
                ("scope", "delete:packages"),
            ],
        )
        .await;
    assert_eq!(created.status(), 201);
    let body = created.text();
    let marker = "<code id=\"new-token\" class=\"token\" data-copy>";
    let start = body.find(marker).unwrap() + marker.len();
    let secret = body[start..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("entp_"), "{secret}");

    // It works, with the scopes chosen (write implies read).
    let user = app.get("/api/v3/user").bearer(&secret).send().await;
    assert_eq!(user.status(), 200);
    let scopes = user.headers()["x-oauth-scopes"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(scopes.contains("write:packages") && scopes.contains("delete:packages"));

    // The list shows it, but never again its secret.
    let (_, list) = browser.get("/settings/tokens").await;
    assert!(list.contains("ci publish") && list.contains("write:packages"));
    assert!(!list.contains(&secret));
    let revoke_path = {
        let marker = "action=\"/settings/tokens/";
        let start = list.find(marker).unwrap() + "action=\"".len();
        list[start..].split('"').next().unwrap().to_owned()
    };
    // Another user cannot revoke it.
    app.user_with_password("bob", "another good one").await;
    let bob = Browser::new(&app);
    assert_eq!(bob.sign_in("bob", "another good one").await.status(), 303);
    let bob_csrf = bob.csrf("/settings/tokens").await;
    assert_eq!(
        bob.post(&revoke_path, &[("csrf", &bob_csrf)])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.get("/api/v3/user")
            .bearer(&secret)
            .send()
            .await
            .status(),
        200
    );
    assert_eq!(
        browser
            .post(&revoke_path, &[("csrf", &csrf)])
            .await
            .status(),
        303
    );
    assert_eq!(
        app.get("/api/v3/user")
            .bearer(&secret)
            .send()
            .await
            .status(),
        401,
        "a revoked token is refused"
    );
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one user's story, step by step")]
async fn package_settings_change_visibility_access_and_delete_and_restore_versions() {
    let settings = "/users/alice/packages/npm/hello/settings";
    let page = "/users/alice/packages/npm/package/hello";
    let app = TestApp::new().await;
    app.user_with_password("alice", "correct horse battery")
        .await;
    app.user_with_password("bob", "another good one").await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    publish(&app, &t, "@alice/hello", "1.0.0", "").await;
    publish(&app, &t, "@alice/hello", "1.1.0", "").await;
    let bob_token = app.token("bob", "read:packages").await;

    let signed_out = Browser::new(&app);
    let r = signed_out
        .post(settings, &[("action", "delete_package")])
        .await;
    assert_eq!(
        r.status(),
        303,
        "a browser without a session signs in first"
    );

    let bob_browser = Browser::new(&app);
    assert_eq!(
        bob_browser
            .sign_in("bob", "another good one")
            .await
            .status(),
        303
    );
    assert_eq!(
        bob_browser.get(settings).await.0,
        404,
        "bob may not even see it"
    );

    let alice = Browser::new(&app);
    assert_eq!(
        alice
            .sign_in("alice", "correct horse battery")
            .await
            .status(),
        303
    );
    let (status, body) = alice.get(page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!("href=\"{settings}\"")),
        "settings link for admins"
    );
    let csrf = alice.csrf(settings).await;

    // Forged forms change nothing.
    let forged = alice
        .post(
            settings,
            &[
                ("csrf", "forged"),
                ("action", "delete_package"),
                ("confirm", "hello"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 400);

    // Access: bob gets read, then sees the page; the settings stay admin-only.
    let grant = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "grant"),
                ("login", "bob"),
                ("role", "read"),
            ],
        )
        .await;
    assert_eq!(grant.status(), 303);
    assert_eq!(html(&app, page, Some(&bob_token)).await.0, 200);
    assert_eq!(
        bob_browser.get(settings).await.0,
        403,
        "bob reads but does not administer"
    );
    let revoke = alice
        .post(
            settings,
            &[("csrf", &csrf), ("action", "revoke"), ("login", "bob")],
        )
        .await;
    assert_eq!(revoke.status(), 303);
    assert_eq!(html(&app, page, Some(&bob_token)).await.0, 404);

    // Public needs the name typed; the wrong name changes nothing.
    let unconfirmed = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "visibility"),
                ("visibility", "public"),
                ("confirm", "hell"),
            ],
        )
        .await;
    assert_eq!(unconfirmed.status(), 400);
    assert_eq!(html(&app, page, None).await.0, 404);
    let public = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "visibility"),
                ("visibility", "public"),
                ("confirm", "hello"),
            ],
        )
        .await;
    assert_eq!(public.status(), 303);
    assert_eq!(
        html(&app, page, None).await.0,
        200,
        "public: seen signed out"
    );
    let back = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "visibility"),
                ("visibility", "private"),
            ],
        )
        .await;
    assert_eq!(back.status(), 403, "public is one-way");

    // Delete a version with its name typed, then restore it.
    let (_, body) = alice.get(settings).await;
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
    let wrong = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "delete_version"),
                ("version_id", &v100),
                ("confirm", "1.1.0"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 400);
    let deleted = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "delete_version"),
                ("version_id", &v100),
                ("confirm", "1.0.0"),
            ],
        )
        .await;
    assert_eq!(deleted.status(), 303);
    assert_eq!(
        app.get("/npm/@alice%2fhello/1.0.0").send().await.status(),
        404
    );
    let (_, body) = alice.get(settings).await;
    assert!(body.contains("Deleted versions"));
    let restored = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "restore_version"),
                ("version_id", &v100),
            ],
        )
        .await;
    assert_eq!(restored.status(), 303);
    assert_eq!(
        app.get("/npm/@alice%2fhello/1.0.0").send().await.status(),
        200
    );

    // Delete the whole package; the owner page offers it back; restore it.
    let gone = alice
        .post(
            settings,
            &[
                ("csrf", &csrf),
                ("action", "delete_package"),
                ("confirm", "hello"),
            ],
        )
        .await;
    assert_eq!(gone.status(), 303);
    assert_eq!(html(&app, page, None).await.0, 404);
    let (_, owner) = alice.get("/alice").await;
    assert!(
        owner.contains("Recently deleted") && owner.contains(settings),
        "{owner}"
    );
    let (_, anonymous_owner) = html(&app, "/alice", None).await;
    assert!(!anonymous_owner.contains("Recently deleted"));
    let back = alice
        .post(settings, &[("csrf", &csrf), ("action", "restore_package")])
        .await;
    assert_eq!(back.status(), 303);
    assert_eq!(html(&app, page, None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_sets_the_password_of_an_existing_user() {
    let app = TestApp::new().await;
    app.user("dave").await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in("dave", "a new password").await.status(),
        401
    );
    app.set_password("dave", "a new password").await;
    assert_eq!(
        browser.sign_in("dave", "a new password").await.status(),
        303
    );
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
async fn watching_a_package_brings_its_advisories_to_the_notifications_page() {
    let (app, alice) = setup().await;
    app.site_admin("root").await;
    let root = app.token("root", "read:packages,write:packages").await;
    make_public(&app, &alice, "npm", "hello").await;
    app.set_password("bob", "correct horse battery staple")
        .await;
    let bob = Browser::new(&app);
    assert_eq!(
        bob.sign_in("bob", "correct horse battery staple")
            .await
            .status(),
        303
    );
    // Signed out, the page asks for a sign-in.
    let r = app.get("/notifications").send().await;
    assert_eq!(r.status(), 303);

    // bob watches the package from its page.
    let package = "/users/alice/packages/npm/package/hello";
    let (_, page) = bob.get(package).await;
    assert!(page.contains("Watch for security advisories"), "{page}");
    let csrf = csrf_of(&page);
    let forged = bob
        .post(
            "/notifications/subscriptions",
            &[
                ("csrf", "forged"),
                ("package_type", "npm"),
                ("owner", "alice"),
                ("name", "hello"),
            ],
        )
        .await;
    assert_eq!(forged.status(), 400);
    let watched = bob
        .post(
            "/notifications/subscriptions",
            &[
                ("csrf", &csrf),
                ("package_type", "npm"),
                ("owner", "alice"),
                ("name", "hello"),
                ("return_to", package),
            ],
        )
        .await;
    assert_eq!(watched.status(), 303);
    assert_eq!(watched.headers()["location"], package);
    let (_, page) = bob.get(package).await;
    assert!(page.contains(">Unwatch<"), "{page}");
    let (status, inbox) = bob.get("/notifications").await;
    assert_eq!(status, 200);
    assert!(inbox.contains("0 unread"), "{inbox}");
    assert!(
        inbox.contains("href=\"/users/alice/packages/npm/package/hello\""),
        "{inbox}"
    );

    // An advisory, drafted by alice and published by root, lands there.
    let api = async |t: &str, method: Method, path: &str, body: serde_json::Value| {
        let r = app
            .request(method, &format!("/api/v3{path}"))
            .bearer(t)
            .json(&body)
            .send()
            .await;
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json::<serde_json::Value>()
    };
    let draft = api(
        &alice,
        Method::POST,
        "/user/packages/npm/hello/security-advisories",
        json!({
            "summary": "Path traversal in hello",
            "description": "Reads files outside its folder.",
            "severity": "high",
            "vulnerabilities": [{"package": {"ecosystem": "npm", "name": "@alice/hello"},
                                 "vulnerable_version_range": "< 1.1.0", "patched_versions": "1.1.0"}],
        }),
    ).await;
    let id = draft["ghsa_id"].as_str().unwrap().to_owned();
    api(
        &root,
        Method::PATCH,
        &format!("/users/alice/packages/npm/hello/security-advisories/{id}"),
        json!({"state": "published"}),
    )
    .await;
    let (_, inbox) = bob.get("/notifications").await;
    assert!(inbox.contains("1 unread"), "{inbox}");
    assert!(inbox.contains("Path traversal in hello"), "{inbox}");
    assert!(inbox.contains(&format!("/advisories/{id}")), "{inbox}");
    // carol watches nothing and hears nothing.
    let carol = Browser::new(&app);
    app.user_with_password("carol", "another long passphrase")
        .await;
    assert_eq!(
        carol
            .sign_in("carol", "another long passphrase")
            .await
            .status(),
        303
    );
    let (_, carols) = carol.get("/notifications").await;
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
        .await
        .status(),
        303
    );
    let (_, inbox) = bob.get("/notifications").await;
    assert!(inbox.contains("0 unread"), "{inbox}");
    assert!(
        inbox.contains("Path traversal in hello"),
        "read ones stay listed"
    );
    let subscription = numbered(&inbox, "action=\"/notifications/subscriptions/");
    assert_eq!(carols.matches("/delete").count(), 0);
    let stranger = carol
        .post(
            &format!("/notifications/subscriptions/{subscription}/delete"),
            &[("csrf", &csrf_of(&carols))],
        )
        .await;
    assert_eq!(
        stranger.status(),
        404,
        "carol cannot end bob's subscription"
    );
    let r = bob
        .post(
            &format!("/notifications/subscriptions/{subscription}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = bob.get(package).await;
    assert!(page.contains("Watch for security advisories"), "{page}");
}

/// The URLs the REST API hands out (a repository's and an account's
/// `html_url`, `avatar_url`, GitHub's package lists) lead to pages.
#[tokio::test(flavor = "multi_thread")]
async fn the_urls_the_rest_api_hands_out_lead_to_pages() {
    let (app, t) = setup().await;
    let user: serde_json::Value = app
        .get("/api/v3/users/alice")
        .bearer(&t)
        .send()
        .await
        .json();
    for field in ["html_url", "avatar_url"] {
        let url = user[field].as_str().unwrap();
        let path = url.strip_prefix(&app.url("")).unwrap_or(url);
        let r = app.get(path).bearer(&t).send().await;
        assert_eq!(r.status().as_u16(), 200, "{field}: {path}");
    }
    let avatar = app.get("/avatars/alice").send().await;
    assert_eq!(avatar.header("content-type"), "image/svg+xml");
    let (status, body) = html(&app, "/alice/hello", Some(&t)).await;
    assert_eq!(status, 200, "a repository's html_url");
    assert!(body.contains("@alice/hello"), "{body}");
    let listed = app.get("/users/alice/packages").send().await;
    assert_eq!(listed.status().as_u16(), 303);
    assert_eq!(listed.header("location"), "/alice");
    let (status, _) = html(&app, "/advisories", None).await;
    assert_eq!(status, 200, "the advisories' index");
}

/// "Sign in" in the header comes back to the page it was on.
#[tokio::test(flavor = "multi_thread")]
async fn sign_in_comes_back_to_the_page() {
    let (app, _) = setup().await;
    let (_, body) = html(&app, "/search?q=hello", None).await;
    assert!(
        body.contains("href=\"/login?return_to=%2Fsearch%3Fq%3Dhello\""),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_words_in_descriptions_for_those_who_may_read_them() {
    let (app, t) = setup().await;
    let mut doc = publish_doc("@alice/salutation", "1.0.0", "");
    doc["description"] = json!("prints a friendly greeting");
    doc["versions"]["1.0.0"]["description"] = json!("prints a friendly greeting");
    let status = app
        .put("/npm/@alice%2fsalutation")
        .bearer(&t)
        .json(&doc)
        .send()
        .await
        .status();
    assert_eq!(status, 201);
    let bob = app.token("bob", "read:packages").await;
    for words in ["greeting", "Friendly greet", "greet", "@alice/salutation"] {
        let path = format!(
            "/search?q={}",
            words
                .replace(' ', "+")
                .replace('@', "%40")
                .replace('/', "%2F")
        );
        let (status, mine) = html(&app, &path, Some(&t)).await;
        assert_eq!(status, 200);
        // The page repeats the words: look for the package's link.
        let link = "href=\"/users/alice/packages/npm/package/salutation\"";
        assert!(mine.contains(link), "{words}: {mine}");
        assert!(
            !mine.contains("href=\"/users/alice/packages/npm/package/hello\""),
            "{words}: only what matches"
        );
        assert!(mine.contains("1 package"), "{words}: the count");
        // Private: not there for a stranger or a visitor.
        let (_, theirs) = html(&app, &path, Some(&bob)).await;
        assert!(!theirs.contains(link), "{words}");
        assert!(theirs.contains("0 packages"), "{words}");
        let (_, anonymous) = html(&app, &path, None).await;
        assert!(!anonymous.contains(link), "{words}");
    }
    make_public(&app, &t, "npm", "salutation").await;
    let (_, anonymous) = html(&app, "/search?q=greeting", None).await;
    assert!(anonymous.contains("@alice/salutation"));
    assert!(anonymous.contains("<span class=\"badge\">public</span>"));
    // Words nobody wrote find nothing; a type that does not exist neither.
    let (_, none) = html(&app, "/search?q=farewell", Some(&t)).await;
    assert!(none.contains("No packages to show."));
    let (_, bad_type) = html(&app, "/search?type=nonsense", Some(&t)).await;
    assert!(bad_type.contains("No packages to show."));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_details_panel_and_readme_follow_the_manifest() {
    let (app, t) = setup().await;
    let readme = "# Tool\n\n![logo](docs/logo.png) See [the guide](docs/guide.md#usage).\n\n\
                  > [!TIP]\n> Try it.\n\n```js\nconst a = 1;\n```\n";
    let mut doc = crate::common::publish_doc_with_readme(
        "@alice/tool",
        "2.0.0",
        "git+https://github.com/acme/tool.git",
        readme,
    );
    let manifest = &mut doc["versions"]["2.0.0"];
    manifest["license"] = json!("MIT");
    manifest["homepage"] = json!("https://tool.example/");
    manifest["keywords"] = json!(["greeting", "cli"]);
    manifest["devDependencies"] = json!({"mocha": "^10.0.0"});
    let status = app
        .put("/npm/@alice%2ftool")
        .bearer(&t)
        .json(&doc)
        .send()
        .await
        .status();
    assert_eq!(status, 201);
    let (status, body) = html(&app, "/users/alice/packages/npm/package/tool", Some(&t)).await;
    assert_eq!(status, 200);
    for expected in [
        "<dt>Licence</dt><dd>MIT</dd>",
        "href=\"https://tool.example/\"",
        "href=\"https://github.com/acme/tool\"",
        "href=\"/search?q=greeting\"",
        ">left-pad</a> <code>^1.0.0</code>",
        ">mocha</a> <code>^10.0.0</code>",
        // The README: its heading one level down, its links into the code.
        ">Tool</h2>",
        "src=\"https://github.com/acme/tool/raw/HEAD/docs/logo.png\"",
        "href=\"https://github.com/acme/tool/blob/HEAD/docs/guide.md#usage\"",
        "markdown-alert-tip",
        "<span class=\"hl-",
    ] {
        assert!(body.contains(expected), "{expected} in {body}");
    }
    // Keywords are searched.
    let (_, found) = html(&app, "/search?q=cli", Some(&t)).await;
    assert!(found.contains("@alice/tool") && !found.contains("@alice/hello"));
}

#[tokio::test(flavor = "multi_thread")]
async fn any_page_number_is_answered_and_downloads_are_never_sniffed() {
    let (app, t) = setup().await;
    for page in ["4294967295", "307445734561825862", "-1", "x"] {
        let (status, body) = html(&app, &format!("/search?page={page}"), Some(&t)).await;
        assert_eq!(status, 200, "page={page}");
        assert!(
            body.contains("@alice/hello"),
            "page={page}: the last (only) page"
        );
    }
    // What users uploaded comes from the pages' origin: never sniffed.
    let tarball = app
        .get("/npm/@alice/hello/-/hello-1.0.0.tgz")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(tarball.status(), 200);
    assert_eq!(tarball.headers()["x-content-type-options"], "nosniff");
}

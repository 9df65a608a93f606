//! Signing in with OpenID Connect against a real provider (`oidc-provider`
//! from the npm registry, on loopback), through its own login form, over
//! HTTP with a cookie jar: accounts made on first sign-in and found again
//! by subject, groups kept as organization membership, a name that belongs
//! to someone else refused, identities linked and unlinked on the profile
//! page, a provider without provisioning, suspension, and answers that do
//! not belong to the browser's flow. The browser test signs in through the
//! same pages in Chromium.

use std::path::Path;

use crate::common::oidc::Provider;
use crate::common::{Server, free_port, token};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// A provider with two clients (`corp` provisions accounts and maps
/// groups, `strict` does neither) and an Entrepot that trusts it.
pub fn provider_and_server(dir: &Path) -> (Provider, Server) {
    provider_and_server_reaching(dir, true)
}

/// Like `provider_and_server`; `allowed`: whether the server may reach
/// loopback addresses, where the provider is.
fn provider_and_server_reaching(dir: &Path, allowed: bool) -> (Provider, Server) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = |name: &str| {
        json!({
            "client_id": format!("entrepot-{name}"),
            "client_secret": format!("secret-{name}"),
            "redirect_uris": [format!("{base}/login/oidc/{name}/callback")],
        })
    };
    let accounts = json!({
        "carol": {"password": "carol-pw", "preferred_username": "carol", "name": "Carol",
                  "email": "carol@example.com", "email_verified": true, "groups": ["eng", "leads"]},
        "dave": {"password": "dave-pw", "preferred_username": "dave.smith@example.com", "groups": []},
        "erin": {"password": "erin-pw", "preferred_username": "alice", "groups": ["eng"]},
    });
    let provider = Provider::start(&json!([client("corp"), client("strict")]), &accounts);
    let config = dir.join("entrepot.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[oidc]]
name = "corp"
display_name = "Corp"
issuer = "{issuer}"
client_id = "entrepot-corp"
client_secret = "secret-corp"
scopes = ["profile", "email", "groups"]
groups_claim = "groups"
auto_provision = true
[oidc.groups]
eng = "acme"
leads = "acme:owner"

[[oidc]]
name = "strict"
issuer = "{issuer}"
client_id = "entrepot-strict"
client_secret_env = "STRICT_SECRET"
"#,
            issuer = provider.issuer
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{port}");
    let allow = if allowed { "127.0.0.0/8" } else { "" };
    let server = Server::start_with(
        dir,
        &[
            "--listen",
            &listen,
            "--config",
            config.to_str().unwrap(),
            "--outbound-allow",
            allow,
        ],
        &base,
        &[("STRICT_SECRET", "secret-strict")],
    );
    (provider, server)
}

pub(crate) fn browser() -> Client {
    Client::builder().cookie_store(true).build().unwrap()
}

/// The `action` of the provider's login form on `page`.
pub(crate) fn form_action(page: &str) -> String {
    let at = page.find("action=\"").expect("the provider's login form") + 8;
    page[at..][..page[at..].find('"').unwrap()].replace("&#47;", "/")
}

/// Begins a sign-in with `provider` (or follows `start`, a response that
/// led to the provider's form) and answers its form as `login`.
pub(crate) fn through_provider(
    client: &Client,
    start: Response,
    issuer: &str,
    login: &str,
    password: &str,
) -> Response {
    assert!(
        start.url().as_str().starts_with(issuer),
        "the browser reached the provider: {}",
        start.url()
    );
    let page = start.text().unwrap();
    client
        .post(format!("{issuer}{}", form_action(&page)))
        .form(&[("login", login), ("password", password)])
        .send()
        .unwrap()
}

fn sign_in(
    client: &Client,
    server: &Server,
    provider: &Provider,
    name: &str,
    login: &str,
) -> Response {
    let start = client
        .get(server.url(&format!("/login/oidc/{name}?return_to=/settings/profile")))
        .send()
        .unwrap();
    through_provider(
        client,
        start,
        &provider.issuer,
        login,
        &format!("{login}-pw"),
    )
}

fn membership(server: &Server, token: &str, user: &str) -> Option<String> {
    let r = Client::new()
        .get(server.url(&format!("/api/v3/orgs/acme/memberships/{user}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    if r.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let body: Value = r.json().unwrap();
    Some(body["role"].as_str().unwrap().to_owned())
}

/// The logins `admin user list` prints.
fn users(server: &Server) -> Vec<String> {
    String::from_utf8(server.admin(&["user", "list"]).stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect()
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
fn people_sign_in_with_an_openid_provider_and_their_groups_decide_their_organizations() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, server) = provider_and_server(dir.path());
    server.admin_input(
        &["user", "create", "alice", "--password-stdin"],
        Some("alice-password\n"),
    );
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    let alice = token(&server, "alice", "read:packages,read:org");

    let login_page = Client::new()
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(login_page.contains("Sign in with Corp"), "{login_page}");
    assert!(
        login_page.contains("/login/oidc/corp?return_to="),
        "{login_page}"
    );

    // A wrong password stays on the provider's page; the right one comes
    // back signed in, as a new account named by the claim.
    let carol = browser();
    let start = carol
        .get(server.url("/login/oidc/corp?return_to=/settings/profile"))
        .send()
        .unwrap();
    let wrong = through_provider(&carol, start, &provider.issuer, "carol", "nope");
    assert!(wrong.url().as_str().starts_with(&provider.issuer));
    let page = wrong.text().unwrap();
    assert!(page.contains("Invalid login or password"), "{page}");
    let back = carol
        .post(format!("{}{}", provider.issuer, form_action(&page)))
        .form(&[("login", "carol"), ("password", "carol-pw")])
        .send()
        .unwrap();
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(
        back.url().path(),
        "/settings/profile",
        "returned where asked"
    );
    let profile = back.text().unwrap();
    assert!(
        profile.contains("carol@example.com"),
        "the verified address is kept: {profile}"
    );
    assert!(profile.contains("Sign-in providers"), "{profile}");
    assert!(
        profile.contains("Verified."),
        "the provider verified the address: {profile}"
    );
    assert!(
        profile.contains("Set password"),
        "no password to ask for: {profile}"
    );
    assert!(
        users(&server).contains(&"carol".to_owned()),
        "{:?}",
        users(&server)
    );
    assert_eq!(
        membership(&server, &alice, "carol").as_deref(),
        Some("admin"),
        "leads → owner"
    );

    // Found again by subject: no second account.
    let again = sign_in(&browser(), &server, &provider, "corp", "carol");
    assert_eq!(again.url().path(), "/settings/profile");
    assert_eq!(
        users(&server)
            .iter()
            .filter(|l| l.starts_with("carol"))
            .count(),
        1
    );

    // A claim that is not a login becomes the nearest one; no groups, no
    // membership.
    let dave = sign_in(&browser(), &server, &provider, "corp", "dave");
    assert_eq!(dave.status(), StatusCode::OK, "{}", dave.text().unwrap());
    assert!(users(&server).contains(&"dave-smith".to_owned()));
    assert_eq!(membership(&server, &alice, "dave-smith"), None);

    // A claimed name that is someone else's account is refused.
    let erin = browser();
    let taken = sign_in(&erin, &server, &provider, "corp", "erin");
    assert_eq!(taken.status(), StatusCode::FORBIDDEN);
    let said = taken.text().unwrap();
    assert!(said.contains("belongs to another account"), "{said}");
    assert_eq!(
        membership(&server, &alice, "alice").as_deref(),
        Some("admin"),
        "alice is untouched"
    );

    // Alice links that identity from her profile page, then signs in with it.
    let alice_browser = browser();
    let form = alice_browser
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = hidden(&form, "csrf");
    let signed = alice_browser
        .post(server.url("/login"))
        .form(&[
            ("login", "alice"),
            ("password", "alice-password"),
            ("csrf", &csrf),
        ])
        .send()
        .unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    let profile = alice_browser
        .get(server.url("/settings/profile"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let csrf = hidden(&profile, "csrf");
    let forged = alice_browser
        .get(server.url("/settings/profile/connect/corp?csrf=not-hers"))
        .send()
        .unwrap();
    assert_eq!(
        forged.status(),
        StatusCode::BAD_REQUEST,
        "another site cannot start a link"
    );
    assert!(profile.contains(&format!("/settings/profile/connect/corp?csrf={csrf}")));
    let start = alice_browser
        .get(server.url(&format!("/settings/profile/connect/corp?csrf={csrf}")))
        .send()
        .unwrap();
    let linked = through_provider(&alice_browser, start, &provider.issuer, "erin", "erin-pw");
    assert_eq!(linked.url().path(), "/settings/profile");
    assert!(linked.text().unwrap().contains("Identity connected"));
    let as_alice = sign_in(&browser(), &server, &provider, "corp", "erin");
    assert_eq!(as_alice.status(), StatusCode::OK);
    // Erin's groups now speak for alice's membership: eng → member. She is
    // not acme's last owner (carol is one too), so she steps down.
    assert_eq!(
        membership(&server, &alice, "alice").as_deref(),
        Some("member")
    );

    // Unlinked, the identity signs no one in again.
    let profile = alice_browser
        .get(server.url("/settings/profile"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let unlinked = alice_browser
        .post(server.url("/settings/profile"))
        .form(&[
            ("csrf", hidden(&profile, "csrf").as_str()),
            ("action", "unlink"),
            ("provider", "corp"),
        ])
        .send()
        .unwrap();
    assert!(unlinked.text().unwrap().contains("Identity disconnected"));
    assert_eq!(
        sign_in(&browser(), &server, &provider, "corp", "erin").status(),
        StatusCode::FORBIDDEN
    );

    // A suspended account does not sign in through the provider either.
    server.admin(&["user", "suspend", "dave-smith"]);
    let suspended = sign_in(&browser(), &server, &provider, "corp", "dave");
    assert_eq!(suspended.status(), StatusCode::FORBIDDEN);
    assert!(suspended.text().unwrap().contains("suspended"));
}

#[test]
fn a_provider_without_provisioning_and_answers_from_elsewhere_sign_no_one_in() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, server) = provider_and_server(dir.path());

    let refused = sign_in(&browser(), &server, &provider, "strict", "carol");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .text()
            .unwrap()
            .contains("No account here is linked")
    );
    assert!(
        !users(&server).contains(&"carol".to_owned()),
        "nobody was provisioned"
    );

    // An answer with no flow of this browser's, or another state.
    let forged = Client::new()
        .get(server.url("/login/oidc/corp/callback?code=x&state=y"))
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged
            .text()
            .unwrap()
            .contains("expired or was begun in another browser")
    );
    let client = browser();
    let start = client.get(server.url("/login/oidc/corp")).send().unwrap();
    assert!(start.url().as_str().starts_with(&provider.issuer));
    let other_state = client
        .get(server.url("/login/oidc/corp/callback?code=x&state=not-the-one"))
        .send()
        .unwrap();
    assert_eq!(other_state.status(), StatusCode::FORBIDDEN);
    assert!(other_state.text().unwrap().contains("not for this browser"));

    let unknown = Client::new()
        .get(server.url("/login/oidc/nope"))
        .send()
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[test]
fn a_provider_on_an_internal_address_is_not_reached_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (_provider, server) = provider_and_server_reaching(dir.path(), false);
    let refused = Client::new()
        .get(server.url("/login/oidc/corp"))
        .send()
        .unwrap();
    let status = refused.status();
    let said = refused.text().unwrap();
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{said}");
    assert!(said.contains("Corp could not be reached"), "{said}");
    assert!(
        !said.contains("127.0.0.1"),
        "no internal address is shown: {said}"
    );
    let log = std::fs::read_to_string(&server.stderr_log).unwrap();
    assert!(
        log.contains("is not an address this server may send to"),
        "{log}"
    );
}

/// The value of the hidden field `name` on `page`.
pub(crate) fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} on {page}"))
        + marker.len();
    page[at..][..page[at..].find('"').unwrap()].to_owned()
}

//! An organization's single sign-on against the real OpenID provider
//! (`oidc-provider`, on loopback): an owner makes acme require it on its
//! page; a member's token then gets 403 from npm (the real client says
//! where to go) and from the REST API (with `X-GitHub-SSO`), until the
//! member signs on through the provider's own form and authorizes the
//! token on the tokens page; revoking the member's identity takes the
//! authorization back. Public packages stay readable throughout.

use std::path::Path;

use reqwest::StatusCode;
use reqwest::blocking::Client;

use super::oidc::{browser, hidden, provider_and_server, through_provider};
use crate::common::npm::{NpmUser, package, project};
use crate::common::{Server, token};

/// A browser signed in with a password.
pub(super) fn signed_in(server: &Server, login: &str, password: &str) -> Client {
    let client = browser();
    let form = client
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let signed = client
        .post(server.url("/login"))
        .form(&[
            ("login", login),
            ("password", password),
            ("csrf", hidden(&form, "csrf").as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    client
}

pub(super) fn page(client: &Client, server: &Server, path: &str) -> String {
    client.get(server.url(path)).send().unwrap().text().unwrap()
}

/// Posts a form to `path` with the CSRF token of the page at `from`.
pub(super) fn post(
    client: &Client,
    server: &Server,
    from: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let csrf = hidden(&page(client, server, from), "csrf");
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = client.post(server.url(path)).form(&form).send().unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.text().unwrap()
}

/// Authorizes the token on the tokens page `tokens` for acme, as its
/// button does.
pub(super) fn authorize_for_acme(browser: &Client, server: &Server, tokens: &str) {
    let at = tokens
        .find("/sso\" class=\"inline\"")
        .expect("an authorize form");
    let action_start = tokens[..at].rfind("action=\"").unwrap() + 8;
    let action = format!("{}/sso", &tokens[action_start..at]);
    let authorized = post(
        browser,
        server,
        "/settings/tokens",
        &action,
        &[("org", "acme"), ("action", "authorize")],
    );
    assert!(authorized.contains("acme: authorized"), "{authorized}");
}

fn install(user: &NpmUser, dir: &Path, name: &str) -> std::process::Output {
    let app = project(dir, &format!("app-{}", name.replace(['@', '/'], "")));
    user.npm(&app, &["install", name])
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
fn a_member_reaches_an_sso_organizations_packages_only_with_a_token_authorized_after_signing_on() {
    let dir = tempfile::tempdir().unwrap();
    let (provider, server) = provider_and_server(dir.path());
    for (login, password) in [("alice", "alice-password\n"), ("mia", "mia-password\n")] {
        server.admin_input(
            &["user", "create", login, "--password-stdin"],
            Some(password),
        );
    }
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    // mia is an owner too: she reads acme's private packages.
    server.admin(&["org", "add-member", "acme", "mia", "--role", "owner"]);
    let alice = token(&server, "alice", "read:packages,write:packages,admin:org");
    let publisher = NpmUser::new(&server, &["acme"], Some(&alice));
    for name in ["@acme/lib", "@acme/open"] {
        publisher.npm_ok(&package(dir.path(), name, "1.0.0"), &["publish"]);
    }
    let public = Client::new()
        .patch(server.url("/api/v3/orgs/acme/packages/npm/open"))
        .bearer_auth(&alice)
        .json(&serde_json::json!({"visibility": "public"}))
        .send()
        .unwrap();
    assert_eq!(public.status(), StatusCode::OK);
    let mia = token(&server, "mia", "read:packages");
    let mia_npm = NpmUser::new(&server, &["acme"], Some(&mia));
    let before = install(&mia_npm, dir.path(), "@acme/lib");
    assert!(
        before.status.success(),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );

    // alice makes acme require single sign-on through Corp.
    let alice_browser = signed_in(&server, "alice", "alice-password");
    let settings = page(&alice_browser, &server, "/orgs/acme/sso");
    assert!(
        settings.contains("does not require single sign-on"),
        "{settings}"
    );
    let saved = post(
        &alice_browser,
        &server,
        "/orgs/acme/sso",
        "/orgs/acme/sso",
        &[("action", "enforce"), ("provider", "corp")],
    );
    assert!(saved.contains("requires single sign-on through"), "{saved}");

    // mia's token is refused: by npm, saying where to go, and by the REST
    // API with GitHub's header; the public package stays readable.
    let refused = install(&mia_npm, dir.path(), "@acme/lib");
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("403") && said.contains("/orgs/acme/sso"),
        "{said}"
    );
    let rest = Client::new()
        .get(server.url("/api/v3/orgs/acme/packages/npm/lib"))
        .bearer_auth(&mia)
        .send()
        .unwrap();
    assert_eq!(rest.status(), StatusCode::FORBIDDEN);
    let header = rest.headers()["x-github-sso"].to_str().unwrap().to_owned();
    assert_eq!(
        header,
        format!("required; url={}", server.url("/orgs/acme/sso"))
    );
    let open = install(&mia_npm, dir.path(), "@acme/open");
    assert!(
        open.status.success(),
        "{}",
        String::from_utf8_lossy(&open.stderr)
    );

    // mia signs on through the provider's own form, from the tokens page.
    let mia_browser = signed_in(&server, "mia", "mia-password");
    let tokens = page(&mia_browser, &server, "/settings/tokens");
    assert!(tokens.contains("Sign on to acme"), "{tokens}");
    let sso_page = page(
        &mia_browser,
        &server,
        "/orgs/acme/sso?return_to=/settings/tokens",
    );
    let csrf = hidden(&sso_page, "csrf");
    let begin = format!("/orgs/acme/sso/begin?csrf={csrf}&amp;return_to=/settings/tokens");
    assert!(sso_page.contains(&begin), "{sso_page}");
    let start = mia_browser
        .get(server.url(&begin.replace("&amp;", "&")))
        .send()
        .unwrap();
    let back = through_provider(&mia_browser, start, &provider.issuer, "dave", "dave-pw");
    assert_eq!(back.url().path(), "/settings/tokens");
    let tokens = back.text().unwrap();
    assert!(tokens.contains("Authorize for acme"), "{tokens}");
    authorize_for_acme(&mia_browser, &server, &tokens);

    // The token works again, with the real client too.
    let after = install(&mia_npm, dir.path(), "@acme/lib");
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let listed: serde_json::Value = Client::new()
        .get(server.url("/api/v3/orgs/acme/credential-authorizations"))
        .bearer_auth(&alice)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(listed[0]["login"], "mia", "{listed}");
    let nobody: serde_json::Value = Client::new()
        .get(server.url("/api/v3/orgs/acme/credential-authorizations?login=alice"))
        .bearer_auth(&alice)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(nobody, serde_json::json!([]), "filtered by login");
    // The signed-on browser sees the package's page; another does not.
    let page_path = "/orgs/acme/packages/npm/package/lib";
    let seen = mia_browser.get(server.url(page_path)).send().unwrap();
    assert_eq!(seen.url().path(), page_path);
    let other = signed_in(&server, "mia", "mia-password");
    let sent = other.get(server.url(page_path)).send().unwrap();
    assert_eq!(sent.url().path(), "/orgs/acme/sso", "sent to sign on");

    // alice revokes mia's identity: the authorization goes with it.
    let identities = page(&alice_browser, &server, "/orgs/acme/sso");
    assert!(
        identities.contains("Linked identities") && identities.contains(">mia<"),
        "{identities}"
    );
    post(
        &alice_browser,
        &server,
        "/orgs/acme/sso",
        "/orgs/acme/sso",
        &[("action", "revoke"), ("login", "mia")],
    );
    let revoked = install(&mia_npm, dir.path(), "@acme/lib");
    assert!(
        !revoked.status.success(),
        "the authorization went with the identity"
    );
}

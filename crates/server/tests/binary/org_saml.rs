//! An organization's single sign-on through its own SAML 2.0 identity
//! provider: pysaml2 on loopback (`common::saml`), which checks our
//! authentication request and signs its answers through xmlsec1. An owner
//! enters the provider on acme's page; a member's token gets 403 with
//! `X-GitHub-SSO` until the member signs on (the answer posted cross-site
//! to the consumer without cookies, completed in the browser that began
//! it) and authorizes the token. Responses unsigned, for another
//! audience, expired, signed with SHA-1 or with another key, replayed, or
//! completed in another browser sign no one on.

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::redirect::Policy;

use super::oidc::hidden;
use super::org_sso::{authorize_for_acme, page, post, signed_in};
use crate::common::npm::{NpmUser, package};
use crate::common::saml::IdentityProvider;
use crate::common::{Server, token};

/// The provider's answer to a sign-on `mia_browser` begins: the
/// `SAMLResponse` its auto-posting form carries.
fn answer(browser: &Client, server: &Server, user: &str, variant: &str) -> String {
    let sso_page = page(browser, server, "/orgs/acme/sso?return_to=/settings/tokens");
    let csrf = hidden(&sso_page, "csrf");
    let login = browser
        .get(server.url(&format!(
            "/orgs/acme/sso/begin?csrf={csrf}&return_to=/settings/tokens"
        )))
        .send()
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "the IdP took our request");
    let login_url = login.url().clone();
    let form = login.text().unwrap();
    let posted = browser
        .post(login_url.join("/login").unwrap())
        .form(&[
            ("key", hidden(&form, "key").as_str()),
            ("user", user),
            ("variant", variant),
        ])
        .send()
        .unwrap();
    assert_eq!(posted.status(), StatusCode::OK);
    hidden(&posted.text().unwrap(), "SAMLResponse")
}

/// Posts `saml_response` to acme's consumer as the provider's page does:
/// cross-site, so without the browser's cookies.
fn consume(server: &Server, saml_response: &str) -> reqwest::blocking::Response {
    Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .post(server.url("/orgs/acme/saml/consume"))
        .form(&[("SAMLResponse", saml_response)])
        .send()
        .unwrap()
}

fn rest_status(server: &Server, token: &str) -> (StatusCode, Option<String>) {
    let r = Client::new()
        .get(server.url("/api/v3/orgs/acme/packages/npm/lib"))
        .bearer_auth(token)
        .send()
        .unwrap();
    let sso = r
        .headers()
        .get("x-github-sso")
        .map(|h| h.to_str().unwrap().to_owned());
    (r.status(), sso)
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
fn a_member_signs_on_through_the_organizations_saml_provider_to_authorize_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    for (login, password) in [("alice", "alice-password\n"), ("mia", "mia-password\n")] {
        server.admin_input(
            &["user", "create", login, "--password-stdin"],
            Some(password),
        );
    }
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    server.admin(&["org", "add-member", "acme", "mia", "--role", "owner"]);
    let alice = token(&server, "alice", "read:packages,write:packages,admin:org");
    NpmUser::new(&server, &["acme"], Some(&alice))
        .npm_ok(&package(dir.path(), "@acme/lib", "1.0.0"), &["publish"]);
    let mia = token(&server, "mia", "read:packages");
    assert_eq!(rest_status(&server, &mia).0, StatusCode::OK);

    let entity = server.url("/orgs/acme");
    let acs = server.url("/orgs/acme/saml/consume");
    let metadata = Client::new()
        .get(server.url("/orgs/acme/saml/metadata"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metadata.contains(&format!("entityID=\"{entity}\"")) && metadata.contains(&acs),
        "{metadata}"
    );
    let idp = IdentityProvider::start(&entity, &acs);

    // alice enters the provider on acme's page.
    let alice_browser = signed_in(&server, "alice", "alice-password");
    let settings = page(&alice_browser, &server, "/orgs/acme/sso");
    assert!(
        settings.contains(&acs),
        "the page says what to give the IdP"
    );
    let sso_url = format!("{}/sso", idp.base);
    let enter = |certificate: &str| {
        post(
            &alice_browser,
            &server,
            "/orgs/acme/sso",
            "/orgs/acme/sso",
            &[
                ("action", "saml"),
                ("sso_url", &sso_url),
                ("issuer", &idp.issuer),
                ("certificate", certificate),
            ],
        )
    };
    let saved = enter(&idp.certificate);
    assert!(saved.contains("requires single sign-on through"), "{saved}");
    let (status, sso) = rest_status(&server, &mia);
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        sso.unwrap(),
        format!("required; url={}", server.url("/orgs/acme/sso"))
    );

    // mia signs on: the consumer checks the answer and sends the browser
    // on; only the browser that began the sign-on completes it.
    let mia_browser = signed_in(&server, "mia", "mia-password");
    let good = answer(&mia_browser, &server, "mia", "good");
    let consumed = consume(&server, &good);
    assert_eq!(consumed.status(), StatusCode::SEE_OTHER);
    let complete = consumed.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        complete.starts_with("/orgs/acme/saml/complete?"),
        "{complete}"
    );
    let elsewhere = alice_browser.get(server.url(&complete)).send().unwrap();
    assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN, "another browser");
    let replayed = consume(&server, &good);
    assert_eq!(replayed.status(), StatusCode::FORBIDDEN);
    assert!(replayed.text().unwrap().contains("used already"));
    let back = mia_browser.get(server.url(&complete)).send().unwrap();
    assert_eq!(back.url().path(), "/settings/tokens");
    authorize_for_acme(&mia_browser, &server, &back.text().unwrap());
    assert_eq!(rest_status(&server, &mia).0, StatusCode::OK);
    let identities = page(&alice_browser, &server, "/orgs/acme/sso");
    assert!(identities.contains("id-mia"), "the NameID is the identity");

    // Answers that must sign no one on, each to a request of its own.
    for (variant, said) in [
        ("unsigned", "signed"),
        ("audience", "audience"),
        ("expired", "expired"),
        ("sha1", "sha-256"),
    ] {
        let bad = answer(&mia_browser, &server, "mia", variant);
        let refused = consume(&server, &bad);
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{variant}");
        let text = refused.text().unwrap().to_lowercase();
        assert!(text.contains(said), "{variant}: {text}");
    }
    // Another key, under the same issuer: the identities stay, what was
    // signed on with the old one goes, and answers signed with the
    // provider's key no longer verify.
    let other = include_str!("../../../service/src/saml/fixtures/other.crt");
    enter(other);
    assert_eq!(rest_status(&server, &mia).0, StatusCode::FORBIDDEN);
    let bad = answer(&mia_browser, &server, "mia", "good");
    let refused = consume(&server, &bad);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().unwrap().contains("does not verify"));
    assert!(page(&alice_browser, &server, "/orgs/acme/sso").contains("id-mia"));
    // Both certificates while the provider rolls over: its answers verify.
    enter(&format!("{other}{}", idp.certificate));
    let rolled = consume(&server, &answer(&mia_browser, &server, "mia", "good"));
    assert_eq!(rolled.status(), StatusCode::SEE_OTHER);
    let complete = rolled.headers()["location"].to_str().unwrap().to_owned();
    let back = mia_browser.get(server.url(&complete)).send().unwrap();
    authorize_for_acme(&mia_browser, &server, &back.text().unwrap());
    assert_eq!(rest_status(&server, &mia).0, StatusCode::OK);

    // Revoking mia's identity takes the token's authorization with it.
    post(
        &alice_browser,
        &server,
        "/orgs/acme/sso",
        "/orgs/acme/sso",
        &[("action", "revoke"), ("login", "mia")],
    );
    assert_eq!(rest_status(&server, &mia).0, StatusCode::FORBIDDEN);
}

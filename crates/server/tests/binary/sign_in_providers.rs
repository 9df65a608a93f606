//! OpenID Connect providers a site administrator adds on
//! `/admin/sign-in-providers`, against the real `oidc-provider` on
//! loopback: the server's file names none; once added, the sign-in page
//! offers it and people sign in through it; a change that leaves the
//! secret empty keeps it; removed, it is gone. Nobody else sees the page.

use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::json;

use super::oidc::{browser, hidden, through_provider};
use super::org_sso::{page, post, signed_in};
use crate::common::oidc::Provider;
use crate::common::{Server, free_port};

const PATH: &str = "/admin/sign-in-providers";

fn signs_in(server: &Server, provider: &Provider) -> String {
    let carol = browser();
    let start = carol
        .get(server.url("/login/oidc/added?return_to=/settings/profile"))
        .send()
        .unwrap();
    let back = through_provider(&carol, start, &provider.issuer, "carol", "carol-pw");
    assert_eq!(back.url().path(), "/settings/profile");
    back.text().unwrap()
}

/// The sign-in page's text.
fn login_page(server: &Server) -> String {
    Client::new()
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap()
}

#[test]
fn a_site_administrator_adds_changes_and_removes_a_sign_in_provider_in_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let provider = Provider::start(
        &json!([{
            "client_id": "entrepot-added",
            "client_secret": "secret-added",
            "redirect_uris": [format!("{base}/login/oidc/added/callback")],
        }]),
        &json!({"carol": {"password": "carol-pw", "preferred_username": "carol",
                          "email": "carol@example.com", "email_verified": true}}),
    );
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_with(
        dir.path(),
        &["--listen", &listen, "--outbound-allow", "127.0.0.0/8"],
        &base,
        &[],
    );
    for (login, password) in [("root", "root-password\n"), ("bob", "bob-password\n")] {
        server.admin_input(
            &["user", "create", login, "--password-stdin"],
            Some(password),
        );
    }
    server.admin(&["user", "promote", "root"]);
    let bob = signed_in(&server, "bob", "bob-password");
    let hidden_page = bob.get(server.url(PATH)).send().unwrap();
    assert_eq!(hidden_page.status(), StatusCode::NOT_FOUND);

    let root = signed_in(&server, "root", "root-password");
    assert!(page(&root, &server, PATH).contains("No provider yet"));
    let save = |display: &str, secret: &str| {
        let fields = [
            ("action", "save"),
            ("name", "added"),
            ("display_name", display),
            ("issuer", provider.issuer.as_str()),
            ("client_id", "entrepot-added"),
            ("client_secret", secret),
            ("scopes", "profile email"),
            ("auto_provision", "on"),
        ];
        post(&root, &server, PATH, PATH, &fields)
    };
    let saved = save("Added Corp", "secret-added");
    assert!(
        saved.contains(&format!("{base}/login/oidc/added/callback")),
        "{saved}"
    );
    let sign_in = login_page(&server);
    assert!(sign_in.contains("Sign in with Added Corp"), "{sign_in}");
    let profile = signs_in(&server, &provider);
    assert!(profile.contains("carol"), "signed in as a new account");

    // Renamed with the secret left empty: the saved one is kept.
    save("Renamed Corp", "");
    signs_in(&server, &provider);
    let sign_in = login_page(&server);
    assert!(sign_in.contains("Sign in with Renamed Corp"), "{sign_in}");

    // Settings that do not hold are refused, saying why.
    let csrf = hidden(&page(&root, &server, PATH), "csrf");
    let bad = root
        .post(server.url(PATH))
        .form(&[
            ("csrf", csrf.as_str()),
            ("action", "save"),
            ("name", "saml"),
            ("issuer", "not a url"),
            ("client_id", "x"),
        ])
        .send()
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().unwrap().contains("reserved"));

    post(
        &root,
        &server,
        PATH,
        PATH,
        &[("action", "delete"), ("name", "added")],
    );
    let sign_in = login_page(&server);
    assert!(!sign_in.contains("Renamed Corp"), "{sign_in}");
    let gone = browser()
        .get(server.url("/login/oidc/added"))
        .send()
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

//! Signing in with a directory's password against a real OpenLDAP `slapd`
//! on loopback: the entry found by the service account and bound as, an
//! account made on first sign-in and found again by `entryUUID`, groups
//! kept as organization membership, wrong and empty passwords and filter
//! metacharacters refused, local passwords untouched, and a directory on
//! an address the outbound allow list refuses never asked.

use std::path::Path;

use crate::common::ldap::Directory;
use crate::common::{Server, free_port, token};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::Value;

fn server(dir: &Path, directory: &Directory, allowed: bool) -> Server {
    server_with(dir, directory, allowed, "")
}

/// Like `server`, with `extra` lines in the `[[ldap]]` table.
fn server_with(dir: &Path, directory: &Directory, allowed: bool, extra: &str) -> Server {
    let config = dir.join("entrepot.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[ldap]]
name = "directory"
display_name = "Example directory"
url = "{url}"
bind_dn = "cn=admin,dc=example,dc=org"
bind_password_env = "LDAP_BIND_PASSWORD"
user_base = "ou=people,dc=example,dc=org"
group_base = "ou=groups,dc=example,dc=org"
auto_provision = true
{extra}
[ldap.groups]
developers = "acme"
admins = "acme:owner"
"#,
            url = directory.url,
            extra = extra
        ),
    )
    .unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    Server::start_with(
        dir,
        &[
            "--listen",
            &listen,
            "--config",
            config.to_str().unwrap(),
            "--outbound-allow",
            if allowed { "127.0.0.0/8" } else { "" },
        ],
        &format!("http://{listen}"),
        &[("LDAP_BIND_PASSWORD", "admin-pw")],
    )
}

/// The value of the hidden field `name` on `page`.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).unwrap() + marker.len();
    page[at..][..page[at..].find('"').unwrap()].to_owned()
}

/// Signs in on the form with a fresh cookie jar.
fn sign_in(server: &Server, login: &str, password: &str) -> Response {
    let client = Client::builder().cookie_store(true).build().unwrap();
    let form = client
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let at = form.find(marker).unwrap() + marker.len();
    let csrf = &form[at..][..form[at..].find('"').unwrap()];
    client
        .post(server.url("/login?return_to=/settings/profile"))
        .form(&[
            ("login", login),
            ("password", password),
            ("csrf", csrf),
            ("return_to", "/settings/profile"),
        ])
        .send()
        .unwrap()
}

fn role(server: &Server, token: &str, user: &str) -> Option<String> {
    let r = Client::new()
        .get(server.url(&format!("/api/v3/orgs/acme/memberships/{user}")))
        .bearer_auth(token)
        .send()
        .unwrap();
    (r.status() == StatusCode::OK).then(|| {
        r.json::<Value>().unwrap()["role"]
            .as_str()
            .unwrap()
            .to_owned()
    })
}

fn logins(server: &Server) -> Vec<String> {
    String::from_utf8(server.admin(&["user", "list"]).stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect()
}

#[test]
#[expect(clippy::too_many_lines, reason = "one scenario")]
fn people_sign_in_with_their_directory_password_and_their_groups_decide_their_organizations() {
    let directory = Directory::start();
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &directory, true);
    server.admin_input(
        &["user", "create", "alice", "--password-stdin"],
        Some("alice-password\n"),
    );
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    let alice = token(&server, "alice", "read:org");

    let form = Client::new()
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        form.contains("Your Example directory user name and password work here"),
        "{form}"
    );

    let grace = sign_in(&server, "grace", "grace-pw");
    assert_eq!(grace.status(), StatusCode::OK);
    assert_eq!(grace.url().path(), "/settings/profile");
    let page = grace.text().unwrap();
    assert!(page.contains("Signed in as"), "{page}");
    assert!(page.contains("grace@example.org"), "{page}");
    assert!(logins(&server).contains(&"grace".to_owned()));
    assert_eq!(
        role(&server, &alice, "grace").as_deref(),
        Some("admin"),
        "admins → owner"
    );

    // Again: the same account, found by the entry's entryUUID.
    assert_eq!(
        sign_in(&server, "grace", "grace-pw").status(),
        StatusCode::OK
    );
    assert_eq!(logins(&server).iter().filter(|l| *l == "grace").count(), 1);

    // Alice connects frank's entry to her account on her profile page,
    // proving it with its password; then it signs her in.
    let browser = Client::builder().cookie_store(true).build().unwrap();
    let form = browser
        .get(server.url("/login"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    browser
        .post(server.url("/login"))
        .form(&[
            ("login", "alice"),
            ("password", "alice-password"),
            ("csrf", &hidden(&form, "csrf")),
        ])
        .send()
        .unwrap();
    let connect = |password: &str| {
        let profile = browser
            .get(server.url("/settings/profile"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert!(profile.contains("Example directory"), "{profile}");
        browser
            .post(server.url("/settings/profile"))
            .form(&[
                ("csrf", hidden(&profile, "csrf").as_str()),
                ("action", "connect-directory"),
                ("provider", "directory"),
                ("directory_login", "frank"),
                ("directory_password", password),
            ])
            .send()
            .unwrap()
    };
    let wrong = connect("not-frank");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().unwrap().contains("did not accept"));
    let connected = connect("frank-pw");
    assert!(connected.text().unwrap().contains("Identity connected"));
    let as_alice = sign_in(&server, "frank", "frank-pw");
    assert_eq!(as_alice.status(), StatusCode::OK);
    let page = as_alice.text().unwrap();
    assert!(
        page.contains("Signed in as <a href=\"/alice\"><strong>alice</strong>"),
        "{page}"
    );
    assert!(
        !logins(&server).contains(&"frank".to_owned()),
        "no account was made for frank"
    );
    // Frank's groups speak for alice now: developers → member (grace
    // still owns acme).
    assert_eq!(role(&server, &alice, "alice").as_deref(), Some("member"));

    for (login, password) in [
        ("frank", "wrong"),
        ("frank", ""),
        ("*", "frank-pw"),
        ("frank)(uid=*", "frank-pw"),
        ("nobody", "frank-pw"),
    ] {
        let refused = sign_in(&server, login, password);
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "{login:?} / {password:?}"
        );
        assert!(
            refused
                .text()
                .unwrap()
                .contains("Incorrect user name or password")
        );
    }

    // A local password still signs its account in.
    assert_eq!(
        sign_in(&server, "alice", "alice-password").status(),
        StatusCode::OK
    );
}

#[test]
fn a_directory_on_an_internal_address_is_not_asked_unless_allowed() {
    let directory = Directory::start();
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path(), &directory, false);
    let refused = sign_in(&server, "frank", "frank-pw");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(!logins(&server).contains(&"frank".to_owned()));
    let log = std::fs::read_to_string(&server.stderr_log).unwrap();
    assert!(
        log.contains("is not an address this server may send to"),
        "{log}"
    );
}

#[test]
fn an_entry_without_its_unique_identifier_signs_no_one_in() {
    let directory = Directory::start();
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(
        dir.path(),
        &directory,
        true,
        "unique_attribute = \"employeeNumber\"",
    );
    let refused = sign_in(&server, "frank", "frank-pw");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(!logins(&server).contains(&"frank".to_owned()));
    let log = std::fs::read_to_string(&server.stderr_log).unwrap();
    assert!(log.contains("has no employeeNumber"), "{log}");
}

//! `entrepot serve` and the admin commands, end to end, as a new user meets them.

use std::time::Duration;

use crate::common::{Server, admin_in, token};
use base64::Engine;
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn get_user(server: &Server, auth: Option<&str>) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = Client::new().get(server.url("/api/v3/user"));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.json().unwrap(), headers)
}

#[test]
fn serve_with_no_flags_listens_on_8080_creates_its_folder_and_prints_one_admin_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_in(dir.path(), &[], "http://127.0.0.1:8080");
    assert!(dir.path().join("entrepot-data/entrepot.db").exists());
    assert!(dir.path().join("entrepot-data/blobs").is_dir());
    let token = server
        .stdout_line(Duration::from_secs(10))
        .expect("the first start prints a token");
    assert!(token.starts_with("entp_"), "{token}");
    let (status, body, _) = get_user(&server, Some(&format!("Bearer {token}")));
    assert_eq!(status, 200);
    assert_eq!(body["login"], "admin");
    assert_eq!(body["site_admin"], true);
    assert!(server.sigterm().success(), "SIGTERM shuts down gracefully");

    let server = Server::start_in(dir.path(), &[], "http://127.0.0.1:8080");
    assert_eq!(
        server.stdout_line(Duration::from_millis(500)),
        None,
        "a second start prints no token"
    );
    let (status, _, _) = get_user(&server, Some(&format!("Bearer {token}")));
    assert_eq!(status, 200, "the first token still works");
}

#[test]
fn a_start_that_fails_changes_nothing_and_every_address_needs_a_base_url() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let failed = std::process::Command::new(&*crate::common::BIN)
        .args(["--listen", &listen, "serve"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!failed.status.success());
    assert!(
        failed.stdout.is_empty(),
        "no token for a server that did not start"
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains(&listen));
    assert!(
        !dir.path().join("entrepot-data").exists(),
        "nothing was created"
    );
    drop(taken);

    let everywhere = std::process::Command::new(&*crate::common::BIN)
        .args(["--listen", "0.0.0.0:0", "serve"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!everywhere.status.success());
    let said = String::from_utf8_lossy(&everywhere.stderr);
    assert!(said.contains("--base-url"), "{said}");
    assert!(!dir.path().join("entrepot-data").exists());
}

#[test]
fn a_token_is_accepted_in_every_form_clients_send_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice", "--email", "alice@example.test"]);
    let t = token(&server, "alice", "read:packages,write:packages");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("anything:{t}"));
    for auth in [
        format!("Bearer {t}"),
        format!("token {t}"),
        format!("Basic {basic}"),
        t.clone(),
    ] {
        let (status, body, headers) = get_user(&server, Some(&auth));
        assert_eq!(status, 200, "{auth}");
        assert_eq!(body["login"], "alice");
        assert_eq!(body["email"], "alice@example.test");
        assert_eq!(headers["x-oauth-scopes"], "read:packages, write:packages");
        assert_eq!(headers["x-github-api-version"], "2022-11-28");
        assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    }
}

#[test]
fn wrong_revoked_and_missing_tokens_get_401_with_githubs_error_body() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "read:packages");
    let mut wrong = t.clone();
    wrong.replace_range(10..11, if &t[10..11] == "a" { "b" } else { "a" });
    let listed = String::from_utf8(server.admin(&["token", "list", "alice"]).stdout).unwrap();
    let id = listed.split('\t').next().unwrap().to_owned();
    server.admin(&["token", "revoke", &id]);
    for auth in [
        Some(format!("Bearer {wrong}")),
        Some(format!("Bearer {t}")),
        Some("Bearer ghp_notours".into()),
        None,
    ] {
        let (status, body, headers) = get_user(&server, auth.as_deref());
        assert_eq!(status, 401, "{auth:?}");
        assert!(body["message"].is_string());
        assert!(body["documentation_url"].is_string());
        assert!(headers.contains_key("www-authenticate"));
    }
}

#[test]
fn users_and_organizations_are_served_in_githubs_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    let spec: Value = serde_json::from_str(include_str!(
        "../../../../spec/github-packages-openapi.json"
    ))
    .unwrap();
    let required = spec["components"]["schemas"]["simple-user"]["required"]
        .as_array()
        .unwrap()
        .clone();
    let client = Client::new();
    let alice: Value = client
        .get(server.url("/api/v3/users/alice"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    for field in &required {
        assert!(
            alice.get(field.as_str().unwrap()).is_some(),
            "simple-user needs {field}"
        );
    }
    assert_eq!(alice["type"], "User");
    assert_eq!(alice["url"], server.url("/api/v3/users/alice"));
    let acme: Value = client
        .get(server.url("/api/v3/orgs/acme"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(acme["login"], "acme");
    assert_eq!(acme["type"], "Organization");
    assert_eq!(
        client
            .get(server.url("/api/v3/orgs/alice"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let missing = client
        .get(server.url("/api/v3/users/nobody"))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().unwrap();
    assert_eq!(body["message"], "Not Found");
    assert_eq!(
        client
            .get(server.url("/api/v3/no/such/endpoint"))
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn health_and_metrics_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let client = Client::new();
    assert_eq!(
        client
            .get(server.url("/healthz"))
            .send()
            .unwrap()
            .text()
            .unwrap(),
        "ok"
    );
    client.get(server.url("/api/v3/user")).send().unwrap();
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(
            r#"entrepot_http_requests_total{format="rest",method="GET",route="/api/v3/user",status="401"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains("entrepot_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("entrepot_publishes_total 0"));
    assert!(metrics.contains("entrepot_downloads_total 0"));
    assert!(metrics.trim_end().ends_with("# EOF"));
}

#[test]
fn admin_commands_manage_users_orgs_repositories_and_tokens_without_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Nothing here yet: admin refuses rather than start an empty install,
    // and says where it looked and how to point it elsewhere.
    let nowhere = std::process::Command::new(&*crate::common::BIN)
        .args(["admin", "user", "create", "alice"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!nowhere.status.success());
    let said = String::from_utf8_lossy(&nowhere.stderr);
    assert!(
        said.contains("entrepot-data") && said.contains("--data-dir"),
        "{said}"
    );
    assert!(!d.join("entrepot-data").exists(), "nothing was created");
    admin_in(d, &["migrate"], None);
    admin_in(
        d,
        &["user", "create", "alice", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    admin_in(d, &["user", "create", "bob", "--site-admin"], None);
    admin_in(d, &["org", "create", "acme", "--owner", "alice"], None);
    admin_in(
        d,
        &["org", "add-member", "acme", "bob", "--role", "owner"],
        None,
    );
    admin_in(
        d,
        &[
            "repo",
            "create",
            "acme/tool",
            "--internal",
            "--description",
            "a tool",
        ],
        None,
    );
    admin_in(
        d,
        &[
            "repo",
            "add-collaborator",
            "acme/tool",
            "bob",
            "--permission",
            "write",
        ],
        None,
    );
    let out = admin_in(
        d,
        &[
            "token",
            "create",
            "bob",
            "--scopes",
            "read:packages",
            "--expires-in",
            "30d",
            "--note",
            "ci",
        ],
        None,
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("entp_"));

    // Mistakes are refused with a message and a failing exit code.
    let dup = std::process::Command::new(&*crate::common::BIN)
        .args(["admin", "user", "create", "ALICE"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("taken"));
    let bad_scope = std::process::Command::new(&*crate::common::BIN)
        .args([
            "admin",
            "token",
            "create",
            "bob",
            "--scopes",
            "admin:repo_hook",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!bad_scope.status.success());
    assert!(bad_scope.stdout.is_empty());
}

#[test]
fn admin_registers_lists_and_removes_upstreams() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    admin_in(d, &["migrate"], None);
    let added = admin_in(
        d,
        &[
            "upstream",
            "add",
            "npmjs",
            "--format",
            "npm",
            "--url",
            "http://127.0.0.1:4873",
            "--username",
            "reader",
            "--password-stdin",
            "--metadata-ttl",
            "30s",
            "--default",
        ],
        Some("s3cret\n"),
    );
    let said = String::from_utf8_lossy(&added.stderr);
    assert!(said.contains("npmjs") && !said.contains("s3cret"), "{said}");
    admin_in(
        d,
        &[
            "upstream",
            "add",
            "pypi-org",
            "--format",
            "pypi",
            "--url",
            "https://pypi.org/",
        ],
        None,
    );
    let listed = admin_in(d, &["upstream", "list"], None);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(
        listed,
        "npmjs\tnpm\thttp://127.0.0.1:4873/\tttl=30s\tdefault\tuser=reader\n\
         pypi-org\tpypi\thttps://pypi.org/\tttl=600s\t-\t-\n"
    );

    // The name is taken for users, and a user's name for upstreams.
    let taken = std::process::Command::new(&*crate::common::BIN)
        .args(["admin", "user", "create", "NpmJS"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!taken.status.success());
    let unsupported = std::process::Command::new(&*crate::common::BIN)
        .args([
            "admin",
            "upstream",
            "add",
            "docker-hub",
            "--format",
            "docker",
        ])
        .args(["--url", "https://registry-1.docker.io/"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!unsupported.status.success());
    assert!(String::from_utf8_lossy(&unsupported.stderr).contains("not supported yet"));

    admin_in(d, &["upstream", "remove", "npmjs"], None);
    let listed = admin_in(d, &["upstream", "list"], None);
    assert!(
        String::from_utf8(listed.stdout)
            .unwrap()
            .starts_with("pypi-org\t")
    );
    admin_in(d, &["user", "create", "npmjs"], None);
}

#[test]
fn version_and_help_work() {
    let out = std::process::Command::new(&*crate::common::BIN)
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("entrepot "));
    let out = std::process::Command::new(&*crate::common::BIN)
        .arg("help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("serve") && text.contains("admin"));
}

#[test]
fn each_request_is_logged_once_at_info_with_who_asked_and_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--log-format", "json"],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    let t = crate::common::token(&server, "alice", "read:packages");
    let response = reqwest::blocking::Client::new()
        .get(server.url("/api/v3/user"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.headers()["x-github-request-id"], id.as_str());

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let line = loop {
        let log = std::fs::read_to_string(&server.stderr_log).unwrap_or_default();
        let found = log
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|l| {
                l["target"] == "entrepot::access" && l["fields"]["request_id"] == id.as_str()
            });
        if let Some(line) = found {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no access line: {log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let fields = &line["fields"];
    assert_eq!(line["level"], "INFO");
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["path"], "/api/v3/user");
    assert_eq!(fields["route"], "/api/v3/user");
    assert_eq!(fields["status"], 200);
    assert_eq!(fields["user"], "alice");
    assert_eq!(fields["client"], "127.0.0.1");
    let log = std::fs::read_to_string(&server.stderr_log).unwrap();
    let started = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["message"] == "entrepot is serving")
        .expect("a start-up line");
    assert_eq!(started["fields"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        started["fields"]["database"]
            .as_str()
            .unwrap()
            .starts_with("sqlite://")
    );
    assert!(
        !log.lines().any(|l| l.contains("\"target\":\"sqlx")),
        "library lines stay below info: {log}"
    );
}

#[test]
fn readyz_says_whether_both_stores_take_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let ready = reqwest::blocking::get(server.url("/readyz")).unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().unwrap();
    assert_eq!(body["ready"], true, "{body}");

    // The blob folder becomes a file: nothing can be stored any more.
    let blobs = dir.path().join("entrepot-data/blobs");
    std::fs::rename(&blobs, dir.path().join("blobs-moved")).unwrap();
    std::fs::write(&blobs, b"not a folder").unwrap();
    // One answer serves the probes of a second: the next ones see it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let broken = loop {
        let r = reqwest::blocking::get(server.url("/readyz")).unwrap();
        if r.status() == 503 {
            break r;
        }
        assert!(std::time::Instant::now() < deadline, "still ready");
        std::thread::sleep(Duration::from_millis(100));
    };
    let body: Value = broken.json().unwrap();
    assert_eq!(
        (body["ready"].clone(), body["database"].clone()),
        (json!(false), json!("ok")),
        "{body}"
    );
    assert_eq!(body["blobs"], "failed", "{body}");
    let alive = reqwest::blocking::get(server.url("/healthz")).unwrap();
    assert_eq!(alive.status(), 200, "alive all the same");
}

#[test]
fn metrics_can_want_a_token_and_count_by_format() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen, "--metrics-token", "scrape-s3cret"],
        &format!("http://{listen}"),
    );
    let client = reqwest::blocking::Client::new();
    let open = client.get(server.url("/metrics")).send().unwrap();
    assert_eq!(open.status(), 401);
    let wrong = client
        .get(server.url("/metrics"))
        .bearer_auth("scrape-s3cre")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        client
            .get(server.url("/npm/nothing"))
            .send()
            .unwrap()
            .status(),
        404
    );
    // The readiness probe writes a blob and reads it back.
    assert_eq!(
        client.get(server.url("/readyz")).send().unwrap().status(),
        200
    );
    let text = client
        .get(server.url("/metrics"))
        .bearer_auth("scrape-s3cret")
        .send()
        .unwrap()
        .text()
        .unwrap();
    for line in [
        "entrepot_downloads_by_format_total{format=\"npm\"} 0",
        "entrepot_publishes_by_format_total{format=\"cargo\"} 0",
        "entrepot_upstream_files_total{result=\"hit\"} 0",
        "entrepot_http_requests_total{format=\"npm\",method=\"GET\"",
        "entrepot_blob_store_seconds_count{operation=\"put\"} 1",
        "entrepot_blob_store_seconds_count{operation=\"get\"} 1",
        "entrepot_blob_store_seconds_bucket{operation=\"delete\",le=\"+Inf\"} 0",
        "entrepot_database_connections{pool=\"writer\",state=\"max\"} 1",
        "entrepot_database_connections{pool=\"reader\",state=\"max\"} 4",
        "entrepot_database_ping_seconds ",
        "entrepot_webhook_deliveries_pending 0",
        "entrepot_webhook_attempts_total{result=\"failed\"} 0",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
}

#[test]
fn the_systemd_unit_in_the_docs_is_the_one_shipped() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let unit = std::fs::read_to_string(root.join("contrib/entrepot.service")).unwrap();
    let docs = std::fs::read_to_string(root.join("docs/deploy.md")).unwrap();
    assert!(
        docs.contains(&unit),
        "docs/deploy.md shows contrib/entrepot.service as it is"
    );
}

/// The tarball URL of `@alice/hello`'s packument, asked with `headers`.
fn tarball_url(server: &(tempfile::TempDir, Server, String), headers: &[(&str, &str)]) -> String {
    let (_, server, t) = server;
    let mut req = Client::new()
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(t);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let doc: Value = req.send().unwrap().json().unwrap();
    doc["versions"]["1.0.0"]["dist"]["tarball"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_trusted_proxy_names_the_base_url_unless_it_was_given() {
    const FORWARDED: [(&str, &str); 2] = [
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "packages.example.com"),
    ];
    let start = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", crate::common::free_port());
        let mut args = vec!["--listen", listen.as_str()];
        args.extend_from_slice(extra);
        let server = Server::start_in(dir.path(), &args, &format!("http://{listen}"));
        server.admin(&["user", "create", "alice"]);
        let t = token(&server, "alice", "read:packages,write:packages");
        let status = Client::new()
            .put(server.url("/npm/@alice%2fhello"))
            .bearer_auth(&t)
            .json(&crate::common::publish_doc("@alice/hello", "1.0.0", ""))
            .send()
            .unwrap()
            .status();
        assert_eq!(status, 201);
        (dir, server, t)
    };
    let direct = "/npm/@alice/hello/-/hello-1.0.0.tgz";

    let behind = start(&["--trusted-proxies", "127.0.0.1"]);
    assert_eq!(
        tarball_url(&behind, &FORWARDED),
        format!("https://packages.example.com{direct}")
    );
    // The cached rendering of one base is never served for another.
    assert_eq!(tarball_url(&behind, &[]), behind.1.url(direct));
    assert_eq!(
        tarball_url(&behind, &FORWARDED),
        format!("https://packages.example.com{direct}")
    );
    // The container token realm follows too; a host that is not one is ignored.
    let challenge = Client::new()
        .get(behind.1.url("/v2/"))
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "packages.example.com")
        .send()
        .unwrap();
    let realm = challenge.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        realm.contains("realm=\"https://packages.example.com/"),
        "{realm}"
    );
    let odd = [("X-Forwarded-Host", "evil.example/x")];
    assert_eq!(tarball_url(&behind, &odd), behind.1.url(direct));

    // Not from a trusted proxy, or with --base-url given: ignored.
    let untrusted = start(&[]);
    assert_eq!(tarball_url(&untrusted, &FORWARDED), untrusted.1.url(direct));
    let given = start(&[
        "--trusted-proxies",
        "127.0.0.1",
        "--base-url",
        "https://registry.example.org/",
    ]);
    assert_eq!(
        tarball_url(&given, &FORWARDED),
        format!("https://registry.example.org{direct}")
    );
}

/// `admin ARGS`: its exit status, standard output and standard error.
fn admin_run(server: &Server, args: &[&str]) -> (bool, String, String) {
    let out = server.try_admin(args, None);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn admin_lists_suspends_promotes_and_deletes_users_orgs_and_repos() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_in(
        dir.path(),
        &["--listen", &listen],
        &format!("http://{listen}"),
    );
    for user in ["alice", "bob"] {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["org", "create", "acme", "--owner", "alice"]);
    server.admin(&["org", "add-member", "acme", "bob"]);
    server.admin(&["repo", "create", "alice/tools", "--private"]);
    let t = token(&server, "bob", "read:packages");
    let me = || {
        Client::new()
            .get(server.url("/api/v3/user"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status()
    };

    let (ok, users, _) = admin_run(&server, &["user", "list"]);
    assert!(ok);
    let lines: Vec<&str> = users.lines().collect();
    assert!(
        lines[0].starts_with("admin\t") && lines[0].ends_with("\tsite-admin"),
        "{users}"
    );
    assert!(lines.iter().any(|l| l.starts_with("bob\t")), "{users}");

    let (ok, _, said) = admin_run(&server, &["user", "suspend", "bob"]);
    assert!(ok, "{said}");
    assert_eq!(me(), 401, "a suspended user's token stops at once");
    let (_, users, _) = admin_run(&server, &["user", "list"]);
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("bob\t") && l.ends_with("\tsuspended"))
    );
    admin_run(&server, &["user", "unsuspend", "bob"]);
    assert_eq!(me(), 200);
    admin_run(&server, &["user", "promote", "bob"]);
    let (_, users, _) = admin_run(&server, &["user", "list"]);
    assert!(
        users
            .lines()
            .any(|l| l.starts_with("bob\t") && l.contains("site-admin"))
    );
    admin_run(&server, &["user", "demote", "bob"]);

    let (ok, orgs, _) = admin_run(&server, &["org", "list"]);
    assert!(ok);
    assert_eq!(
        orgs.trim_end().split('\t').nth(2),
        Some("2 member(s)"),
        "{orgs}"
    );
    let (ok, _, said) = admin_run(&server, &["org", "remove-member", "acme", "alice"]);
    assert!(!ok && said.contains("last owner"), "{said}");
    let (ok, _, said) = admin_run(&server, &["org", "remove-member", "acme", "bob"]);
    assert!(ok, "{said}");

    let (ok, repos, _) = admin_run(&server, &["repo", "list"]);
    assert!(ok);
    assert_eq!(repos.trim(), "alice/tools\tprivate");
    let (ok, _, said) = admin_run(&server, &["repo", "delete", "alice/tools"]);
    assert!(ok && said.contains("0 package(s) stay"), "{said}");
    assert_eq!(admin_run(&server, &["repo", "list", "alice"]).1, "");

    // Deleting says what goes, and without a terminal wants --yes.
    let (ok, _, said) = admin_run(&server, &["user", "delete", "alice"]);
    assert!(!ok, "{said}");
    assert!(said.contains("only owner of acme"), "{said}");
    let (ok, _, said) = admin_run(&server, &["user", "delete", "bob"]);
    assert!(!ok && said.contains("--yes"), "{said}");
    assert!(said.contains("deletes its 0 package(s)"), "{said}");
    assert_eq!(me(), 200, "not deleted without a yes");
    let piped = server.admin_input(&["user", "delete", "bob"], Some("bob\n"));
    assert!(
        piped.status.success(),
        "the login given on standard input confirms"
    );
    server.admin(&["user", "create", "carl"]);
    let (ok, _, said) = admin_run(&server, &["user", "delete", "carl", "--yes"]);
    assert!(ok, "{said}");
    assert_eq!(me(), 401);
    let (ok, _, said) = admin_run(&server, &["user", "create", "bob"]);
    assert!(!ok && said.contains("retired"), "{said}");
}

//! Several `entrepot serve` nodes on one PostgreSQL database and one S3
//! bucket (an emulator on loopback), with the real npm CLI.

mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use common::npm::{NpmUser, package, project};
use common::{Server, free_port, token};
use entrepot_store::testing::{S3Emulator, TEST_KEY, TestDatabase};
use reqwest::blocking::Client;
use serde_json::Value;

struct Shared {
    db: TestDatabase,
    s3: S3Emulator,
    bucket: String,
    rt: tokio::runtime::Runtime,
}

impl Shared {
    fn new(bucket: &str) -> Shared {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let db = rt.block_on(TestDatabase::create());
        let s3 = S3Emulator::start();
        s3.bucket(bucket);
        Shared {
            db,
            s3,
            bucket: bucket.to_owned(),
            rt,
        }
    }

    fn blobs_url(&self) -> String {
        format!(
            "s3://{}?endpoint={}&region=us-east-1",
            self.bucket, self.s3.endpoint
        )
    }

    /// A node in its own folder, on the shared database and bucket.
    fn node(&self, dir: &Path) -> Server {
        self.node_with(dir, &[])
    }

    /// `node`, with more options.
    fn node_with(&self, dir: &Path, more: &[&str]) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let blobs = self.blobs_url();
        let mut args = vec![
            "--listen",
            listen.as_str(),
            "--database",
            self.db.url.as_str(),
            "--blobs",
            blobs.as_str(),
        ];
        args.extend_from_slice(more);
        let env = [
            ("AWS_ACCESS_KEY_ID", TEST_KEY),
            ("AWS_SECRET_ACCESS_KEY", TEST_KEY),
        ];
        Server::start_with(dir, &args, &format!("http://{listen}"), &env)
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.rt.block_on(self.db.drop_now());
    }
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.map_while(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn two_nodes_share_one_database_and_one_bucket() {
    let shared = Shared::new("two-nodes");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&["user", "create", "alice"]);
    let t = token(&a, "alice", "read:packages,write:packages,delete:packages");

    // npm publish through A, npm install through B.
    let publisher = NpmUser::new(&a, &["alice"], Some(&t));
    publisher.npm_ok(
        &package(publisher.dir.path(), "@alice/hello", "1.0.0"),
        &["publish"],
    );
    publisher.npm_ok(
        &package(publisher.dir.path(), "@alice/hello", "1.1.0"),
        &["publish"],
    );
    let installer = NpmUser::new(&b, &["alice"], Some(&t));
    let app = project(installer.dir.path(), "app");
    installer.npm_ok(&app, &["install", "@alice/hello@1.0.0"]);
    assert!(app.join("node_modules/@alice/hello/index.js").exists());

    // A REST delete through B, a restore through A.
    let client = Client::new();
    let package_url = |node: &Server| node.url("/api/v3/user/packages/npm/hello");
    assert_eq!(
        client
            .delete(package_url(&b))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        client
            .get(package_url(&a))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client
            .post(format!("{}/restore", package_url(&a)))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        204
    );
    let restored: Value = client
        .get(package_url(&b))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(restored["version_count"], 2);

    // Nothing is kept on either node.
    for dir in [dir_a.path(), dir_b.path()] {
        assert_eq!(files_under(dir), Vec::<String>::new(), "a node kept files");
    }
}

#[test]
fn admin_copy_moves_an_embedded_install_to_postgres_and_s3_intact() {
    let shared = Shared::new("copied");
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let env = [
        ("AWS_ACCESS_KEY_ID", TEST_KEY),
        ("AWS_SECRET_ACCESS_KEY", TEST_KEY),
    ];
    let embedded = Server::start_with(
        dir.path(),
        &["--listen", &listen],
        &format!("http://{listen}"),
        &env,
    );
    embedded.admin(&["user", "create", "alice"]);
    embedded.admin(&["org", "create", "acme", "--owner", "alice"]);
    let t = token(
        &embedded,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let npm = NpmUser::new(&embedded, &["alice", "acme"], Some(&t));
    for (name, version) in [
        ("@alice/hello", "1.0.0"),
        ("@alice/hello", "1.1.0"),
        ("@acme/tool", "2.0.0"),
    ] {
        npm.npm_ok(&package(npm.dir.path(), name, version), &["publish"]);
    }
    let client = Client::new();
    let image = beyond_packages(&client, &embedded, &t);
    let before = hello_packument(&client, &embedded, &t);

    let copied = embedded.admin(&[
        "copy",
        "--to-database",
        &shared.db.url,
        "--to-blobs",
        &shared.blobs_url(),
    ]);
    // Not on a terminal: each stage says it starts, then the summary.
    let said = String::from_utf8_lossy(&copied.stderr);
    assert!(
        said.contains("tables: starting") && said.contains("blobs: starting (6)"),
        "{said}"
    );
    assert!(said.contains("copied 6 blobs"), "{said}");

    let moved_dir = tempfile::tempdir().unwrap();
    let moved = shared.node(moved_dir.path());
    // The same token, ids, versions and digests.
    let after = hello_packument(&client, &moved, &t);
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(
            after["versions"][v]["dist"]["integrity"],
            before["versions"][v]["dist"]["integrity"]
        );
        assert_eq!(
            after["versions"][v]["dist"]["shasum"],
            before["versions"][v]["dist"]["shasum"]
        );
    }
    let consumer = NpmUser::new(&moved, &["alice", "acme"], Some(&t));
    let app = project(consumer.dir.path(), "app");
    consumer.npm_ok(&app, &["install", "@alice/hello@1.0.0", "@acme/tool"]);
    assert!(app.join("node_modules/@acme/tool/index.js").exists());
    let package: Value = client
        .get(moved.url("/api/v3/orgs/acme/packages/npm/tool"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(package["version_count"], 1);
    assert_copied_beyond_packages(&client, &moved, &t, &image);
    // New rows continue after the copied ids.
    moved.admin(&["user", "create", "bob"]);

    // Copying twice into the same database is refused.
    let again = std::process::Command::new(&*common::BIN)
        .args([
            "admin",
            "copy",
            "--to-database",
            &shared.db.url,
            "--to-blobs",
            &shared.blobs_url(),
        ])
        .current_dir(dir.path())
        .envs([
            ("AWS_ACCESS_KEY_ID", TEST_KEY),
            ("AWS_SECRET_ACCESS_KEY", TEST_KEY),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
}

/// alice's `@alice/hello` packument.
fn hello_packument(client: &Client, server: &Server, token: &str) -> Value {
    client
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap()
}

/// An image (its layers are linked rows), and a suspended account.
fn beyond_packages(client: &Client, server: &Server, token: &str) -> common::formats::Publish {
    let image = common::formats::publish(common::formats::Format::Oci, "1.0.0", 7);
    common::formats::publish_all(client, &server.base, token, &image);
    server.admin(&["user", "create", "mallory"]);
    server.admin(&["user", "suspend", "mallory"]);
    image
}

/// What a copy keeps besides packages: an image's linked layers, each
/// served by its digest, and a suspended account.
fn assert_copied_beyond_packages(
    client: &Client,
    moved: &Server,
    token: &str,
    image: &common::formats::Publish,
) {
    for file in image.steps.iter().flat_map(|s| &s.stores) {
        let got = common::formats::download(client, &moved.base, token, image.format, file)
            .unwrap_or_else(|| panic!("{} after the copy", file.path));
        assert_eq!(
            common::formats::sha256_hex(&got),
            file.sha256,
            "{}",
            file.path
        );
    }
    let users = String::from_utf8_lossy(&moved.admin(&["user", "list"]).stdout).into_owned();
    assert!(
        users.contains("mallory") && users.contains("suspended"),
        "{users}"
    );
}

#[test]
fn killing_a_node_during_a_publish_leaves_the_other_serving_and_nothing_half_written() {
    let shared = Shared::new("killed");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&["user", "create", "alice"]);
    let t = token(&a, "alice", "read:packages,write:packages");
    let npm = NpmUser::new(&b, &["alice"], Some(&t));
    npm.npm_ok(
        &package(npm.dir.path(), "@alice/hello", "1.0.0"),
        &["publish"],
    );

    // A publish whose body arrives slowly at A, killed half-way.
    let doc = common::publish_doc("@alice/slow", "1.0.0", "");
    let body = serde_json::to_vec(&doc).unwrap();
    let addr = a.base.trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "PUT /npm/@alice%2fslow HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {t}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);

    let client = Client::new();
    assert_eq!(
        client
            .get(b.url("/npm/@alice%2fhello"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(b.url("/npm/@alice%2fslow"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404,
        "no half-written package or version"
    );
    let app = project(npm.dir.path(), "app");
    npm.npm_ok(&app, &["install", "@alice/hello"]);
    // The publish works in full through the surviving node.
    let done = client
        .put(b.url("/npm/@alice%2fslow"))
        .bearer_auth(&t)
        .json(&doc)
        .send()
        .unwrap();
    assert_eq!(done.status(), 201);
}

#[test]
fn a_chunked_container_upload_started_on_one_node_finishes_on_another() {
    let shared = Shared::new("chunked");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&["user", "create", "alice"]);
    let t = token(&a, "alice", "read:packages,write:packages");
    let client = Client::new();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data))
    );

    let start = client
        .post(a.url("/v2/alice/app/blobs/uploads/"))
        .basic_auth("alice", Some(&t))
        .send()
        .unwrap();
    assert_eq!(start.status(), 202);
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    let first = client
        .patch(a.url(&location))
        .basic_auth("alice", Some(&t))
        .header("Content-Range", "0-99999")
        .body(data[..100_000].to_vec())
        .send()
        .unwrap();
    assert_eq!(first.status(), 202);
    let second = client
        .patch(b.url(&location))
        .basic_auth("alice", Some(&t))
        .header("Content-Range", "100000-199999")
        .body(data[100_000..200_000].to_vec())
        .send()
        .unwrap();
    assert_eq!(second.status(), 202, "node B continues node A's session");
    assert_eq!(second.headers()["range"], "0-199999");
    let done = client
        .put(a.url(&format!("{location}?digest={digest}")))
        .basic_auth("alice", Some(&t))
        .body(data[200_000..].to_vec())
        .send()
        .unwrap();
    assert_eq!(done.status(), 201);
    let fetched = client
        .get(b.url(&format!("/v2/alice/app/blobs/{digest}")))
        .basic_auth("alice", Some(&t))
        .send()
        .unwrap();
    assert_eq!(fetched.bytes().unwrap().to_vec(), data);
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

#[test]
fn a_browser_signed_in_on_one_node_is_signed_in_on_all_and_throttles_are_shared() {
    let shared = Shared::new("sessions");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin_input(
        &["user", "create", "alice", "--password-stdin"],
        Some("correct horse battery\n"),
    );
    let browser = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = browser.get(a.url("/login")).send().unwrap().text().unwrap();
    let signed_in = browser
        .post(a.url("/login"))
        .form(&[
            ("login", "alice"),
            ("password", "correct horse battery"),
            ("csrf", &csrf_of(&form)),
        ])
        .send()
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("entrepot_session="))
        .unwrap();
    // Node B knows the session: the tokens page opens there.
    let on_b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(b.url("/settings/tokens"))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(on_b.status(), 200);
    // Failed sign-ins on A count on B too.
    let guesser = Client::builder().cookie_store(true).build().unwrap();
    let form = guesser.get(a.url("/login")).send().unwrap().text().unwrap();
    let csrf = csrf_of(&form);
    for _ in 0..5 {
        let r = guesser
            .post(a.url("/login"))
            .form(&[("login", "alice"), ("password", "guess"), ("csrf", &csrf)])
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let form = guesser.get(b.url("/login")).send().unwrap().text().unwrap();
    let locked = guesser
        .post(b.url("/login"))
        .form(&[
            ("login", "alice"),
            ("password", "correct horse battery"),
            ("csrf", &csrf_of(&form)),
        ])
        .send()
        .unwrap();
    assert_eq!(locked.status(), 429);
}

#[test]
fn maven_files_deployed_through_one_node_resolve_through_another() {
    let shared = Shared::new("maven");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&["user", "create", "alice"]);
    a.admin(&["repo", "create", "alice/tiny"]);
    let t = token(&a, "alice", "read:packages,write:packages");
    let jar = b"PK\x03\x04 a jar".to_vec();
    let put = |node: &Server, path: &str, body: Vec<u8>| {
        Client::new()
            .put(node.url(&format!("/maven/alice/tiny/{path}")))
            .basic_auth("alice", Some(&t))
            .body(body)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(
        put(&a, "com/example/tiny/1.0.0/tiny-1.0.0.jar", jar.clone()),
        201
    );
    assert_eq!(
        put(&b, "com/example/tiny/1.0.0/tiny-1.0.0.jar", jar.clone()),
        409,
        "immutable on every node"
    );
    assert_eq!(
        put(&b, "com/example/tiny/1.1.0/tiny-1.1.0.jar", jar.clone()),
        201
    );
    let metadata = Client::new()
        .get(a.url("/maven/alice/tiny/com/example/tiny/maven-metadata.xml"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metadata.contains("<version>1.0.0</version>")
            && metadata.contains("<version>1.1.0</version>"),
        "{metadata}"
    );
    let fetched = Client::new()
        .get(b.url("/maven/alice/tiny/com/example/tiny/1.0.0/tiny-1.0.0.jar"))
        .send()
        .unwrap();
    assert_eq!(fetched.bytes().unwrap().to_vec(), jar);
}

/// A gem built by the real `gem build`.
fn built_gem(dir: &Path, name: &str, version: &str) -> Vec<u8> {
    let work = dir.join(format!("{name}-{version}-src"));
    std::fs::create_dir_all(work.join("lib")).unwrap();
    std::fs::write(work.join("lib").join(format!("{name}.rb")), "# a gem\n").unwrap();
    std::fs::write(
        work.join("g.gemspec"),
        format!(
            "Gem::Specification.new do |s|\n  s.name = {name:?}\n  s.version = {version:?}\n  s.summary = 'A gem'\n  s.authors = ['Alice']\n  s.files = ['lib/{name}.rb']\nend\n"
        ),
    )
    .unwrap();
    let out = std::process::Command::new("gem")
        .args(["build", "g.gemspec"])
        .current_dir(&work)
        .env("HOME", &work)
        .output()
        .expect("gem runs");
    assert!(out.status.success(), "{out:?}");
    std::fs::read(work.join(format!("{name}-{version}.gem"))).unwrap()
}

#[test]
fn gems_pushed_through_one_node_are_indexed_and_immutable_on_another() {
    let shared = Shared::new("rubygems");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&["user", "create", "alice"]);
    let t = token(&a, "alice", "read:packages,write:packages");
    let push = |node: &Server, gem: Vec<u8>| {
        Client::new()
            .post(node.url("/rubygems/alice/api/v1/gems"))
            .header("authorization", &t)
            .body(gem)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let read = |node: &Server, path: &str| {
        Client::new()
            .get(node.url(&format!("/rubygems/alice/{path}")))
            .basic_auth("alice", Some(&t))
            .send()
            .unwrap()
            .bytes()
            .unwrap()
            .to_vec()
    };
    let first = built_gem(dir_a.path(), "tiny", "1.0.0");
    assert_eq!(push(&a, first.clone()), 200);
    // B renders (and caches) its index, then A publishes again.
    let before = String::from_utf8(read(&b, "versions")).unwrap();
    assert!(before.contains("tiny 1.0.0 "), "{before}");
    assert_eq!(push(&a, built_gem(dir_a.path(), "tiny", "1.1.0")), 200);
    let after = String::from_utf8(read(&b, "versions")).unwrap();
    assert!(
        after.starts_with(&before) && after.contains("tiny 1.1.0 "),
        "{after}"
    );
    assert_eq!(push(&b, first.clone()), 409, "immutable on every node");
    assert_eq!(read(&b, "gems/tiny-1.0.0.gem"), first);
}

/// A registry on loopback serving fixed files (one thread a connection),
/// counting the requests for each path.
struct FixedUpstream {
    url: String,
    hits: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
}

impl FixedUpstream {
    fn start(files: Vec<(String, Vec<u8>, &'static str)>) -> FixedUpstream {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let hits = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
        let counted = hits.clone();
        let files = std::sync::Arc::new(files);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (files, counted) = (files.clone(), counted.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                    *counted.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
                    let found = files.iter().find(|(p, _, _)| *p == path);
                    let (status, body, kind) = match found {
                        Some((_, body, kind)) => ("200 OK", body.as_slice(), *kind),
                        None => ("404 Not Found", &b"not here"[..], "text/plain"),
                    };
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(body);
                });
            }
        });
        FixedUpstream { url, hits }
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

#[test]
fn what_one_node_cached_from_an_upstream_every_node_serves() {
    use sha2::Digest;
    let small = b"a small wheel".repeat(100);
    let big: Vec<u8> = (0..4 * 1024 * 1024_u32).map(|i| (i % 251) as u8).collect();
    let link = |file: &str, body: &[u8]| {
        format!(
            "<a href=\"/files/{file}#sha256={}\">{file}</a>\n",
            hex::encode(sha2::Sha256::digest(body))
        )
    };
    let page = format!(
        "<!DOCTYPE html><html><body>\n{}{}</body></html>",
        link("dep_b-1.0-py3-none-any.whl", &small),
        link("dep_b-2.0-py3-none-any.whl", &big)
    );
    let upstream = FixedUpstream::start(vec![
        ("/simple/dep-b/".into(), page.into_bytes(), "text/html"),
        (
            "/files/dep_b-1.0-py3-none-any.whl".into(),
            small.clone(),
            "application/octet-stream",
        ),
        (
            "/files/dep_b-2.0-py3-none-any.whl".into(),
            big.clone(),
            "application/octet-stream",
        ),
    ]);
    let shared = Shared::new("proxy-cache");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = shared.node(dir_a.path());
    let b = shared.node(dir_b.path());
    a.admin(&[
        "upstream",
        "add",
        "pypi-up",
        "--format",
        "pypi",
        "--url",
        &upstream.url,
    ]);
    let client = Client::builder()
        .timeout(Duration::from_mins(1))
        .build()
        .unwrap();
    let get = |node: &Server, path: &str| {
        let r = client.get(node.url(path)).send().unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.bytes().unwrap().to_vec()
    };

    // Node A fetches the page and a file; node B serves both from the
    // shared database and bucket without asking the upstream.
    let listed = String::from_utf8(get(&a, "/pypi/pypi-up/simple/dep-b/")).unwrap();
    assert!(listed.contains("dep_b-1.0-py3-none-any.whl"), "{listed}");
    let small_path = "/pypi/pypi-up/files/dep-b/1.0/dep_b-1.0-py3-none-any.whl";
    assert_eq!(get(&a, small_path), small);
    assert_eq!(get(&b, small_path), small);
    assert!(get(&b, "/pypi/pypi-up/simple/dep-b/").len() > 100);
    assert_eq!(upstream.hits("/files/dep_b-1.0-py3-none-any.whl"), 1);
    assert_eq!(upstream.hits("/simple/dep-b/"), 1);

    // Misses on both nodes at once: at most one fetch per node, every
    // client gets the whole file, and one copy is kept.
    let big_path = "/pypi/pypi-up/files/dep-b/2.0/dep_b-2.0-py3-none-any.whl";
    let urls = [a.url(big_path), b.url(big_path)];
    std::thread::scope(|scope| {
        let asks: Vec<_> = (0..8)
            .map(|i| {
                let (client, url) = (&client, &urls[i % 2]);
                scope.spawn(move || {
                    let r = client.get(url).send().unwrap();
                    assert_eq!(r.status(), 200, "{url}");
                    r.bytes().unwrap().to_vec()
                })
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.join().unwrap(), big);
        }
    });
    assert!(upstream.hits("/files/dep_b-2.0-py3-none-any.whl") <= 2);
    let versions: Value = client
        .get(a.url("/api/v3/orgs/pypi-up/packages/pypi/dep-b/versions"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(versions.as_array().map(Vec::len), Some(2), "{versions}");
    assert_eq!(get(&b, big_path), big);
}

/// Waits for `node` to log whether it claimed today's cleanup job: true
/// when it ran it.
fn ran_cleanup(node: &Server) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    while std::time::Instant::now() < deadline {
        let log = std::fs::read_to_string(&node.stderr_log).unwrap_or_default();
        if log.contains("this node runs today's cleanup job") {
            return true;
        }
        if log.contains("today's cleanup job is already claimed") {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the node never tried to claim the cleanup job");
}

#[test]
fn two_nodes_due_for_the_cleanup_job_run_it_once() {
    let shared = Shared::new("cleanup-once");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Versions and a rule, through a node not due for the job today.
    let later = (chrono::Utc::now() + chrono::TimeDelta::hours(12))
        .format("%H:%M")
        .to_string();
    let mut setup = shared.node_with(dir_a.path(), &["--cleanup-at", &later]);
    setup.admin(&["user", "create", "alice"]);
    let t = token(&setup, "alice", "read:packages,write:packages");
    let publisher = NpmUser::new(&setup, &["alice"], Some(&t));
    for version in ["1.0.0", "2.0.0", "3.0.0"] {
        publisher.npm_ok(
            &package(publisher.dir.path(), "@alice/snap", version),
            &["publish"],
        );
    }
    setup.admin(&["cleanup", "rule", "add", "alice", "--keep-newest", "1"]);
    setup.sigterm();

    // Two nodes due now: each asks, one runs it.
    let now = chrono::Utc::now().format("%H:%M").to_string();
    let a = shared.node_with(dir_a.path(), &["--cleanup-at", &now]);
    let b = shared.node_with(dir_b.path(), &["--cleanup-at", &now]);
    let ran = [ran_cleanup(&a), ran_cleanup(&b)];
    assert_eq!(
        ran.iter().filter(|r| **r).count(),
        1,
        "exactly one node ran the job: {ran:?}"
    );
    // The run removes what the rule says, seen through either node.
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    loop {
        let versions: Value = Client::new()
            .get(b.url("/api/v3/user/packages/npm/snap/versions"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let names: Vec<&str> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        if names == ["3.0.0"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rule keeps the newest only: {names:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

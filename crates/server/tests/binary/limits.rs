//! Limits and hostile input that need a socket: oversized headers (431)
//! and bodies (413), stalled uploads (408, while a slow but moving one
//! succeeds), and path traversal in every name sent byte for byte (4xx,
//! nothing written anywhere). Compression bombs and malformed documents
//! are tested in process (`tests/app/limits.rs`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::artifacts::{
    crate_body, crate_metadata, crate_of, gem_of, gemspec, nuspec, pom, twine_form, zip_of,
};
use crate::common::{Server, publish_doc, token};
use reqwest::blocking::{Client, RequestBuilder};
use serde_json::json;

const LIMIT: usize = 1024 * 1024;

struct Setup {
    dir: tempfile::TempDir,
    server: Server,
    alice: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_in(
        &data,
        &[
            "--listen",
            &listen,
            "--max-upload-size",
            "1MiB",
            "--max-layer-size",
            "1MiB",
            "--upload-idle-timeout",
            "700ms",
        ],
        &format!("http://{listen}"),
    );
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/java"]);
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    Setup { dir, server, alice }
}

/// Every file under `dir`, for "nothing was written" checks.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out.sort();
    out
}

/// The files that hold uploads: blobs (and what they stage in), not the
/// database, its journal or the server's logs.
fn stored(dir: &Path) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.contains("/blobs/"))
        .collect()
}

/// A request as each format's client authenticates it.
fn with_auth(format: &str, r: RequestBuilder, t: &str) -> RequestBuilder {
    match format {
        "npm" | "oci" | "rest" => r.bearer_auth(t),
        "maven" => r.basic_auth("alice", Some(t)),
        "rubygems" | "cargo" => r.header("authorization", t),
        "nuget" => r.header("x-nuget-apikey", t),
        _ => r.basic_auth("__token__", Some(t)),
    }
}

/// A raw connection to the server, for requests sent byte for byte, and
/// the `host:port` it goes to.
fn connect(server: &Server) -> (TcpStream, String) {
    let address = server
        .url("/")
        .replace("http://", "")
        .trim_end_matches('/')
        .to_owned();
    let stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    (stream, address)
}

/// One upload per format of a body of `body` bytes as the main file.
fn uploads(server: &Server, body: &[u8]) -> Vec<(&'static str, RequestBuilder)> {
    let client = Client::new();
    let (pypi_type, pypi_body) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "big"),
            ("version", "1.0.0"),
            ("filetype", "sdist"),
            ("metadata_version", "2.1"),
        ],
        "big-1.0.0.tar.gz",
        body,
    );
    let mut npm = publish_doc("@alice/big", "1.0.0", "");
    npm["_attachments"]["@alice/big-1.0.0.tgz"]["data"] = json!(base64_of(body));
    npm["_attachments"]["@alice/big-1.0.0.tgz"]["length"] = json!(body.len());
    vec![
        (
            "npm",
            client.put(server.url("/npm/@alice%2fbig")).json(&npm),
        ),
        (
            "maven",
            client
                .put(server.url("/maven/alice/java/com/example/big/1.0.0/big-1.0.0.jar"))
                .body(body.to_vec()),
        ),
        (
            "rubygems",
            client
                .post(server.url("/rubygems/alice/api/v1/gems"))
                .body(body.to_vec()),
        ),
        (
            "nuget",
            client
                .put(server.url("/nuget/alice/api/v2/package/"))
                .body(body.to_vec()),
        ),
        (
            "pypi",
            client
                .post(server.url("/pypi/alice/"))
                .header("content-type", pypi_type)
                .body(pypi_body),
        ),
        (
            "cargo",
            client
                .put(server.url("/cargo/alice/api/v1/crates/new"))
                .body(crate_body(&crate_metadata("big", "1.0.0"), body)),
        ),
        (
            "oci",
            client
                .post(server.url(&format!(
                    "/v2/alice/big/blobs/uploads/?digest=sha256:{}",
                    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body))
                )))
                .header("content-type", "application/octet-stream")
                .body(body.to_vec()),
        ),
    ]
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn oversized_headers_and_bodies_are_refused_and_leave_nothing() {
    let s = setup();
    // A header block past what the server parses (more than 100 fields):
    // 431 before any handler runs. Sent raw, so that the whole request is
    // written before the answer and the answer is read, not a reset.
    let headers = |n: usize| -> String {
        let (mut stream, address) = connect(&s.server);
        let mut fields = String::new();
        for i in 0..n {
            let _ = std::fmt::Write::write_fmt(&mut fields, format_args!("X-Field-{i}: {i}\r\n"));
        }
        write!(
            stream,
            "GET /healthz HTTP/1.1\r\nHost: {address}\r\n{fields}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    };
    let answer = headers(50);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = headers(150);
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let before = stored(s.dir.path());
    // Over the limit in every format: 413, and no blob left behind.
    // Past the slack some formats allow for their envelope (a form, JSON).
    let big = vec![b'x'; LIMIT + 128 * 1024];
    for (format, request) in uploads(&s.server, &big) {
        let r = with_auth(format, request, &s.alice).send().unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        assert_eq!(status, 413, "{format}: {body}");
    }
    assert_eq!(stored(s.dir.path()), before, "refused uploads left files");
}

/// A raw upload that sends `sent` of its `declared` bytes, then waits.
fn stall(server: &Server, t: &str, declared: usize, sent: usize) -> (String, Duration) {
    let (mut stream, address) = connect(server);
    write!(
        stream,
        "PUT /maven/alice/java/com/example/slow/1.0.0/slow-1.0.0.jar HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {t}\r\nContent-Length: {declared}\r\n\r\n"
    )
    .unwrap();
    stream.write_all(&vec![b'x'; sent]).unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    (answer, started.elapsed())
}

#[test]
fn stalled_uploads_time_out_while_slow_ones_finish() {
    let s = setup();
    let before = stored(s.dir.path());
    let (answer, waited) = stall(&s.server, &s.alice, 100_000, 1000);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(
        waited < Duration::from_secs(10),
        "the stall was noticed after {waited:?}"
    );
    assert_eq!(stored(s.dir.path()), before, "a stalled upload left files");
    let missing = Client::new()
        .get(
            s.server
                .url("/maven/alice/java/com/example/slow/1.0.0/slow-1.0.0.jar"),
        )
        .basic_auth("alice", Some(&s.alice))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);

    // Slow but moving: a chunk every 200 ms, well inside the idle timeout,
    // for longer than the timeout in all.
    let (mut stream, address) = connect(&s.server);
    let chunks = 8;
    write!(
        stream,
        "PUT /maven/alice/java/com/example/slow/1.0.0/slow-1.0.0.pom HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        s.alice,
        pom("com.example", "slow", "1.0.0").len()
    )
    .unwrap();
    let body = pom("com.example", "slow", "1.0.0").into_bytes();
    let step = body.len().div_ceil(chunks);
    for piece in body.chunks(step) {
        stream.write_all(piece).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

/// Sends a request whose path goes out exactly as written (reqwest's URL
/// parser resolves `..`, `%2e%2e` and `\`), as `format`'s client
/// authenticates; returns the status and the whole answer.
fn raw(server: &Server, t: &str, a: &Attempt) -> (u16, String) {
    let (mut stream, address) = connect(server);
    // The credentials as `format`'s client sends them.
    let credentials = with_auth(a.format, Client::new().get("http://localhost/"), t)
        .build()
        .unwrap();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n",
        a.method,
        a.path,
        a.body.len()
    );
    for (name, value) in credentials.headers() {
        head = format!("{head}{name}: {}\r\n", value.to_str().unwrap());
    }
    if let Some(content_type) = &a.content_type {
        head = format!("{head}Content-Type: {content_type}\r\n");
    }
    head.push_str("\r\n");
    // One write: the body is in the server's socket before it answers, and
    // a server that refuses the path without reading the body (and closes)
    // does not break the write of a body that was still to be sent.
    let mut request = head.into_bytes();
    request.extend_from_slice(&a.body);
    let _ = stream.write_all(&request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}

/// One request of a traversal test.
struct Attempt {
    format: &'static str,
    method: &'static str,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn attempt(format: &'static str, method: &'static str, path: String, body: Vec<u8>) -> Attempt {
    Attempt {
        format,
        method,
        path,
        content_type: None,
        body,
    }
}

/// A publish in every format (and a REST read) of `name` at `version`,
/// with `file` as the file name wherever the client names a file.
fn publishes(name: &str, version: &str, file: &str) -> Vec<Attempt> {
    let mut npm = attempt(
        "npm",
        "PUT",
        format!("/npm/@alice%2f{name}"),
        serde_json::to_vec(&publish_doc(&format!("@alice/{name}"), version, "")).unwrap(),
    );
    npm.content_type = Some("application/json".into());
    let (form_type, form) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", name),
            ("version", version),
            ("filetype", "sdist"),
            ("metadata_version", "2.1"),
        ],
        &format!("{file}-{version}.tar.gz"),
        b"x",
    );
    let mut pypi = attempt("pypi", "POST", "/pypi/alice/".into(), form);
    pypi.content_type = Some(form_type);
    // The same bytes for every name: a blob the control stored already.
    let blob = br#"{"architecture":"amd64","os":"linux"}"#.to_vec();
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&blob))
    );
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest, "size": blob.len()},
        "layers": [],
    });
    let mut oci_manifest = attempt(
        "oci",
        "PUT",
        format!("/v2/alice/{name}/manifests/{version}"),
        serde_json::to_vec(&manifest).unwrap(),
    );
    oci_manifest.content_type = Some("application/vnd.oci.image.manifest.v1+json".into());
    vec![
        npm,
        attempt(
            "maven",
            "PUT",
            format!("/maven/alice/java/com/{name}/{version}/{file}-{version}.jar"),
            b"x".to_vec(),
        ),
        attempt(
            "rubygems",
            "POST",
            "/rubygems/alice/api/v1/gems".into(),
            gem_of(&gemspec(name, version, None), false),
        ),
        attempt(
            "nuget",
            "PUT",
            "/nuget/alice/api/v2/package/".into(),
            zip_of(&[("x.nuspec", nuspec(name, version, "").as_bytes())]),
        ),
        pypi,
        attempt(
            "cargo",
            "PUT",
            "/cargo/alice/api/v1/crates/new".into(),
            crate_body(&crate_metadata(name, version), &{
                // The tar writer refuses such paths; the metadata carries them.
                let unsafe_path = |t: &str| t.contains(['/', '\\', '\0']) || t.contains("..");
                if unsafe_path(name) || unsafe_path(version) {
                    crate_of("x", "1.0.0")
                } else {
                    crate_of(name, version)
                }
            }),
        ),
        attempt(
            "oci",
            "POST",
            format!("/v2/alice/{name}/blobs/uploads/?digest={digest}"),
            blob,
        ),
        oci_manifest,
        attempt(
            "rest",
            "GET",
            format!("/api/v3/user/packages/npm/{name}"),
            Vec::new(),
        ),
    ]
}

#[test]
fn traversal_in_any_name_is_refused_and_writes_nothing_anywhere() {
    let s = setup();
    let root = s.dir.path();
    // The same requests with plain names succeed, so that each refusal
    // below is the name's doing.
    for (n, a) in publishes("plain", "1.0.0", "plain").iter().enumerate() {
        let (status, answer) = raw(&s.server, &s.alice, a);
        assert!(
            (200..300).contains(&status),
            "control {n} ({} {}): {answer}",
            a.format,
            a.path
        );
    }
    let before = files_under(root);
    let blobs = stored(root);
    let evil = [
        "../evil",
        "..%2fevil",
        "%2e%2e%2fevil",
        "..%252fevil",
        "..\\evil",
        "..%5cevil",
        "evil%00",
        "evil\u{0}x",
        "\u{2024}\u{2024}/evil",
        "\u{ff0e}\u{ff0e}/evil",
        "..\u{ff0f}evil",
        "..\u{2215}evil",
        "/etc/evil",
    ];
    let mut attempts = Vec::new();
    for (i, bad) in evil.iter().enumerate() {
        // In the name, in the version (an image's tag), and in the file name.
        attempts.extend(publishes(bad, "1.0.0", "evil"));
        for a in publishes(&format!("v{i}"), bad, &format!("v{i}")) {
            if a.format == "oci" && a.method == "POST" {
                // The tagged manifest's blob, which has no version.
                let (status, answer) = raw(&s.server, &s.alice, &a);
                assert_eq!(status, 201, "{answer}");
            } else if a.format != "rest" {
                attempts.push(a);
            }
        }
        attempts.extend(
            publishes(&format!("f{i}"), "1.0.0", bad)
                .into_iter()
                .filter(|a| matches!(a.format, "maven" | "pypi")),
        );
    }
    // In the owner.
    for owner in [
        "..",
        "..%2fevil",
        "%2e%2e",
        "..%5cevil",
        "alice%2f..%2fevil",
    ] {
        for path in [
            format!("/npm/@{owner}%2fx"),
            format!("/maven/{owner}/java/com/x/1.0.0/x-1.0.0.jar"),
            format!("/rubygems/{owner}/api/v1/gems"),
            format!("/nuget/{owner}/api/v2/package/"),
            format!("/pypi/{owner}/"),
            format!("/cargo/{owner}/api/v1/crates/new"),
            format!("/v2/{owner}/x/blobs/uploads/"),
            format!("/api/v3/users/{owner}/packages/npm/x"),
        ] {
            attempts.push(attempt("npm", "PUT", path, b"{}".to_vec()));
        }
    }
    // In a digest.
    attempts.push(attempt(
        "oci",
        "GET",
        "/v2/alice/plain/blobs/sha256:..%2f..%2fevil".into(),
        Vec::new(),
    ));
    for a in &attempts {
        let (status, answer) = raw(&s.server, &s.alice, a);
        assert!(
            (400..500).contains(&status),
            "{} {} {:?}: {answer}",
            a.format,
            a.method,
            a.path
        );
    }
    assert_eq!(stored(root), blobs, "a refused request stored a blob");
    let new: Vec<String> = files_under(root)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert!(
        new.iter().all(|f| !f.contains("evil")),
        "files named after the input appeared: {new:?}"
    );
    assert!(
        !root.parent().unwrap().join("evil").exists() && !Path::new("/etc/evil").exists(),
        "something escaped the data directory"
    );
}

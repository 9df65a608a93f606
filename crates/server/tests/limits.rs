//! Limits and hostile input across every format: oversized headers (431)
//! and bodies (413), stalled uploads (408, while a slow but moving one
//! succeeds), path traversal in every name (4xx, nothing written anywhere),
//! compression bombs stopped by size limits, and malformed JSON, XML and
//! YAML answered in each client's own error format, never with a 500.
#![expect(clippy::too_many_lines, reason = "each test reads as one table")]

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::artifacts::{
    crate_body, crate_metadata, gem_of, gemspec, gz, nupkg_of, nuspec, pom, tar_gz, tar_of,
    twine_form, zip_of,
};
use common::{Server, publish_doc, token};
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
    let listen = format!("127.0.0.1:{}", common::free_port());
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
        "npm" | "oci" => r.bearer_auth(t),
        "maven" => r.basic_auth("alice", Some(t)),
        "rubygems" | "cargo" => r.header("authorization", t),
        "nuget" => r.header("x-nuget-apikey", t),
        _ => r.basic_auth("__token__", Some(t)),
    }
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
    // A header block past hyper's buffer: 431 before any handler runs.
    let r = Client::new()
        .get(s.server.url("/healthz"))
        .header("x-padding", "a".repeat(1024 * 1024))
        .send();
    match r {
        Ok(r) => assert_eq!(r.status(), 431),
        // Or the connection is closed on the client mid-send.
        Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
    }
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
    let address = server.url("/").replace("http://", "");
    let address = address.trim_end_matches('/');
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
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
    let address = s.server.url("/").replace("http://", "");
    let address = address.trim_end_matches('/');
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
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

#[test]
fn traversal_in_any_name_is_refused_and_writes_nothing_anywhere() {
    let s = setup();
    let root = s.dir.path();
    let before = files_under(root);
    let client = Client::new();
    let evil_names = [
        "../evil",
        "..%2fevil",
        "%2e%2e%2fevil",
        "..\\evil",
        "evil%00",
        "\u{2024}\u{2024}/evil",
        "\u{ff0e}\u{ff0e}/evil",
        "/etc/evil",
    ];
    for name in evil_names {
        let cases: Vec<(&str, RequestBuilder)> = vec![
            (
                "npm",
                client
                    .put(server_path(&s.server, &format!("/npm/@alice%2f{name}")))
                    .json(&publish_doc(&format!("@alice/{name}"), "1.0.0", "")),
            ),
            (
                "maven",
                client
                    .put(server_path(
                        &s.server,
                        &format!("/maven/alice/java/com/{name}/1.0.0/x-1.0.0.jar"),
                    ))
                    .body("x"),
            ),
            (
                "rubygems",
                client
                    .post(s.server.url("/rubygems/alice/api/v1/gems"))
                    .body(gem_of(&gemspec(name, "1.0.0", None), false)),
            ),
            (
                "nuget",
                client
                    .put(s.server.url("/nuget/alice/api/v2/package/"))
                    .body(zip_of(&[(
                        "x.nuspec",
                        nuspec(name, "1.0.0", "").as_bytes(),
                    )])),
            ),
            ("pypi", {
                let (t, b) = twine_form(
                    &[
                        (":action", "file_upload"),
                        ("protocol_version", "1"),
                        ("name", name),
                        ("version", "1.0.0"),
                        ("filetype", "sdist"),
                        ("metadata_version", "2.1"),
                    ],
                    &format!("{name}-1.0.0.tar.gz"),
                    b"x",
                );
                client
                    .post(s.server.url("/pypi/alice/"))
                    .header("content-type", t)
                    .body(b)
            }),
            (
                "cargo",
                client
                    .put(s.server.url("/cargo/alice/api/v1/crates/new"))
                    .body(crate_body(
                        &crate_metadata(name, "1.0.0"),
                        &tar_gz(&[("x/Cargo.toml", b"")]),
                    )),
            ),
            (
                "oci",
                client
                    .put(server_path(
                        &s.server,
                        &format!("/v2/alice/{name}/manifests/v1"),
                    ))
                    .header("content-type", "application/vnd.oci.image.manifest.v1+json")
                    .body("{}"),
            ),
            (
                "rest",
                client.get(server_path(
                    &s.server,
                    &format!("/api/v3/user/packages/npm/{name}"),
                )),
            ),
        ];
        for (format, request) in cases {
            let r = with_auth(format, request, &s.alice).send().unwrap();
            let status = r.status().as_u16();
            let body = r.text().unwrap();
            assert!(
                (400..500).contains(&status),
                "{format} `{name}`: {status} {body}"
            );
        }
    }
    let after = files_under(root);
    let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    assert!(
        new.iter().all(|f| !f.contains("evil")),
        "files named after the input appeared: {new:?}"
    );
    assert!(
        !root.parent().unwrap().join("evil").exists() && !Path::new("/etc/evil").exists(),
        "something escaped the data directory"
    );
}

/// A URL whose path is sent as written (reqwest would normalise `..`).
fn server_path(server: &Server, path: &str) -> reqwest::Url {
    let mut url = reqwest::Url::parse(&server.url("/")).unwrap();
    url.set_path(path);
    url
}

/// Deflates `size` zero bytes: a few kilobytes that unpack to `size`.
fn zeros(size: usize) -> Vec<u8> {
    vec![0u8; size]
}

#[test]
fn compression_bombs_are_stopped_by_size_limits() {
    let s = setup();
    let client = Client::new();
    let bomb = zeros(256 * 1024 * 1024);
    let before = stored(s.dir.path());
    // A nupkg whose nuspec unpacks to 256 MiB.
    let mut nuspec_bomb = nuspec("Bomb", "1.0.0", "").into_bytes();
    nuspec_bomb.extend_from_slice(&bomb[..64 * 1024 * 1024]);
    let nupkg = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("Bomb.nuspec", options).unwrap();
        zip.write_all(&nuspec_bomb).unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(nupkg.len() < LIMIT, "the bomb itself fits the upload limit");
    // A gem whose metadata unpacks to 64 MiB.
    let gem = tar_of(&[("metadata.gz", gz(&bomb[..64 * 1024 * 1024]))]);
    assert!(gem.len() < LIMIT);
    // A wheel whose METADATA unpacks to 64 MiB.
    let wheel = {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("bomb-1.0.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(b"Metadata-Version: 2.1\nName: bomb\nVersion: 1.0.0\n")
            .unwrap();
        zip.write_all(&bomb[..64 * 1024 * 1024]).unwrap();
        zip.finish().unwrap().into_inner()
    };
    assert!(wheel.len() < LIMIT);
    let (wheel_type, wheel_form) = twine_form(
        &[
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "bomb"),
            ("version", "1.0.0"),
            ("filetype", "bdist_wheel"),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
        ],
        "bomb-1.0.0-py3-none-any.whl",
        &wheel,
    );
    let cases: Vec<(&str, RequestBuilder)> = vec![
        (
            "nuget",
            client
                .put(s.server.url("/nuget/alice/api/v2/package/"))
                .body(nupkg),
        ),
        (
            "rubygems",
            client
                .post(s.server.url("/rubygems/alice/api/v1/gems"))
                .body(gem),
        ),
        (
            "pypi",
            client
                .post(s.server.url("/pypi/alice/"))
                .header("content-type", wheel_type)
                .body(wheel_form),
        ),
    ];
    for (format, request) in cases {
        let started = Instant::now();
        let r = with_auth(format, request, &s.alice).send().unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        assert!((400..500).contains(&status), "{format}: {status} {body}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{format} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(stored(s.dir.path()), before, "refused bombs left files");
}

#[test]
fn malformed_documents_get_the_clients_error_format_never_a_500() {
    let s = setup();
    let client = Client::new();
    let cases: Vec<(&str, RequestBuilder, &str)> = vec![
        ("npm", client.put(s.server.url("/npm/@alice%2fx")).header("content-type", "application/json").body("{\"name\": "), "\"error\""),
        ("npm", client.put(s.server.url("/npm/@alice%2fx")).json(&json!({"name": "@alice/x", "versions": 5})), "\"error\""),
        ("maven", client.put(s.server.url("/maven/alice/java/com/example/x/1.0.0/x-1.0.0.pom")).body("<project><groupId>com.example</groupId"), ""),
        ("maven", client.put(s.server.url("/maven/alice/java/com/example/x/1.0.0/x-1.0.0.pom")).body("<!DOCTYPE x [<!ENTITY a \"b\">]><project>&a;</project>"), ""),
        ("maven", client.put(s.server.url("/maven/alice/java/com/example/x/maven-metadata.xml")).body("<metadata><versioning>"), ""),
        ("rubygems", client.post(s.server.url("/rubygems/alice/api/v1/gems")).body(gem_of("--- !ruby/object:Gem::Specification\nname: [unclosed\n", false)), ""),
        ("rubygems", client.post(s.server.url("/rubygems/alice/api/v1/gems")).body(gem_of("--- !ruby/object:Kernel\nname: x\n", false)), ""),
        ("rubygems", client.post(s.server.url("/rubygems/alice/api/v1/gems")).body(gem_of("a: &a [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n", false)), ""),
        ("nuget", client.put(s.server.url("/nuget/alice/api/v2/package/")).body(nupkg_of("X", "1.0.0", "<dependencies><group").clone()), ""),
        ("nuget", client.put(s.server.url("/nuget/alice/api/v2/package/")).body(zip_of(&[("x.nuspec", b"<package><metadata><id>X</id></package>")])), ""),
        ("pypi", client.post(s.server.url("/pypi/alice/")).header("content-type", "multipart/form-data; boundary=x").body("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"), ""),
        ("cargo", client.put(s.server.url("/cargo/alice/api/v1/crates/new")).body(vec![200, 0, 0, 0, b'{']), "\"errors\""),
        ("cargo", client.put(s.server.url("/cargo/alice/api/v1/crates/new")).body(crate_body(&json!({"name": 5}), b"")), "\"errors\""),
        ("oci", client.put(s.server.url("/v2/alice/x/manifests/v1")).header("content-type", "application/vnd.oci.image.manifest.v1+json").body("{\"schemaVersion\": 2, \"layers\": 7}"), "MANIFEST_INVALID"),
        ("oci", client.put(s.server.url("/v2/alice/x/manifests/v1")).header("content-type", "application/vnd.oci.image.index.v1+json").body("[]"), "MANIFEST_INVALID"),
        ("rest", client.patch(s.server.url("/api/v3/user/packages/npm/x")).header("content-type", "application/json").body("{"), "\"message\""),
        ("rest", client.post(s.server.url("/api/v3/user/packages/npm/x/security-advisories")).header("content-type", "application/json").body("[1,2"), "\"message\""),
    ];
    for (format, request, marker) in cases {
        let r = with_auth(format, request, &s.alice).send().unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        assert!((400..500).contains(&status), "{format}: {status} {body}");
        assert!(
            body.contains(marker),
            "{format}: not the client's error format: {body}"
        );
        assert!(
            !body.trim().is_empty(),
            "{format}: an error without a reason"
        );
    }
}

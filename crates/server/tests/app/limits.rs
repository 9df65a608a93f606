//! Limits and hostile input across every format, in process: compression
//! bombs stopped by size limits, and malformed JSON, XML and YAML answered
//! in each client's own error format, never with a 500. (Oversized headers
//! and bodies, stalled uploads and paths sent byte for byte need a socket:
//! `tests/limits.rs`.)

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::artifacts::{
    crate_body, gem_of, gz, nupkg_of, nuspec, tar_of, twine_form, zip_of,
};
use crate::test_app::{TestApp, TestRequest};

const LIMIT: usize = 1024 * 1024;

/// The binary's flags of the limits tests: 1 MiB uploads and layers, and
/// uploads that fail after 700 ms without a byte.
async fn setup() -> (TestApp, String) {
    let app = TestApp::with_args(&[
        "--max-upload-size",
        "1MiB",
        "--max-layer-size",
        "1MiB",
        "--upload-idle-timeout",
        "700ms",
    ])
    .await;
    app.user("alice").await;
    app.repo("alice/java").await;
    let alice = app
        .token("alice", "read:packages,write:packages,repo")
        .await;
    (app, alice)
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
fn with_auth(format: &str, r: TestRequest, t: &str) -> TestRequest {
    match format {
        "npm" | "oci" | "rest" => r.bearer(t),
        "maven" => r.basic("alice", t),
        "rubygems" | "cargo" => r.header("authorization", t),
        "nuget" => r.header("x-nuget-apikey", t),
        _ => r.basic("__token__", t),
    }
}

/// Deflates `size` zero bytes: a few kilobytes that unpack to `size`.
fn zeros(size: usize) -> Vec<u8> {
    vec![0u8; size]
}

#[tokio::test(flavor = "multi_thread")]
async fn compression_bombs_are_stopped_by_size_limits() {
    let (app, alice) = setup().await;
    let bomb = zeros(256 * 1024 * 1024);
    let before = stored(app.dir());
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
    let cases: Vec<(&str, TestRequest)> = vec![
        ("nuget", app.put("/nuget/alice/api/v2/package/").body(nupkg)),
        (
            "rubygems",
            app.post("/rubygems/alice/api/v1/gems").body(gem),
        ),
        (
            "pypi",
            app.post("/pypi/alice/")
                .header("content-type", wheel_type)
                .body(wheel_form),
        ),
    ];
    for (format, request) in cases {
        let started = Instant::now();
        let r = with_auth(format, request, &alice).send().await;
        let status = r.status().as_u16();
        let body = r.text();
        assert!((400..500).contains(&status), "{format}: {status} {body}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{format} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(stored(app.dir()), before, "refused bombs left files");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_documents_get_the_clients_error_format_never_a_500() {
    let (app, alice) = setup().await;
    let cases: Vec<(&str, TestRequest, &str)> = vec![
        ("npm", app.put("/npm/@alice%2fx").header("content-type", "application/json").body("{\"name\": "), "\"error\""),
        ("npm", app.put("/npm/@alice%2fx").json(&json!({"name": "@alice/x", "versions": 5})), "\"error\""),
        ("maven", app.put("/maven/alice/java/com/example/x/1.0.0/x-1.0.0.pom").body("<project><groupId>com.example</groupId"), ""),
        ("maven", app.put("/maven/alice/java/com/example/x/1.0.0/x-1.0.0.pom").body("<!DOCTYPE x [<!ENTITY a \"b\">]><project>&a;</project>"), ""),
        ("maven", app.put("/maven/alice/java/com/example/x/maven-metadata.xml").body("<metadata><versioning>"), ""),
        ("rubygems", app.post("/rubygems/alice/api/v1/gems").body(gem_of("--- !ruby/object:Gem::Specification\nname: [unclosed\n", false)), ""),
        ("rubygems", app.post("/rubygems/alice/api/v1/gems").body(gem_of("--- !ruby/object:Kernel\nname: x\n", false)), ""),
        ("rubygems", app.post("/rubygems/alice/api/v1/gems").body(gem_of("a: &a [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n", false)), ""),
        ("nuget", app.put("/nuget/alice/api/v2/package/").body(nupkg_of("X", "1.0.0", "<dependencies><group").clone()), ""),
        ("nuget", app.put("/nuget/alice/api/v2/package/").body(zip_of(&[("x.nuspec", b"<package><metadata><id>X</id></package>")])), ""),
        ("pypi", app.post("/pypi/alice/").header("content-type", "multipart/form-data; boundary=x").body("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb"), ""),
        ("cargo", app.put("/cargo/alice/api/v1/crates/new").body(vec![200, 0, 0, 0, b'{']), "\"errors\""),
        ("cargo", app.put("/cargo/alice/api/v1/crates/new").body(crate_body(&json!({"name": 5}), b"")), "\"errors\""),
        ("oci", app.put("/v2/alice/x/manifests/v1").header("content-type", "application/vnd.oci.image.manifest.v1+json").body("{\"schemaVersion\": 2, \"layers\": 7}"), "MANIFEST_INVALID"),
        ("oci", app.put("/v2/alice/x/manifests/v1").header("content-type", "application/vnd.oci.image.index.v1+json").body("[]"), "MANIFEST_INVALID"),
        ("rest", app.patch("/api/v3/user/packages/npm/x").header("content-type", "application/json").body("{"), "\"message\""),
        ("rest", app.post("/api/v3/user/packages/npm/x/security-advisories").header("content-type", "application/json").body("[1,2"), "\"message\""),
    ];
    for (format, request, marker) in cases {
        let r = with_auth(format, request, &alice).send().await;
        let status = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = r.text();
        assert!((400..500).contains(&status), "{format}: {status} {body}");
        // npm, cargo, OCI and the REST API read JSON; gem, Maven, NuGet and
        // pip print a line of text.
        let expected_type = match format {
            "npm" | "cargo" | "oci" | "rest" => "application/json",
            _ => "text/plain",
        };
        assert!(
            content_type.starts_with(expected_type),
            "{format}: {content_type}, not {expected_type}: {body}"
        );
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

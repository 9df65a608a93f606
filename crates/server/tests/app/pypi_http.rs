//! The PyPI endpoints by hand, with the form twine sends: digests checked,
//! file names tied to their project and version, refused uploads leaving
//! nothing, PEP 691 content negotiation and PEP 503 redirects, PEP 658 core
//! metadata, PEP 592 yanks, download counts and the 401 challenge.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::common::artifacts::{twine_form as form, wheel_of};
use crate::common::files_named;
use crate::test_app::{TestApp, TestResponse, with_alice};

const METADATA: &[u8] =
    b"Metadata-Version: 2.1\nName: Tiny_Pkg\nVersion: 1.0.0\nRequires-Python: >=3.8\n";

fn wheel() -> Vec<u8> {
    wheel_of("Tiny_Pkg", "1.0.0")
}

struct Upload<'a> {
    version: &'a str,
    filename: &'a str,
    filetype: &'a str,
    file: Vec<u8>,
    sha256: Option<String>,
    blake2: Option<String>,
}

impl Upload<'_> {
    fn wheel(version: &str) -> Upload<'static> {
        let file = wheel();
        let filename = Box::leak(format!("Tiny_Pkg-{version}-py3-none-any.whl").into_boxed_str());
        let version = Box::leak(version.to_owned().into_boxed_str());
        Upload {
            version,
            filename,
            filetype: "bdist_wheel",
            sha256: Some(hex::encode(Sha256::digest(&file))),
            blake2: Some(hex::encode(
                blake2::Blake2b::<blake2::digest::consts::U32>::digest(&file),
            )),
            file,
        }
    }

    async fn send(&self, app: &TestApp, token: Option<&str>) -> (u16, String) {
        let mut fields = vec![
            (":action", "file_upload"),
            ("protocol_version", "1"),
            ("name", "Tiny_Pkg"),
            ("version", self.version),
            ("filetype", self.filetype),
            ("pyversion", "py3"),
            ("metadata_version", "2.1"),
            ("summary", "Says hi"),
            ("description", "# Tiny pkg readme"),
            ("description_content_type", "text/markdown"),
            ("requires_python", ">=3.8"),
        ];
        if let Some(s) = &self.sha256 {
            fields.push(("sha256_digest", s));
        }
        if let Some(b) = &self.blake2 {
            fields.push(("blake2_256_digest", b));
        }
        let (content_type, body) = form(&fields, self.filename, &self.file);
        let mut request = app
            .post("/pypi/alice/")
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = token {
            request = request.basic("__token__", t);
        }
        let r = request.send().await;
        (r.status().as_u16(), r.text())
    }
}

async fn get(app: &TestApp, token: Option<&str>, path: &str, accept: Option<&str>) -> TestResponse {
    // Redirects are not followed: the tests look at them.
    let mut r = app.get(path);
    if let Some(t) = token {
        r = r.basic("alice", t);
    }
    if let Some(a) = accept {
        r = r.header("accept", a);
    }
    r.send().await
}
const PIP_ACCEPT: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

#[tokio::test(flavor = "multi_thread")]
async fn the_simple_index_negotiates_json_and_html_and_lists_hashes_and_metadata() {
    let (app, t) = with_alice().await;
    let upload = Upload::wheel("1.0.0");
    assert_eq!(upload.send(&app, Some(&t)).await, (200, "OK\n".into()));

    let r = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some(PIP_ACCEPT),
    )
    .await;
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.pypi.simple.v1+json"
    );
    assert!(r.headers()["vary"].to_str().unwrap().contains("Accept"));
    let doc: Value = r.json();
    assert_eq!(doc["meta"]["api-version"], "1.1");
    assert_eq!(doc["name"], "tiny-pkg");
    let file = &doc["files"][0];
    assert_eq!(file["filename"], "Tiny_Pkg-1.0.0-py3-none-any.whl");
    assert_eq!(file["hashes"]["sha256"], upload.sha256.clone().unwrap());
    assert_eq!(file["requires-python"], ">=3.8");
    assert_eq!(file["yanked"], false);
    let metadata_sha = hex::encode(Sha256::digest(METADATA));
    assert_eq!(file["core-metadata"]["sha256"], metadata_sha);
    assert_eq!(file["dist-info-metadata"]["sha256"], metadata_sha);
    // PEP 658: the metadata file sits beside the wheel.
    let url = file["url"].as_str().unwrap();
    let metadata = app
        .get(&format!("{url}.metadata"))
        .basic("alice", &t)
        .send()
        .await;
    assert_eq!(metadata.bytes().as_ref(), METADATA);

    let html = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some("text/html"),
    )
    .await;
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let html = html.text();
    assert!(
        html.contains(&format!("#sha256={}", upload.sha256.unwrap())),
        "{html}"
    );
    assert!(html.contains("data-requires-python=\"&gt;=3.8\""), "{html}");
    assert!(
        html.contains(&format!("data-core-metadata=\"sha256={metadata_sha}\"")),
        "{html}"
    );
    let versioned = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/?format=application/vnd.pypi.simple.v1%2Bhtml",
        None,
    )
    .await;
    assert_eq!(
        versioned.headers()["content-type"],
        "application/vnd.pypi.simple.v1+html"
    );
    let refused = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some("application/pdf"),
    )
    .await;
    assert_eq!(refused.status(), 406);

    // PEP 503: other spellings redirect to the normalised name.
    let r = get(&app, Some(&t), "/pypi/alice/simple/Tiny_Pkg/", None).await;
    assert_eq!(r.status(), 301);
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("/pypi/alice/simple/tiny-pkg/")
    );
    let root: Value = get(&app, Some(&t), "/pypi/alice/simple/", Some(PIP_ACCEPT))
        .await
        .json();
    assert_eq!(
        root["projects"],
        serde_json::json!([{ "name": "tiny-pkg" }])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_uploads_are_refused_with_a_reason_and_leave_nothing() {
    let (app, t) = with_alice().await;
    let mut cases = Vec::new();
    let mut wrong_sha = Upload::wheel("1.0.0");
    wrong_sha.sha256 = Some(hex::encode(Sha256::digest(b"other")));
    cases.push((wrong_sha, "sha256_digest"));
    let mut wrong_blake = Upload::wheel("1.0.0");
    wrong_blake.blake2 = Some("00".repeat(32));
    cases.push((wrong_blake, "blake2_256_digest"));
    let mut other_version = Upload::wheel("1.0.0");
    other_version.filename = "Tiny_Pkg-2.0.0-py3-none-any.whl";
    cases.push((other_version, "does not belong"));
    let mut bad_version = Upload::wheel("1.0.0");
    bad_version.version = "one";
    cases.push((bad_version, "PEP 440"));
    let mut not_a_wheel = Upload::wheel("1.0.0");
    not_a_wheel.file = b"not a zip".to_vec();
    not_a_wheel.sha256 = None;
    not_a_wheel.blake2 = None;
    cases.push((not_a_wheel, "not a valid zip"));
    for (upload, reason) in cases {
        let sha = hex::encode(Sha256::digest(&upload.file));
        let (status, text) = upload.send(&app, Some(&t)).await;
        assert_eq!(status, 400, "{reason}: {text}");
        assert!(text.contains(reason), "{reason}: {text}");
        if reason != "PEP 440" && reason != "does not belong" {
            assert_eq!(files_named(app.dir(), &sha), 0, "{reason}: a blob was left");
        }
    }
    let listed: Value = app
        .get("/api/v3/user/packages?package_type=pypi")
        .bearer(&t)
        .header("user-agent", "test")
        .send()
        .await
        .json();
    assert_eq!(listed, serde_json::json!([]));

    // A file name is never reused, and others cannot upload here.
    assert_eq!(Upload::wheel("1.0.0").send(&app, Some(&t)).await.0, 200);
    let (status, text) = Upload::wheel("1.0.0").send(&app, Some(&t)).await;
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("File already exists"), "{text}");
    let bob = app.token("bob", "read:packages,write:packages").await;
    let (status, _) = Upload::wheel("1.1.0").send(&app, Some(&bob)).await;
    assert!(status == 403 || status == 404, "{status}");
    assert_eq!(Upload::wheel("1.1.0").send(&app, None).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn yanks_carry_a_reason_shown_in_the_index_and_on_the_page() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(Upload::wheel(v).send(&app, Some(&t)).await.0, 200);
    }
    let yank = async |token: &str, action: &str| {
        app.post(&format!("/pypi/alice/tiny-pkg/1.1.0/{action}"))
            .basic("alice", token)
            .form(&[("reason", "broken on Windows")])
            .send()
            .await
            .status()
            .as_u16()
    };
    let writer = app.token("alice", "read:packages,write:packages").await;
    assert_eq!(yank(&writer, "yank").await, 403);
    assert_eq!(yank(&t, "yank").await, 200);
    let doc: Value = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some(PIP_ACCEPT),
    )
    .await
    .json();
    let yanked: Vec<(&str, &Value)> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["filename"].as_str().unwrap(), &f["yanked"]))
        .collect();
    assert_eq!(yanked[0].1, &Value::Bool(false));
    assert_eq!(yanked[1].1, "broken on Windows");
    let html = get(&app, Some(&t), "/pypi/alice/simple/tiny-pkg/", None)
        .await
        .text();
    assert!(html.contains("data-yanked=\"broken on Windows\""), "{html}");
    let page = app
        .get("/users/alice/packages/pypi/package/tiny-pkg?version=1.1.0")
        .bearer(&t)
        .send()
        .await
        .text();
    assert!(
        page.contains("This version is yanked: broken on Windows"),
        "{page}"
    );
    assert!(
        page.contains("<span class=\"badge warn\">yanked</span>"),
        "{page}"
    );
    assert_eq!(yank(&t, "unyank").await, 200);
    let doc: Value = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some(PIP_ACCEPT),
    )
    .await
    .json();
    assert_eq!(doc["files"][1]["yanked"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_of_files_are_counted_and_shown_on_the_page() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(Upload::wheel(v).send(&app, Some(&t)).await.0, 200);
    }
    let doc: Value = get(
        &app,
        Some(&t),
        "/pypi/alice/simple/tiny-pkg/",
        Some(PIP_ACCEPT),
    )
    .await
    .json();
    // Downloads: the wheel counts, its metadata file does not.
    let url = doc["files"][1]["url"].as_str().unwrap().to_owned();
    for suffix in ["", ".metadata", ""] {
        let r = app
            .get(&format!("{url}{suffix}"))
            .basic("alice", &t)
            .send()
            .await;
        assert_eq!(r.status(), 200);
    }
    let versions: Value = app
        .get("/api/v3/user/packages/pypi/tiny-pkg/versions")
        .bearer(&t)
        .header("user-agent", "test")
        .send()
        .await
        .json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    let page = app
        .get("/users/alice/packages/pypi/package/tiny-pkg")
        .bearer(&t)
        .send()
        .await
        .text();
    assert!(
        page.contains("Tiny pkg readme"),
        "the description is the README"
    );
    assert!(page.contains("pip install"), "{page}");
    assert!(
        page.contains("<dt>Total</dt><dd>2</dd>"),
        "two wheel downloads: {page}"
    );

    // Anonymous callers are challenged, as pip expects.
    let r = get(&app, None, "/pypi/alice/simple/tiny-pkg/", None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Entrepot PyPI\""
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_projects_page_is_kept_with_its_tag_and_compressed_once_when_asked() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0", "1.2.0", "1.3.0"] {
        assert_eq!(Upload::wheel(v).send(&app, Some(&t)).await.0, 200);
    }
    let path = "/pypi/alice/simple/tiny-pkg/";
    let ask = async |headers: &[(&str, &str)]| {
        let mut r = app
            .get(path)
            .basic("alice", &t)
            .header("accept", PIP_ACCEPT);
        for (k, v) in headers {
            r = r.header(k, v);
        }
        r.send().await
    };
    let plain = ask(&[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.bytes().len() > 1024, "worth compressing");
    let etag = plain.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(ask(&[("if-none-match", &etag)]).await.status(), 304);

    let zipped = ask(&[("accept-encoding", "gzip, deflate")]).await;
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    let vary = zipped.headers()["vary"].to_str().unwrap().to_owned();
    assert!(
        vary.contains("Accept,") && vary.contains("Accept-Encoding"),
        "{vary}"
    );
    let zipped_tag = format!("{}-gzip\"", etag.trim_end_matches('"'));
    assert_eq!(zipped.headers()["etag"], zipped_tag.as_str());
    let unzipped = crate::common::gunzip(&zipped.bytes());
    assert_eq!(unzipped, plain.bytes(), "the same page");
    let current = ask(&[("accept-encoding", "gzip"), ("if-none-match", &zipped_tag)]).await;
    assert_eq!(current.status(), 304);

    // HTML is kept apart from JSON, and a new upload makes a new page.
    let html = app.get(path).basic("alice", &t).send().await;
    assert_ne!(html.headers()["etag"], etag.as_str());
    assert!(html.text().contains("Tiny_Pkg-1.3.0-py3-none-any.whl"));
    assert_eq!(Upload::wheel("1.4.0").send(&app, Some(&t)).await.0, 200);
    let changed = ask(&[("if-none-match", &etag)]).await;
    assert_eq!(changed.status(), 200);
    assert!(changed.text().contains("Tiny_Pkg-1.4.0-py3-none-any.whl"));
}

//! READMEs and descriptions over HTTP: whichever format and field carries
//! them, what a package keeps and shows is cut to the limits every format
//! shares (never refused), and a hostile README renders within bounds.

use base64::Engine;
use entrepot_core::limits::{MAX_DESCRIPTION_BYTES, MAX_README_BYTES};
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::{crate_body, crate_metadata, nuspec, tar_gz, zip_of};
use crate::test_app::TestApp;

async fn setup() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    let t = app.token("alice", "read:packages,write:packages").await;
    (app, t)
}

/// npm's publish document for `@alice/NAME` 1.0.0 whose tarball has no
/// README, so that the version's `readme` is the package's.
fn npm_doc(name: &str, readme: &str, description: &str) -> Value {
    npm_doc_with(name, readme, description, &[])
}

/// [`npm_doc`] with `files` beside `package.json` in the tarball.
fn npm_doc_with(name: &str, readme: &str, description: &str, files: &[(&str, &[u8])]) -> Value {
    let full = format!("@alice/{name}");
    let manifest = json!({"name": full, "version": "1.0.0"}).to_string();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("package/package.json", manifest.as_bytes()),
        ("package/index.js", b"module.exports = 1;\n"),
    ];
    entries.extend_from_slice(files);
    let tgz = tar_gz(&entries);
    let b64 = base64::engine::general_purpose::STANDARD;
    let integrity = format!("sha512-{}", b64.encode(sha2::Sha512::digest(&tgz)));
    json!({
        "_id": full, "name": full, "description": description, "readme": readme,
        "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": full, "version": "1.0.0",
            "description": description, "readme": readme, "readmeFilename": "README.md",
            "dist": {"integrity": integrity}}},
        "_attachments": {format!("{full}-1.0.0.tgz"): {"content_type": "application/octet-stream",
            "data": b64.encode(&tgz), "length": tgz.len()}},
    })
}

async fn npm_publish(app: &TestApp, t: &str, name: &str, doc: &Value) {
    let status = app
        .put(&format!("/npm/@alice%2f{name}"))
        .bearer(t)
        .json(doc)
        .send()
        .await
        .status();
    assert_eq!(status, 201, "a long README is cut, not refused");
}

async fn page(app: &TestApp, t: &str, package_type: &str, name: &str) -> String {
    let response = app
        .get(&format!(
            "/users/alice/packages/{package_type}/package/{name}"
        ))
        .bearer(t)
        .send()
        .await;
    assert_eq!(response.status(), 200);
    response.text()
}

/// A page may add to its README and description no more than this.
const PAGE_AROUND: usize = 256 * 1024;

#[tokio::test(flavor = "multi_thread")]
async fn an_npm_readme_and_description_past_the_limits_are_cut_in_packuments_and_pages() {
    let (app, t) = setup().await;
    let readme = format!("# Big\n\n{}", "a".repeat(5 * 1024 * 1024));
    let description = "d".repeat(1024 * 1024);
    npm_publish(&app, &t, "big", &npm_doc("big", &readme, &description)).await;

    let packument: Value = app.get("/npm/@alice%2fbig").bearer(&t).send().await.json();
    let kept = packument["readme"].as_str().unwrap();
    assert_eq!(
        kept.len(),
        MAX_README_BYTES,
        "the README is cut to the limit"
    );
    assert!(readme.starts_with(kept));
    for d in [
        &packument["description"],
        &packument["versions"]["1.0.0"]["description"],
    ] {
        let d = d.as_str().unwrap();
        assert_eq!(d.len(), MAX_DESCRIPTION_BYTES, "{packument:.200}");
    }
    assert!(
        packument["versions"]["1.0.0"].get("readme").is_none(),
        "no version keeps a copy"
    );

    let html = page(&app, &t, "npm", "big").await;
    assert!(
        html.contains(">Big</h2>"),
        "the README's heading, one level down"
    );
    assert!(
        html.len() < MAX_README_BYTES + MAX_DESCRIPTION_BYTES + PAGE_AROUND,
        "{} bytes",
        html.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readmes_images_come_from_the_package_where_no_repository_is_known() {
    let (app, t) = setup().await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\nnot really";
    let page_html: &[u8] = b"<script>alert(1)</script>";
    let doc = npm_doc_with(
        "pictured",
        "# Pictured\n\n![logo](img/logo.png) [guide](docs/guide.md)\n",
        "with a picture",
        &[
            ("package/img/logo.png", png),
            ("package/docs/guide.md", b"# Guide\n"),
            ("package/page.html", page_html),
        ],
    );
    npm_publish(&app, &t, "pictured", &doc).await;

    let html = page(&app, &t, "npm", "pictured").await;
    let base = "/users/alice/packages/npm/package/pictured/-/files/1.0.0/";
    assert!(
        html.contains(&format!("src=\"{base}img/logo.png\"")),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{base}docs/guide.md\"")));

    let image = app
        .get(&format!("{base}img/logo.png"))
        .bearer(&t)
        .send()
        .await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.header("content-type"), "image/png");
    assert_eq!(&image.bytes()[..], png);
    assert!(image.header("content-security-policy").contains("sandbox"));
    let guide = app
        .get(&format!("{base}docs/guide.md"))
        .bearer(&t)
        .send()
        .await;
    assert_eq!(guide.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(guide.text(), "# Guide\n");

    // A page inside the package downloads; it never runs on this origin.
    let inside = app.get(&format!("{base}page.html")).bearer(&t).send().await;
    assert_eq!(inside.header("content-type"), "application/octet-stream");
    assert_eq!(inside.header("content-disposition"), "attachment");

    for missing in [
        format!("{base}img/missing.png"),
        format!("{base}../package.json"),
        "/users/alice/packages/npm/package/pictured/-/files/9.9.9/img/logo.png".to_owned(),
    ] {
        let response = app.get(&missing).bearer(&t).send().await;
        assert_eq!(response.status(), 404, "{missing}");
    }
    // The package is private: nobody else sees its files.
    let anonymous = app.get(&format!("{base}img/logo.png")).send().await;
    assert_eq!(anonymous.status(), 404);
    assert_ne!(&anonymous.bytes()[..], png);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_readme_renders_within_bounds() {
    let (app, t) = setup().await;
    // 60 kB of nested quotes, and 40 000 nested `<div>`s: seconds each to
    // render before, and pages tens of thousands of elements deep.
    let quotes = "> ".repeat(30_000) + "deep quote\n";
    npm_publish(&app, &t, "quotes", &npm_doc("quotes", &quotes, "q")).await;
    let divs = "<div>".repeat(40_000) + "\n\ndeep div\n";
    npm_publish(&app, &t, "divs", &npm_doc("divs", &divs, "d")).await;

    let html = page(&app, &t, "npm", "quotes").await;
    assert!(html.contains("deep quote"));
    let quotes_shown = html.matches("<blockquote>").count();
    assert!((1..=32).contains(&quotes_shown), "{quotes_shown} quotes");
    let html = page(&app, &t, "npm", "divs").await;
    assert!(html.contains("deep div"));
    assert!(html.matches("<div").count() < 100);
    assert!(html.len() < PAGE_AROUND, "{} bytes", html.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn cargo_and_nuget_readmes_past_the_limit_are_cut_not_refused() {
    let (app, t) = setup().await;

    // Cargo: the README and description of the publish JSON, for a crate
    // without a README file.
    let mut metadata = crate_metadata("big", "1.0.0");
    metadata["readme"] = json!(format!("# Big crate\n\n{}", "r".repeat(3 * 1024 * 1024)));
    metadata["readme_file"] = Value::Null;
    metadata["description"] = json!("c".repeat(256 * 1024));
    let manifest = "[package]\nname = \"big\"\nversion = \"1.0.0\"\nedition = \"2021\"\n";
    let krate = tar_gz(&[
        ("big-1.0.0/Cargo.toml", manifest.as_bytes()),
        ("big-1.0.0/src/lib.rs", b"pub fn hi() {}\n"),
    ]);
    let response = app
        .put("/cargo/alice/api/v1/crates/new")
        .header("authorization", &t)
        .body(crate_body(&metadata, &krate))
        .send()
        .await;
    assert_eq!(response.status(), 200, "{}", response.text());
    let found: Value = app
        .get("/cargo/alice/api/v1/crates?q=big")
        .header("authorization", &t)
        .send()
        .await
        .json();
    let description = found["crates"][0]["description"].as_str().unwrap();
    assert_eq!(description.len(), MAX_DESCRIPTION_BYTES);
    let html = page(&app, &t, "cargo", "big").await;
    assert!(html.contains(">Big crate</h2>"));
    assert!(html.len() < MAX_README_BYTES + MAX_DESCRIPTION_BYTES + PAGE_AROUND);

    // NuGet: a README file of 2 MiB in the package.
    let spec = nuspec("Big.Readme", "1.0.0", "<readme>README.md</readme>");
    let readme = format!("# Big package\n\n{}", "n".repeat(2 * 1024 * 1024));
    let nupkg = zip_of(&[
        ("Big.Readme.nuspec", spec.as_bytes()),
        ("README.md", readme.as_bytes()),
        ("lib/netstandard2.0/x.dll", b"MZ"),
    ]);
    let response = app
        .put("/nuget/alice/api/v2/package/")
        .header("x-nuget-apikey", &t)
        .body(nupkg)
        .send()
        .await;
    assert_eq!(response.status(), 201, "{}", response.text());
    let kept = app
        .get("/nuget/alice/v3/readme/big.readme/1.0.0")
        .basic("alice", &t)
        .send()
        .await
        .text();
    assert_eq!(kept.len(), MAX_README_BYTES);
    assert!(readme.starts_with(&kept));
    let html = page(&app, &t, "nuget", "big.readme").await;
    assert!(html.contains(">Big package</h2>"));
    assert!(html.len() < MAX_README_BYTES + MAX_DESCRIPTION_BYTES + PAGE_AROUND);
}

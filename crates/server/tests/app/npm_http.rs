//! The npm endpoints at the HTTP level: what clients rely on beyond what the
//! CLI tests show (caching headers, abbreviated documents, repository links,
//! tag removal, whole-package unpublish).

use serde_json::{Value, json};

use crate::common::publish_doc;
use crate::test_app::{TestApp, TestResponse};

async fn put(app: &TestApp, token: &str, name: &str, doc: &Value) -> TestResponse {
    let path = name.replace('/', "%2f");
    app.put(&format!("/npm/{path}"))
        .bearer(token)
        .json(doc)
        .send()
        .await
}

/// An application where alice has a token with `write:packages`.
async fn alice() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    let t = app.token("alice", "write:packages").await;
    (app, t)
}

#[tokio::test(flavor = "multi_thread")]
async fn packuments_carry_etag_last_modified_and_answer_304() {
    let (app, t) = alice().await;
    let doc = publish_doc("@alice/hello", "1.0.0", "");
    assert_eq!(put(&app, &t, "@alice/hello", &doc).await.status(), 201);
    let url = "/npm/@alice%2fhello";
    let first = app.get(url).bearer(&t).send().await;
    assert_eq!(first.status(), 200);
    let etag = first.header("etag").to_owned();
    assert!(first.headers().contains_key("last-modified"));
    let again = app
        .get(url)
        .bearer(&t)
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(again.status(), 304);

    // A new version changes the document and its tag.
    let doc = publish_doc("@alice/hello", "1.1.0", "");
    assert_eq!(put(&app, &t, "@alice/hello", &doc).await.status(), 201);
    let changed = app
        .get(url)
        .bearer(&t)
        .header("If-None-Match", &etag)
        .send()
        .await;
    assert_eq!(changed.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_abbreviated_document_keeps_only_what_installers_need() {
    let (app, t) = alice().await;
    let doc = publish_doc("@alice/hello", "1.0.0", "");
    put(&app, &t, "@alice/hello", &doc).await;
    let response = app
        .get("/npm/@alice%2fhello")
        .bearer(&t)
        .header(
            "Accept",
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
        )
        .send()
        .await;
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.npm.install-v1+json"
    );
    let doc: Value = response.json();
    let v = &doc["versions"]["1.0.0"];
    assert_eq!(v["dependencies"]["left-pad"], "^1.0.0");
    assert!(
        v.get("scripts").is_none(),
        "scripts are not in the abbreviated form"
    );
    assert_eq!(
        v["dist"]["tarball"],
        app.url("/npm/@alice/hello/-/hello-1.0.0.tgz"),
        "tarball URLs are built from the base URL"
    );
    assert!(doc["modified"].is_string());
    assert!(doc.get("readme").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repository_field_naming_the_owners_repository_connects_the_package() {
    let (app, t) = alice().await;
    app.repo("alice/hello").await;
    let doc = publish_doc("@alice/linked", "1.0.0", &app.url("/alice/hello"));
    assert_eq!(put(&app, &t, "@alice/linked", &doc).await.status(), 201);
    let doc = publish_doc(
        "@alice/unlinked",
        "1.0.0",
        "https://github.com/someone-else/hello.git",
    );
    assert_eq!(put(&app, &t, "@alice/unlinked", &doc).await.status(), 201);

    let store = app.store().await;
    let alice = store.account_by_login("alice").await.unwrap().unwrap();
    let repo = store.repository(alice.id, "hello").await.unwrap().unwrap();
    let linked = store
        .package(alice.id, entrepot_core::PackageType::Npm, "linked", false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.repository_id, Some(repo.id));
    assert_eq!(linked.readme.as_deref(), Some("# @alice/linked 1.0.0"));
    let unlinked = store
        .package(alice.id, entrepot_core::PackageType::Npm, "unlinked", false)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unlinked.repository_id, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn dist_tags_can_be_removed_but_not_latest() {
    let (app, t) = alice().await;
    let doc = publish_doc("@alice/hello", "1.0.0", "");
    put(&app, &t, "@alice/hello", &doc).await;
    let tag_url = "/npm/-/package/@alice%2fhello/dist-tags/beta";
    let tagged = app.put(tag_url).bearer(&t).json(&json!("1.0.0")).send();
    assert_eq!(tagged.await.status(), 201);
    let unknown = app.put(tag_url).bearer(&t).json(&json!("9.9.9")).send();
    assert_eq!(unknown.await.status(), 404);
    let tags: Value = app
        .get("/npm/-/package/@alice%2fhello/dist-tags")
        .bearer(&t)
        .send()
        .await
        .json();
    assert_eq!(tags, json!({"latest": "1.0.0", "beta": "1.0.0"}));
    assert_eq!(app.delete(tag_url).bearer(&t).send().await.status(), 200);
    let latest = "/npm/-/package/@alice%2fhello/dist-tags/latest";
    assert_eq!(app.delete(latest).bearer(&t).send().await.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn unpublishing_the_whole_package_hides_it_and_frees_a_private_name() {
    let app = TestApp::new().await;
    app.user("alice").await;
    let t = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let doc = publish_doc("@alice/hello", "1.0.0", "");
    put(&app, &t, "@alice/hello", &doc).await;
    let gone = app
        .delete("/npm/@alice%2fhello/-rev/1-0")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(gone.status(), 200);
    let packument = app.get("/npm/@alice%2fhello").bearer(&t).send().await;
    assert_eq!(packument.status(), 404);
    let tarball = app.get("/npm/@alice/hello/-/hello-1.0.0.tgz").bearer(&t);
    assert_eq!(tarball.send().await.status(), 404);
    // A private package's name (and version) is free again once it is all deleted.
    assert_eq!(put(&app, &t, "@alice/hello", &doc).await.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn tarballs_are_served_with_ranges_and_counted() {
    let (app, t) = alice().await;
    let doc = publish_doc("@alice/hello", "1.0.0", "");
    put(&app, &t, "@alice/hello", &doc).await;
    let url = "/npm/@alice/hello/-/hello-1.0.0.tgz";
    let whole = app.get(url).bearer(&t).send().await;
    assert_eq!(whole.status(), 200);
    let bytes = whole.bytes();
    let part = app
        .get(url)
        .bearer(&t)
        .header("Range", "bytes=0-9")
        .send()
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-9/{}", bytes.len())
    );
    assert_eq!(&part.bytes()[..], &bytes[..10]);
    let beyond = app
        .get(url)
        .bearer(&t)
        .header("Range", "bytes=999999-")
        .send()
        .await;
    assert_eq!(beyond.status(), 416);
    let missing = app.get("/npm/@alice/hello/-/hello-9.9.9.tgz").bearer(&t);
    assert_eq!(missing.send().await.status(), 404);
    let metrics = app.metrics().await;
    assert!(
        metrics.lines().any(|l| l == "entrepot_downloads_total 1"),
        "one whole download counted, partial ones not: {metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_publishes_of_one_version_yield_exactly_one_success() {
    let (app, t) = alice().await;
    let doc = publish_doc("@alice/race", "1.0.0", "");
    let publishes: Vec<_> = (0..20)
        .map(|_| {
            let publish = app.put("/npm/@alice%2frace").bearer(&t).json(&doc).send();
            tokio::spawn(async move { publish.await.status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for publish in publishes {
        statuses.push(publish.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn packuments_and_pages_are_compressed_when_asked_and_tarballs_never() {
    let (app, t) = alice().await;
    let readme = format!("# Hello\n\n{}", "Some words to say. ".repeat(200));
    let doc = crate::common::publish_doc_with_readme("@alice/hello", "1.0.0", "", &readme);
    assert_eq!(put(&app, &t, "@alice/hello", &doc).await.status(), 201);
    let url = "/npm/@alice%2fhello";
    let plain = app.get(url).bearer(&t).send().await;
    assert!(!plain.headers().contains_key("content-encoding"));
    let zipped = app
        .get(url)
        .bearer(&t)
        .header("Accept-Encoding", "gzip, deflate")
        .send()
        .await;
    assert_eq!(zipped.header("content-encoding"), "gzip");
    assert!(zipped.header("vary").contains("Accept-Encoding"));
    assert!(zipped.bytes().len() < plain.bytes().len() / 2);
    let unzipped = crate::common::gunzip(&zipped.bytes());
    assert_eq!(unzipped, plain.bytes(), "the same document");
    assert_ne!(
        zipped.header("etag"),
        plain.header("etag"),
        "each form its tag"
    );
    let revalidated = app
        .get(url)
        .bearer(&t)
        .header("Accept-Encoding", "gzip")
        .header("If-None-Match", zipped.header("etag"))
        .send()
        .await;
    assert_eq!(revalidated.status(), 304);
    let brotli = app
        .get(url)
        .bearer(&t)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await;
    assert_eq!(brotli.header("content-encoding"), "br");

    let page = app
        .get("/users/alice/packages/npm/package/hello")
        .bearer(&t)
        .header("Accept-Encoding", "gzip")
        .send()
        .await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.header("content-encoding"), "gzip", "pages too");
    let tarball = app
        .get("/npm/@alice/hello/-/hello-1.0.0.tgz")
        .bearer(&t)
        .header("Accept-Encoding", "gzip, br")
        .send()
        .await;
    assert_eq!(tarball.status(), 200);
    assert!(
        !tarball.headers().contains_key("content-encoding"),
        "a tarball is compressed already"
    );
}

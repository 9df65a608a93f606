//! The npm endpoints at the HTTP level: what clients rely on beyond what the
//! CLI tests show (caching headers, abbreviated documents, repository links,
//! tag removal, whole-package unpublish).

mod common;

use common::{Server, publish_doc, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};

fn put(server: &Server, token: &str, name: &str, doc: &Value) -> reqwest::blocking::Response {
    let path = name.replace('/', "%2f");
    Client::new()
        .put(server.url(&format!("/npm/{path}")))
        .bearer_auth(token)
        .json(doc)
        .send()
        .unwrap()
}

#[test]
fn packuments_carry_etag_last_modified_and_answer_304() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "write:packages");
    assert_eq!(
        put(
            &server,
            &t,
            "@alice/hello",
            &publish_doc("@alice/hello", "1.0.0", "")
        )
        .status(),
        201
    );
    let client = Client::new();
    let url = server.url("/npm/@alice%2fhello");
    let first = client.get(&url).bearer_auth(&t).send().unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(first.headers().contains_key("last-modified"));
    let again = client
        .get(&url)
        .bearer_auth(&t)
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    // A new version changes the document and its tag.
    assert_eq!(
        put(
            &server,
            &t,
            "@alice/hello",
            &publish_doc("@alice/hello", "1.1.0", "")
        )
        .status(),
        201
    );
    let changed = client
        .get(&url)
        .bearer_auth(&t)
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(changed.status(), 200);
}

#[test]
fn the_abbreviated_document_keeps_only_what_installers_need() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "write:packages");
    put(
        &server,
        &t,
        "@alice/hello",
        &publish_doc("@alice/hello", "1.0.0", ""),
    );
    let response = Client::new()
        .get(server.url("/npm/@alice%2fhello"))
        .bearer_auth(&t)
        .header(
            "Accept",
            "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
        )
        .send()
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.npm.install-v1+json"
    );
    let doc: Value = response.json().unwrap();
    let v = &doc["versions"]["1.0.0"];
    assert_eq!(v["dependencies"]["left-pad"], "^1.0.0");
    assert!(
        v.get("scripts").is_none(),
        "scripts are not in the abbreviated form"
    );
    assert_eq!(
        v["dist"]["tarball"],
        server.url("/npm/@alice/hello/-/hello-1.0.0.tgz"),
        "tarball URLs are built from the base URL"
    );
    assert!(doc["modified"].is_string());
    assert!(doc.get("readme").is_none());
}

#[test]
fn a_repository_field_naming_the_owners_repository_connects_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["repo", "create", "alice/hello"]);
    let t = token(&server, "alice", "write:packages");
    let doc = publish_doc("@alice/linked", "1.0.0", &server.url("/alice/hello"));
    assert_eq!(put(&server, &t, "@alice/linked", &doc).status(), 201);
    let doc = publish_doc(
        "@alice/unlinked",
        "1.0.0",
        "https://github.com/someone-else/hello.git",
    );
    assert_eq!(put(&server, &t, "@alice/unlinked", &doc).status(), 201);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use entrepot_store::{AccountStore, PackageStore, RepositoryStore};
        let store =
            entrepot_store::SqliteStore::open_path(&dir.path().join("entrepot-data/entrepot.db"))
                .await
                .unwrap();
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
    });
}

#[test]
fn dist_tags_can_be_removed_but_not_latest() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "write:packages");
    put(
        &server,
        &t,
        "@alice/hello",
        &publish_doc("@alice/hello", "1.0.0", ""),
    );
    let client = Client::new();
    let tag_url = server.url("/npm/-/package/@alice%2fhello/dist-tags/beta");
    assert_eq!(
        client
            .put(&tag_url)
            .bearer_auth(&t)
            .json(&json!("1.0.0"))
            .send()
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        client
            .put(&tag_url)
            .bearer_auth(&t)
            .json(&json!("9.9.9"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let tags: Value = client
        .get(server.url("/npm/-/package/@alice%2fhello/dist-tags"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(tags, json!({"latest": "1.0.0", "beta": "1.0.0"}));
    assert_eq!(
        client
            .delete(&tag_url)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        200
    );
    let latest = server.url("/npm/-/package/@alice%2fhello/dist-tags/latest");
    assert_eq!(
        client
            .delete(&latest)
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        400
    );
}

#[test]
fn unpublishing_the_whole_package_hides_it_and_frees_a_private_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    put(
        &server,
        &t,
        "@alice/hello",
        &publish_doc("@alice/hello", "1.0.0", ""),
    );
    let client = Client::new();
    let gone = client
        .delete(server.url("/npm/@alice%2fhello/-rev/1-0"))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(gone.status(), 200);
    assert_eq!(
        client
            .get(server.url("/npm/@alice%2fhello"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client
            .get(server.url("/npm/@alice/hello/-/hello-1.0.0.tgz"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    // A private package's name (and version) is free again once it is all deleted.
    assert_eq!(
        put(
            &server,
            &t,
            "@alice/hello",
            &publish_doc("@alice/hello", "1.0.0", "")
        )
        .status(),
        201
    );
}

#[test]
fn tarballs_are_served_with_ranges_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "write:packages");
    put(
        &server,
        &t,
        "@alice/hello",
        &publish_doc("@alice/hello", "1.0.0", ""),
    );
    let client = Client::new();
    let url = server.url("/npm/@alice/hello/-/hello-1.0.0.tgz");
    let whole = client.get(&url).bearer_auth(&t).send().unwrap();
    assert_eq!(whole.status(), 200);
    let bytes = whole.bytes().unwrap();
    let part = client
        .get(&url)
        .bearer_auth(&t)
        .header("Range", "bytes=0-9")
        .send()
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-9/{}", bytes.len())
    );
    assert_eq!(&part.bytes().unwrap()[..], &bytes[..10]);
    let beyond = client
        .get(&url)
        .bearer_auth(&t)
        .header("Range", "bytes=999999-")
        .send()
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        client
            .get(server.url("/npm/@alice/hello/-/hello-9.9.9.tgz"))
            .bearer_auth(&t)
            .send()
            .unwrap()
            .status(),
        404
    );
    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == "entrepot_downloads_total 1"),
        "one whole download counted, partial ones not: {metrics}"
    );
}

#[test]
fn concurrent_publishes_of_one_version_yield_exactly_one_success() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    let t = token(&server, "alice", "write:packages");
    let doc = publish_doc("@alice/race", "1.0.0", "");
    let url = server.url("/npm/@alice%2frace");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|_| {
                s.spawn(|| {
                    Client::new()
                        .put(&url)
                        .bearer_auth(&t)
                        .json(&doc)
                        .send()
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
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

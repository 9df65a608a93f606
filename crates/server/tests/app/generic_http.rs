//! Generic packages request by request: files PUT once and got with their
//! digests and ranges, the digests a client declares checked, who may see
//! and do what, the REST API's listing, delete and restore, and the page.
//! (curl and wget themselves: `tests/binary/generic.rs`.)

use serde_json::{Value, json};
use sha2::Digest;

use crate::test_app::{TestApp, make_public};

const FILE: &str = "/generic/alice/tool/1.0.0/tool-linux-amd64.tar.gz";
const BYTES: &[u8] = b"\x1f\x8b pretend this is a tarball of the tool";

async fn setup() -> (TestApp, String, String) {
    let app = TestApp::new().await;
    app.user("alice").await;
    app.user("bob").await;
    let alice = app
        .token("alice", "read:packages,write:packages,delete:packages")
        .await;
    let bob = app
        .token("bob", "read:packages,write:packages,delete:packages")
        .await;
    (app, alice, bob)
}

async fn put(app: &TestApp, token: &str, path: &str, body: &[u8]) -> (u16, String) {
    let r = app
        .put(path)
        .basic("alice", token)
        .body(body.to_vec())
        .send()
        .await;
    (r.status().as_u16(), r.text())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_is_put_once_and_got_with_its_digests_and_ranges() {
    let (app, alice, _) = setup().await;
    assert_eq!(put(&app, &alice, FILE, BYTES).await.0, 201);
    let sums = "/generic/alice/tool/1.0.0/SHA256SUMS";
    assert_eq!(put(&app, &alice, sums, b"abc  tool\n").await.0, 201);

    let r = app.get(FILE).basic("alice", &alice).send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes()[..], BYTES);
    let sha256 = hex::encode(sha2::Sha256::digest(BYTES));
    assert_eq!(r.header("x-checksum-sha256"), sha256);
    assert_eq!(
        r.header("x-checksum-sha1"),
        hex::encode(sha1::Sha1::digest(BYTES))
    );
    assert_eq!(r.header("x-checksum-md5").len(), 32);
    assert!(r.header("repr-digest").starts_with("sha-256=:"));
    assert_eq!(r.header("content-type"), "application/octet-stream");
    assert_eq!(r.header("etag"), format!("\"{sha256}\""));
    let part = app
        .get(FILE)
        .basic("alice", &alice)
        .header("range", "bytes=4-12")
        .send()
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(&part.bytes()[..], &BYTES[4..=12]);
    let head = app.head(FILE).basic("alice", &alice).send().await;
    assert_eq!(head.status(), 200);
    assert!(head.bytes().is_empty());

    // Immutable: the same name again is refused, whatever its bytes.
    let (status, text) = put(&app, &alice, FILE, b"other bytes").await;
    assert_eq!(status, 409);
    assert!(text.contains("cannot be replaced"), "{text}");
    let again = app.get(FILE).basic("alice", &alice).send().await;
    assert_eq!(&again.bytes()[..], BYTES);

    // A declared digest that does not match keeps nothing.
    let bad = app
        .put("/generic/alice/tool/1.0.0/checked.bin")
        .basic("alice", &alice)
        .header("x-checksum-sha256", &sha256)
        .body(b"not those bytes".to_vec())
        .send()
        .await;
    assert_eq!(bad.status(), 400, "{}", bad.text());
    let blob = |hex: &str| {
        app.data_dir()
            .join("blobs/sha256")
            .join(&hex[..2])
            .join(hex)
    };
    assert!(
        blob(&sha256).exists(),
        "the stored file's blob is where it is looked for"
    );
    let refused = hex::encode(sha2::Sha256::digest(b"not those bytes"));
    assert!(!blob(&refused).exists(), "the refused bytes are not kept");
    let gone = app
        .get("/generic/alice/tool/1.0.0/checked.bin")
        .basic("alice", &alice)
        .send()
        .await;
    assert_eq!(gone.status(), 404);
    let good = app
        .put("/generic/alice/tool/1.0.0/checked.bin")
        .basic("alice", &alice)
        .header("x-checksum-sha256", &sha256)
        .body(BYTES.to_vec())
        .send()
        .await;
    assert_eq!(good.status(), 201, "{}", good.text());

    // Paths that break the rules, and methods a path does not take.
    for (path, status) in [
        ("/generic/alice/tool/1.0.0/.hidden", 400),
        ("/generic/alice/-tool/1.0.0/a", 400),
        ("/generic/alice/tool/1.0.0/a/b", 404),
    ] {
        assert_eq!(put(&app, &alice, path, b"x").await.0, status, "{path}");
    }
    let post = app.post(FILE).basic("alice", &alice).send().await;
    assert_eq!(post.status(), 405);

    // Two whole downloads counted; the range and the HEAD were not.
    app.flush_downloads().await;
    let html = app
        .get("/users/alice/packages/generic/package/tool?version=1.0.0")
        .bearer(&alice)
        .send()
        .await
        .text();
    assert!(html.contains("· 2 downloads"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn private_until_public_and_only_the_owner_writes() {
    let (app, alice, bob) = setup().await;
    assert_eq!(put(&app, &alice, FILE, BYTES).await.0, 201);
    let anonymous = app.get(FILE).send().await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.header("www-authenticate"),
        "Basic realm=\"Entrepot\""
    );
    let stranger = app.get(FILE).basic("bob", &bob).send().await;
    assert_eq!(stranger.status(), 404);
    let (status, _) = put(&app, &bob, "/generic/alice/tool/1.0.0/bobs.bin", b"mine").await;
    assert_eq!(status, 403, "bob may not publish in alice's namespace");
    let anonymous_put = app
        .put("/generic/alice/tool/2.0.0/x.bin")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(anonymous_put.status(), 401);
    assert!(!anonymous_put.header("www-authenticate").is_empty());

    make_public(&app, &alice, "generic", "tool").await;
    let r = app.get(FILE).send().await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes()[..], BYTES);
    // Public to read, still alice's to write and delete (bob's token may
    // delete; his role may not).
    let r = app
        .delete("/generic/alice/tool/1.0.0")
        .basic("bob", &bob)
        .send()
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rest_api_lists_deletes_and_restores_and_the_page_says_how() {
    let (app, alice, _) = setup().await;
    assert_eq!(put(&app, &alice, FILE, BYTES).await.0, 201);
    let v2 = "/generic/alice/tool/2.0.0/tool-linux-amd64.tar.gz";
    assert_eq!(put(&app, &alice, v2, b"two").await.0, 201);
    assert_eq!(
        app.get(FILE).basic("alice", &alice).send().await.status(),
        200
    );
    app.flush_downloads().await;

    let listed: Value = app
        .get("/api/v3/user/packages?package_type=generic")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(listed[0]["name"], "tool", "{listed}");
    assert_eq!(listed[0]["package_type"], "generic");
    assert_eq!(listed[0]["visibility"], "private");
    let versions: Value = app
        .get("/api/v3/user/packages/generic/tool/versions")
        .bearer(&alice)
        .send()
        .await
        .json();
    let names: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2.0.0", "1.0.0"]);

    // Deleted with the format's own DELETE; restored through the REST API.
    let r = app
        .delete("/generic/alice/tool/1.0.0")
        .basic("alice", &alice)
        .send()
        .await;
    assert_eq!(r.status(), 204, "{}", r.text());
    assert_eq!(
        app.get(FILE).basic("alice", &alice).send().await.status(),
        404
    );
    let (status, text) = put(&app, &alice, "/generic/alice/tool/1.0.0/late.bin", b"x").await;
    assert_eq!(status, 409, "a deleted version takes no new files: {text}");
    let id = versions[1]["id"].as_i64().unwrap();
    let r = app
        .post(&format!(
            "/api/v3/user/packages/generic/tool/versions/{id}/restore"
        ))
        .bearer(&alice)
        .send()
        .await;
    assert!(r.status().is_success(), "{}", r.text());
    assert_eq!(
        app.get(FILE).basic("alice", &alice).send().await.status(),
        200
    );

    let html = app
        .get("/users/alice/packages/generic/package/tool?version=1.0.0")
        .bearer(&alice)
        .send()
        .await
        .text();
    // Each file links to where curl gets it.
    let file_link = format!("<a href=\"{}\">tool-linux-amd64.tar.gz</a>", app.url(FILE));
    assert!(html.contains(&file_link), "{html}");
    let url = app.url("/generic/alice/tool/1.0.0/FILE");
    assert!(
        html.contains(&format!(
            "curl --fail -O -u &quot;USERNAME:$ENTREPOT_TOKEN&quot; {url}"
        )),
        "{html}"
    );
    let summary: Value = app
        .get("/api/v3/user/packages/generic/tool")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(summary["version_count"], json!(2), "{summary}");

    // The last version goes with the package.
    for version in ["2.0.0", "1.0.0"] {
        let r = app
            .delete(&format!("/generic/alice/tool/{version}"))
            .basic("alice", &alice)
            .send()
            .await;
        assert_eq!(r.status(), 204, "{version}: {}", r.text());
    }
    let listed: Value = app
        .get("/api/v3/user/packages?package_type=generic")
        .bearer(&alice)
        .send()
        .await
        .json();
    assert_eq!(listed, json!([]));
}

//! The container registry with the real skopeo and umoci, and the
//! distribution API at the HTTP level.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{Server, token};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use sha2::Digest;

pub(crate) fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A one-layer OCI image built locally with umoci (no pulls).
pub(crate) fn build_image(dir: &Path, layout: &str, text: &str) {
    let layout_path = dir.join(layout);
    let image = format!("{}:1", layout_path.display());
    let bundle = dir.join(format!("{layout}-bundle"));
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout_path));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    std::fs::create_dir_all(bundle.join("rootfs/app")).unwrap();
    std::fs::write(bundle.join("rootfs/app/hello.txt"), text).unwrap();
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
    run(Command::new("umoci").args([
        "config",
        "--image",
        &image,
        "--config.cmd",
        "/app/hello.txt",
    ]));
}

/// An OCI layout `multi` in `dir` whose tag `1` is an index of two
/// platforms' images (`amd` and `arm`, one layer each, and `layers` more);
/// the index's digest.
pub(crate) fn two_platform_layout(dir: &Path, layers: usize) -> (std::path::PathBuf, String) {
    for (layout, arch) in [("amd", "amd64"), ("arm", "arm64")] {
        build_image(dir, layout, arch);
        for n in 0..layers {
            add_layer(dir, layout, &format!("{arch} layer {n}"));
        }
    }
    // An OCI layout holding both images under one index.
    let multi = dir.join("multi");
    std::fs::create_dir_all(multi.join("blobs/sha256")).unwrap();
    std::fs::write(
        multi.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let mut entries = Vec::new();
    for (layout, arch) in [("amd", "amd64"), ("arm", "arm64")] {
        let src = dir.join(layout);
        for blob in std::fs::read_dir(src.join("blobs/sha256")).unwrap() {
            let blob = blob.unwrap();
            std::fs::copy(
                blob.path(),
                multi.join("blobs/sha256").join(blob.file_name()),
            )
            .unwrap();
        }
        let index: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join("index.json")).unwrap())
                .unwrap();
        let mut entry = index["manifests"][0].clone();
        entry["platform"] = json!({"architecture": arch, "os": "linux"});
        entry.as_object_mut().unwrap().remove("annotations");
        entries.push(entry);
    }
    let inner = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries});
    let inner_bytes = serde_json::to_vec(&inner).unwrap();
    let inner_digest = hex::encode(sha2::Sha256::digest(&inner_bytes));
    std::fs::write(multi.join("blobs/sha256").join(&inner_digest), &inner_bytes).unwrap();
    let outer = json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": format!("sha256:{inner_digest}"),
        "size": inner_bytes.len(), "annotations": {"org.opencontainers.image.ref.name": "1"}}]});
    std::fs::write(
        multi.join("index.json"),
        serde_json::to_vec(&outer).unwrap(),
    )
    .unwrap();
    (multi, inner_digest)
}

/// Adds a layer holding `text` to the image `layout:1` built by `build_image`.
pub(crate) fn add_layer(dir: &Path, layout: &str, text: &str) {
    let image = format!("{}:1", dir.join(layout).display());
    let bundle = dir.join(format!("{layout}-more"));
    let _ = std::fs::remove_dir_all(&bundle);
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    std::fs::write(bundle.join("rootfs/app/more.txt"), text).unwrap();
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
}

pub(crate) fn index_digest(layout: &Path) -> String {
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"][0]["digest"].as_str().unwrap().to_owned()
}

fn skopeo(args: &[&str]) -> Output {
    Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs")
}

fn host(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

fn setup() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.admin(&["user", "create", "alice"]);
    server.admin(&["user", "create", "bob"]);
    (dir, server)
}

#[test]
fn skopeo_pushes_and_pulls_an_umoci_image_with_its_digest_unchanged() {
    let (dir, server) = setup();
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    build_image(dir.path(), "layout", "hello");
    let creds = format!("alice:{t}");
    let remote = format!("docker://{}/alice/hello:1.0", host(&server));
    let source = format!("oci:{}:1", dir.path().join("layout").display());
    run(Command::new("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &source,
        &remote,
    ]));
    let back = format!("oci:{}:1", dir.path().join("back").display());
    run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &remote,
        &back,
    ]));
    assert_eq!(
        index_digest(&dir.path().join("layout")),
        index_digest(&dir.path().join("back"))
    );

    let inspect = run(Command::new("skopeo").args([
        "inspect",
        "--tls-verify=false",
        "--creds",
        &creds,
        &remote,
    ]));
    let inspected: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(
        inspected["Digest"],
        index_digest(&dir.path().join("layout"))
    );
    assert_eq!(inspected["Layers"].as_array().unwrap().len(), 1);

    // A second tag on the same digest: both show in list-tags and the REST API.
    let stable = format!("docker://{}/alice/hello:stable", host(&server));
    run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--dest-tls-verify=false",
        "--src-creds",
        &creds,
        "--dest-creds",
        &creds,
        &remote,
        &stable,
    ]));
    let tags = run(Command::new("skopeo").args([
        "list-tags",
        "--tls-verify=false",
        "--creds",
        &creds,
        &format!("docker://{}/alice/hello", host(&server)),
    ]));
    let tags: Value = serde_json::from_slice(&tags.stdout).unwrap();
    assert_eq!(tags["Tags"], json!(["1.0", "stable"]));
    let versions: Vec<Value> = Client::new()
        .get(server.url("/api/v3/user/packages/container/hello/versions"))
        .bearer_auth(&t)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0]["name"],
        index_digest(&dir.path().join("layout"))
    );
    assert_eq!(
        versions[0]["metadata"]["container"]["tags"],
        json!(["1.0", "stable"])
    );
}

#[test]
fn private_images_refuse_anonymous_pulls_until_public_and_strangers_cannot_push() {
    let (dir, server) = setup();
    let t = token(
        &server,
        "alice",
        "read:packages,write:packages,delete:packages",
    );
    let bob = token(&server, "bob", "read:packages,write:packages");
    build_image(dir.path(), "layout", "private");
    let source = format!("oci:{}:1", dir.path().join("layout").display());
    let remote = format!("docker://{}/alice/secret:1", host(&server));
    run(Command::new("skopeo").args([
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("alice:{t}"),
        &source,
        &remote,
    ]));

    let target = format!("oci:{}:1", dir.path().join("anon").display());
    let anonymous = skopeo(&[
        "copy",
        "--src-tls-verify=false",
        "--src-no-creds",
        &remote,
        &target,
    ]);
    assert!(
        !anonymous.status.success(),
        "an anonymous pull of a private image is refused"
    );

    let bob_push = skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        &format!("bob:{bob}"),
        &source,
        &format!("docker://{}/alice/bobs:1", host(&server)),
    ]);
    assert!(
        !bob_push.status.success(),
        "bob cannot push into alice's namespace"
    );

    let patched = Client::new()
        .patch(server.url("/api/v3/user/packages/container/secret"))
        .bearer_auth(&t)
        .json(&json!({"visibility": "public"}))
        .send()
        .unwrap();
    assert_eq!(patched.status(), 200);
    run(Command::new("skopeo").args([
        "copy",
        "--src-tls-verify=false",
        "--src-no-creds",
        &remote,
        &target,
    ]));
    assert_eq!(
        index_digest(&dir.path().join("layout")),
        index_digest(&dir.path().join("anon"))
    );
}

#[test]
fn a_two_platform_index_round_trips_with_copy_all() {
    let (dir, server) = setup();
    let t = token(&server, "alice", "read:packages,write:packages");
    let (multi, inner_digest) = two_platform_layout(dir.path(), 0);
    let creds = format!("alice:{t}");
    let remote = format!("docker://{}/alice/multi:1", host(&server));
    let source = format!("oci:{}:1", multi.display());
    run(Command::new("skopeo").args([
        "copy",
        "--all",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &source,
        &remote,
    ]));
    let back = format!("oci:{}:1", dir.path().join("multi-back").display());
    run(Command::new("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        "--src-creds",
        &creds,
        &remote,
        &back,
    ]));
    assert_eq!(
        index_digest(&dir.path().join("multi-back")),
        format!("sha256:{inner_digest}")
    );
    let raw = run(Command::new("skopeo").args([
        "inspect",
        "--raw",
        "--tls-verify=false",
        "--creds",
        &creds,
        &remote,
    ]));
    let index: Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 2);
}

//! `entrepot admin fsck` against a real registry: a package in every format
//! and one image, checked clean; then one fault at a time made on disk or
//! in the database (the server stopped), found, and undone — a truncated,
//! overwritten or deleted blob, an image layer gone or overwritten, an
//! index that disagrees with the metadata in each format, and a dangling
//! tag, an upload session that lost a part and an abandoned one, which
//! `--repair` removes.
#![expect(clippy::too_many_lines, reason = "each test reads as one scenario")]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Server, server_with_alice};
use entrepot_core::PackageType;
use entrepot_store::{AccountStore, PackageStore, SqlStore};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use sha2::Digest;

/// What one `admin fsck` printed and how it ended.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The `fault` lines (faults left as they were).
    fn faults(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("fault\t"))
            .collect()
    }

    fn has(&self, state: &str, kind: &str, about: &str) -> bool {
        self.stdout.lines().any(|l| {
            let fields: Vec<&str> = l.split('\t').collect();
            fields.len() == 4
                && fields[0] == state
                && fields[1] == kind
                && (fields[2].contains(about) || fields[3].contains(about))
        })
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `entrepot admin fsck ARGS` on the server's configuration, whatever its
/// exit status.
fn fsck(server: &Server, args: &[&str]) -> Run {
    admin_job(server, "fsck", args)
}

/// `entrepot admin JOB ARGS` on the server's configuration.
fn admin_job(server: &Server, job: &str, args: &[&str]) -> Run {
    let out = server.try_admin(&[&[job], args].concat(), None);
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// One package in each format, 1.0.0 and 1.0.1, over plain HTTP.
fn publish_everything(server: &Server, alice: &str) {
    server.admin(&["repo", "create", "alice/java"]);
    for version in ["1.0.0", "1.0.1"] {
        crate::common::publish::one_of_each(server, alice, version);
    }
}

/// One image (a config and a layer) pushed as `alice/app:v1`; the
/// layer's digest.
fn push_image(server: &Server, alice: &str) -> String {
    let client = Client::new();
    let push_blob = |bytes: &[u8]| {
        let digest = sha256_digest(bytes);
        let r = client
            .post(server.url(&format!("/v2/alice/app/blobs/uploads/?digest={digest}")))
            .basic_auth("alice", Some(alice))
            .body(bytes.to_vec())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "blob upload");
        digest
    };
    let layer_bytes = b"the one layer of the image";
    let layer = push_blob(layer_bytes);
    let config = br#"{"architecture":"amd64","os":"linux"}"#;
    let config_digest = push_blob(config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layer_bytes.len()}],
    });
    let r = client
        .put(server.url("/v2/alice/app/manifests/v1"))
        .basic_auth("alice", Some(alice))
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(serde_json::to_vec(&manifest).unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().unwrap());
    layer
}

/// Where the file-system blob store keeps `sha256`.
fn blob_path(data: &Path, sha256: &str) -> PathBuf {
    data.join("blobs/sha256").join(&sha256[..2]).join(sha256)
}

/// Replaces a blob file's bytes (blob files may be read-only).
fn write_blob(path: &Path, bytes: &[u8]) {
    let mut permissions = std::fs::metadata(path).unwrap().permissions();
    #[expect(clippy::permissions_set_readonly_false, reason = "a test file")]
    permissions.set_readonly(false);
    std::fs::set_permissions(path, permissions).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn fsck_finds_each_fault_and_repairs_what_has_one_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, alice) = server_with_alice(dir.path());
    publish_everything(&server, &alice);
    let layer = push_image(&server, &alice);

    // Uploads begun and never finished, as killed clients leave them: one
    // empty, one with a part stored, which a lost part would break.
    let start_upload = || {
        let r = Client::new()
            .post(server.url("/v2/alice/app/blobs/uploads/"))
            .basic_auth("alice", Some(&alice))
            .send()
            .unwrap();
        assert_eq!(r.status(), 202, "upload session");
        r.headers()["location"].to_str().unwrap().to_owned()
    };
    start_upload();
    let chunk = b"the first part of a layer being pushed";
    let location = start_upload();
    let session = location.rsplit('/').next().unwrap().to_owned();
    let r = Client::new()
        .patch(server.url(&location))
        .basic_auth("alice", Some(&alice))
        .header("content-type", "application/octet-stream")
        .body(chunk.to_vec())
        .send()
        .unwrap();
    assert_eq!(r.status(), 202, "a part");

    let clean = fsck(&server, &[]);
    assert_eq!(clean.code, 0, "{clean}");
    assert!(clean.faults().is_empty(), "{clean}");
    assert!(
        clean
            .stderr
            .contains("checked 7 packages, 13 versions and "),
        "{clean}"
    );
    server.sigterm();

    let data = dir.path().join("entrepot-data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt.block_on(async {
        SqlStore::open_path(&data.join("entrepot.db"))
            .await
            .unwrap()
    });
    let owner = rt
        .block_on(store.account_by_login("alice"))
        .unwrap()
        .unwrap();
    let package = |package_type, name: &str| {
        rt.block_on(store.package(owner.id, package_type, name, false))
            .unwrap()
            .unwrap_or_else(|| panic!("no {package_type} package {name}"))
    };
    let version = |package: &entrepot_core::Package, name: &str| {
        rt.block_on(store.version(package.id, name))
            .unwrap()
            .unwrap()
    };

    // A blob cut short is found by its size, with or without digests.
    let npm = package(PackageType::Npm, "lib");
    let tarball = rt
        .block_on(store.files(version(&npm, "1.0.0").id))
        .unwrap()
        .remove(0);
    let path = blob_path(&data, &tarball.sha256);
    let original = std::fs::read(&path).unwrap();
    write_blob(&path, &original[..original.len() / 2]);
    let subject = "npm alice/lib@1.0.0 lib-1.0.0.tgz";
    for args in [&[][..], &["--skip-digests"][..]] {
        let run = fsck(&server, args);
        assert_eq!(run.code, 1, "{run}");
        assert!(run.has("fault", "blob-size", subject), "{run}");
        assert_eq!(run.faults().len(), 1, "{run}");
    }

    // Other bytes of the same size: only reading them tells.
    let mut other = original.clone();
    other[0] ^= 0xff;
    write_blob(&path, &other);
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.has("fault", "blob-digest", subject), "{run}");
    let sizes_only = fsck(&server, &["--skip-digests"]);
    assert_eq!(
        sizes_only.code, 0,
        "--skip-digests checks sizes only: {sizes_only}"
    );
    assert!(sizes_only.faults().is_empty(), "{sizes_only}");

    // A blob gone.
    std::fs::remove_file(&path).unwrap();
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.has("fault", "missing-blob", subject), "{run}");
    std::fs::write(&path, &original).unwrap();
    assert_eq!(fsck(&server, &[]).code, 0);

    // An image layer is no version's file: the container check finds it.
    let layer_path = blob_path(&data, layer.trim_start_matches("sha256:"));
    let layer_bytes = std::fs::read(&layer_path).unwrap();
    std::fs::remove_file(&layer_path).unwrap();
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.has("fault", "index", &layer), "{run}");
    assert!(run.has("fault", "index", "container alice/app"), "{run}");
    // Of the same size but other bytes: only reading it tells.
    let mut bad_layer = layer_bytes.clone();
    bad_layer[0] ^= 0xff;
    std::fs::write(&layer_path, &bad_layer).unwrap();
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.has("fault", "blob-digest", &layer), "{run}");
    assert_eq!(run.faults().len(), 1, "{run}");
    assert_eq!(fsck(&server, &["--skip-digests"]).code, 0);
    write_blob(&layer_path, &layer_bytes);
    assert_eq!(fsck(&server, &[]).code, 0);

    // The sparse index's cksum no longer the .crate's: the index check.
    let krate = package(PackageType::Cargo, "tiny_lib");
    let v = version(&krate, "1.0.0");
    let mut wrong = v.metadata.clone();
    wrong["cksum"] = Value::String("0".repeat(64));
    rt.block_on(store.update_version_metadata(v.id, wrong, chrono::Utc::now()))
        .unwrap();
    let run = fsck(&server, &["--repair"]);
    assert_eq!(run.code, 1, "an index fault is not repaired: {run}");
    assert!(run.has("fault", "index", "cargo alice/tiny_lib"), "{run}");
    assert!(run.has("fault", "index", "index cksum"), "{run}");
    rt.block_on(store.update_version_metadata(v.id, v.metadata.clone(), chrono::Utc::now()))
        .unwrap();
    assert_eq!(fsck(&server, &[]).code, 0);

    // A file renamed behind the format's back: each format's index check
    // sees that the file its index names is not the one it holds.
    let sql = |statement: String| {
        let out = Command::new("sqlite3")
            .arg(data.join("entrepot.db"))
            .arg(&statement)
            .output()
            .expect("sqlite3 runs (scripts/test installs it)");
        assert!(out.status.success(), "{statement}: {out:?}");
    };
    for (package_type, name) in [
        (PackageType::Npm, "lib"),
        (PackageType::Rubygems, "tinygem"),
        (PackageType::Nuget, "alice.lib"),
        (PackageType::Pypi, "tiny-lib"),
    ] {
        let id = version(&package(package_type, name), "1.0.0").id;
        sql(format!(
            "UPDATE files SET name = 'renamed-' || name WHERE version_id = {id}"
        ));
        let run = fsck(&server, &[]);
        assert_eq!(run.code, 1, "{package_type}: {run}");
        let subject = format!("{package_type} alice/{name}");
        assert!(run.has("fault", "index", &subject), "{run}");
        assert!(
            run.faults().iter().all(|l| l.contains(&subject)),
            "only {subject}: {run}"
        );
        sql(format!(
            "UPDATE files SET name = substr(name, 9) WHERE version_id = {id}"
        ));
        assert_eq!(fsck(&server, &[]).code, 0, "{package_type} restored");
    }
    // A Maven version naming other coordinates than its package.
    let maven = package(PackageType::Maven, "com.example.lib");
    let v = version(&maven, "1.0.0");
    let mut wrong = v.metadata.clone();
    wrong["group_id"] = Value::String("org.other".into());
    rt.block_on(store.update_version_metadata(v.id, wrong, chrono::Utc::now()))
        .unwrap();
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.has("fault", "index", "maven alice/com.example.lib"),
        "{run}"
    );
    rt.block_on(store.update_version_metadata(v.id, v.metadata.clone(), chrono::Utc::now()))
        .unwrap();
    assert_eq!(fsck(&server, &[]).code, 0);

    // A tag on a deleted version: the store never leaves one (deleting a
    // version removes its tags in the same transaction, and a tag on a
    // deleted version is refused), so the database is edited by hand, as
    // an older release or a restore from a partial backup might leave it.
    let sqlite = Command::new("sqlite3")
        .arg(data.join("entrepot.db"))
        .arg(format!(
            "UPDATE versions SET deleted_at = updated_at WHERE id = {}",
            version(&npm, "1.0.1").id
        ))
        .output()
        .expect("sqlite3 runs (scripts/test installs it)");
    assert!(sqlite.status.success(), "{sqlite:?}");
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.has("fault", "dangling-tag", "npm alice/lib tag latest"),
        "{run}"
    );
    let repaired = fsck(&server, &["--repair"]);
    assert_eq!(repaired.code, 0, "{repaired}");
    assert!(
        repaired.has("repaired", "dangling-tag", "npm alice/lib tag latest"),
        "{repaired}"
    );
    let again = fsck(&server, &[]);
    assert_eq!(again.code, 0, "{again}");
    assert!(
        again.stdout.lines().all(|l| l.starts_with("orphan-blob\t")),
        "{again}"
    );

    // A part of a live upload lost: the session can never be finished.
    let part = blob_path(&data, &hex::encode(sha2::Sha256::digest(chunk)));
    std::fs::remove_file(&part).unwrap();
    let run = fsck(&server, &[]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.has("fault", "broken-upload", &format!("upload {session}")),
        "{run}"
    );
    let repaired = fsck(&server, &["--repair"]);
    assert_eq!(repaired.code, 0, "{repaired}");
    assert!(
        repaired.has("repaired", "broken-upload", &session),
        "{repaired}"
    );
    assert_eq!(fsck(&server, &[]).code, 0);

    // The upload session, once older than `--upload-age`, is abandoned;
    // `--repair` deletes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let run = loop {
        let run = fsck(&server, &["--upload-age", "1s"]);
        if run.code != 0 || std::time::Instant::now() > deadline {
            break run;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(run.code, 1, "{run}");
    assert!(run.has("fault", "abandoned-upload", "upload "), "{run}");
    let repaired = fsck(&server, &["--upload-age", "1s", "--repair"]);
    assert_eq!(repaired.code, 0, "{repaired}");
    assert!(
        repaired.has("repaired", "abandoned-upload", "upload "),
        "{repaired}"
    );
    assert_eq!(fsck(&server, &["--upload-age", "1s"]).code, 0);
}

/// `entrepot admin gc ARGS` on the server's configuration.
fn gc(server: &Server, args: &[&str]) -> Run {
    admin_job(server, "gc", args)
}

#[test]
fn admin_gc_says_what_it_is_doing_and_sums_up() {
    let dir = tempfile::tempdir().unwrap();
    let (server, alice) = server_with_alice(dir.path());
    publish_everything(&server, &alice);
    let dry = gc(&server, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    // Without a terminal: a line per stage, then the summary.
    assert!(dry.stderr.contains("checking blobs: starting ("), "{dry}");
    assert!(
        dry.stderr.contains("dry run: nothing was removed ("),
        "{dry}"
    );
    // Every blob is referenced (or within the grace period): none listed.
    assert!(!dry.stdout.contains("blob\tsha256:"), "{dry}");
    let run = gc(&server, &[]);
    assert_eq!(run.code, 0, "{run}");
    for said in [
        "checking blobs: starting (",
        "removing blobs: starting (0)",
        "collected in ",
        "and 0 blobs",
    ] {
        assert!(run.stderr.contains(said), "{said}: {run}");
    }
}

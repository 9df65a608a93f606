//! SIGKILL during a blob write leaves no partial blob visible and no metadata
//! pointing at a missing blob.
//!
//! The test re-runs its own binary as a child that publishes slowly (blob
//! first, metadata after, as the service does), kills it mid-write, and then
//! inspects both stores.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use entrepot_core::{PackageType, Visibility};
use entrepot_store::{
    AccountStore, BlobStore, Expected, FsBlobStore, NewFile, NewPackage, NewUser, NewVersion,
    PackageStore, SqliteStore,
};

const CHILD_ENV: &str = "ENTREPOT_CRASH_CHILD_DIR";

/// In the child: publish a version whose blob streams forever, announcing
/// progress on stdout so the parent knows the write is under way.
#[tokio::test]
#[ignore = "the child half of the SIGKILL test, which spawns it"]
async fn crash_child_writer() {
    let dir = std::env::var(CHILD_ENV).expect("spawned by the SIGKILL test");
    let dir = std::path::PathBuf::from(dir);
    let meta = SqliteStore::open_path(&dir.join("meta.db")).await.unwrap();
    let blobs = FsBlobStore::open(dir.join("blobs")).await.unwrap();
    let user = meta
        .create_user(NewUser {
            login: "writer".into(),
            ..NewUser::default()
        })
        .await
        .unwrap();
    let package = meta
        .create_package(NewPackage {
            owner_id: user.id,
            package_type: PackageType::Npm,
            name: "big".into(),
            visibility: Visibility::Private,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let chunks = futures::stream::unfold(0u64, |n| async move {
        if n == 4 {
            println!("WRITING");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        Some((Ok(Bytes::from(vec![(n % 251) as u8; 64 * 1024])), n + 1))
    });
    let info = blobs
        .put(Box::pin(chunks), Expected::default())
        .await
        .unwrap();
    meta.publish_version(NewVersion {
        package_id: package.id,
        name: "1.0.0".into(),
        metadata: serde_json::json!({}),
        publisher_id: Some(user.id),
        files: vec![NewFile {
            name: "big.tgz".into(),
            size: info.size,
            sha256: info.sha256,
            digests: entrepot_core::Digests::default(),
            content_type: None,
        }],
        tags: vec![],
        at: chrono::Utc::now(),
    })
    .await
    .unwrap();
    unreachable!("the stream never ends");
}

#[tokio::test]
async fn sigkill_during_a_blob_write_leaves_no_partial_blob_and_no_dangling_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut lines = BufReader::new(stdout).lines();
    loop {
        assert!(Instant::now() < deadline, "child never started writing");
        match lines.next() {
            Some(Ok(line)) if line.contains("WRITING") => break,
            Some(_) => {}
            None => panic!("child exited before writing"),
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();

    let temp_files = std::fs::read_dir(dir.path().join("blobs/tmp"))
        .unwrap()
        .count();
    assert!(
        temp_files > 0,
        "the write was in progress when the child died"
    );

    let blobs = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    assert!(
        blobs.list().await.unwrap().is_empty(),
        "no partial blob is visible"
    );
    blobs.sweep_temp(Duration::ZERO).await.unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/tmp"))
            .unwrap()
            .count(),
        0
    );

    let meta = SqliteStore::open_path(&dir.path().join("meta.db"))
        .await
        .unwrap();
    let user = meta.account_by_login("writer").await.unwrap().unwrap();
    let package = meta
        .package(user.id, PackageType::Npm, "big", false)
        .await
        .unwrap()
        .unwrap();
    for version in meta.versions(package.id, true).await.unwrap() {
        for file in meta.files(version.id).await.unwrap() {
            assert!(
                blobs.size(&file.sha256).await.unwrap().is_some(),
                "metadata points at a missing blob"
            );
        }
    }
    assert!(meta.versions(package.id, true).await.unwrap().is_empty());
}

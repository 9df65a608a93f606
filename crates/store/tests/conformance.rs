//! Runs the shared conformance suite against the SQLite and file-system backends.

use entrepot_store::{AccountStore, FsBlobStore, SqliteStore, conformance};

#[tokio::test]
async fn sqlite_metadata_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("meta.db"))
        .await
        .unwrap();
    conformance::metadata_store(&store).await;
}

#[tokio::test]
async fn file_blob_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    conformance::blob_store(&store).await;
    let leftovers = std::fs::read_dir(dir.path().join("blobs/tmp"))
        .unwrap()
        .count();
    assert_eq!(
        leftovers, 0,
        "refused and failed writes leave no temporary file"
    );
}

#[tokio::test]
async fn sqlite_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    {
        let store = SqliteStore::open_path(&path).await.unwrap();
        store
            .create_user(entrepot_store::NewUser {
                login: "carol".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let store = SqliteStore::open_path(&path).await.unwrap();
    assert!(store.account_by_login("carol").await.unwrap().is_some());
}

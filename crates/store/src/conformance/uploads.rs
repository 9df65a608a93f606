//! Conformance, uploads: chunked upload sessions whose parts append only at
//! the expected offset, and the blob links that hold a blob for a
//! repository before any version names it.

use entrepot_core::{Account, PackageType, Timestamp};

use crate::meta::MetadataStore;

/// Uploads: parts append only at the expected offset.
pub(super) async fn sessions(store: &dyn MetadataStore, alice: &Account, at: Timestamp) {
    store
        .create_upload("u1", alice.id, "hello/web", at)
        .await
        .unwrap();
    assert!(
        store
            .append_upload_part("u1", 0, &"d".repeat(64), 10, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .append_upload_part("u1", 0, &"e".repeat(64), 5, at)
            .await
            .unwrap(),
        "a stale offset loses"
    );
    assert!(
        store
            .append_upload_part("u1", 10, &"e".repeat(64), 5, at)
            .await
            .unwrap()
    );
    let session = store.upload("u1").await.unwrap().unwrap();
    assert_eq!((session.size, session.parts.len()), (15, 2));
    assert!(
        store.blob_referenced(&"d".repeat(64)).await.unwrap(),
        "open uploads keep their parts"
    );
    assert_eq!(
        store
            .stale_uploads(at + chrono::TimeDelta::seconds(1))
            .await
            .unwrap(),
        vec!["u1".to_owned()]
    );
    assert!(store.delete_upload("u1").await.unwrap());
    assert!(store.upload("u1").await.unwrap().is_none());
}

/// Blob links: a repository holds a blob before any version names it.
pub(super) async fn blob_links(store: &dyn MetadataStore, alice: &Account, at: Timestamp) {
    let link = crate::meta::BlobLink {
        owner_id: alice.id,
        package_type: PackageType::Container,
        repository: "hello/web".into(),
        digest: format!("sha256:{}", "f".repeat(64)),
        sha256: "f".repeat(64),
        size: 3,
    };
    store.link_blob(&link, at).await.unwrap();
    store.link_blob(&link, at).await.unwrap();
    assert_eq!(
        store
            .blob_link(alice.id, PackageType::Container, "hello/web", &link.digest)
            .await
            .unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.links_of(&link.digest).await.unwrap().len(), 1);
    let later = at + chrono::TimeDelta::seconds(1);
    assert_eq!(
        store
            .links_before(PackageType::Container, later)
            .await
            .unwrap(),
        vec![link.clone()]
    );
    assert!(
        store
            .links_before(PackageType::Container, at)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .links_before(PackageType::Npm, later)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.blob_referenced(&"f".repeat(64)).await.unwrap());
    assert!(
        store
            .unlink_blob(alice.id, PackageType::Container, "hello/web", &link.digest)
            .await
            .unwrap()
    );
    assert!(!store.blob_referenced(&"f".repeat(64)).await.unwrap());
}

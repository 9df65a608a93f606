//! Conformance, versions: files and tags land with a version or not at all,
//! versions are immutable, soft delete and restore, metadata edits, purge.

use entrepot_core::{Account, Digests, Package, Timestamp, Version};

use crate::StoreError;
use crate::meta::{MetadataStore, NewFile, NewVersion};

/// Versions: files and tags land with the version, or not at all. Returns
/// the first version and a second one without files or tags.
pub(super) async fn publish(
    store: &dyn MetadataStore,
    pkg: &Package,
    alice: &Account,
    at: Timestamp,
) -> (Version, Version) {
    let file = NewFile {
        name: "hello-1.0.0.tgz".into(),
        size: 3,
        sha256: "a".repeat(64),
        digests: Digests {
            sha512: Some("b".repeat(128)),
            ..Digests::default()
        },
        content_type: None,
    };
    let v1 = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({"k": 1}),
            publisher_id: Some(alice.id),
            files: vec![file.clone()],
            tags: vec!["latest".into()],
            at,
        })
        .await
        .unwrap();
    let dup = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(alice.id),
            files: vec![],
            tags: vec!["latest".into()],
            at,
        })
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(_))),
        "versions are immutable"
    );
    let torn = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "2.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: None,
            files: vec![file.clone(), file.clone()],
            tags: vec!["latest".into()],
            at,
        })
        .await;
    assert!(torn.is_err(), "two files of one name are refused");
    assert!(
        store.version(pkg.id, "2.0.0").await.unwrap().is_none(),
        "a failed publish leaves no version"
    );
    assert_eq!(
        store.tags(pkg.id).await.unwrap()[0].version_id,
        v1.id,
        "nor moves a tag"
    );

    assert_eq!(store.package_files(pkg.id).await.unwrap().len(), 1);
    let files = store.files(v1.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        store.package_file(pkg.id, &files[0].name).await.unwrap(),
        Some(files[0].clone())
    );
    assert_eq!(
        store.package_file(pkg.id, "nothing.tgz").await.unwrap(),
        None
    );
    assert_eq!(
        files[0].digests.sha512.as_deref(),
        Some("b".repeat(128).as_str())
    );
    assert!(store.blob_referenced(&"a".repeat(64)).await.unwrap());
    assert!(!store.blob_referenced(&"c".repeat(64)).await.unwrap());
    assert_eq!(
        store
            .version(pkg.id, "1.0.0")
            .await
            .unwrap()
            .unwrap()
            .metadata["k"],
        1
    );

    let v2 = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.1.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(alice.id),
            files: vec![],
            tags: vec![],
            at,
        })
        .await
        .unwrap();
    (v1, v2)
}

/// Soft delete hides a version and sets its tags aside; restore brings it
/// back with its tags, but for those set on another version meanwhile.
pub(super) async fn soft_delete_and_restore(
    store: &dyn MetadataStore,
    pkg: &Package,
    v1: &Version,
    v2: &Version,
    at: Timestamp,
) {
    let before = store.tags(pkg.id).await.unwrap();
    for tag in ["stable", "moved", "gone"] {
        store.set_tag(pkg.id, tag, v1.id, at).await.unwrap();
    }
    store.set_version_deleted(v1.id, Some(at)).await.unwrap();
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 1);
    assert_eq!(store.versions(pkg.id, true).await.unwrap().len(), 2);
    assert!(store.tags(pkg.id).await.unwrap().is_empty());
    assert!(
        matches!(
            store.set_tag(pkg.id, "x", v1.id, at).await,
            Err(StoreError::NotFound)
        ),
        "no tag on a deleted version"
    );
    assert!(
        matches!(
            store.set_version_deleted(v1.id, Some(at)).await,
            Err(StoreError::NotFound)
        ),
        "a deleted version is not deleted twice"
    );
    assert!(
        matches!(
            store.delete_version_keeping_one(v2.id, at).await,
            Err(StoreError::Invalid(_))
        ),
        "the last live version is kept"
    );
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 1);
    store.set_tag(pkg.id, "moved", v2.id, at).await.unwrap();
    // Set elsewhere, then removed: not the deleted version's any more.
    store.set_tag(pkg.id, "gone", v2.id, at).await.unwrap();
    assert!(store.remove_tag(pkg.id, "gone").await.unwrap());
    store.set_version_deleted(v1.id, None).await.unwrap();
    let tagged = |name: &str, tags: &[entrepot_core::Tag]| {
        tags.iter().find(|t| t.name == name).map(|t| t.version_id)
    };
    let tags = store.tags(pkg.id).await.unwrap();
    assert_eq!(tagged("stable", &tags), Some(v1.id), "{tags:?}");
    assert_eq!(tagged("moved", &tags), Some(v2.id), "{tags:?}");
    assert_eq!(tagged("gone", &tags), None, "{tags:?}");
    for tag in ["stable", "moved"] {
        if tagged(tag, &before).is_none() {
            store.remove_tag(pkg.id, tag).await.unwrap();
        }
    }
    assert!(
        matches!(
            store.set_version_deleted(v1.id, None).await,
            Err(StoreError::NotFound)
        ),
        "a live version is not restored"
    );
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 2);

    store
        .update_version_metadata(v1.id, serde_json::json!({"deprecated": "old"}), at)
        .await
        .unwrap();
    assert_eq!(
        store.version_by_id(v1.id).await.unwrap().unwrap().metadata["deprecated"],
        "old"
    );
}

/// A purged version is gone, and its downloads leave its package's.
pub(super) async fn purge(store: &dyn MetadataStore, pkg: &Package, v2: &Version) {
    let today = chrono::Utc::now().date_naive();
    let before = store.package_totals(&[pkg.id]).await.unwrap()[&pkg.id].downloads;
    store.record_downloads(v2.id, today, 6).await.unwrap();
    let summary = store
        .download_summary(pkg.id, today, &[v2.id])
        .await
        .unwrap();
    assert_eq!(summary.total, before + 6);
    assert_eq!(summary.by_version, vec![(v2.id, 6)]);
    store.purge_version(v2.id).await.unwrap();
    assert!(store.version(pkg.id, "1.1.0").await.unwrap().is_none());
    let after = store
        .download_summary(pkg.id, today, &[v2.id])
        .await
        .unwrap();
    assert_eq!((after.total, after.by_version.len()), (before, 0));
    assert_eq!(
        store.package_totals(&[pkg.id]).await.unwrap()[&pkg.id].downloads,
        before
    );
}

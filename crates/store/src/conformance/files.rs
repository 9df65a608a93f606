//! Conformance, files added to and removed from a version one by one (as
//! Maven uploads them), and never added to a deleted version.

use chrono::Utc;
use entrepot_core::{Digests, PackageType, Visibility};

use crate::StoreError;
use crate::meta::{MetadataStore, NewFile, NewPackage, NewVersion};

pub(super) async fn files_one_by_one(store: &dyn MetadataStore, owner: i64) {
    let pkg = store
        .create_package(NewPackage {
            owner_id: owner,
            package_type: PackageType::Maven,
            name: "com.example.tiny".into(),
            visibility: Visibility::Private,
            repository_id: None,
            inherit_access: true,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let at = Utc::now();
    let file = |name: &str| NewFile {
        name: name.into(),
        size: 1,
        sha256: "c".repeat(64),
        digests: Digests::default(),
        content_type: None,
    };
    let v = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(owner),
            files: vec![file("tiny-1.0.0.pom")],
            tags: vec![],
            at,
        })
        .await
        .unwrap();
    let added = store
        .add_file(v.id, file("tiny-1.0.0.jar"), at)
        .await
        .unwrap();
    assert_eq!(added.name, "tiny-1.0.0.jar");
    assert!(matches!(
        store.add_file(v.id, file("tiny-1.0.0.jar"), at).await,
        Err(StoreError::Conflict(_))
    ));
    let names: Vec<String> = store
        .files(v.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["tiny-1.0.0.pom", "tiny-1.0.0.jar"]);
    assert_eq!(
        store
            .remove_files(v.id, &["tiny-1.0.0.jar".to_owned(), "nope".to_owned()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.files(v.id).await.unwrap().len(), 1);
    store.set_version_deleted(v.id, Some(at)).await.unwrap();
    assert!(matches!(
        store.add_file(v.id, file("late.jar"), at).await,
        Err(StoreError::NotFound)
    ));
}

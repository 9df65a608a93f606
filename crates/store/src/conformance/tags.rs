//! Conformance, tags: a tag moves between versions of its package, marks
//! the package updated, and is removed once.

use entrepot_core::{Package, Timestamp, Version};

use crate::meta::MetadataStore;

/// A tag change marks the package updated; tags list by name, and a
/// removed tag is removed once.
pub(super) async fn set_and_remove(
    store: &dyn MetadataStore,
    pkg: &Package,
    v1: &Version,
    v2: &Version,
    at: Timestamp,
) {
    let before = store
        .package_by_id(pkg.id)
        .await
        .unwrap()
        .unwrap()
        .updated_at;
    store.set_tag(pkg.id, "stable", v2.id, at).await.unwrap();
    let after = store
        .package_by_id(pkg.id)
        .await
        .unwrap()
        .unwrap()
        .updated_at;
    assert!(after > before, "a tag change marks the package updated");
    store.set_tag(pkg.id, "stable", v1.id, at).await.unwrap();
    let tags = store.tags(pkg.id).await.unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.version_id))
            .collect::<Vec<_>>(),
        vec![("latest", v1.id), ("stable", v1.id)]
    );
    assert_eq!(
        store.tagged_versions(pkg.id).await.unwrap(),
        vec![
            ("latest".to_owned(), v1.name.clone()),
            ("stable".to_owned(), v1.name.clone())
        ]
    );
    assert!(store.remove_tag(pkg.id, "stable").await.unwrap());
    assert!(!store.remove_tag(pkg.id, "stable").await.unwrap());
}

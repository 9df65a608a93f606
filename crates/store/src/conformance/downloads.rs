//! Conformance, activity: download counts add up per version and day, and
//! the audit log keeps what was done to a package.

use entrepot_core::{Account, Package, Timestamp, Version};

use crate::meta::MetadataStore;

/// Downloads add up per version and day; audit entries are kept per package.
pub(super) async fn downloads_and_audit(
    store: &dyn MetadataStore,
    pkg: &Package,
    v1: &Version,
    alice: &Account,
    at: Timestamp,
) {
    let day = at.date_naive();
    store.record_downloads(v1.id, day, 2).await.unwrap();
    store.record_downloads(v1.id, day, 3).await.unwrap();
    let downloads = store.downloads(pkg.id).await.unwrap();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].count, 5);

    store
        .audit(crate::meta::NewAuditEntry {
            actor_id: Some(alice.id),
            action: "publish".into(),
            package_id: Some(pkg.id),
            version_id: Some(v1.id),
            detail: None,
            at,
        })
        .await
        .unwrap();
    assert_eq!(store.audit_log(pkg.id).await.unwrap()[0].action, "publish");
}

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
    let long_ago = day - chrono::TimeDelta::days(40);
    store.record_downloads(v1.id, long_ago, 4).await.unwrap();
    let summary = store
        .download_summary(pkg.id, day - chrono::TimeDelta::days(29), &[v1.id, -7])
        .await
        .unwrap();
    assert_eq!(summary.total, 9);
    assert_eq!(summary.by_version, vec![(v1.id, 9)]);
    assert_eq!(summary.by_day, vec![(day, 5)], "only the days since");
    let unasked = store
        .download_summary(pkg.id, day - chrono::TimeDelta::days(29), &[])
        .await
        .unwrap();
    assert_eq!((unasked.total, unasked.by_version.len()), (9, 0));

    // A page's totals in one call: live versions and every download; a
    // package that does not exist is left out.
    let live = store.versions(pkg.id, false).await.unwrap().len() as u64;
    let totals = store.package_totals(&[pkg.id, -7]).await.unwrap();
    assert_eq!(totals.len(), 1, "{totals:?}");
    assert_eq!(
        totals[&pkg.id],
        crate::meta::PackageTotals {
            versions: live,
            downloads: 9
        }
    );
    assert!(store.package_totals(&[]).await.unwrap().is_empty());

    // Versions page newest first, in SQL.
    let (all, live) = store.versions_page(pkg.id, 100, 0).await.unwrap();
    assert_eq!(all.len() as u64, live);
    assert!(live >= 2, "{all:?}");
    assert!(
        all.windows(2)
            .all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id))
    );
    let (second, counted) = store.versions_page(pkg.id, 1, 1).await.unwrap();
    assert_eq!((second.len(), counted), (1, live));
    assert_eq!(second[0].id, all[1].id);

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

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

    // A flush's batch: each count added, one of a version that is gone
    // (here, never was) dropped without failing the others.
    let (written, done) = store
        .record_many_downloads(&[(v1.id, day, 1), (-7, day, 5), (v1.id, long_ago, 2)])
        .await;
    done.unwrap();
    assert_eq!(written, 3);
    let totals = store.package_totals(&[pkg.id]).await.unwrap();
    assert_eq!(totals[&pkg.id].downloads, 12);
    assert_eq!(store.record_many_downloads(&[]).await.0, 0);

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

/// Download counts flushed while the same versions are purged, from as many
/// connections as the store has: every purge succeeds, and once all the
/// versions are gone their package counts none of their downloads (on
/// PostgreSQL the two used to lock the same rows in opposite orders).
pub(super) async fn flushed_while_purged(
    store: &dyn MetadataStore,
    alice: &Account,
    at: Timestamp,
) {
    let pkg = store
        .create_package(crate::meta::NewPackage {
            owner_id: alice.id,
            package_type: entrepot_core::PackageType::Npm,
            name: "counted-while-purged".into(),
            visibility: entrepot_core::Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let day = at.date_naive();
    let mut versions = Vec::new();
    for i in 0..8 {
        let v = store
            .publish_version(crate::meta::NewVersion {
                package_id: pkg.id,
                name: format!("1.0.{i}"),
                metadata: serde_json::json!({}),
                publisher_id: None,
                files: vec![],
                tags: vec![],
                at,
            })
            .await
            .unwrap();
        store.record_downloads(v.id, day, 1).await.unwrap();
        versions.push(v.id);
    }
    // Each version is counted over and over (a flush that lands after its
    // purge counts nothing; one racing it may fail) while it is purged.
    let counting = versions.iter().map(|&id| async move {
        for n in 0..20 {
            let d = if n % 2 == 0 {
                day
            } else {
                day - chrono::TimeDelta::days(1)
            };
            if store.record_downloads(id, d, 1).await.is_err() {
                break;
            }
        }
    });
    let purging = versions.iter().map(|&id| async move {
        tokio::task::yield_now().await;
        store.purge_version(id).await
    });
    let (_, purged) = futures::join!(
        futures::future::join_all(counting),
        futures::future::join_all(purging)
    );
    for done in purged {
        done.unwrap();
    }
    let left = store.package_totals(&[pkg.id]).await.unwrap()[&pkg.id];
    assert_eq!(
        left,
        crate::meta::PackageTotals {
            versions: 0,
            downloads: 0
        }
    );
    // A count that reaches the store after its version went is dropped,
    // not refused: the buffer that held it must not fail ever after.
    store
        .record_downloads(versions[0], day, 1)
        .await
        .expect("a purged version's count is dropped");
    let summary = store
        .download_summary(pkg.id, day - chrono::TimeDelta::days(1), &[])
        .await
        .unwrap();
    assert_eq!(summary.total, 0, "{summary:?}");
    store.purge_package(pkg.id).await.unwrap();
}

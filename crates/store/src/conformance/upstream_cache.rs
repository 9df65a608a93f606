//! Conformance, the upstream cache: names an owner's index served from its
//! upstream are kept from local packages until released; the housekeeping
//! sees every cached version (and no local one) with its size and last
//! use, and old documents.

use chrono::{TimeDelta, Utc};
use entrepot_core::{Account, Digests, PackageType, Upstream, Visibility};

use crate::StoreError;
use crate::meta::{MetadataStore, NewFile, NewPackage, NewVersion, UpstreamDocument};

fn package(owner: i64, name: &str) -> NewPackage {
    NewPackage {
        owner_id: owner,
        package_type: PackageType::Pypi,
        name: name.into(),
        visibility: Visibility::Public,
        repository_id: None,
        inherit_access: false,
        description: None,
        readme: None,
    }
}

/// A name served through alice's fall-through is hers again only once
/// released; other owners and formats are not concerned.
pub(super) async fn owner_names(store: &dyn MetadataStore, alice: &Account, pypi: &Upstream) {
    let at = Utc::now();
    for _ in 0..2 {
        store
            .reserve_owner_name(alice.id, PackageType::Pypi, "requests", pypi.account_id, at)
            .await
            .unwrap();
    }
    let taken = store.create_package(package(alice.id, "requests")).await;
    assert!(matches!(taken, Err(StoreError::Reserved(_))), "{taken:?}");
    let other = store
        .create_package(NewPackage {
            package_type: PackageType::Npm,
            ..package(alice.id, "requests")
        })
        .await
        .unwrap();
    assert!(
        store
            .release_owner_name(alice.id, PackageType::Pypi, "requests")
            .await
            .unwrap()
    );
    assert!(
        !store
            .release_owner_name(alice.id, PackageType::Pypi, "requests")
            .await
            .unwrap()
    );
    let mine = store
        .create_package(package(alice.id, "requests"))
        .await
        .unwrap();
    for id in [other.id, mine.id] {
        store.purge_package(id).await.unwrap();
    }
}

/// Cached versions with their bytes and last use; local ones never listed.
pub(super) async fn housekeeping(store: &dyn MetadataStore, alice: &Account, up: &Upstream) {
    let at = Utc::now();
    let file = |name: &str, size: u64| NewFile {
        name: name.into(),
        size,
        sha256: "ab".repeat(32),
        digests: Digests::default(),
        content_type: None,
    };
    let version = |package_id, name: &str, files| NewVersion {
        package_id,
        name: name.into(),
        metadata: serde_json::json!({}),
        publisher_id: None,
        files,
        tags: vec![],
        at,
    };
    let cached = store
        .create_package(package(up.account_id, "six"))
        .await
        .unwrap();
    let old = store
        .publish_version(version(
            cached.id,
            "1.0",
            vec![file("a.whl", 10), file("a.tar.gz", 5)],
        ))
        .await
        .unwrap();
    let new = store
        .publish_version(version(cached.id, "2.0", vec![file("b.whl", 7)]))
        .await
        .unwrap();
    let day = at.date_naive();
    store.record_downloads(new.id, day, 3).await.unwrap();
    let local = store
        .create_package(package(alice.id, "local-six"))
        .await
        .unwrap();
    store
        .publish_version(version(local.id, "1.0", vec![file("c.whl", 99)]))
        .await
        .unwrap();

    let seen = store.cached_versions().await.unwrap();
    let summary: Vec<_> = seen
        .iter()
        .map(|c| {
            (
                c.upstream.as_str(),
                c.package.as_str(),
                c.version.as_str(),
                c.bytes,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (up.name.as_str(), "six", "1.0", 15),
            (up.name.as_str(), "six", "2.0", 7)
        ]
    );
    assert_eq!(seen[0].version_id, old.id);
    assert_eq!(seen[0].package_type, PackageType::Pypi);
    assert_eq!(
        seen[0].last_used.timestamp(),
        at.timestamp(),
        "never downloaded: cached"
    );
    assert!(seen[1].last_used >= at, "downloaded today");

    for id in [cached.id, local.id] {
        store.purge_package(id).await.unwrap();
    }
    documents(store, up).await;
}

/// Documents not fetched since a cutoff are listed and dropped; one
/// fetched since is not.
async fn documents(store: &dyn MetadataStore, up: &Upstream) {
    let at = Utc::now();
    let doc = |fetched_at| UpstreamDocument {
        body: "{}".into(),
        content_type: None,
        etag: None,
        last_modified: None,
        fetched_at,
    };
    let long_ago = at - TimeDelta::days(40);
    store
        .put_upstream_document(up.account_id, "simple/six/", &doc(long_ago))
        .await
        .unwrap();
    store
        .put_upstream_document(up.account_id, "simple/new/", &doc(at))
        .await
        .unwrap();
    let cutoff = at - TimeDelta::days(30);
    assert_eq!(
        store.old_upstream_documents(cutoff).await.unwrap(),
        [(up.account_id, "simple/six/".to_owned(), 2)]
    );
    assert!(
        !store
            .drop_upstream_document(up.account_id, "simple/new/", cutoff)
            .await
            .unwrap(),
        "fetched since"
    );
    assert!(
        store
            .drop_upstream_document(up.account_id, "simple/six/", cutoff)
            .await
            .unwrap()
    );
    assert!(
        store
            .old_upstream_documents(cutoff)
            .await
            .unwrap()
            .is_empty()
    );
}

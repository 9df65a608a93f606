//! The read cache (`src/sql/cache.rs`): what a store keeps in memory is
//! dropped at once by its own writes, and soon after a write by another
//! store on the same database (an `admin` command beside a server on
//! SQLite, another node on PostgreSQL).

use std::time::{Duration, Instant};

use chrono::Utc;
use entrepot_core::Scopes;
use entrepot_store::{
    AccountStore, ActivityStore, NewFile, NewPackage, NewTokenRecord, NewUser, NewVersion,
    PackageFilter, PackageStore, PackageTotals, SqlStore, TokenStore,
};

/// Polls `check` until it holds, failing after a few seconds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "never seen: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn another_stores_writes_reach_the_cache(server: &SqlStore, admin: &SqlStore) {
    // The server reads (and keeps) that there is no dave, nor his token.
    assert!(server.account_by_login("dave").await.unwrap().is_none());
    assert!(server.token_by_hash("h-dave").await.unwrap().is_none());

    let dave = admin
        .create_user(NewUser {
            login: "dave".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    eventually("a user made elsewhere", || async {
        server.account_by_login("dave").await.unwrap().is_some()
    })
    .await;

    let token = admin
        .create_token(NewTokenRecord {
            user_id: dave.id,
            hash: "h-dave".into(),
            prefix: "entp_dave".into(),
            scopes: Scopes::default(),
            note: None,
            expires_at: None,
            bound_to: None,
        })
        .await
        .unwrap();
    eventually("a token made elsewhere", || async {
        server.token_by_hash("h-dave").await.unwrap().is_some()
    })
    .await;
    // Kept by id too (what a registry token's bearer is checked against).
    let kept = server.token_by_id(token.id).await.unwrap().unwrap();
    assert!(kept.revoked_at.is_none());
    admin.revoke_token(token.id, Utc::now()).await.unwrap();
    eventually("a token revoked elsewhere", || async {
        let (record, _) = server.token_by_hash("h-dave").await.unwrap().unwrap();
        record.revoked_at.is_some()
    })
    .await;
    eventually("a token revoked elsewhere, by id", || async {
        let record = server.token_by_id(token.id).await.unwrap().unwrap();
        record.revoked_at.is_some()
    })
    .await;

    admin
        .set_suspended(dave.id, Some(Utc::now()))
        .await
        .unwrap();
    eventually("a suspension made elsewhere", || async {
        let dave = server.account_by_id(dave.id).await.unwrap().unwrap();
        dave.suspended_at.is_some()
    })
    .await;

    lists_and_totals_made_elsewhere(server, admin, dave.id).await;

    // The server's own write is read back at once, every time.
    for _ in 0..20 {
        server.set_suspended(dave.id, None).await.unwrap();
        let seen = server.account_by_login("dave").await.unwrap().unwrap();
        assert!(seen.suspended_at.is_none());
        server
            .set_suspended(dave.id, Some(Utc::now()))
            .await
            .unwrap();
        let seen = server.account_by_id(dave.id).await.unwrap().unwrap();
        assert!(seen.suspended_at.is_some());
    }
}

/// A page of a list, its count and its packages' totals, kept by the
/// server, change with another store's writes.
async fn lists_and_totals_made_elsewhere(
    server: &SqlStore,
    admin: &SqlStore,
    dave: entrepot_core::Id,
) {
    // A page of dave's packages, their count and their totals, kept.
    let npm = entrepot_core::PackageType::Npm;
    let filter = PackageFilter {
        owner_id: Some(dave),
        package_type: Some(npm),
        limit: Some(100),
        ..Default::default()
    };
    let counted = PackageFilter {
        limit: None,
        ..filter.clone()
    };
    assert!(
        server
            .list_packages(filter.clone())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(server.count_packages(counted.clone()).await.unwrap(), 0);
    let package = admin
        .create_package(NewPackage {
            owner_id: dave,
            package_type: npm,
            name: "listed".into(),
            visibility: entrepot_core::Visibility::Private,
            repository_id: None,
            inherit_access: true,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    eventually(
        "a package made elsewhere, in a list and its count",
        || async {
            server.list_packages(filter.clone()).await.unwrap().len() == 1
                && server.count_packages(counted.clone()).await.unwrap() == 1
        },
    )
    .await;
    let id = package.id;
    let totals = || async move { server.package_totals(&[id]).await.unwrap()[&id] };
    assert_eq!(totals().await.versions, 0);
    let version = admin
        .publish_version(NewVersion {
            package_id: package.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: None,
            files: vec![],
            tags: vec![],
            at: Utc::now(),
        })
        .await
        .unwrap();
    admin
        .record_downloads(version.id, Utc::now().date_naive(), 3)
        .await
        .unwrap();
    eventually(
        "a version and downloads made elsewhere, in totals",
        || async {
            totals().await
                == PackageTotals {
                    versions: 1,
                    downloads: 3,
                }
        },
    )
    .await;
    files_made_elsewhere(server, admin, package.id, version.id).await;
}

/// What a download reads (a version by name, its files, a file by name),
/// kept by the server, changes with another store's writes.
async fn files_made_elsewhere(
    server: &SqlStore,
    admin: &SqlStore,
    package: entrepot_core::Id,
    version: entrepot_core::Id,
) {
    let live = || async move {
        let v = server.version(package, "1.0.0").await.unwrap().unwrap();
        v.deleted_at.is_none()
    };
    assert!(live().await);
    assert!(server.files(version).await.unwrap().is_empty());
    assert!(
        server
            .package_file(package, "a.tgz")
            .await
            .unwrap()
            .is_none()
    );
    let file = NewFile {
        name: "a.tgz".into(),
        size: 1,
        sha256: "a".repeat(64),
        digests: entrepot_core::Digests::default(),
        content_type: None,
    };
    admin.add_file(version, file, Utc::now()).await.unwrap();
    eventually("a file added elsewhere", || async {
        server.files(version).await.unwrap().len() == 1
            && server
                .package_file(package, "a.tgz")
                .await
                .unwrap()
                .is_some()
    })
    .await;
    admin
        .set_version_deleted(version, Some(Utc::now()))
        .await
        .unwrap();
    eventually("a version deleted elsewhere", || async { !live().await }).await;
    // A change to a version alone, which touches no package row. On
    // PostgreSQL only migration 0038's trigger announces it. The reads
    // first let the backstop (a look at the change sequence at most once
    // a second, on a read, forgetting twice after a move) finish with the
    // writes above, so that nothing else can make the change seen.
    let settled = Instant::now() + Duration::from_millis(3500);
    while Instant::now() < settled {
        server.version(package, "1.0.0").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin
        .update_version_metadata(version, serde_json::json!({"changed": true}), Utc::now())
        .await
        .unwrap();
    eventually("a version's metadata changed elsewhere", || async {
        let v = server.version(package, "1.0.0").await.unwrap().unwrap();
        v.metadata["changed"] == true
    })
    .await;
    admin
        .remove_files(version, &["a.tgz".to_owned()])
        .await
        .unwrap();
    eventually("a file removed elsewhere", || async {
        server.files(version).await.unwrap().is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_sees_another_processs_writes_through_the_wal_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let server = SqlStore::open_path(&path).await.unwrap();
    let admin = SqlStore::open_path(&path).await.unwrap();
    another_stores_writes_reach_the_cache(&server, &admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_nodes_hear_each_others_writes() {
    let db = entrepot_store::testing::TestDatabase::create().await;
    let server = SqlStore::open(&db.url).await.unwrap();
    let admin = SqlStore::open(&db.url).await.unwrap();
    another_stores_writes_reach_the_cache(&server, &admin).await;
    drop((server, admin));
    db.drop_now().await;
}

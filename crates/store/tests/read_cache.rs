//! The read cache (`src/sql/cache.rs`): what a store keeps in memory is
//! dropped at once by its own writes, and soon after a write by another
//! store on the same database (an `admin` command beside a server on
//! SQLite, another node on PostgreSQL).

use std::time::{Duration, Instant};

use chrono::Utc;
use entrepot_core::Scopes;
use entrepot_store::{AccountStore, NewTokenRecord, NewUser, SqlStore, TokenStore};

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
        })
        .await
        .unwrap();
    eventually("a token made elsewhere", || async {
        server.token_by_hash("h-dave").await.unwrap().is_some()
    })
    .await;
    admin.revoke_token(token.id, Utc::now()).await.unwrap();
    eventually("a token revoked elsewhere", || async {
        let (record, _) = server.token_by_hash("h-dave").await.unwrap().unwrap();
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

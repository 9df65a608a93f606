//! Runs the shared conformance suite against the SQLite and file-system backends.

use entrepot_store::{AccountStore, FsBlobStore, SqlStore, SqliteStore, conformance};

#[tokio::test]
async fn sqlite_metadata_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("meta.db"))
        .await
        .unwrap();
    conformance::metadata_store(&store).await;
}

#[tokio::test]
async fn postgres_metadata_store_passes_the_conformance_suite() {
    let db = entrepot_store::testing::TestDatabase::create().await;
    let store = SqlStore::open(&db.url).await.unwrap();
    assert_eq!(store.dialect(), entrepot_store::Dialect::Postgres);
    conformance::metadata_store(&store).await;
    drop(store);
    db.drop_now().await;
}

#[tokio::test]
async fn file_blob_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    conformance::blob_store(&store).await;
    let leftovers = std::fs::read_dir(dir.path().join("blobs/tmp"))
        .unwrap()
        .count();
    assert_eq!(
        leftovers, 0,
        "refused and failed writes leave no temporary file"
    );
}

#[tokio::test]
async fn s3_blob_store_passes_the_conformance_suite() {
    let emulator = entrepot_store::testing::S3Emulator::start();
    let config = emulator.bucket("conformance");
    let store = entrepot_store::S3BlobStore::open(&config).await.unwrap();
    conformance::blob_store(&store).await;
    // Refused and failed uploads leave no temporary object behind.
    assert_eq!(
        store.sweep_temp(std::time::Duration::ZERO).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn s3_blob_store_streams_multipart_uploads_and_ranges() {
    use entrepot_store::{BlobStore, ByteRange, Expected};
    use futures::TryStreamExt;
    let emulator = entrepot_store::testing::S3Emulator::start();
    let store = entrepot_store::S3BlobStore::open(&emulator.bucket("big"))
        .await
        .unwrap();
    // 20 MiB in 1 MiB chunks: past the part size, so a multipart upload.
    let chunk = |i: u8| Ok(bytes::Bytes::from(vec![i; 1024 * 1024]));
    let body = Box::pin(futures::stream::iter((0..20u8).map(chunk)));
    let info = store.put(body, Expected::default()).await.unwrap();
    assert_eq!(info.size, 20 * 1024 * 1024);
    let read = store
        .get(
            &info.sha256,
            Some(ByteRange {
                start: 3 * 1024 * 1024 - 1,
                end: Some(3 * 1024 * 1024),
            }),
        )
        .await
        .unwrap();
    let bytes: Vec<bytes::Bytes> = read.stream.try_collect().await.unwrap();
    assert_eq!(bytes.concat(), vec![2u8, 3u8]);
    assert_eq!(read.total_size, info.size);
}

#[tokio::test]
async fn sqlite_store_reopens_with_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    {
        let store = SqliteStore::open_path(&path).await.unwrap();
        store
            .create_user(entrepot_store::NewUser {
                login: "carol".into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let store = SqliteStore::open_path(&path).await.unwrap();
    assert!(store.account_by_login("carol").await.unwrap().is_some());
}

/// Two stores on one SQLite file, as a running server and an `admin`
/// command are: transactions that read before they write wait for each
/// other instead of failing with "database is locked".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_worth_of_writers_share_one_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("meta.db");
    let first = std::sync::Arc::new(SqliteStore::open_path(&path).await.unwrap());
    let second = std::sync::Arc::new(SqliteStore::open_path(&path).await.unwrap());
    let mut writers = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        writers.push(tokio::spawn(async move {
            store
                .create_user(entrepot_store::NewUser {
                    login: format!("user-{i}"),
                    ..Default::default()
                })
                .await
        }));
    }
    for writer in writers {
        writer.await.unwrap().expect("every create succeeds");
    }
    assert_eq!(first.count_users().await.unwrap(), 40);
}

#[tokio::test]
async fn postgres_finds_words_through_the_search_index() {
    let db = entrepot_store::testing::TestDatabase::create().await;
    let store = SqlStore::open(&db.url).await.unwrap();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let mut conn = pool.acquire().await.unwrap();
    // Enough names that the planner weighs the indexes by what they narrow.
    for sql in [
        "INSERT INTO accounts (login, kind, created_at, updated_at) \
         VALUES ('many', 'user', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
        "INSERT INTO packages (owner_id, package_type, name, visibility, created_at, updated_at) \
         SELECT a.id, 'npm', 'pkg-' || n, 'public', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' \
         FROM accounts a CROSS JOIN generate_series(1, 5000) n WHERE a.login = 'many'",
        // VACUUM, too: rows new to a GIN index wait in its pending list,
        // which the planner prices as a scan of that list.
        "VACUUM ANALYZE packages",
    ] {
        sqlx::query(sql).execute(&mut *conn).await.unwrap();
    }
    // Sequential scans and whole-index walks priced out: an index that
    // serves the condition is then always chosen.
    for setting in ["SET enable_seqscan = off", "SET enable_indexscan = off"] {
        sqlx::query(setting).execute(&mut *conn).await.unwrap();
    }
    let words = format!(
        "EXPLAIN SELECT id FROM packages WHERE {} @@ to_tsquery('simple'::regconfig, 'hello:*')",
        entrepot_store::sql::PG_SEARCH_DOCUMENT
    );
    // The name tiers of a search across owners (sql/search/tiers.rs).
    let inside = "EXPLAIN SELECT id FROM packages \
                  WHERE lower(name) LIKE '%hello%' AND deleted_at IS NULL"
        .to_owned();
    let exact = "EXPLAIN SELECT id FROM packages \
                 WHERE lower(name) = 'left-pad' AND deleted_at IS NULL"
        .to_owned();
    let labels = format!(
        "EXPLAIN SELECT id FROM packages WHERE {} @@ to_tsquery('simple'::regconfig, 'hello')",
        entrepot_store::sql::PG_SEARCH_LABELS
    );
    for (sql, index) in [
        (words, "packages_search"),
        (labels, "packages_labels"),
        (inside, "packages_name_trigrams"),
        (exact, "packages_lower_name_live"),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(&sql)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        assert!(
            plan.join("\n").contains(index),
            "{index} serves the query: {plan:?}"
        );
    }
    drop(conn);
    pool.close().await;
    drop(store);
    db.drop_now().await;
}

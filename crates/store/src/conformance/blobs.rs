//! Conformance, blob stores: digests computed on the way in, ranges, writes
//! refused whole (wrong digest, too large, a failing stream), idempotent
//! writes and deletes, keys that never reach a path, big streamed bodies.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use crate::StoreError;
use crate::blob::{BlobInfo, BlobStore, ByteRange, Expected, stream_of};

async fn read_all(store: &dyn BlobStore, sha: &str, range: Option<ByteRange>) -> Vec<u8> {
    let read = store.get(sha, range).await.expect("blob readable");
    let chunks: Vec<Bytes> = read.stream.try_collect().await.expect("stream reads");
    chunks.concat()
}

/// Exercises every `BlobStore` promise.
pub async fn blob_store(store: &dyn BlobStore) {
    let body = b"hello, entrepot".to_vec();
    let info = put_and_read(store, &body).await;
    ranges(store, &info).await;
    refusals(store, &info).await;
    rewrite_and_delete(store, &body, &info).await;

    // Keys that are not digests never reach a path.
    assert!(store.get("../../etc/passwd", None).await.is_err());

    big_bodies(store).await;
}

/// A body goes in with every digest asked for, and comes back whole.
async fn put_and_read(store: &dyn BlobStore, body: &[u8]) -> BlobInfo {
    let info = store
        .put(
            stream_of(body.to_vec()),
            Expected {
                want_sha512: true,
                want_sha1: true,
                want_md5: true,
                ..Expected::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(
        info.sha256,
        "1e7414dfe0baef509fd4aa045f11ed602e849d9dc88f3f8daee26be557a22718"
    );
    assert_eq!(
        info.md5.as_deref(),
        Some("a79c6a1a3f94fff51805bdb3c51dda39")
    );
    assert_eq!(
        info.sha1.as_deref(),
        Some("5b2c4e068f14be1c7ab878adbf7a024b9e91a067")
    );
    assert_eq!(info.sha512.as_ref().map(String::len), Some(128));
    assert_eq!(read_all(store, &info.sha256, None).await, body);
    assert_eq!(
        store.size(&info.sha256).await.unwrap(),
        Some(body.len() as u64)
    );
    info
}

/// Ranges: inclusive, clamped, and refused past the end.
async fn ranges(store: &dyn BlobStore, info: &BlobInfo) {
    let part = read_all(
        store,
        &info.sha256,
        Some(ByteRange {
            start: 7,
            end: Some(14),
        }),
    )
    .await;
    assert_eq!(part, b"entrepot");
    let tail = read_all(
        store,
        &info.sha256,
        Some(ByteRange {
            start: 7,
            end: None,
        }),
    )
    .await;
    assert_eq!(tail, b"entrepot");
    assert!(matches!(
        store
            .get(
                &info.sha256,
                Some(ByteRange {
                    start: 99,
                    end: None
                })
            )
            .await,
        Err(StoreError::RangeNotSatisfiable { size: 15 })
    ));
}

/// A wrong digest, a body over the size limit, or a stream that fails
/// midway: each keeps nothing.
async fn refusals(store: &dyn BlobStore, info: &BlobInfo) {
    let other = b"something else entirely".to_vec();
    let err = store
        .put(
            stream_of(other.clone()),
            Expected {
                sha256: Some("0".repeat(64)),
                ..Expected::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DigestMismatch {
                algorithm: "sha256",
                ..
            }
        ),
        "{err}"
    );
    let listed = store.list().await.unwrap();
    assert_eq!(
        listed,
        vec![info.sha256.clone()],
        "a refused blob must not be kept"
    );

    // Over the size limit keeps nothing either.
    let err = store
        .put(
            Box::pin(futures::stream::iter(vec![
                Ok(Bytes::from(vec![1u8; 10])),
                Ok(Bytes::from(vec![2u8; 10])),
            ])),
            Expected {
                max_size: Some(15),
                ..Expected::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { limit: 15 }));
    assert_eq!(store.list().await.unwrap().len(), 1);

    // A stream that fails midway keeps nothing.
    let failing = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(std::io::Error::other("client went away")),
    ]);
    assert!(
        store
            .put(Box::pin(failing), Expected::default())
            .await
            .is_err()
    );
    assert_eq!(store.list().await.unwrap().len(), 1);
}

/// Writing the same content twice is idempotent; deleting is too.
async fn rewrite_and_delete(store: &dyn BlobStore, body: &[u8], info: &BlobInfo) {
    let again = store
        .put(stream_of(body.to_vec()), Expected::default())
        .await
        .unwrap();
    assert_eq!(again.sha256, info.sha256);
    let written = store
        .modified(&info.sha256)
        .await
        .unwrap()
        .expect("a stored blob has a time");
    assert!(written.elapsed().unwrap_or_default() < std::time::Duration::from_mins(10));
    store.delete(&info.sha256).await.unwrap();
    store.delete(&info.sha256).await.unwrap();
    assert_eq!(store.modified(&info.sha256).await.unwrap(), None);
    assert_eq!(store.size(&info.sha256).await.unwrap(), None);
    assert!(matches!(
        store.get(&info.sha256, None).await,
        Err(StoreError::NotFound)
    ));
}

/// Big streamed bodies arrive whole.
async fn big_bodies(store: &dyn BlobStore) {
    let chunks = (0..64u8).map(|i| Ok(Bytes::from(vec![i; 64 * 1024])));
    let big = store
        .put(Box::pin(futures::stream::iter(chunks)), Expected::default())
        .await
        .unwrap();
    assert_eq!(big.size, 64 * 64 * 1024);
    let mut read = store.get(&big.sha256, None).await.unwrap();
    let mut n = 0u64;
    while let Some(chunk) = read.stream.next().await {
        n += chunk.unwrap().len() as u64;
    }
    assert_eq!(n, big.size);
}

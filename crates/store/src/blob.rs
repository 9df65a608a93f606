//! The blob store contract: content addressed by SHA-256, written from a
//! stream while hashing, verified before it becomes visible, read with ranges.

use std::pin::Pin;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::{StoreError, StoreResult};

pub type ByteStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// What the writer of a blob promises about it. Every digest given is
/// checked; a mismatch means nothing is kept.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Lowercase hex.
    pub sha256: Option<String>,
    pub sha512: Option<String>,
    pub sha1: Option<String>,
    pub md5: Option<String>,
    pub size: Option<u64>,
    /// Refuse (and keep nothing) past this many bytes.
    pub max_size: Option<u64>,
    /// Also compute these digests, for formats whose clients check them.
    pub want_sha512: bool,
    pub want_sha1: bool,
    pub want_md5: bool,
}

/// What the store learned while writing a blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub sha256: String,
    pub size: u64,
    pub sha512: Option<String>,
    pub sha1: Option<String>,
    pub md5: Option<String>,
}

/// An inclusive byte range, as HTTP `Range: bytes=start-end` names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    /// Inclusive; `None` reads to the end.
    pub end: Option<u64>,
}

impl ByteRange {
    /// Clamps to a blob of `size` bytes; `None` if it starts past the end.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        if self.start >= size {
            return None;
        }
        let end = self.end.map_or(size - 1, |e| e.min(size - 1));
        (end >= self.start).then_some((self.start, end))
    }
}

/// A blob being read: its total size, the range served, and the bytes.
pub struct BlobRead {
    pub total_size: u64,
    /// Inclusive bounds of what `stream` yields; `None` for an empty blob.
    pub range: Option<(u64, u64)>,
    pub stream: ByteStream,
}

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Streams `body` into the store. The blob becomes visible under its
    /// SHA-256 only after every expectation held and the bytes are durable.
    async fn put(&self, body: ByteStream, expected: Expected) -> StoreResult<BlobInfo>;

    /// Opens a blob, or a range of it.
    async fn get(&self, sha256: &str, range: Option<ByteRange>) -> StoreResult<BlobRead>;

    /// The size of a blob, if present.
    async fn size(&self, sha256: &str) -> StoreResult<Option<u64>>;

    /// When a blob was written, so the collector spares blobs whose
    /// metadata may still be on its way.
    async fn modified(&self, sha256: &str) -> StoreResult<Option<std::time::SystemTime>>;

    /// Removes a blob; removing a missing one is not an error.
    async fn delete(&self, sha256: &str) -> StoreResult<()>;

    /// Every stored digest, for the collector of unreferenced blobs.
    async fn list(&self) -> StoreResult<Vec<String>>;
}

/// Hashes a stream as it passes, shared by every backend so that all verify
/// the same way.
pub struct Hasher {
    sha256: Sha256,
    sha512: Option<Sha512>,
    sha1: Option<Sha1>,
    md5: Option<Md5>,
    size: u64,
    max_size: Option<u64>,
}

impl Hasher {
    pub fn new(expected: &Expected) -> Self {
        Hasher {
            sha256: Sha256::new(),
            sha512: (expected.want_sha512 || expected.sha512.is_some()).then(Sha512::new),
            sha1: (expected.want_sha1 || expected.sha1.is_some()).then(Sha1::new),
            md5: (expected.want_md5 || expected.md5.is_some()).then(Md5::new),
            size: 0,
            max_size: expected.max_size,
        }
    }

    pub fn update(&mut self, chunk: &[u8]) -> StoreResult<()> {
        self.size += chunk.len() as u64;
        if let Some(limit) = self.max_size
            && self.size > limit
        {
            return Err(StoreError::TooLarge { limit });
        }
        self.sha256.update(chunk);
        if let Some(h) = &mut self.sha512 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.md5 {
            h.update(chunk);
        }
        Ok(())
    }

    /// Finishes hashing and checks every expectation.
    pub fn finish(self, expected: &Expected) -> StoreResult<BlobInfo> {
        let info = BlobInfo {
            sha256: hex::encode(self.sha256.finalize()),
            size: self.size,
            sha512: self.sha512.map(|h| hex::encode(h.finalize())),
            sha1: self.sha1.map(|h| hex::encode(h.finalize())),
            md5: self.md5.map(|h| hex::encode(h.finalize())),
        };
        let checks: [(&'static str, Option<&String>, Option<&String>); 4] = [
            ("sha256", expected.sha256.as_ref(), Some(&info.sha256)),
            ("sha512", expected.sha512.as_ref(), info.sha512.as_ref()),
            ("sha1", expected.sha1.as_ref(), info.sha1.as_ref()),
            ("md5", expected.md5.as_ref(), info.md5.as_ref()),
        ];
        for (algorithm, want, got) in checks {
            if let (Some(want), Some(got)) = (want, got)
                && !want.eq_ignore_ascii_case(got)
            {
                return Err(StoreError::DigestMismatch {
                    algorithm,
                    expected: want.clone(),
                    actual: got.clone(),
                });
            }
        }
        if let Some(size) = expected.size
            && size != info.size
        {
            return Err(StoreError::Invalid(format!(
                "size mismatch: expected {size} bytes, got {}",
                info.size
            )));
        }
        Ok(info)
    }
}

/// Hashes on threads of their own while the caller writes, so that an
/// upload costs the longest of hashing and writing, not their sum: SHA-256
/// (and MD5) on one, SHA-512 and SHA-1, when asked for, on another (npm's
/// files want SHA-512 beside the SHA-256 that keys every blob, and SHA-512
/// alone costs more than SHA-256).
pub struct HashingThread {
    chunks: Vec<tokio::sync::mpsc::Sender<Bytes>>,
    primary: tokio::task::JoinHandle<Hasher>,
    secondary: Option<tokio::task::JoinHandle<(Option<Sha512>, Option<Sha1>)>>,
    size: u64,
    max_size: Option<u64>,
}

impl HashingThread {
    pub fn spawn(expected: &Expected) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
        let mut hasher = Hasher::new(expected);
        // Size limits are enforced by `feed`; the threads only hash.
        hasher.max_size = None;
        let (mut sha512, mut sha1) = (hasher.sha512.take(), hasher.sha1.take());
        let mut chunks = vec![tx];
        let secondary = (sha512.is_some() || sha1.is_some()).then(|| {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(4);
            chunks.push(tx);
            tokio::task::spawn_blocking(move || {
                while let Some(chunk) = rx.blocking_recv() {
                    if let Some(h) = &mut sha512 {
                        h.update(&chunk);
                    }
                    if let Some(h) = &mut sha1 {
                        h.update(&chunk);
                    }
                }
                (sha512, sha1)
            })
        });
        let primary = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                let _ = hasher.update(&chunk);
            }
            hasher
        });
        HashingThread {
            chunks,
            primary,
            secondary,
            size: 0,
            max_size: expected.max_size,
        }
    }

    /// Hands over the next chunk (cheap: `Bytes` is shared, not copied),
    /// waiting, without holding an executor thread, while a hashing thread
    /// is behind.
    pub async fn feed(&mut self, chunk: &Bytes) -> StoreResult<()> {
        self.size += chunk.len() as u64;
        if let Some(limit) = self.max_size
            && self.size > limit
        {
            return Err(StoreError::TooLarge { limit });
        }
        for tx in &self.chunks {
            tx.send(chunk.clone())
                .await
                .map_err(|_| StoreError::Io(std::io::Error::other("the hashing thread stopped")))?;
        }
        Ok(())
    }

    /// Waits for the hashes and checks every expectation.
    pub async fn finish(mut self, expected: &Expected) -> StoreResult<BlobInfo> {
        self.chunks.clear();
        let joined = |e| StoreError::Io(std::io::Error::other(e));
        let mut hasher = self.primary.await.map_err(joined)?;
        if let Some(secondary) = self.secondary {
            let (sha512, sha1) = secondary.await.map_err(joined)?;
            hasher.sha512 = sha512;
            hasher.sha1 = sha1;
        }
        hasher.finish(expected)
    }
}

/// Whether `s` is a lowercase hex SHA-256, the only key a blob can have;
/// checked before any path is built from it.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Turns bytes in memory into a stream (tests, small generated files).
pub fn stream_of(bytes: impl Into<Bytes>) -> ByteStream {
    let bytes = bytes.into();
    Box::pin(futures::stream::once(async move { Ok(bytes) }))
}

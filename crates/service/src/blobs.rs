//! Stored bytes by their SHA-256: streamed in under the size limits, read
//! back for downloads and by formats that read what they stored (a
//! tarball's manifest, a gem's spec), and discarded once nothing refers to
//! them.

use entrepot_store::{BlobInfo, BlobRead, ByteRange, ByteStream, Expected};
use futures::TryStreamExt as _;

use crate::{Blobs, ServiceResult};

impl Blobs<'_> {
    /// The blob's bytes (or `range` of them).
    pub async fn read_blob(
        self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> ServiceResult<BlobRead> {
        Ok(self.blob_store.get(sha256, range).await?)
    }

    /// A blob read whole, or `None` when absent or larger than `limit`.
    pub(crate) async fn read_small(
        self,
        sha256: &str,
        limit: usize,
    ) -> ServiceResult<Option<Vec<u8>>> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Ok(read) = self.read_blob(sha256, None).await else {
            return Ok(None);
        };
        let mut body = Vec::new();
        let mut stream = read.stream;
        while let Some(chunk) = stream.try_next().await? {
            if body.len() + chunk.len() > limit {
                return Ok(None);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// The blob's size, if it is stored.
    pub async fn blob_size(self, sha256: &str) -> ServiceResult<Option<u64>> {
        Ok(self.blob_store.size(sha256).await?)
    }

    /// Streams an upload into the blob store under the instance's size limit.
    pub async fn store_blob(self, body: ByteStream, expected: Expected) -> ServiceResult<BlobInfo> {
        self.store_blob_limited(body, expected, self.limits.max_upload_bytes)
            .await
    }

    /// Streams an upload into the blob store under `limit` bytes.
    pub async fn store_blob_limited(
        self,
        body: ByteStream,
        mut expected: Expected,
        limit: u64,
    ) -> ServiceResult<BlobInfo> {
        expected.max_size = Some(expected.max_size.map_or(limit, |m| m.min(limit)));
        let storing = self.holds.storing();
        let info = self.blob_store.put(body, expected).await?;
        self.holds.hold(&info.sha256);
        drop(storing);
        Ok(info)
    }

    /// Removes a blob unless something references it (the same content may
    /// belong to another package); true when it was removed. For the
    /// collector, which spares young blobs by its own grace period.
    pub async fn discard_blob(self, sha256: &str) -> ServiceResult<bool> {
        if self.meta.blob_referenced(sha256).await? {
            return Ok(false);
        }
        self.blob_store.delete(sha256).await?;
        Ok(true)
    }

    /// Drops the blob a refused upload stored through `store_blob`, unless
    /// something references it or another upload holds it or is being
    /// stored (it may be a twin); true when it was removed.
    pub async fn discard_upload(self, sha256: &str) -> ServiceResult<bool> {
        let referenced = self.meta.blob_referenced(sha256).await?;
        // Decided at the last moment before the delete.
        if self.holds.release(sha256) || referenced {
            return Ok(false);
        }
        self.blob_store.delete(sha256).await?;
        Ok(true)
    }

    /// Blobs nothing references that are older than `grace`.
    pub async fn collectable_blobs(self, grace: std::time::Duration) -> ServiceResult<Vec<String>> {
        self.collectable_blobs_watched(grace, &entrepot_store::copy::Silent)
            .await
    }

    /// `collectable_blobs`, telling `progress` of each blob looked at.
    pub async fn collectable_blobs_watched(
        self,
        grace: std::time::Duration,
        progress: &dyn entrepot_store::copy::Progress,
    ) -> ServiceResult<Vec<String>> {
        let mut out = Vec::new();
        let stored = self.blob_store.list().await?;
        progress.start("checking blobs", Some(stored.len() as u64));
        for digest in stored {
            progress.advance(1, 0);
            if self.meta.blob_referenced(&digest).await? {
                continue;
            }
            let old_enough = self
                .blob_store
                .modified(&digest)
                .await?
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= grace);
            if old_enough {
                out.push(digest);
            }
        }
        Ok(out)
    }
}

/// Blobs younger than this are spared by the collector: their metadata may
/// still be on its way (blobs are written before the metadata).
pub const BLOB_GRACE: std::time::Duration = std::time::Duration::from_hours(1);

/// How long an upload's blob is held after it was stored: longer than any
/// publish takes from storing its blob to writing its metadata.
const HOLD_WINDOW: std::time::Duration = std::time::Duration::from_mins(10);

/// Blobs stored by uploads of the last `HOLD_WINDOW`, counted by digest,
/// and the uploads still being stored, whose digests are not known yet.
/// Blobs are shared by content, so a refused upload must not delete the
/// blob when a concurrent upload of the same bytes stored it too and is
/// about to reference it: the refused one gives up its own hold and leaves
/// the blob to the collector (whose grace period is longer) while another
/// upload holds it or may be writing it. Per node: a twin upload on
/// another node is covered by the collector's grace period alone.
#[derive(Debug, Default)]
pub struct Holds(std::sync::Mutex<HeldBlobs>);

#[derive(Debug, Default)]
pub struct HeldBlobs {
    storing: usize,
    held: std::collections::HashMap<String, (usize, std::time::Instant)>,
}

/// An upload being stored; counted until it is dropped.
struct Storing<'a>(&'a Holds);

impl Drop for Storing<'_> {
    fn drop(&mut self) {
        self.0.lock().storing -= 1;
    }
}

impl Holds {
    fn lock(&self) -> std::sync::MutexGuard<'_, HeldBlobs> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn storing(&self) -> Storing<'_> {
        self.lock().storing += 1;
        Storing(self)
    }

    fn hold(&self, sha256: &str) {
        let mut blobs = self.lock();
        if blobs.held.len() > 1024 {
            blobs.held.retain(|_, (_, at)| at.elapsed() < HOLD_WINDOW);
        }
        let entry = blobs
            .held
            .entry(sha256.to_owned())
            .or_insert((0, std::time::Instant::now()));
        entry.0 += 1;
        entry.1 = std::time::Instant::now();
    }

    /// Gives up one hold; whether the blob must be kept because another
    /// upload holds it or one is being stored.
    fn release(&self, sha256: &str) -> bool {
        let mut blobs = self.lock();
        let mut others = false;
        if let Some((count, at)) = blobs.held.get_mut(sha256) {
            *count = count.saturating_sub(1);
            others = *count > 0 && at.elapsed() < HOLD_WINDOW;
            if *count == 0 {
                blobs.held.remove(sha256);
            }
        }
        others || blobs.storing > 0
    }
}

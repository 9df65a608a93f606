//! The file-system blob store: `ROOT/sha256/ab/abcdef…`, written through a
//! temporary file that is fsynced and renamed into place, so a crash at any
//! moment leaves either the whole verified blob or nothing under its name.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;

use crate::blob::{
    BlobInfo, BlobRead, BlobStore, ByteRange, ByteStream, Expected, HashingThread, is_sha256_hex,
};
use crate::{StoreError, StoreResult};

/// Bytes read from disk at a time when streaming a blob out: large enough
/// that a multi-GiB layer costs few trips to the blocking pool.
const READ_CHUNK: usize = 2 * 1024 * 1024;

/// Temporary files older than this are leftovers of a crash.
const STALE_TEMP_AGE: Duration = Duration::from_hours(1);

#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Opens (creating) the store and sweeps temporary files a crash left.
    pub async fn open(root: impl Into<PathBuf>) -> StoreResult<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("sha256")).await?;
        tokio::fs::create_dir_all(root.join("tmp")).await?;
        let store = FsBlobStore { root };
        store.sweep_temp(STALE_TEMP_AGE).await?;
        Ok(store)
    }

    /// Removes temporary files older than `age`; none is ever visible as a blob.
    pub async fn sweep_temp(&self, age: Duration) -> StoreResult<usize> {
        let mut removed = 0;
        let mut dir = tokio::fs::read_dir(self.root.join("tmp")).await?;
        while let Some(entry) = dir.next_entry().await? {
            let old = entry
                .metadata()
                .await?
                .modified()
                .ok()
                .and_then(|m| SystemTime::now().duration_since(m).ok())
                .is_none_or(|elapsed| elapsed >= age);
            if old {
                tokio::fs::remove_file(entry.path()).await.ok();
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn path_of(&self, sha256: &str) -> StoreResult<PathBuf> {
        if !is_sha256_hex(sha256) {
            return Err(StoreError::Invalid(format!(
                "not a sha256 digest: {sha256}"
            )));
        }
        Ok(self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, mut body: ByteStream, expected: Expected) -> StoreResult<BlobInfo> {
        let (file, temp_path) =
            tempfile::NamedTempFile::new_in(self.root.join("tmp"))?.into_parts();
        // `temp_path` removes the file on drop: every early return cleans up.
        // Large writes: one trip to the blocking pool per MiB, not per chunk.
        let mut file =
            tokio::io::BufWriter::with_capacity(1 << 20, tokio::fs::File::from_std(file));
        let mut hasher = HashingThread::spawn(&expected);
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            hasher.feed(&chunk)?;
            file.write_all(&chunk).await?;
        }
        let info = hasher.finish(&expected).await?;
        file.flush().await?;
        let file = file.into_inner();
        file.sync_all().await?;
        drop(file);
        let target = self.path_of(&info.sha256)?;
        let parent = target
            .parent()
            .expect("blob paths have a parent")
            .to_owned();
        tokio::fs::create_dir_all(&parent).await?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            temp_path.persist(&target).map_err(|e| e.error)?;
            std::fs::File::open(&parent)?.sync_all()
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        Ok(info)
    }

    async fn get(&self, sha256: &str, range: Option<ByteRange>) -> StoreResult<BlobRead> {
        let path = self.path_of(sha256)?;
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let total_size = file.metadata().await?.len();
        let bounds = match range {
            Some(r) => Some(
                r.resolve(total_size)
                    .ok_or(StoreError::RangeNotSatisfiable { size: total_size })?,
            ),
            None => (total_size > 0).then(|| (0, total_size - 1)),
        };
        let stream: ByteStream = match bounds {
            Some((start, end)) => {
                file.seek(SeekFrom::Start(start)).await?;
                Box::pin(ReaderStream::with_capacity(
                    file.take(end - start + 1),
                    // Small files (manifests, metadata) get small buffers.
                    READ_CHUNK.min(usize::try_from(end - start + 1).unwrap_or(READ_CHUNK)),
                ))
            }
            None => Box::pin(futures::stream::empty()),
        };
        Ok(BlobRead {
            total_size,
            range: bounds,
            stream,
        })
    }

    async fn size(&self, sha256: &str) -> StoreResult<Option<u64>> {
        match tokio::fs::metadata(self.path_of(sha256)?).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn modified(&self, sha256: &str) -> StoreResult<Option<SystemTime>> {
        match tokio::fs::metadata(self.path_of(sha256)?).await {
            Ok(m) => Ok(Some(m.modified()?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, sha256: &str) -> StoreResult<()> {
        match tokio::fs::remove_file(self.path_of(sha256)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn list(&self) -> StoreResult<Vec<String>> {
        let mut out = Vec::new();
        let mut shards = tokio::fs::read_dir(self.root.join("sha256")).await?;
        while let Some(shard) = shards.next_entry().await? {
            if !shard.file_type().await?.is_dir() {
                continue;
            }
            let mut files = tokio::fs::read_dir(shard.path()).await?;
            while let Some(f) = files.next_entry().await? {
                if let Some(name) = f.file_name().to_str()
                    && is_sha256_hex(name)
                {
                    out.push(name.to_owned());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

//! The file-system blob store: `ROOT/sha256/ab/abcdef…`, written through a
//! temporary file that is fsynced and renamed into place, so a crash at any
//! moment leaves either the whole verified blob or nothing under its name.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use crate::blob::{
    BlobInfo, BlobRead, BlobStore, ByteRange, ByteStream, Expected, HashingThread, is_sha256_hex,
};
use crate::{StoreError, StoreResult};

/// Bytes read from disk at a time when streaming a blob out: large enough
/// that a multi-GiB layer costs few trips to the blocking pool.
const READ_CHUNK: usize = 512 * 1024;

/// Temporary files older than this are leftovers of a crash.
const STALE_TEMP_AGE: Duration = Duration::from_hours(1);

/// Bytes written between two background flushes of an upload.
const FLUSH_EVERY: u64 = 16 * 1024 * 1024;

/// Writes an upload's chunks to `file` on a blocking thread, and makes it
/// durable before finishing. Every `FLUSH_EVERY` bytes a flush of what is
/// written so far starts on a clone of the file, so the disk works while
/// the upload is still arriving and the final `fsync` has little left.
fn spawn_writer(
    file: std::fs::File,
) -> (
    tokio::sync::mpsc::Sender<Option<Bytes>>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    use std::io::Write as _;
    // `Some(chunk)` to write, then `None` to finish; a channel closed
    // without `None` is an abandoned upload.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Option<Bytes>>(4);
    let handle = tokio::task::spawn_blocking(move || {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let mut unflushed = 0u64;
        let mut flushing: Option<std::thread::JoinHandle<std::io::Result<()>>> = None;
        let mut complete = false;
        while let Some(next) = rx.blocking_recv() {
            let Some(chunk) = next else {
                complete = true;
                break;
            };
            out.write_all(&chunk)?;
            unflushed += chunk.len() as u64;
            if unflushed >= FLUSH_EVERY
                && flushing
                    .as_ref()
                    .is_none_or(std::thread::JoinHandle::is_finished)
            {
                out.flush()?;
                let clone = out.get_ref().try_clone()?;
                flushing = Some(std::thread::spawn(move || clone.sync_data()));
                unflushed = 0;
            }
        }
        if !complete {
            return Err(std::io::Error::other("the upload was abandoned"));
        }
        let file = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        if let Some(f) = flushing {
            // An early flush's error shows again in the final one.
            let _ = f.join();
        }
        file.sync_all()
    });
    (tx, handle)
}

/// What is left to read of a blob being streamed out.
struct Reading {
    file: std::sync::Arc<std::fs::File>,
    remaining: u64,
}

impl Reading {
    /// Reads the next chunk from the file's cursor (blocking). Reads go
    /// straight into the buffer that is sent: no intermediate copy.
    fn read_next(&mut self) -> std::io::Result<Bytes> {
        let len = usize::try_from(self.remaining).map_or(READ_CHUNK, |r| r.min(READ_CHUNK));
        self.remaining -= len as u64;
        let mut buf = Vec::with_capacity(len);
        std::io::Read::read_to_end(&mut std::io::Read::take(&*self.file, len as u64), &mut buf)?;
        if buf.len() < len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the blob is shorter than its size",
            ));
        }
        Ok(Bytes::from(buf))
    }
}

/// Streams `first`, then the rest of the blob, always reading the next
/// chunk while the current one is being sent. No blocking thread is held
/// between chunks, so slow clients cost no threads.
fn read_ahead(
    state: Reading,
    first: Bytes,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send {
    type Pending = Option<tokio::task::JoinHandle<(Reading, std::io::Result<Bytes>)>>;
    fn start(mut state: Reading) -> Pending {
        (state.remaining > 0).then(|| {
            tokio::task::spawn_blocking(move || {
                let chunk = state.read_next();
                (state, chunk)
            })
        })
    }
    let pending = start(state);
    futures::stream::try_unfold(
        (Some(first), pending),
        |(ready, pending): (Option<Bytes>, Pending)| async move {
            if let Some(chunk) = ready {
                return Ok(Some((chunk, (None, pending))));
            }
            let Some(handle) = pending else {
                return Ok(None);
            };
            let (state, chunk) = handle.await.map_err(std::io::Error::other)?;
            let chunk = chunk?;
            Ok(Some((chunk, (None, start(state)))))
        },
    )
}

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
        // One thread writes, another hashes, both from the same chunks.
        let (chunks, writer) = spawn_writer(file);
        let mut hasher = HashingThread::spawn(&expected);
        let mut writer_stopped = false;
        while let Some(chunk) = body.next().await {
            // An early return drops `chunks` without the final `None`: the
            // writer then stops without making the partial file durable.
            let chunk = chunk?;
            hasher.feed(&chunk).await?;
            if chunks.send(Some(chunk)).await.is_err() {
                writer_stopped = true;
                break;
            }
        }
        if !writer_stopped {
            let _ = chunks.send(None).await;
        }
        drop(chunks);
        let written = writer
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        // The writer's own error, if it stopped early.
        written?;
        let info = hasher.finish(&expected).await?;
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
        // Opening, sizing, seeking and the first read are one trip to the
        // blocking pool: most blobs (tarballs, manifests) are one chunk.
        let opened = tokio::task::spawn_blocking(move || -> StoreResult<_> {
            let mut file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StoreError::NotFound);
                }
                Err(e) => return Err(e.into()),
            };
            let total_size = file.metadata()?.len();
            let bounds = match range {
                Some(r) => Some(
                    r.resolve(total_size)
                        .ok_or(StoreError::RangeNotSatisfiable { size: total_size })?,
                ),
                None => (total_size > 0).then(|| (0, total_size - 1)),
            };
            let mut reading = None;
            if let Some((start, end)) = bounds {
                std::io::Seek::seek(&mut file, SeekFrom::Start(start))?;
                let mut state = Reading {
                    file: std::sync::Arc::new(file),
                    remaining: end - start + 1,
                };
                let first = state.read_next()?;
                reading = Some((state, first));
            }
            Ok((total_size, bounds, reading))
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        let (total_size, bounds, reading) = opened?;
        let stream: ByteStream = match reading {
            Some((state, first)) => Box::pin(read_ahead(state, first)),
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

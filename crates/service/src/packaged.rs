//! One file from inside a version's archive (an npm tarball, a crate), so
//! that a README's relative images show where no repository is known: npm
//! and cargo ship the README with the files it refers to. The archive is
//! read as a stream off the executor's threads, and only as far as the
//! file; what it may cost is bounded.

use std::io::Read;

use bytes::Bytes;
use entrepot_core::PackageFile;
use entrepot_store::ByteStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::{Packages, ServiceError, ServiceResult};

/// Decompressed bytes read through at most, looking for the file: more
/// than any real package holds before its README's images, far less than
/// a gzip bomb would make.
const MAX_SCANNED_BYTES: u64 = 512 * 1024 * 1024;
/// Entries looked at, at most.
const MAX_ENTRIES: usize = 20_000;
/// A file served from an archive is at most this large.
pub const MAX_PACKAGED_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Bytes a chunk of the file carries.
const CHUNK: usize = 64 * 1024;

/// A file found inside an archive, streamed as it is decompressed.
pub struct PackagedFile {
    pub size: u64,
    pub body: ByteStream,
}

impl Packages<'_> {
    /// The file at `path` (relative to the archive's top folder, as a
    /// README names it) inside `archive`, a gzipped tarball whose entries
    /// sit under one folder (`package/`, `name-1.0.0/`). `None` when there
    /// is no such regular file, the archive cannot be read as far as it,
    /// or it is larger than [`MAX_PACKAGED_FILE_BYTES`].
    pub async fn packaged_file(
        self,
        archive: &PackageFile,
        path: &str,
    ) -> ServiceResult<Option<PackagedFile>> {
        let Some(wanted) = clean(path) else {
            return Ok(None);
        };
        let read = self.blobs().read_blob(&archive.sha256, None).await?;
        let handle = tokio::runtime::Handle::current();
        let (found_tx, found_rx) = oneshot::channel();
        let (tx, rx) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let reader = SyncIoBridge::new_with_handle(StreamReader::new(read.stream), handle);
            extract(reader, &wanted, found_tx, &tx);
        });
        match found_rx.await {
            Ok(Some(size)) => {
                let body = futures::stream::unfold(rx, |mut rx| async move {
                    rx.recv().await.map(|chunk| (chunk, rx))
                });
                Ok(Some(PackagedFile {
                    size,
                    body: Box::pin(body),
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(ServiceError::Internal(format!("reading an archive: {e}"))),
        }
    }
}

/// `path` as the entries are compared with it: `/`-separated, without
/// empty, `.` or `..` segments; `None` for a path that leaves the folder.
fn clean(path: &str) -> Option<String> {
    let mut out = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s => out.push(s),
        }
    }
    (!out.is_empty()).then(|| out.join("/"))
}

/// An entry's path without its top folder, cleaned as [`clean`] does.
fn within_top_folder(entry: &std::path::Path) -> Option<String> {
    let text = entry.to_str()?;
    let text = text.trim_start_matches("./");
    let (_, rest) = text.split_once('/')?;
    clean(rest)
}

/// Reads `reader` (a gzipped tarball) to the regular file at `wanted`,
/// tells `found` its size (or that there is none), then sends its bytes.
fn extract(
    reader: impl Read,
    wanted: &str,
    found: oneshot::Sender<Option<u64>>,
    tx: &mpsc::Sender<std::io::Result<Bytes>>,
) {
    let gz = flate2::read::GzDecoder::new(reader).take(MAX_SCANNED_BYTES);
    let mut archive = tar::Archive::new(gz);
    let Ok(entries) = archive.entries() else {
        let _ = found.send(None);
        return;
    };
    for entry in entries.take(MAX_ENTRIES) {
        let Ok(mut entry) = entry else { break };
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let matches = match entry.path() {
            Ok(path) => within_top_folder(&path).is_some_and(|p| p == wanted),
            Err(_) => false,
        };
        if !matches {
            continue;
        }
        let size = entry.size();
        if size > MAX_PACKAGED_FILE_BYTES {
            break;
        }
        let _ = found.send(Some(size));
        let mut buffer = vec![0; CHUNK];
        loop {
            match entry.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => {
                    if tx
                        .blocking_send(Ok(Bytes::copy_from_slice(&buffer[..n])))
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    }
    let _ = found.send(None);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, path, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    fn find(archive: &[u8], wanted: &str) -> Option<Vec<u8>> {
        let (found_tx, mut found_rx) = oneshot::channel();
        let (tx, mut rx) = mpsc::channel(1024);
        extract(archive, wanted, found_tx, &tx);
        drop(tx);
        found_rx.try_recv().ok().flatten()?;
        let mut out = Vec::new();
        while let Ok(chunk) = rx.try_recv() {
            out.extend_from_slice(&chunk.unwrap());
        }
        Some(out)
    }

    #[test]
    fn a_file_is_found_under_whatever_the_top_folder_is_called() {
        let npm = tarball(&[
            ("package/package.json", b"{}"),
            ("package/img/logo.png", b"PNG"),
        ]);
        assert_eq!(find(&npm, "img/logo.png").unwrap(), b"PNG");
        let odd = tarball(&[("node/img/logo.png", b"other root")]);
        assert_eq!(find(&odd, "img/logo.png").unwrap(), b"other root");
        assert_eq!(find(&npm, "img/missing.png"), None);
        assert_eq!(find(&npm, "package.json").unwrap(), b"{}");
    }

    #[test]
    fn paths_are_compared_clean_and_never_leave_the_folder() {
        assert_eq!(clean("./img//logo.png").as_deref(), Some("img/logo.png"));
        assert_eq!(clean("img/../../etc/passwd"), None);
        assert_eq!(clean("/"), None);
        let npm = tarball(&[("package/a.txt", b"a")]);
        assert_eq!(find(&npm, "a.txt").unwrap(), b"a");
    }

    #[test]
    fn what_is_not_a_gzipped_tarball_finds_nothing() {
        assert_eq!(find(b"not gzip at all", "a.txt"), None);
    }
}

//! Uploads a format reads before it keeps them (a zip's directory sits at
//! its end): spooled to an anonymous temporary file, then streamed from it
//! into the blob store.

use std::io::{Seek, SeekFrom};

use entrepot_service::{Registry, ServiceError, ServiceResult};
use entrepot_store::{BlobInfo, Expected};

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// A new anonymous temporary file (gone when closed), and an async handle
/// to write it.
pub async fn temp_file() -> ServiceResult<(std::fs::File, tokio::fs::File)> {
    let file = tokio::task::spawn_blocking(tempfile::tempfile)
        .await
        .map_err(internal)??;
    let writer = tokio::fs::File::from_std(file.try_clone()?);
    Ok((file, writer))
}

/// Streams `file`, from its start, into the blob store under the upload
/// limit, checking what `expected` promises.
pub async fn store_spooled(
    registry: &Registry,
    mut file: std::fs::File,
    expected: Expected,
) -> ServiceResult<BlobInfo> {
    file.seek(SeekFrom::Start(0))?;
    let stream =
        tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 256 * 1024);
    registry
        .blobs()
        .store_blob(Box::pin(stream), expected)
        .await
}

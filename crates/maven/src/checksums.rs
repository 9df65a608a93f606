//! The checksum files beside every file: served from the digests computed
//! at upload (or once from the bytes, for files stored before a digest was
//! kept), and checked when a client uploads its own.

use entrepot_core::PackageFile;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use futures::TryStreamExt;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::error::{MavenError, Result};
use crate::path::Checksum;

/// The hex digest of `bytes` (a generated document).
pub fn digest_hex(c: Checksum, bytes: &[u8]) -> String {
    match c {
        Checksum::Md5 => hex::encode(Md5::digest(bytes)),
        Checksum::Sha1 => hex::encode(Sha1::digest(bytes)),
        Checksum::Sha256 => hex::encode(Sha256::digest(bytes)),
        Checksum::Sha512 => hex::encode(Sha512::digest(bytes)),
    }
}

/// The stored file's hex digest: kept at upload, else computed from its
/// bytes once.
pub async fn file_digest(state: &AppState, file: &PackageFile, c: Checksum) -> Result<String> {
    let kept = match c {
        Checksum::Md5 => file.digests.md5.clone(),
        Checksum::Sha1 => file.digests.sha1.clone(),
        Checksum::Sha256 => Some(file.sha256.clone()),
        Checksum::Sha512 => file.digests.sha512.clone(),
    };
    match kept {
        Some(hex) => Ok(hex),
        None => digest_of_blob(state, &file.sha256, c).await,
    }
}

async fn digest_of_blob(state: &AppState, sha256: &str, c: Checksum) -> Result<String> {
    let read = state.registry.blobs().read_blob(sha256, None).await?;
    let mut md5 = Md5::new();
    let mut sha1 = Sha1::new();
    let mut sha512 = Sha512::new();
    let mut stream = read.stream;
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
    {
        match c {
            Checksum::Md5 => md5.update(&chunk),
            Checksum::Sha1 => sha1.update(&chunk),
            Checksum::Sha512 => sha512.update(&chunk),
            Checksum::Sha256 => {}
        }
    }
    Ok(match c {
        Checksum::Md5 => hex::encode(md5.finalize()),
        Checksum::Sha1 => hex::encode(sha1.finalize()),
        Checksum::Sha512 => hex::encode(sha512.finalize()),
        Checksum::Sha256 => sha256.to_owned(),
    })
}

/// The hex digest a checksum file holds (its first word, as `sha1sum`
/// writes it), if it is one.
pub fn checksum_text(body: &[u8], c: Checksum) -> Result<String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| MavenError::bad_request("a checksum file is text"))?;
    let word = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if word.len() != c.hex_len() || !word.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MavenError::bad_request(format!(
            "not a {} checksum",
            c.extension()
        )));
    }
    Ok(word)
}

//! Manifests as pulled, kept per node until their repository changes (see
//! `entrepot_http::cache`): every pull asks for a manifest by tag, then by
//! digest, and each answer read the tags, the version, its file and the
//! blob. Only small manifests are kept, so the cache stays bounded.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entrepot_core::Version;
use futures::TryStreamExt;

/// At most this many manifests are kept; more start the cache over.
const MAX_KEPT: usize = 2048;
/// Larger manifests (rare: images of hundreds of layers) are read from the
/// blob store each time. With `MAX_KEPT`, this bounds the cache to 64 MiB.
pub const MAX_KEPT_BYTES: u64 = 32 * 1024;

/// Manifests by repository, the reference asked for, and the repository's
/// last change.
pub type Manifests = entrepot_http::cache::Renderings<(i64, String, i64), Arc<Kept>, MAX_KEPT>;

/// A manifest with what its answer carries.
pub struct Kept {
    pub version: Version,
    /// The digest the reference asked for answers with.
    pub digest: String,
    body: Bytes,
    content_type: HeaderValue,
    etag: HeaderValue,
}

impl Kept {
    /// The manifest of `version`, stored as blob `sha256`, read whole
    /// (none if larger than `MAX_KEPT_BYTES`).
    pub async fn read(
        state: &entrepot_http::AppState,
        (version, digest): (Version, String),
        sha256: &str,
        content_type: &str,
    ) -> entrepot_service::ServiceResult<Option<Self>> {
        let read = state.registry.blobs().read_blob(sha256, None).await?;
        let mut body = Vec::new();
        let mut stream = read.stream;
        while let Some(chunk) = stream.try_next().await? {
            if (body.len() + chunk.len()) as u64 > MAX_KEPT_BYTES {
                return Ok(None);
            }
            body.extend_from_slice(&chunk);
        }
        let (Ok(content_type), Ok(etag)) = (
            HeaderValue::from_str(content_type),
            HeaderValue::from_str(&format!("\"{sha256}\"")),
        ) else {
            return Ok(None);
        };
        Ok(Some(Kept {
            version,
            digest,
            body: body.into(),
            content_type,
            etag,
        }))
    }

    /// The answer to `GET` (or `HEAD`) with `request`'s headers, as the
    /// blob store would give it: `304` when the client has it.
    pub fn respond(&self, request: &HeaderMap, head: bool) -> Response {
        let tag = self.etag.to_str().unwrap_or_default();
        let current = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
        let mut response = if current {
            StatusCode::NOT_MODIFIED.into_response()
        } else if head {
            Body::empty().into_response()
        } else {
            self.body.clone().into_response()
        };
        let h = response.headers_mut();
        h.insert(header::ETAG, self.etag.clone());
        if !current {
            h.insert(header::CONTENT_TYPE, self.content_type.clone());
            h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        }
        response
    }
}

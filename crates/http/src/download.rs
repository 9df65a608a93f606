//! Serving a stored file: streamed from the blob store, with `Range`,
//! `ETag` (its SHA-256) and `Content-Length`, shared by every format.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use entrepot_core::PackageFile;
use entrepot_service::ServiceError;
use entrepot_store::ByteRange;

use crate::state::AppState;

/// What a `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// `bytes=START-END` or `bytes=START-`.
    Bytes(ByteRange),
    /// `bytes=-N`: the last N bytes.
    Last(u64),
    /// A well-formed range that can never be satisfied (`bytes=500-0`).
    Unsatisfiable,
}

/// Parses a single byte range; anything else (several ranges, other units)
/// is ignored, as RFC 9110 allows, and the whole content is served.
pub fn parse_range(headers: &HeaderMap) -> Option<RangeRequest> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    if start.is_empty() {
        let n: u64 = end.parse().ok()?;
        return Some(if n == 0 {
            RangeRequest::Unsatisfiable
        } else {
            RangeRequest::Last(n)
        });
    }
    let start: u64 = start.parse().ok()?;
    let end = match end {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    if end.is_some_and(|e| e < start) {
        return Some(RangeRequest::Unsatisfiable);
    }
    Some(RangeRequest::Bytes(ByteRange { start, end }))
}

/// Streams `file` to the client, honouring `Range` and `If-None-Match`.
pub async fn serve_file(
    state: &AppState,
    file: &PackageFile,
    request_headers: &HeaderMap,
    content_type: &str,
) -> Result<Response, ServiceError> {
    serve_download(state, &file.sha256, request_headers, content_type, false).await
}

/// `serve_blob`, with a range past the end answered as the bare `416` that
/// every client but the container one expects (OCI words its own).
pub async fn serve_download(
    state: &AppState,
    sha256: &str,
    request_headers: &HeaderMap,
    content_type: &str,
    head_only: bool,
) -> Result<Response, ServiceError> {
    match serve_blob(state, sha256, request_headers, content_type, head_only).await {
        Err(ServiceError::RangeNotSatisfiable { size }) => Ok(range_not_satisfiable(size)),
        answered => answered,
    }
}

/// Streams the blob stored under `sha256` (headers only when `head_only`),
/// honouring `Range` and `If-None-Match`.
pub async fn serve_blob(
    state: &AppState,
    sha256: &str,
    request_headers: &HeaderMap,
    content_type: &str,
    head_only: bool,
) -> Result<Response, ServiceError> {
    let etag = format!("\"{sha256}\"");
    if request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return Ok(Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .header(header::ETAG, &etag)
            .body(Body::empty())
            .expect("valid response"));
    }
    let range = match parse_range(request_headers) {
        None => None,
        Some(RangeRequest::Bytes(r)) => Some(r),
        Some(RangeRequest::Last(n)) => {
            let size = blob_size(state, sha256).await?;
            Some(ByteRange {
                start: size.saturating_sub(n),
                end: None,
            })
        }
        Some(RangeRequest::Unsatisfiable) => {
            let size = state.registry.blobs().blob_size(sha256).await?.unwrap_or(0);
            return Err(ServiceError::RangeNotSatisfiable { size });
        }
    };
    if head_only {
        let size = blob_size(state, sha256).await?;
        let mut response = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ETAG, &etag)
            .header(header::ACCEPT_RANGES, "bytes")
            .body(Body::empty())
            .expect("valid response");
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        return Ok(response);
    }
    let read = state.registry.blobs().read_blob(sha256, range).await?;
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ETAG, &etag)
        .header(header::ACCEPT_RANGES, "bytes")
        .header(
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        );
    let length = read.range.map_or(0, |(s, e)| e - s + 1);
    builder = match (range, read.range) {
        (Some(_), Some((start, end))) => builder.status(StatusCode::PARTIAL_CONTENT).header(
            header::CONTENT_RANGE,
            format!("bytes {start}-{end}/{}", read.total_size),
        ),
        _ => builder.status(StatusCode::OK),
    };
    let mut response = builder
        .body(Body::from_stream(read.stream))
        .expect("valid response");
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    Ok(response)
}

async fn blob_size(state: &AppState, sha256: &str) -> Result<u64, ServiceError> {
    state
        .registry
        .blobs()
        .blob_size(sha256)
        .await?
        .ok_or_else(|| ServiceError::not_found("blob not found"))
}

/// The `416` answer for a range past the end.
pub fn range_not_satisfiable(size: u64) -> Response {
    Response::builder()
        .status(StatusCode::RANGE_NOT_SATISFIABLE)
        .header(header::CONTENT_RANGE, format!("bytes */{size}"))
        .body(Body::empty())
        .expect("valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(range: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        h
    }

    #[test]
    fn single_byte_ranges_parse_and_others_are_ignored() {
        let bytes = |start, end| Some(RangeRequest::Bytes(ByteRange { start, end }));
        assert_eq!(parse_range(&headers("bytes=0-99")), bytes(0, Some(99)));
        assert_eq!(parse_range(&headers("bytes=100-")), bytes(100, None));
        assert_eq!(
            parse_range(&headers("bytes=-5")),
            Some(RangeRequest::Last(5))
        );
        assert_eq!(
            parse_range(&headers("bytes=5-1")),
            Some(RangeRequest::Unsatisfiable)
        );
        for ignored in ["bytes=0-1,4-5", "items=0-1", "bytes=x-"] {
            assert_eq!(parse_range(&headers(ignored)), None, "{ignored}");
        }
    }
}

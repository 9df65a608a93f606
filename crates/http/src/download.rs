//! Serving a stored file: streamed from the blob store, with `Range`,
//! `ETag` (its SHA-256) and `Content-Length`, shared by every format.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use entrepot_core::PackageFile;
use entrepot_service::ServiceError;
use entrepot_store::ByteRange;

use crate::state::AppState;

/// Parses a single `bytes=START-END` range; anything else is ignored, as
/// RFC 9110 allows.
pub fn parse_range(headers: &HeaderMap) -> Option<ByteRange> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end = match end.trim() {
        "" => None,
        e => Some(e.parse().ok()?),
    };
    if end.is_some_and(|e| e < start) {
        return None;
    }
    Some(ByteRange { start, end })
}

/// Streams `file` to the client, honouring `Range` and `If-None-Match`.
pub async fn serve_file(
    state: &AppState,
    file: &PackageFile,
    request_headers: &HeaderMap,
    content_type: &str,
) -> Result<Response, ServiceError> {
    serve_blob(state, &file.sha256, request_headers, content_type, false).await
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
    let range = parse_range(request_headers);
    if head_only {
        let size = state
            .registry
            .blobs
            .size(sha256)
            .await?
            .ok_or_else(|| ServiceError::not_found("blob not found"))?;
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
    let read = state.registry.blobs.get(sha256, range).await?;
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
        assert_eq!(
            parse_range(&headers("bytes=0-99")),
            Some(ByteRange {
                start: 0,
                end: Some(99)
            })
        );
        assert_eq!(
            parse_range(&headers("bytes=100-")),
            Some(ByteRange {
                start: 100,
                end: None
            })
        );
        for ignored in ["bytes=5-1", "bytes=0-1,4-5", "items=0-1", "bytes=-5"] {
            assert_eq!(parse_range(&headers(ignored)), None, "{ignored}");
        }
    }
}

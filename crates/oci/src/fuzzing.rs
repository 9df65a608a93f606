//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

use axum::http::Method;

/// Request paths under `/v2/`.
pub fn endpoint(data: &[u8]) {
    if let Ok(path) = std::str::from_utf8(data) {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::PATCH,
            Method::POST,
            Method::DELETE,
        ] {
            let _ = crate::endpoint::Endpoint::parse(&method, path);
        }
        let _ = crate::name::Digest::parse(path);
        let _ = crate::name::RepoName::parse(path);
    }
}

/// A pushed manifest or index: JSON, then the structure the specs require.
pub fn manifest(data: &[u8]) {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        for media_type in [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json",
        ] {
            let _ = crate::document::check_shape(media_type, &doc);
        }
    }
}

/// A chunked upload's `Content-Range`.
pub fn content_range(data: &[u8]) {
    if let Ok(value) = axum::http::HeaderValue::from_bytes(data) {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::CONTENT_RANGE, value);
        let _ = crate::uploads::content_range(&headers);
    }
}

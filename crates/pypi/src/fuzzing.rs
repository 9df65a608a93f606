//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

use axum::http::Method;

/// Versions and project names (PEP 440, PEP 503), and request paths.
pub fn pep440(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        for method in [Method::GET, Method::HEAD, Method::POST] {
            let _ = crate::endpoint::Endpoint::parse(&method, text, Some(text));
        }
        if let Some(v) = crate::pep440::Version::parse(text) {
            let _ = (v.normalized(), v.is_prerelease());
        }
        let _ = (
            crate::pep440::is_valid_name(text),
            crate::pep440::normalize_name(text),
        );
    }
}

/// twine's multipart form, read by the upload handler's own reader, and
/// the file it carries read as a wheel.
pub fn multipart(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let body = axum::body::Body::from(data.to_vec());
    runtime.block_on(async move {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("multipart/form-data; boundary=fuzz"),
        );
        if let Ok((_, mut spooled)) = crate::form::read_form(&headers, body, 1 << 20).await {
            let _ = crate::distribution::wheel_metadata(&mut spooled.file);
        }
    });
}

/// A wheel (a zip), searched for its `.dist-info/METADATA`.
pub fn wheel(data: &[u8]) {
    use std::io::Write;
    let Ok(mut file) = tempfile::tempfile() else {
        return;
    };
    if file.write_all(data).is_ok() {
        let _ = crate::distribution::wheel_metadata(&mut file);
    }
}

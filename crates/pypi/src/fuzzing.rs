//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// Versions and project names (PEP 440, PEP 503).
pub fn pep440(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(v) = crate::pep440::Version::parse(text) {
            let _ = (v.normalized(), v.is_prerelease());
        }
        let _ = (
            crate::pep440::is_valid_name(text),
            crate::pep440::normalize_name(text),
        );
    }
}

/// twine's multipart form, read as the upload handler reads it.
pub fn multipart(data: &[u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let body = bytes::Bytes::copy_from_slice(data);
    runtime.block_on(async move {
        let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
        let mut form = multer::Multipart::new(stream, "fuzz");
        while let Ok(Some(mut field)) = form.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
    });
}

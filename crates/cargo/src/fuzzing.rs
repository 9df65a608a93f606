//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// A publish body, read by the publish handler's own reader: the
/// length-prefixed JSON document, then the `.crate`.
pub fn publish(data: &[u8]) {
    use futures::StreamExt;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let body = axum::body::Body::from(data.to_vec());
    runtime.block_on(async move {
        let mut reader = crate::body::BodyReader::new(body);
        let Ok((krate, len)) = reader.head().await else {
            return;
        };
        let mut rest = Vec::new();
        let mut stream = reader.into_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            rest.extend_from_slice(&chunk);
        }
        rest.truncate(len as usize);
        let _ = crate::tarball::read_crate(rest.as_slice(), &krate.name, &krate.vers, None);
    });
}

/// A `.crate` alone, for a fixed name and version.
pub fn tarball(data: &[u8]) {
    let _ = crate::tarball::read_crate(data, "fuzzed", "1.0.0", Some("README.md"));
}

//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// Repository layout paths.
pub fn path(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::path::parse(text);
    }
}

/// POMs and `maven-metadata.xml`.
pub fn xml(data: &[u8]) {
    let _ = crate::xml::Pom::parse(data);
    let _ = crate::xml::DeclaredMetadata::parse(data);
}

//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// A gemspec's YAML, through the safe loader and into a specification.
pub fn gemspec(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(doc) = crate::yaml::load(text)
    {
        let _ = crate::metadata::GemSpec::from_yaml(&doc);
    }
}

/// A `.gem`: a tar of gzipped metadata, data and checksums.
pub fn gem(data: &[u8]) {
    let _ = crate::gem::read_gem(data);
}

//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// A publish body: a length-prefixed JSON document, then the `.crate`.
pub fn publish(data: &[u8]) {
    let Some((len, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let len = u32::from_le_bytes(*len) as usize;
    let Some((json, rest)) = (len <= rest.len()).then(|| rest.split_at(len)) else {
        return;
    };
    let Ok(krate) = serde_json::from_slice::<crate::index::NewCrate>(json) else {
        return;
    };
    let krate_bytes = rest.get(4..).unwrap_or_default();
    let _ = crate::tarball::read_crate(krate_bytes, &krate.name, &krate.vers, None);
}

/// A `.crate` alone, for a fixed name and version.
pub fn tarball(data: &[u8]) {
    let _ = crate::tarball::read_crate(data, "fuzzed", "1.0.0", Some("README.md"));
}

//! Entry points for the fuzz targets (`fuzz/`) and the corpus replay
//! test: each parser of what a client sends, on raw bytes. They must never
//! panic, hang or allocate without bound, whatever the input.

/// A `.nuspec` document.
pub fn nuspec(data: &[u8]) {
    if let Ok(spec) = crate::nuspec::Nuspec::parse(data) {
        let _ = spec.parsed_version();
    }
}

/// A `.nupkg`: a zip holding the nuspec, a README and an icon.
pub fn nupkg(data: &[u8]) {
    let _ = crate::package::read(std::io::Cursor::new(data));
}

/// A v2 feed's `$filter` expression and version strings.
pub fn odata(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(expr) = crate::odata::filter::parse(text) {
            let _ = crate::odata::filter::eval(&expr, &|_| None);
        }
        let _ = crate::version::NuGetVersion::parse(text);
    }
}

//! The README inside a published tarball (`package/README*`), read within
//! the limits of `entrepot_core::limits`: the package page shows it.

use std::io::{BufReader, Read};

use entrepot_core::limits::{MAX_README_BYTES, utf8_prefix};
use entrepot_service::Registry;
use entrepot_store::BlobInfo;
use tokio::runtime::Handle;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// Decompressed bytes inspected while looking for the README.
const MAX_INSPECTED_BYTES: u64 = 512 * 1024 * 1024;

/// Looks for `package/README*` in a stored gzipped tarball; any failure
/// means no README.
pub async fn readme_of(registry: &Registry, blob: &BlobInfo) -> Option<String> {
    let read = registry.blobs().read_blob(&blob.sha256, None).await.ok()?;
    let handle = Handle::current();
    let reader = SyncIoBridge::new_with_handle(StreamReader::new(read.stream), handle);
    tokio::task::spawn_blocking(move || find_readme(BufReader::new(reader)))
        .await
        .ok()
        .flatten()
}

pub(crate) fn find_readme(tarball: impl Read) -> Option<String> {
    let gz = flate2::read::GzDecoder::new(tarball).take(MAX_INSPECTED_BYTES);
    let mut archive = tar::Archive::new(gz);
    for entry in archive.entries().ok()?.take(10_000) {
        let mut entry = entry.ok()?;
        let path = entry.path().ok()?.into_owned();
        let mut components = path.components();
        components.next();
        let rest = components.as_path();
        let is_readme = rest.components().count() == 1
            && rest
                .to_str()
                .is_some_and(|n| n.to_ascii_lowercase().starts_with("readme"));
        if is_readme && entry.header().entry_type().is_file() {
            let mut text = Vec::new();
            (&mut entry)
                .take(MAX_README_BYTES as u64)
                .read_to_end(&mut text)
                .ok()?;
            return utf8_prefix(text, MAX_README_BYTES).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball_with_readme(readme: &str) -> Vec<u8> {
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        for (path, body) in [
            ("package/package.json", "{}"),
            ("package/README.md", readme),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, path, body.as_bytes())
                .unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    #[test]
    fn the_readme_is_found_in_the_package_folder() {
        assert_eq!(
            find_readme(&tarball_with_readme("# Hello")[..]).as_deref(),
            Some("# Hello")
        );
        assert_eq!(find_readme(&b"not a tarball"[..]), None);
    }

    #[test]
    fn a_readme_past_the_limit_in_the_tarball_is_cut() {
        let long = "é".repeat(MAX_README_BYTES);
        let found = find_readme(&tarball_with_readme(&long)[..]).unwrap();
        assert_eq!(found.len(), MAX_README_BYTES);
        let long = format!("a{long}");
        let found = find_readme(&tarball_with_readme(&long)[..]).unwrap();
        assert_eq!(
            found.len(),
            MAX_README_BYTES - 1,
            "a character split by the limit is dropped, the README kept"
        );
    }
}

//! The fuzz targets: every parser of what a client sends, by name. The
//! cargo-fuzz harness in `fuzz/` runs one of them under libFuzzer; the
//! replay test runs every saved input of every target on stable Rust, so
//! CI catches a regression on any input fuzzing ever kept.

use axum::http::{HeaderMap, HeaderValue, header};
use entrepot_core::Ecosystem;

/// A target's name and its entry point.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by the name of its folder under `fuzz/corpus/`.
pub const TARGETS: &[Target] = &[
    ("npm_endpoint", entrepot_npm::fuzzing::endpoint),
    ("npm_publish", entrepot_npm::fuzzing::publish_body),
    ("npm_tarball", entrepot_npm::fuzzing::tarball),
    ("npm_audit", entrepot_npm::fuzzing::audit_body),
    ("nuget_nuspec", entrepot_nuget::fuzzing::nuspec),
    ("nuget_nupkg", entrepot_nuget::fuzzing::nupkg),
    ("nuget_odata", entrepot_nuget::fuzzing::odata),
    ("rubygems_gemspec", entrepot_rubygems::fuzzing::gemspec),
    ("rubygems_gem", entrepot_rubygems::fuzzing::gem),
    ("maven_path", entrepot_maven::fuzzing::path),
    ("maven_xml", entrepot_maven::fuzzing::xml),
    ("cargo_publish", entrepot_cargo::fuzzing::publish),
    ("cargo_tarball", entrepot_cargo::fuzzing::tarball),
    ("oci_endpoint", entrepot_oci::fuzzing::endpoint),
    ("oci_manifest", entrepot_oci::fuzzing::manifest),
    ("pypi_pep440", entrepot_pypi::fuzzing::pep440),
    ("pypi_multipart", entrepot_pypi::fuzzing::multipart),
    ("pypi_wheel", entrepot_pypi::fuzzing::wheel),
    ("http_range", range),
    ("http_request", entrepot::fuzzing::request),
    ("web_readme", entrepot_web::fuzzing::readme),
    ("advisory_range", advisory_range),
    ("image_sbom", image_sbom),
    ("generic_endpoint", entrepot_generic::fuzzing::endpoint),
];

/// Runs the target `name` on `data`; panics on an unknown name.
pub fn run(name: &str, data: &[u8]) {
    let (_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no fuzz target `{name}`"));
    target(data);
}

/// `Range` headers, as downloads read them, and `Content-Range`, as OCI's
/// chunked uploads do.
fn range(data: &[u8]) {
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, value);
        let _ = entrepot_http::download::parse_range(&headers);
    }
    entrepot_oci::fuzzing::content_range(data);
}

/// Advisory version ranges in every ecosystem's order, their OSV events,
/// and purls.
fn advisory_range(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (range, version) = text.split_once('\n').unwrap_or((text, "1.0.0"));
    for ecosystem in entrepot_core::osv::ECOSYSTEMS {
        let _ = entrepot_core::advisory::parse_range(*ecosystem, range);
        let _ = entrepot_core::advisory::affects(*ecosystem, range, version);
        let _ = entrepot_core::osv::events(*ecosystem, Some(range));
    }
    let _ = entrepot_core::osv::parse_purl(text);
    let _ = Ecosystem::Npm;
}

/// SPDX and CycloneDX documents attached to images, as the dependency
/// graph reads them.
fn image_sbom(data: &[u8]) {
    let _ = entrepot_core::sbom::dependencies(data);
}

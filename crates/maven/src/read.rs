//! `GET` and `HEAD` of the layout: stored files (counted when they are a
//! version's main artifact), the generated `maven-metadata.xml` files, and
//! the checksums of either.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use entrepot_core::{Action, Version};
use entrepot_http::AppState;

use crate::checksums::{digest_hex, file_digest};
use crate::error::{Result, not_found};
use crate::maven_metadata;
use crate::metadata::VersionMetadata;
use crate::path::{self, Checksum, Coordinates, MavenPath, content_type};
use crate::stored::{file_names, live_versions, stored_file, version_of};
use crate::target::Target;

pub async fn read(
    state: &AppState,
    t: &Target,
    parsed: &MavenPath,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    t.allow(state, Action::Read).await?;
    let package = t.package.as_ref().ok_or_else(not_found)?;
    let c = &t.coordinates;
    match parsed {
        MavenPath::ArtifactMetadata { checksum, .. } => {
            let versions: Vec<(String, DateTime<Utc>)> = live_versions(state, package)
                .await?
                .into_iter()
                .map(|v| (v.name, v.updated_at))
                .collect();
            if versions.is_empty() {
                return Err(not_found());
            }
            let xml = maven_metadata::artifact(&c.group, &c.artifact, &versions);
            Ok(metadata_or_checksum(xml, *checksum, head))
        }
        MavenPath::SnapshotMetadata {
            version, checksum, ..
        } => {
            let v = version_of(state, package, version)
                .await?
                .ok_or_else(not_found)?;
            let names = file_names(state, &v).await?;
            let xml = maven_metadata::snapshot(&c.group, &c.artifact, version, &names)
                .ok_or_else(not_found)?;
            Ok(metadata_or_checksum(xml, *checksum, head))
        }
        MavenPath::File {
            version,
            file,
            checksum,
            ..
        } => {
            let (v, stored) = stored_file(state, package, version, file).await?;
            if let Some(c) = checksum {
                let hex = file_digest(state, &stored, *c).await?;
                return Ok(document(hex, "text/plain", head));
            }
            let response = entrepot_http::download::serve_download(
                state,
                &stored.sha256,
                headers,
                content_type(file),
                head,
            )
            .await?;
            if !head && response.status() == StatusCode::OK && is_main_artifact(c, &v, file) {
                state
                    .registry
                    .packages()
                    .count_download(entrepot_core::PackageType::Maven, &v);
            }
            Ok(response)
        }
    }
}

/// A small generated document (metadata, a checksum), with its length.
fn document(body: String, content_type: &'static str, head: bool) -> Response {
    let length = body.len();
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    // Metadata changes with every deploy; checksums follow it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn metadata_or_checksum(xml: String, checksum: Option<Checksum>, head: bool) -> Response {
    match checksum {
        Some(c) => document(digest_hex(c, xml.as_bytes()), "text/plain", head),
        None => document(xml, "application/xml", head),
    }
}

/// Whether a download of `file` counts as a download of the version: its
/// main artifact (the packaging's file without classifier), not the POM of
/// a jar, sources, signatures or checksums.
fn is_main_artifact(c: &Coordinates, v: &Version, file: &str) -> bool {
    let packaging = VersionMetadata::of(v);
    let wanted = match packaging.as_ref().map_or("jar", VersionMetadata::packaging) {
        "pom" => "pom",
        "war" => "war",
        "ear" => "ear",
        "aar" => "aar",
        _ => "jar",
    };
    let parts = match v.name.strip_suffix("-SNAPSHOT") {
        Some(base) => {
            maven_metadata::build(file, &c.artifact, base).map(|b| (b.classifier, b.extension))
        }
        None => path::classifier_and_extension(file, &c.artifact, &v.name),
    };
    matches!(parts, Some((None, ext)) if ext == wanted)
}

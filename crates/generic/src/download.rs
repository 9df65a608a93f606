//! `GET|HEAD NAME/VERSION/FILE`: a stored file, with ranges, its `ETag`
//! and its digests in the headers curl and CI scripts check
//! (`X-Checksum-Sha256`, `-Sha1`, `-Md5` and RFC 9530's `Repr-Digest`);
//! counted as a download of its version when served whole. Every file is
//! sent as bytes, never as a page a browser would run.
//! `DELETE NAME/VERSION` deletes a version, and the package with its last
//! (restored through the REST API).

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use entrepot_core::{Actor, PackageType};
use entrepot_http::AppState;

use crate::endpoint::FilePath;
use crate::error::{GenericError, Result};

/// What every file is served as.
pub const CONTENT_TYPE: &str = "application/octet-stream";

pub async fn download(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    (file, head): (&FilePath, bool),
    headers: &HeaderMap,
) -> Result<Response> {
    let packages = state.registry.packages();
    let package = packages
        .readable_package(actor, owner, PackageType::Generic, &file.name)
        .await?;
    let missing = || {
        GenericError::not_found(format!(
            "{} of {} {} was not found",
            file.file, file.name, file.version
        ))
    };
    let version = packages
        .live_version(&package, &file.version)
        .await?
        .ok_or_else(missing)?;
    let stored = packages
        .files(version.id)
        .await?
        .into_iter()
        .find(|f| f.name == file.file)
        .ok_or_else(missing)?;
    let mut response =
        entrepot_http::download::serve_download(state, &stored.sha256, headers, CONTENT_TYPE, head)
            .await?;
    let status = response.status();
    if status.is_success() {
        let out = response.headers_mut();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                out.insert(name, v);
            }
        };
        if let Ok(raw) = hex::decode(&stored.sha256) {
            let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
            set("repr-digest", format!("sha-256=:{b64}:"));
        }
        set("x-checksum-sha256", stored.sha256.clone());
        if let Some(sha1) = &stored.digests.sha1 {
            set("x-checksum-sha1", sha1.clone());
        }
        if let Some(md5) = &stored.digests.md5 {
            set("x-checksum-md5", md5.clone());
        }
        set(
            "content-disposition",
            format!("attachment; filename=\"{}\"", file.file),
        );
    }
    if status == StatusCode::OK && !head {
        packages.count_download(PackageType::Generic, &version);
    }
    Ok(response)
}

pub async fn delete_version(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    (name, version): (&str, &str),
) -> Result<Response> {
    let packages = state.registry.packages();
    let package = packages
        .readable_package(actor, owner, PackageType::Generic, name)
        .await?;
    // The last version goes with its package: none is left empty.
    packages
        .delete_version_or_package(actor, &package, version)
        .await?
        .ok_or_else(|| GenericError::not_found(format!("{name} {version} was not found")))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

//! `GET /files/PROJECT/VERSION/FILE`: a distribution, counted as a
//! download when served whole, or its core metadata file (PEP 658).

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entrepot_core::Actor;
use entrepot_http::AppState;

use crate::error::{PypiError, Result};
use crate::releases::readable;

/// A file of one release, by the names in its URL.
pub struct FileRequest<'a> {
    pub owner: &'a str,
    pub project: &'a str,
    pub version: &'a str,
    pub filename: &'a str,
    pub head: bool,
}

pub async fn download(
    state: &AppState,
    actor: &Actor,
    file: &FileRequest<'_>,
    headers: &HeaderMap,
) -> Result<Response> {
    let FileRequest {
        owner,
        project,
        version,
        filename,
        head,
    } = *file;
    let package = readable(state, actor, owner, project).await?;
    let not_found = || PypiError::new(StatusCode::NOT_FOUND, format!("{filename} was not found"));
    let v = state
        .registry
        .packages()
        .live_version(&package, version)
        .await?
        .ok_or_else(not_found)?;
    let files = state.registry.packages().files(v.id).await?;
    let file = files
        .iter()
        .find(|f| f.name == filename)
        .ok_or_else(not_found)?;
    let metadata = filename.ends_with(".metadata");
    let content_type = if metadata {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let response =
        entrepot_http::download::serve_download(state, &file.sha256, headers, content_type, head)
            .await?;
    if !metadata && !head && response.status() == StatusCode::OK {
        state
            .registry
            .packages()
            .count_download(entrepot_core::PackageType::Pypi, &v);
    }
    Ok(response)
}

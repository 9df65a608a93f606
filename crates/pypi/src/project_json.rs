//! `GET /pypi/PROJECT/json`, shaped like PyPI's JSON API (the parts tools
//! read): the latest release's metadata, and every release's files.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::AppState;
use serde_json::{Map, Value, json};

use crate::error::{PypiError, Result};
use crate::releases::{Dist, readable, releases};

fn file_json(d: &Dist) -> Value {
    json!({
        "filename": d.filename,
        "url": d.url,
        "digests": { "sha256": d.sha256 },
        "size": d.size,
        "requires_python": d.requires_python,
        "upload_time_iso_8601": d.uploaded.map(|u| u.to_rfc3339()),
        "yanked": d.yanked.is_some(),
        "yanked_reason": d.yanked.clone().filter(|r| !r.is_empty()),
    })
}

/// The latest release is the highest that is neither a prerelease nor
/// yanked, or else the highest.
pub async fn project_json(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
) -> Result<Response> {
    let package = readable(state, actor, owner, project).await?;
    let releases = releases(state, &package).await?;
    let latest = releases
        .iter()
        .rev()
        .find(|r| !r.version.is_prerelease() && !r.metadata.yanked.is_yanked())
        .or_else(|| releases.last())
        .ok_or_else(|| PypiError::new(StatusCode::NOT_FOUND, "no releases"))?;
    let mut info = latest.metadata.to_value();
    info["description"] = json!(package.readme);
    let releases_json: Map<String, Value> = releases
        .iter()
        .map(|r| {
            (
                r.version.normalized(),
                Value::Array(r.dists.iter().map(file_json).collect()),
            )
        })
        .collect();
    Ok(axum::Json(json!({
        "info": info,
        "releases": releases_json,
        "urls": latest.dists.iter().map(file_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

//! Yanking (PEP 592): a yanked release stays installable when pinned with
//! `==`, but resolvers skip it; unyanking undoes that.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::{Action, Actor};
use entrepot_http::AppState;
use entrepot_http::owner::form_fields;
use entrepot_service::ServiceError;

use crate::error::{PypiError, Result};
use crate::metadata::{CoreMetadata, Yank};
use crate::pep440::Version;
use crate::releases::readable;

/// `POST /PROJECT/VERSION/yank` (with an optional `reason` in the form) or
/// `…/unyank`. Needs `delete:packages` and admin.
pub async fn yank(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    (project, version): (&str, &str),
    yank: bool,
    body: Body,
) -> Result<Response> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| PypiError::bad_request("the form is too large"))?;
    let reason = form_fields(&String::from_utf8_lossy(&bytes))
        .remove("reason")
        .unwrap_or_default();
    let package = readable(state, actor, owner, project).await?;
    state
        .registry
        .authorize_package(actor, Action::Delete, &package)
        .await?;
    let name = Version::parse(version)
        .map(|v| v.normalized())
        .ok_or_else(|| PypiError::bad_request("invalid version"))?;
    let v = state
        .registry
        .packages()
        .live_version(&package, &name)
        .await?
        .ok_or_else(|| {
            PypiError::new(
                StatusCode::NOT_FOUND,
                format!("{project} {name} was not found"),
            )
        })?;
    let mut metadata = CoreMetadata::read(&v).map_err(|e| {
        ServiceError::Internal(format!("version {} holds no core metadata: {e}", v.id))
    })?;
    metadata.yanked = if yank {
        Yank::Reason(reason)
    } else {
        Yank::Flag(false)
    };
    let what = if yank {
        "version.yank"
    } else {
        "version.unyank"
    };
    state
        .registry
        .packages()
        .update_version_metadata(actor, &package, &v, metadata.to_value(), what)
        .await?;
    Ok((StatusCode::OK, if yank { "Yanked\n" } else { "Unyanked\n" }).into_response())
}

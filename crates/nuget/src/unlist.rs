//! `nuget delete` unlists a version: it stays installable by its exact
//! number, as on nuget.org, but searches and "latest" leave it out; a
//! `POST` to the same URL lists it again. Both are for those who may
//! delete the package.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_service::ServiceError;

use crate::metadata::VersionMetadata;
use crate::respond::{NuGetError, Result};
use crate::view::View;

/// `DELETE` (`listed` false) or `POST` `api/v2/package/ID/VERSION`.
pub async fn set_listed(view: &View<'_>, lid: &str, lver: &str, listed: bool) -> Result<Response> {
    let registry = view.registry();
    let package = view.package(lid).await?;
    let version = registry
        .packages()
        .withdrawable_version(view.actor, &package, lver)
        .await?
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let mut metadata = VersionMetadata::of(&version).ok_or_else(|| {
        ServiceError::Internal(format!(
            "the metadata of {lid} {lver} does not read, so it cannot be {}",
            if listed { "relisted" } else { "unlisted" }
        ))
    })?;
    metadata.listed = listed;
    registry
        .packages()
        .update_version_metadata(
            view.actor,
            &package,
            &version,
            metadata.to_json(),
            if listed {
                "version.relist"
            } else {
                "version.unlist"
            },
        )
        .await?;
    Ok(if listed {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

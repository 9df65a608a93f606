//! The version operations of the packages API: list, get, delete and
//! restore a package's versions.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::{Package, Scope, Version};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;

use super::render;
use crate::model::package::PackageVersion;
use crate::shared::{
    OwnerRoute, Params, id_param, live_package, not_found, package_urls, page_of, require_scope,
    with_link,
};

pub(super) async fn list_versions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let deleted = match query.get("state").map(String::as_str) {
        None | Some("active") => false,
        Some("deleted") => true,
        Some(other) => {
            return Err(ApiError(ServiceError::Invalid(format!(
                "`{other}` is not a valid state: use active or deleted."
            ))));
        }
    };
    let page = page_of(&query)?;
    // Live versions are paged in SQL; deleted ones (few, and only for the
    // package's admins) are read whole and paged here.
    let (shown, total) = if deleted {
        let mut versions: Vec<Version> = state
            .registry
            .packages()
            .versions(package.id, true)
            .await?
            .into_iter()
            .filter(|v| v.deleted_at.is_some())
            .collect();
        // Newest first, as GitHub lists them.
        versions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        let total = versions.len();
        (page.slice(&versions).to_vec(), total)
    } else {
        let (versions, total) = state
            .registry
            .packages()
            .versions_page(package.id, page.per_page as u32, page.offset())
            .await?;
        (versions, total as usize)
    };
    let ids: Vec<_> = shown.iter().map(|v| v.id).collect();
    let downloads = state
        .registry
        .packages()
        .version_downloads(&package, &ids)
        .await?;
    let mut items: Vec<PackageVersion> = Vec::with_capacity(shown.len());
    for v in &shown {
        let count = downloads.get(&v.id).copied().unwrap_or(0);
        items.push(render::version(&state, &owner, &package, v, count).await?);
    }
    let mut url = format!(
        "{}/versions",
        package_urls(&state.config, &owner, &package).api
    );
    if deleted {
        url.push_str("?state=deleted");
    }
    Ok(with_link(Json(items).into_response(), page, &url, total))
}

async fn find_version(
    state: &AppState,
    package: &Package,
    params: &HashMap<String, String>,
) -> Result<Version, ApiError> {
    let id = id_param(params, "package_version_id")?;
    state
        .registry
        .packages()
        .version_by_id(id)
        .await?
        .filter(|v| v.package_id == package.id)
        .ok_or_else(not_found)
}

pub(super) async fn get_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Json<PackageVersion>, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    let downloads = state
        .registry
        .packages()
        .version_downloads(&package, &[version.id])
        .await?
        .get(&version.id)
        .copied()
        .unwrap_or(0);
    Ok(Json(
        render::version(&state, &owner, &package, &version, downloads).await?,
    ))
}

pub(super) async fn delete_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<StatusCode, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    state
        .registry
        .packages()
        .delete_version(&actor, &package, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn restore_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<StatusCode, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    state
        .registry
        .packages()
        .restore_version(&actor, &package, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What `POST …/versions/bulk` takes.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkBody {
    action: Option<String>,
    #[serde(default)]
    version_ids: Vec<i64>,
    /// Instead of ids: the versions a cleanup rule with these settings
    /// would remove now.
    filter: Option<crate::cleanup::RuleBody>,
    #[serde(default)]
    dry_run: bool,
}

/// `POST …/versions/bulk` (an Entrepot extension): deletes or restores
/// many versions at once, `{"action": "delete"|"restore", "version_ids":
/// [...], "dry_run": true}` first to see which, or deletes those a
/// cleanup rule's `filter` (`{"keep_newest": 3}`) selects. All are
/// checked before any is touched: `{"action", "dry_run", "versions":
/// [{"id", "name"}]}`.
pub(super) async fn bulk_versions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, crate::shared::UnprocessableError> {
    use entrepot_service::bulk::Bulk;
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let body: BulkBody = crate::shared::body_of(&body)?;
    let bulk = match body.action.as_deref() {
        Some("delete") => Bulk::Delete,
        Some("restore") => Bulk::Restore,
        _ => {
            return Err(crate::shared::unprocessable(
                "`action` is `delete` or `restore`",
            ));
        }
    };
    let ids = match body.filter {
        Some(_) if !body.version_ids.is_empty() => {
            return Err(crate::shared::unprocessable(
                "give `version_ids` or a `filter`, not both",
            ));
        }
        Some(_) if bulk == Bulk::Restore => {
            return Err(crate::shared::unprocessable(
                "a `filter` selects live versions to delete; restore by `version_ids`",
            ));
        }
        Some(filter) => {
            let spec = filter.package_spec()?;
            // Who may not delete hears so before learning what matches.
            state
                .registry
                .packages()
                .authorize_package(&actor, entrepot_core::Action::Delete, &package)
                .await?;
            let ids = state
                .registry
                .governance()
                .matching_versions(&package, &spec)
                .await?;
            if ids.is_empty() {
                return Err(crate::shared::unprocessable(
                    "no version matches the filter now",
                ));
            }
            ids
        }
        None => body.version_ids,
    };
    let versions = state
        .registry
        .packages()
        .bulk_versions(&actor, &package, (bulk, &ids), body.dry_run)
        .await?;
    Ok(Json(serde_json::json!({
        "action": body.action,
        "dry_run": body.dry_run,
        "versions": versions.iter()
            .map(|v| serde_json::json!({ "id": v.id, "name": v.name }))
            .collect::<Vec<_>>(),
    })))
}

//! The 27 package operations of GitHub's REST API: list, get, delete and
//! restore packages and versions for `/user`, `/users/{username}` and
//! `/orgs/{org}`, and the docker-conflicts lists, in GitHub's shapes.
//! This file owns the routes and the package operations; `versions` the
//! version operations; `render` the response models.

mod render;
mod versions;

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entrepot_core::{Account, AccountKind, Actor, PackageType, Scope, Visibility};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use serde::Deserialize;

use crate::model::package::Package;
use crate::shared::{
    OwnerRoute, Params, live_package, owner_segment, package_type_of, page_of, param,
    require_scope, resolve_owner, with_link,
};

/// The package routes under one owner prefix.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/packages", get(list_packages))
        .route(
            "/packages/{package_type}/{package_name}",
            get(get_package).delete(delete_package).patch(patch_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/restore",
            post(restore_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions",
            get(versions::list_versions),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions/bulk",
            post(versions::bulk_versions),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions/{package_version_id}",
            get(versions::get_version).delete(versions::delete_version),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions/{package_version_id}/restore",
            post(versions::restore_version),
        )
        .route("/docker/conflicts", get(docker_conflicts))
}

async fn list_packages(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type: PackageType = match query.get("package_type").map(String::as_str) {
        None => {
            return Err(ApiError(ServiceError::Invalid(
                "The `package_type` parameter is required: one of npm, maven, rubygems, docker, nuget, container, pypi, cargo.".into(),
            )));
        }
        Some(t) => t.parse().map_err(|_| {
            ApiError(ServiceError::Invalid(format!(
                "`{t}` is not a valid package_type: use one of npm, maven, rubygems, docker, nuget, container, pypi, cargo."
            )))
        })?,
    };
    let visibility: Option<Visibility> = match query.get("visibility").map(String::as_str) {
        None => None,
        Some(v) => Some(v.parse().map_err(|_| {
            ApiError(ServiceError::Invalid(format!(
                "`{v}` is not a valid visibility: use public, private or internal."
            )))
        })?),
    };
    let page = page_of(&query)?;
    let filter = entrepot_store::PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(package_type),
        visibility,
        ..Default::default()
    };
    let registry = &state.registry;
    let (page_items, total) = if sees_everything(&state, &actor, &owner, package_type).await? {
        // The owner (or an admin of it) may read every package: page in SQL.
        let total = registry.packages().count_packages(filter.clone()).await?;
        let items = registry
            .packages()
            .list_packages(entrepot_store::PackageFilter {
                offset: Some(page.offset()),
                limit: Some(page.per_page as u64),
                ..filter
            })
            .await?;
        (items, usize::try_from(total).unwrap_or(usize::MAX))
    } else if visibility.is_none() {
        // Anyone else reads what the read rule opens, found and paged in
        // SQL (the rule written out, as search uses it).
        let found = registry
            .packages()
            .search(
                &actor,
                entrepot_store::PackageSearch {
                    owner_id: Some(owner.id),
                    package_type: Some(package_type),
                    order: entrepot_store::SearchOrder::Created,
                    offset: page.offset(),
                    limit: page.per_page as u64,
                    ..Default::default()
                },
            )
            .await?;
        let total = usize::try_from(found.total).unwrap_or(usize::MAX);
        // The rule itself has the last word on each row.
        let mut shown = Vec::with_capacity(found.found.len());
        for row in found.found {
            if state.registry.can_read(&actor, &row.package).await? {
                shown.push(row.package);
            }
        }
        (shown, total)
    } else {
        // A visibility asked for is the package's own, which search does
        // not filter by (it filters by what a reader meets).
        let mut readable = Vec::new();
        for package in registry.packages().list_packages(filter).await? {
            if state.registry.can_read(&actor, &package).await? {
                readable.push(package);
            }
        }
        let total = readable.len();
        (page.slice(&readable).to_vec(), total)
    };
    // Only the page's packages are rendered; the rest are only counted.
    let ids: Vec<_> = page_items.iter().map(|p| p.id).collect();
    let totals = registry.packages().totals(&ids).await?;
    let mut rendered: Vec<Package> = Vec::with_capacity(page.per_page);
    for package in &page_items {
        let counted = totals.get(&package.id).copied().unwrap_or_default();
        rendered.push(render::package_counted(&state, &owner, package, counted).await?);
    }
    let mut url = list_url(&state, route, &owner);
    url = format!("{url}?package_type={package_type}");
    if let Some(v) = visibility {
        url = format!("{url}&visibility={v}");
    }
    Ok(with_link(Json(rendered).into_response(), page, &url, total))
}

/// Whether `actor` may read every package `owner` has: the owner, a site
/// administrator, or an owner of the organization.
async fn sees_everything(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    package_type: PackageType,
) -> Result<bool, ApiError> {
    let Actor::User {
        id,
        site_admin,
        scopes,
        grant,
        ..
    } = actor
    else {
        return Ok(false);
    };
    // A narrow token sees everything only of an owner it reaches whole.
    if grant.as_ref().is_some_and(|g| !g.whole_owner(owner.id)) {
        return Ok(false);
    }
    let repo_scoped = package_type.registry_kind() == entrepot_core::RegistryKind::RepositoryScoped;
    if !scopes.contains(Scope::ReadPackages) || (repo_scoped && !scopes.contains(Scope::Repo)) {
        return Ok(false);
    }
    if *site_admin || *id == owner.id {
        return Ok(true);
    }
    let org_owner = owner.kind == AccountKind::Organization
        && state.registry.accounts().org_role(owner.id, *id).await?
            == Some(entrepot_core::OrgRole::Owner);
    if org_owner {
        // An owner's token that has not come through the organization's
        // sign-on is told where to go, as GitHub does.
        state.registry.require_sso(actor, owner).await?;
    }
    Ok(org_owner)
}

fn list_url(state: &AppState, route: OwnerRoute, owner: &Account) -> String {
    match route {
        OwnerRoute::Me => state.config.url("/api/v3/user/packages"),
        _ => state.config.url(&format!(
            "/api/v3/{}/{}/packages",
            owner_segment(owner.kind),
            owner.login
        )),
    }
}

async fn get_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Json<Package>, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    Ok(Json(render::package(&state, &owner, &package).await?))
}

async fn delete_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<StatusCode, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    state
        .registry
        .packages()
        .delete_package(&actor, &package)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
struct PatchBody {
    visibility: Option<String>,
}

/// Beyond GitHub: `PATCH {"visibility": …}` changes a package's visibility.
async fn patch_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Json<Package>, ApiError> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let patch: PatchBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError(ServiceError::Invalid(format!("Problems parsing JSON: {e}"))))?;
    let Some(visibility) = patch.visibility else {
        return Err(ApiError(ServiceError::Invalid(
            "Only `visibility` can be changed.".into(),
        )));
    };
    let visibility: Visibility = visibility.parse().map_err(|_| {
        ApiError(ServiceError::Invalid(format!(
            "`{visibility}` is not a valid visibility."
        )))
    })?;
    let updated = state
        .registry
        .packages()
        .set_visibility(&actor, &package, visibility)
        .await?;
    Ok(Json(render::package(&state, &owner, &updated).await?))
}

async fn restore_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<StatusCode, ApiError> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type = package_type_of(param(&params, "package_type")?)?;
    let name = param(&params, "package_name")?;
    let filter = entrepot_store::PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(package_type),
        include_deleted: true,
        ..Default::default()
    };
    let deleted = state
        .registry
        .packages()
        .list_packages(filter)
        .await?
        .into_iter()
        .filter(|p| p.name == name && p.deleted_at.is_some())
        .max_by_key(|p| p.deleted_at);
    let missing = || match actor {
        Actor::Anonymous => ApiError(ServiceError::Unauthenticated),
        Actor::User { .. } => ApiError(ServiceError::not_found("Not Found")),
    };
    let Some(package) = deleted else {
        return Err(missing());
    };
    match state
        .registry
        .packages()
        .restore_package(&actor, &package)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(ServiceError::NotFound(_)) => Err(missing()),
        Err(e) => Err(ApiError(e)),
    }
}

/// Entrepot never migrated images from a legacy Docker registry, so there
/// are no conflicts to list.
async fn docker_conflicts(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    _headers: HeaderMap,
) -> Result<Json<Vec<Package>>, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    resolve_owner(&state, &actor, route, &params).await?;
    Ok(Json(Vec::new()))
}

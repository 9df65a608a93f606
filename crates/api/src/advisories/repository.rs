//! Repository advisories (GitHub's `repository-advisory`): a repository's
//! at `/repos/{owner}/{repo}/security-advisories`, over the packages
//! connected to it, and, beyond GitHub, one package's under its own path.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, Actor, Advisory, AdvisoryState, Ecosystem, Package};
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;

use super::body::parse_body;
use super::render::Context;
use crate::model::advisory::RepositoryAdvisory;
use crate::shared::{
    OwnerRoute, Params, UnprocessableError, UnprocessableResult as Result, client_name,
    live_package, not_found, owner_segment, page_of, query_url, unprocessable as invalid,
    with_link,
};

/// Which states a list's `state` parameter keeps.
fn state_filter(query: &HashMap<String, String>) -> Result<Option<Vec<AdvisoryState>>> {
    match query.get("state").map(String::as_str) {
        None => Ok(None),
        Some("triage" | "closed") => Ok(Some(Vec::new())),
        Some(s) => Ok(Some(vec![
            s.parse()
                .map_err(|_| invalid(format!("`{s}` is not a state")))?,
        ])),
    }
}

/// Lists packages' advisories as `repository-advisory`, paginated.
async fn list_package_advisories(
    state: &AppState,
    actor: &Actor,
    packages: &[Package],
    query: &HashMap<String, String>,
    base: &str,
) -> Result<Response> {
    let page = page_of(query)?;
    let states = state_filter(query)?;
    let mut all: Vec<(Advisory, &Package)> = Vec::new();
    for package in packages {
        for a in state
            .registry
            .advisories()
            .advisories_for_package(actor, package)
            .await?
        {
            if states.as_ref().is_none_or(|s| s.contains(&a.state)) {
                all.push((a, package));
            }
        }
    }
    all.sort_by(|a, b| {
        b.0.created_at
            .cmp(&a.0.created_at)
            .then(b.0.id.cmp(&a.0.id))
    });
    let mut items: Vec<RepositoryAdvisory> = Vec::new();
    for (advisory, package) in page.slice(&all) {
        let context = Context { state, package };
        items.push(context.repository(advisory, base).await?);
    }
    let url = query_url(base, query, &["state"]);
    Ok(with_link(
        Json(items).into_response(),
        page,
        &url,
        all.len(),
    ))
}

/// The API URL of one package's advisory list.
fn package_base(state: &AppState, route: OwnerRoute, package: &Package, owner: &Account) -> String {
    let name =
        percent_encoding::utf8_percent_encode(&package.name, percent_encoding::NON_ALPHANUMERIC);
    let prefix = match route {
        OwnerRoute::Me => "/api/v3/user".to_owned(),
        _ => format!("/api/v3/{}/{}", owner_segment(owner.kind), owner.login),
    };
    state.config.url(&format!(
        "{prefix}/packages/{}/{name}/security-advisories",
        package.package_type
    ))
}

/// `GET …/packages/{type}/{name}/security-advisories` (Entrepot's).
pub(super) async fn list_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    list_package_advisories(
        &state,
        &actor,
        std::slice::from_ref(&package),
        &query,
        &base,
    )
    .await
}

/// `POST …/packages/{type}/{name}/security-advisories` (Entrepot's).
pub(super) async fn create_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<RepositoryAdvisory>)> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    let changes = parse_body(&body)?.changes(&state, &package)?;
    let advisory = state
        .registry
        .advisories()
        .create_advisory(&actor, &package, changes)
        .await?;
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok((
        StatusCode::CREATED,
        Json(context.repository(&advisory, &base).await?),
    ))
}

/// The repository a path names and its connected live packages, as the
/// caller may see them (a repository without packages the caller may read
/// is missing).
async fn repository_packages(
    state: &AppState,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<(String, Vec<Package>)> {
    let owner = params.get("owner").ok_or_else(not_found)?;
    let repo = params.get("repo").ok_or_else(not_found)?;
    let missing = || match actor {
        Actor::Anonymous => UnprocessableError(ServiceError::Unauthenticated),
        Actor::User { .. } => not_found().into(),
    };
    let Some(account) = state.registry.accounts().account_by_login(owner).await? else {
        return Err(missing());
    };
    let Some(repository) = state
        .registry
        .accounts()
        .repository_of(account.id, repo)
        .await?
    else {
        return Err(missing());
    };
    let mut packages = Vec::new();
    for package in state
        .registry
        .packages()
        .list_packages(entrepot_store::PackageFilter {
            repository_id: Some(repository.id),
            ..Default::default()
        })
        .await?
    {
        if state.registry.can_read(actor, &package).await? {
            packages.push(package);
        }
    }
    if packages.is_empty() {
        return Err(missing());
    }
    let base = state.config.url(&format!(
        "/api/v3/repos/{}/security-advisories",
        repository.full_name()
    ));
    Ok((base, packages))
}

pub(super) async fn list_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (base, packages) = repository_packages(&state, &actor, &params).await?;
    list_package_advisories(&state, &actor, &packages, &query, &base).await
}

pub(super) async fn create_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<RepositoryAdvisory>)> {
    let (base, packages) = repository_packages(&state, &actor, &params).await?;
    let parsed = parse_body(&body)?;
    let Some(first) = parsed.vulnerabilities.as_ref().and_then(|v| v.first()) else {
        return Err(invalid(
            "`vulnerabilities` is required: its first entry's `package` names the package",
        ));
    };
    let wanted = first.package.name.clone().unwrap_or_default();
    let ecosystem = first.package.ecosystem.clone();
    let Some(package) = packages.iter().find(|p| {
        Ecosystem::of(p.package_type).is_some_and(|e| e.as_str() == ecosystem)
            && (client_name(&state, p) == wanted || p.name == wanted)
    }) else {
        return Err(invalid(format!(
            "no {ecosystem} package `{wanted}` is connected to this repository"
        )));
    };
    let changes = parsed.changes(&state, package)?;
    let advisory = state
        .registry
        .advisories()
        .create_advisory(&actor, package, changes)
        .await?;
    let context = Context {
        state: &state,
        package,
    };
    Ok((
        StatusCode::CREATED,
        Json(context.repository(&advisory, &base).await?),
    ))
}

/// An advisory named under a repository: it must be on one of its packages.
async fn repository_advisory(
    state: &AppState,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<(String, Advisory, Package)> {
    let (base, packages) = repository_packages(state, actor, params).await?;
    let ghsa_id = params.get("ghsa_id").ok_or_else(not_found)?;
    let (advisory, package) = state.registry.advisories().advisory(actor, ghsa_id).await?;
    if !packages.iter().any(|p| p.id == package.id) {
        return Err(not_found().into());
    }
    Ok((base, advisory, package))
}

pub(super) async fn get_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
) -> Result<Json<RepositoryAdvisory>> {
    let (base, advisory, package) = repository_advisory(&state, &actor, &params).await?;
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&advisory, &base).await?))
}

pub(super) async fn patch_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Json<RepositoryAdvisory>> {
    let (base, advisory, package) = repository_advisory(&state, &actor, &params).await?;
    update(&state, &actor, &package, &advisory, &body, &base).await
}

/// Applies a `PATCH` body to an advisory on `package`.
async fn update(
    state: &AppState,
    actor: &Actor,
    package: &Package,
    advisory: &Advisory,
    body: &[u8],
    base: &str,
) -> Result<Json<RepositoryAdvisory>> {
    let changes = parse_body(body)?.changes(state, package)?;
    let updated = state
        .registry
        .advisories()
        .update_advisory(actor, &advisory.ghsa_id, changes)
        .await?;
    let context = Context { state, package };
    Ok(Json(context.repository(&updated, base).await?))
}

/// `GET …/packages/{type}/{name}/security-advisories/{ghsa_id}` (Entrepot's).
pub(super) async fn get_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Json<RepositoryAdvisory>> {
    let (owner, package, advisory) = package_advisory(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&advisory, &base).await?))
}

/// `PATCH …/packages/{type}/{name}/security-advisories/{ghsa_id}` (Entrepot's).
pub(super) async fn patch_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Json<RepositoryAdvisory>> {
    let (owner, package, advisory) = package_advisory(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    update(&state, &actor, &package, &advisory, &body, &base).await
}

async fn package_advisory(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<(Account, Package, Advisory)> {
    let (owner, package) = live_package(state, actor, route, params).await?;
    let ghsa_id = params.get("ghsa_id").ok_or_else(not_found)?;
    let (advisory, on) = state.registry.advisories().advisory(actor, ghsa_id).await?;
    if on.id != package.id {
        return Err(not_found().into());
    }
    Ok((owner, package, advisory))
}

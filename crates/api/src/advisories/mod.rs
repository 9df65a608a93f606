//! Security advisories in GitHub's shapes: the global advisories
//! (`/advisories`, GitHub's `global-advisory`), repository advisories for
//! packages connected to a repository (`/repos/{owner}/{repo}/security-advisories`,
//! `repository-advisory`), and, beyond GitHub, the same for any package
//! under its own path (`/{user|users/{u}|orgs/{o}}/packages/{type}/{name}/security-advisories`).
//! This file owns the routes and the global advisories; `repository` the
//! repository and package advisories; `body` the request bodies; `render`
//! the response models.
//!
//! States: Entrepot's `draft`, `published` and `withdrawn` are GitHub's
//! states of the same names. GitHub's `triage` reads as `draft` (there is
//! no private reporting yet) and `closed` as `withdrawn` when asked for in
//! a `PATCH`; the state filter of the lists accepts all five and matches
//! nothing for `triage` and `closed`.

mod body;
mod render;
mod repository;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entrepot_core::{Advisory, AdvisoryState, Ecosystem, Package, Severity};
use entrepot_http::{AppState, Caller};
use entrepot_service::advisories::AdvisoryQuery;

use crate::model::advisory::GlobalAdvisory;
use crate::shared::{
    UnprocessableResult as Result, not_found, page_of, query_url, unprocessable as invalid,
    with_link,
};
use render::Context;

/// `/advisories` and `/advisories/{ghsa_id}`.
pub fn global_routes() -> Router<AppState> {
    Router::new()
        .route("/advisories", get(list_global))
        .route("/advisories/{ghsa_id}", get(get_global))
}

/// `/repos/{owner}/{repo}/security-advisories[/{ghsa_id}]`.
pub fn repository_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/security-advisories",
            get(repository::list_for_repository).post(repository::create_for_repository),
        )
        .route(
            "/repos/{owner}/{repo}/security-advisories/{ghsa_id}",
            get(repository::get_for_repository).patch(repository::patch_for_repository),
        )
}

/// `/packages/{type}/{name}/security-advisories[/{ghsa_id}]` under one
/// owner prefix (Entrepot's).
pub fn package_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/packages/{package_type}/{package_name}/security-advisories",
            get(repository::list_for_package).post(repository::create_for_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/security-advisories/{ghsa_id}",
            get(repository::get_for_package).patch(repository::patch_for_package),
        )
}

/// The package an advisory is on (live; the service checked who may see it).
async fn package_of(state: &AppState, advisory: &Advisory) -> Result<Package> {
    state
        .registry
        .packages()
        .package_by_id(advisory.package_id)
        .await?
        .ok_or_else(|| not_found().into())
}

async fn list_global(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let page = page_of(&query)?;
    let ecosystem = match query.get("ecosystem") {
        Some(e) => Some(
            e.parse::<Ecosystem>()
                .map_err(|_| invalid(format!("`{e}` is not an ecosystem Entrepot serves")))?,
        ),
        None => None,
    };
    let severity = match query.get("severity").map(String::as_str) {
        None | Some("unknown") => None,
        Some(s) => Some(
            s.parse::<Severity>()
                .map_err(|_| invalid(format!("`{s}` is not a severity")))?,
        ),
    };
    let base = AdvisoryQuery {
        ghsa_id: query.get("ghsa_id").cloned(),
        cve_id: query.get("cve_id").cloned(),
        ecosystem,
        severity,
        affects: None,
    };
    let mut advisories: Vec<Advisory> = Vec::new();
    match query.get("affects").filter(|a| !a.trim().is_empty()) {
        None => {
            advisories = state
                .registry
                .advisories()
                .list_advisories(&actor, &base)
                .await?;
        }
        Some(affects) => {
            for item in affects.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, version) = AdvisoryQuery::parse_affects(item);
                // npm's `@scope/name` is the package `name` of the account `scope`.
                let (scope, stored) = match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                    Some((scope, rest)) => (Some(scope.to_owned()), rest.to_owned()),
                    None => (None, name.clone()),
                };
                let q = AdvisoryQuery {
                    affects: Some((stored, version)),
                    ..base.clone()
                };
                for a in state
                    .registry
                    .advisories()
                    .list_advisories(&actor, &q)
                    .await?
                {
                    if let Some(scope) = &scope {
                        let package = package_of(&state, &a).await?;
                        if a.ecosystem != Ecosystem::Npm
                            || !package.owner_login.eq_ignore_ascii_case(scope)
                        {
                            continue;
                        }
                    }
                    if !advisories.iter().any(|b| b.id == a.id) {
                        advisories.push(a);
                    }
                }
            }
        }
    }
    advisories.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    let mut items: Vec<GlobalAdvisory> = Vec::new();
    for advisory in page.slice(&advisories) {
        let package = package_of(&state, advisory).await?;
        let context = Context {
            state: &state,
            package: &package,
        };
        items.push(context.global(advisory).await?);
    }
    let url = query_url(
        &state.config.url("/api/v3/advisories"),
        &query,
        &["ghsa_id", "cve_id", "ecosystem", "severity", "affects"],
    );
    Ok(with_link(
        Json(items).into_response(),
        page,
        &url,
        advisories.len(),
    ))
}

async fn get_global(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(ghsa_id): Path<String>,
) -> Result<Json<GlobalAdvisory>> {
    let (advisory, package) = state
        .registry
        .advisories()
        .advisory(&actor, &ghsa_id)
        .await?;
    // Drafts are not global advisories.
    if advisory.state == AdvisoryState::Draft {
        return Err(not_found().into());
    }
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.global(&advisory).await?))
}

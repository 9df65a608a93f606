//! Dependency alerts in GitHub's Dependabot shapes: `GET|PATCH
//! /repos/{owner}/{repo}/dependabot/alerts[/{alert_number}]` (the packages
//! connected to the repository), `GET /orgs/{org}/dependabot/alerts`, and,
//! for packages connected to no repository, the same under each owner
//! prefix's `/packages/{type}/{name}/dependabot/alerts`, whose items also
//! carry the dependency's `requirement` and `fixed_by_fresh_install`.
//! Reading needs `read:packages`, changing `write:packages`; only alerts of
//! packages the caller may manage are shown.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use entrepot_core::{Account, Actor, DismissedReason, Package, Scope};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::alerts::{AlertQuery, AlertView};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult, body_of, id_param, live_package, page_of, param,
    require_scope, unprocessable, with_link,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/repos/{owner}/{repo}/dependabot/alerts", get(repo_list))
        .route(
            "/repos/{owner}/{repo}/dependabot/alerts/{alert_number}",
            get(repo_one).patch(repo_update),
        )
        .route("/orgs/{org}/dependabot/alerts", get(org_list))
}

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/packages/{package_type}/{package_name}/dependabot/alerts",
            get(package_list),
        )
        .route(
            "/packages/{package_type}/{package_name}/dependabot/alerts/{alert_number}",
            get(package_one).patch(package_update),
        )
}

/// The packages a repository's alerts cover: those connected to it.
async fn repo_packages(
    state: &AppState,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<Vec<Package>, ApiError> {
    let full = format!("{}/{}", param(params, "owner")?, param(params, "repo")?);
    let packages = state
        .registry
        .alerts()
        .packages_of_repository(actor, &full)
        .await?;
    Ok(packages)
}

fn query_of(query: &HashMap<String, String>) -> Result<AlertQuery, ApiError> {
    fn list<T: std::str::FromStr>(
        query: &HashMap<String, String>,
        name: &str,
    ) -> Result<Vec<T>, ApiError> {
        let Some(v) = query.get(name) else {
            return Ok(Vec::new());
        };
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    ApiError(ServiceError::Invalid(format!(
                        "`{s}` is not a valid value for {name}"
                    )))
                })
            })
            .collect()
    }
    Ok(AlertQuery {
        states: list(query, "state")?,
        ecosystems: list(query, "ecosystem")?,
        packages: list(query, "package")?,
        scopes: list(query, "scope")?,
        severities: list(query, "severity")?,
    })
}

/// Sorts (`sort`: `created` or `updated`; `direction`: `desc` or `asc`)
/// and pages the alerts found, as GitHub lists them.
fn listed(
    mut views: Vec<AlertView>,
    query: &HashMap<String, String>,
    url: &str,
    render: impl Fn(&AlertView) -> Value,
) -> Result<Response, ApiError> {
    let page = page_of(query)?;
    let updated = match query.get("sort").map(String::as_str) {
        None | Some("created") => false,
        Some("updated") => true,
        Some(other) => {
            return Err(ApiError(ServiceError::Invalid(format!(
                "`{other}` is not a valid sort: use created or updated"
            ))));
        }
    };
    let ascending = match query.get("direction").map(String::as_str) {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError(ServiceError::Invalid(format!(
                "`{other}` is not a valid direction: use asc or desc"
            ))));
        }
    };
    views.sort_by(|a, b| {
        let key = |v: &AlertView| {
            if updated {
                (v.alert.updated_at, v.alert.id)
            } else {
                (v.alert.created_at, v.alert.id)
            }
        };
        if ascending {
            key(a).cmp(&key(b))
        } else {
            key(b).cmp(&key(a))
        }
    });
    let total = views.len();
    let items: Vec<Value> = page.slice(&views).iter().map(render).collect();
    Ok(with_link(Json(items).into_response(), page, url, total))
}

async fn owner_of(state: &AppState, package: &Package) -> Result<Account, ApiError> {
    Ok(state
        .registry
        .accounts()
        .account_by_id(package.owner_id)
        .await?
        .ok_or_else(|| ServiceError::not_found("Not Found"))?)
}

async fn rendered(state: &AppState, view: &AlertView, extended: bool) -> Result<Value, ApiError> {
    let owner = owner_of(state, &view.package).await?;
    let dismissed_by = match view.alert.dismissed_by {
        Some(id) => state.registry.accounts().account_by_id(id).await?,
        None => None,
    };
    let mut body = entrepot_service::alert_events::alert_json(
        state.registry.catalog(),
        view,
        &owner,
        dismissed_by.as_ref(),
    );
    if extended {
        body["requirement"] = json!(view.alert.dependency.range);
        body["fixed_by_fresh_install"] = json!(view.alert.admits_patched);
    }
    Ok(body)
}

async fn render_all(
    state: &AppState,
    views: &[AlertView],
    extended: bool,
) -> Result<HashMap<i64, Value>, ApiError> {
    let mut out = HashMap::new();
    for v in views {
        out.insert(v.alert.id, rendered(state, v, extended).await?);
    }
    Ok(out)
}

async fn list(
    state: &AppState,
    actor: &Actor,
    packages: Vec<Package>,
    query: &HashMap<String, String>,
    (url, extended, with_repository): (&str, bool, bool),
) -> Result<Response, ApiError> {
    require_scope(actor, Scope::ReadPackages)?;
    let views = state
        .registry
        .alerts()
        .alerts_of(actor, packages, &query_of(query)?)
        .await?;
    let mut bodies = render_all(state, &views, extended).await?;
    for v in &views {
        let Some(body) = bodies.get_mut(&v.alert.id) else {
            continue;
        };
        if with_repository {
            // An alert's own URL is under its repository, as on GitHub.
            let repository = state.registry.alerts().repository_json(&v.package).await?;
            if let Some(repo_url) = repository["url"].as_str() {
                body["url"] = json!(format!("{repo_url}/dependabot/alerts/{}", v.alert.id));
            }
            body["repository"] = repository;
        } else if !extended {
            body["url"] = json!(format!("{url}/{}", v.alert.id));
        }
    }
    listed(views, query, url, |v| {
        bodies.get(&v.alert.id).cloned().unwrap_or(Value::Null)
    })
}

async fn repo_list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let packages = repo_packages(&state, &actor, &params).await?;
    let url = state.config.url(&format!(
        "/api/v3/repos/{}/{}/dependabot/alerts",
        param(&params, "owner")?,
        param(&params, "repo")?
    ));
    list(&state, &actor, packages, &query, (&url, false, false)).await
}

async fn org_list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let org = param(&params, "org")?;
    // GitHub's organization alerts are its repositories': alerts of a
    // package connected to none are at the package's own endpoint.
    let packages: Vec<Package> = state
        .registry
        .alerts()
        .packages_of_owner(&actor, org)
        .await?
        .into_iter()
        .filter(|p| p.repository_id.is_some())
        .collect();
    let url = state
        .config
        .url(&format!("/api/v3/orgs/{org}/dependabot/alerts"));
    list(&state, &actor, packages, &query, (&url, false, true)).await
}

async fn package_list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let url = format!(
        "{}/dependabot/alerts",
        crate::shared::package_urls(&state.config, &owner, &package).api
    );
    list(&state, &actor, vec![package], &query, (&url, true, false)).await
}

async fn one(
    state: &AppState,
    actor: &Actor,
    packages: Vec<Package>,
    number: i64,
    extended: bool,
) -> Result<Json<Value>, ApiError> {
    require_scope(actor, Scope::ReadPackages)?;
    let views = state
        .registry
        .alerts()
        .alerts_of(actor, packages, &AlertQuery::default())
        .await?;
    let view = views
        .iter()
        .find(|v| v.alert.id == number)
        .ok_or_else(|| ServiceError::not_found("No alert found for alert number"))?;
    Ok(Json(rendered(state, view, extended).await?))
}

async fn repo_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let packages = repo_packages(&state, &actor, &params).await?;
    let number = id_param(&params, "alert_number")?;
    let Json(mut body) = one(&state, &actor, packages, number, false).await?;
    body["url"] = json!(repo_alert_url(&state, &params, number)?);
    Ok(Json(body))
}

/// `/repos/{owner}/{repo}/dependabot/alerts/{number}`, as GitHub links it.
fn repo_alert_url(
    state: &AppState,
    params: &HashMap<String, String>,
    number: i64,
) -> Result<String, ApiError> {
    Ok(state.config.url(&format!(
        "/api/v3/repos/{}/{}/dependabot/alerts/{number}",
        param(params, "owner")?,
        param(params, "repo")?
    )))
}

async fn package_one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    one(
        &state,
        &actor,
        vec![package],
        id_param(&params, "alert_number")?,
        true,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    state: Option<String>,
    dismissed_reason: Option<String>,
    dismissed_comment: Option<String>,
}

async fn update(
    state: &AppState,
    actor: &Actor,
    packages: Vec<Package>,
    number: i64,
    body: &axum::body::Bytes,
    extended: bool,
) -> UnprocessableResult<Json<Value>> {
    require_scope(actor, Scope::WritePackages)?;
    let change: Change = body_of(body)?;
    let invalid = |m: &str| unprocessable(m);
    let dismissal = match change.state.as_deref() {
        Some("dismissed") => {
            let reason: DismissedReason = change
                .dismissed_reason
                .as_deref()
                .ok_or_else(|| invalid("dismissed_reason is required when dismissing an alert"))?
                .parse()
                .map_err(|_| {
                    invalid("dismissed_reason is one of fix_started, inaccurate, no_bandwidth, not_used, tolerable_risk")
                })?;
            Some((reason, change.dismissed_comment))
        }
        Some("open") => None,
        _ => return Err(invalid("state is dismissed or open")),
    };
    let view = state
        .registry
        .alerts()
        .set_state(actor, packages, number, dismissal)
        .await?;
    Ok(Json(rendered(state, &view, extended).await?))
}

async fn repo_update(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> UnprocessableResult<Json<Value>> {
    let packages = repo_packages(&state, &actor, &params).await?;
    let number = id_param(&params, "alert_number")?;
    let Json(mut changed) = update(&state, &actor, packages, number, &body, false).await?;
    changed["url"] = json!(repo_alert_url(&state, &params, number)?);
    Ok(Json(changed))
}

async fn package_update(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> UnprocessableResult<Json<Value>> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let number = id_param(&params, "alert_number")?;
    update(&state, &actor, vec![package], number, &body, true).await
}

//! A package's place in the dependency graph (an Entrepot extension),
//! under each owner prefix: `GET …/packages/{type}/{name}/dependencies`
//! (what its newest version declares) and `GET …/dependents` (the packages
//! here whose newest version depends on it, among those the caller may
//! read, paged as GitHub pages with `Link`).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use entrepot_core::Scope;
use entrepot_core::dependency::Dependency;
use entrepot_http::{ApiError, AppState, Caller};
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, Params, client_name, live_package, package_urls, page_of, require_scope, with_link,
};

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/packages/{package_type}/{package_name}/dependencies",
            get(dependencies),
        )
        .route(
            "/packages/{package_type}/{package_name}/dependents",
            get(dependents),
        )
}

fn shown(d: &Dependency) -> Value {
    json!({
        "ecosystem": d.ecosystem.as_str(),
        "name": d.name,
        "requirement": d.range,
        "scope": d.kind.as_str(),
        "applies_to": d.condition,
    })
}

async fn dependencies(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    axum::extract::Path(params): Params,
) -> Result<Json<Vec<Value>>, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let found = state
        .registry
        .graph()
        .dependencies(&actor, &package)
        .await?;
    Ok(Json(found.iter().map(shown).collect()))
}

async fn dependents(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    axum::extract::Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let page = page_of(&query)?;
    let used_by = state
        .registry
        .graph()
        .used_by(
            &actor,
            &package,
            (page.offset() as usize, page.per_page),
            entrepot_service::graph::MAX_DEPENDENTS,
        )
        .await?;
    let (found, total) = (used_by.shown, used_by.total);
    let mut items: Vec<Value> = Vec::with_capacity(found.len());
    for d in &found {
        let Some(dependent_owner) = state
            .registry
            .accounts()
            .account_by_id(d.package.owner_id)
            .await?
        else {
            continue;
        };
        let urls = package_urls(&state.config, &dependent_owner, &d.package);
        items.push(json!({
            "package": {
                "name": d.package.name,
                "package_type": d.package.package_type.as_str(),
                "owner": {"login": dependent_owner.login},
                "full_name": client_name(&state, &d.package),
                "url": urls.api,
                "html_url": urls.html,
            },
            "dependency": shown(&d.dependency),
        }));
    }
    let url = format!(
        "{}/dependents",
        package_urls(&state.config, &owner, &package).api
    );
    Ok(with_link(Json(items).into_response(), page, &url, total))
}

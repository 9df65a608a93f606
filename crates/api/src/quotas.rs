//! An owner's quotas (an Entrepot extension), under each owner prefix:
//! `GET /user/quotas` (those in force, the instance's default among them
//! when it holds), and for site administrators `PUT|DELETE
//! /users/{username}/quotas/{scope}` where the scope is `all` or a
//! format; the same under `/orgs/{org}` (`admin quota` on the command
//! line).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use entrepot_core::PackageType;
use entrepot_core::quota::{Limits, Quota};
use entrepot_http::{AppState, Caller};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, format_field, resolve_owner,
};

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route("/quotas", get(list))
        .route("/quotas/{scope}", put(set).delete(remove))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    bytes: Option<u64>,
    package_bytes: Option<u64>,
    versions: Option<u64>,
}

fn shown(quota: &Quota, own: &[Quota]) -> Value {
    json!({
        "format": quota.format.map(PackageType::as_str),
        "bytes": quota.limits.bytes,
        "package_bytes": quota.limits.package_bytes,
        "versions": quota.limits.versions,
        "default": !own.contains(quota),
    })
}

/// `all`, or a format's name.
fn scope_of(params: &HashMap<String, String>) -> Result<Option<PackageType>> {
    match params.get("scope").map(String::as_str) {
        None | Some("all") => Ok(None),
        Some(format) => format_field(Some(format)),
    }
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let governance = state.registry.governance();
    let in_force = governance.quotas_as(&actor, &owner).await?;
    let own = governance.quotas(&owner).await?;
    Ok(Json(in_force.iter().map(|q| shown(q, &own)).collect()))
}

async fn set(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let format = scope_of(&params)?;
    let body: Body = body_of(&body)?;
    let limits = Limits {
        bytes: body.bytes,
        package_bytes: body.package_bytes,
        versions: body.versions,
    };
    let quota = state
        .registry
        .governance()
        .set_quota_as(&actor, &owner, format, limits)
        .await?;
    Ok(Json(shown(&quota, std::slice::from_ref(&quota))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let format = scope_of(&params)?;
    state
        .registry
        .governance()
        .remove_quota_as(&actor, &owner, format)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! An owner's fall-through to an upstream (an Entrepot extension), under
//! each owner prefix: `GET|PUT|DELETE /user/fallthrough/{format}`, and the
//! same under `/users/{username}` and `/orgs/{org}`, for the formats whose
//! registries fall through (PyPI, Cargo and Maven; `admin owner
//! fallthrough` on the command line).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use entrepot_http::{AppState, Caller};
use serde::{Deserialize, Serialize};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, package_type_of, param, resolve_owner,
    unprocessable,
};

pub fn owner_routes() -> Router<AppState> {
    Router::new().route(
        "/fallthrough/{format}",
        get(show).put(change).delete(turn_off),
    )
}

/// What `PUT` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    upstream: Option<String>,
    #[serde(default)]
    reserved: Vec<String>,
}

/// An owner's fall-through as the API shows it.
#[derive(Debug, Serialize)]
struct Shown {
    owner: String,
    format: &'static str,
    upstream: String,
    /// Name patterns (PEP 503-normalised) that never come from it.
    reserved: Vec<String>,
}

impl Shown {
    fn of(
        owner: entrepot_core::Account,
        format: entrepot_core::PackageType,
        set: entrepot_service::upstreams::OwnerFallthrough,
    ) -> Shown {
        Shown {
            owner: owner.login,
            format: format.as_str(),
            upstream: set.upstream.name,
            reserved: set.reserved,
        }
    }
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Shown>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let format = package_type_of(param(&params, "format")?)?;
    let fallthrough = state
        .registry
        .upstreams()
        .fallthrough_as(&actor, &owner, format)
        .await?
        .ok_or_else(crate::shared::not_found)?;
    Ok(Json(Shown::of(owner, format, fallthrough)))
}

async fn change(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Json<Shown>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let body: Body = body_of(&body)?;
    let Some(upstream) = body.upstream else {
        return Err(unprocessable(
            "give `upstream` (DELETE turns fall-through off)",
        ));
    };
    let upstreams = state.registry.upstreams();
    let format = param(&params, "format")?;
    upstreams
        .set_fallthrough_as(&actor, &owner, format, Some(&upstream), &body.reserved)
        .await?;
    let format = package_type_of(format)?;
    let set = upstreams
        .fallthrough_of(&owner, format)
        .await?
        .ok_or_else(crate::shared::not_found)?;
    Ok(Json(Shown::of(owner, format, set)))
}

async fn turn_off(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    state
        .registry
        .upstreams()
        .set_fallthrough_as(&actor, &owner, param(&params, "format")?, None, &[])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! An owner's immutable tags (an Entrepot extension), under each owner
//! prefix: `GET|POST /user/immutable-tags`, `DELETE
//! /user/immutable-tags/{id}`, and the same under `/users/{username}` and
//! `/orgs/{org}` (`admin immutable-tags` on the command line).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use entrepot_core::immutable::ImmutableTag;
use entrepot_http::{AppState, Caller};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, format_field, id_param, resolve_owner,
    unprocessable,
};

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route("/immutable-tags", get(list).post(add))
        .route("/immutable-tags/{id}", delete(remove))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    pattern: Option<String>,
    format: Option<String>,
}

fn shown(rule: &ImmutableTag) -> Value {
    json!({
        "id": rule.id,
        "pattern": rule.pattern,
        "format": rule.format.map(entrepot_core::PackageType::as_str),
        "created_at": crate::model::iso(&rule.created_at),
    })
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let rules = state
        .registry
        .governance()
        .immutable_tags_as(&actor, &owner)
        .await?;
    Ok(Json(rules.iter().map(shown).collect()))
}

async fn add(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    // Who may not sign in hears so before what the body lacks.
    if actor.user_id().is_none() {
        return Err(entrepot_service::ServiceError::Unauthenticated.into());
    }
    let body: Body = body_of(&body)?;
    let pattern = body
        .pattern
        .ok_or_else(|| unprocessable("give the tags' `pattern`"))?;
    let format = format_field(body.format.as_deref())?;
    let rule = state
        .registry
        .governance()
        .add_immutable_tag_as(&actor, &owner, format, &pattern)
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&rule))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let id = id_param(&params, "id")?;
    state
        .registry
        .governance()
        .remove_immutable_tag_as(&actor, &owner, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

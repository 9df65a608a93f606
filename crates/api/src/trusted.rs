//! A package's trusted publishers (an Entrepot extension), under each
//! owner prefix: `GET|POST /user/packages/{type}/{name}/trusted-publishers`
//! and `DELETE …/trusted-publishers/{id}`, and the same under
//! `/users/{username}` and `/orgs/{org}`. The package need not exist yet:
//! its first version may then come from the declared CI run.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use entrepot_core::trusted::{Publisher, PublisherSpec};
use entrepot_http::{AppState, Caller};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, id_param, package_type_of, param,
    resolve_owner, unprocessable,
};

const PATH: &str = "/packages/{package_type}/{package_name}/trusted-publishers";

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(add))
        .route(&format!("{PATH}/{{id}}"), delete(remove))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    issuer: Option<String>,
    repository: Option<String>,
    workflow: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    environment: Option<String>,
}

fn shown(p: &Publisher) -> Value {
    json!({
        "id": p.id,
        "package_type": p.package_type.as_str(),
        "package_name": p.name,
        "issuer": p.spec.issuer,
        "repository": p.spec.repository,
        "workflow": p.spec.workflow,
        "ref": p.spec.git_ref,
        "environment": p.spec.environment,
        "created_at": crate::model::iso(&p.created_at),
    })
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type = package_type_of(param(&params, "package_type")?)?;
    let name = param(&params, "package_name")?;
    let found = state
        .registry
        .trusted()
        .list(Some(&actor), &owner.login, package_type, name)
        .await?;
    Ok(Json(found.iter().map(shown).collect()))
}

async fn add(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type = package_type_of(param(&params, "package_type")?)?;
    let name = param(&params, "package_name")?;
    if actor.user_id().is_none() {
        return Err(entrepot_service::ServiceError::Unauthenticated.into());
    }
    let body: Body = body_of(&body)?;
    let spec = PublisherSpec {
        issuer: body
            .issuer
            .unwrap_or_else(|| entrepot_core::trusted::GITHUB_ISSUER.to_owned()),
        repository: body
            .repository
            .ok_or_else(|| unprocessable("give the CI `repository` (OWNER/NAME)"))?,
        workflow: body.workflow,
        git_ref: body.git_ref,
        environment: body.environment,
    };
    let publisher = state
        .registry
        .trusted()
        .add(Some(&actor), &owner.login, package_type, name, spec)
        .await?;
    Ok((StatusCode::CREATED, Json(shown(&publisher))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type = package_type_of(param(&params, "package_type")?)?;
    let name = param(&params, "package_name")?;
    let id = id_param(&params, "id")?;
    state
        .registry
        .trusted()
        .remove(Some(&actor), &owner.login, package_type, name, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

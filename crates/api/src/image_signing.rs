//! Signed images (an Entrepot extension), under each owner prefix:
//! `GET|POST …/packages/container/{name}/signing-keys` and `DELETE
//! …/signing-keys/{id}` (the keys an image must be signed with before it
//! is served), and `GET …/versions/{id}/signatures` (a manifest's
//! signatures, each checked against those keys).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Extension, Json, Router};
use entrepot_core::image_signing::RequiredKey;
use entrepot_core::{PackageType, Scope};
use entrepot_http::{AppState, Caller};
use entrepot_service::image_signing::Report;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, id_param, live_package, not_found,
    package_type_of, param, require_scope, resolve_owner, unprocessable,
};

const PATH: &str = "/packages/{package_type}/{package_name}/signing-keys";

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list).post(add))
        .route(&format!("{PATH}/{{id}}"), delete(remove))
        .route(
            "/packages/{package_type}/{package_name}/versions/{package_version_id}/signatures",
            get(signatures),
        )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    public_key: Option<String>,
    note: Option<String>,
}

/// A key as the API shows it.
pub fn shown_key(k: &RequiredKey) -> Value {
    json!({
        "id": k.id,
        "kind": k.kind.as_str(),
        "fingerprint": k.fingerprint,
        "public_key": k.public_key,
        "note": k.note,
        "created_at": crate::model::iso(&k.created_at),
    })
}

/// A signature as the API shows it.
pub fn shown_report(r: &Report) -> Value {
    json!({
        "format": r.format.as_str(),
        "name": r.name,
        "created_at": r.created_at.as_ref().map(crate::model::iso),
        "signed_digest": r.checked.payload.as_ref().map(|p| &p.digest),
        "signed_reference": r.checked.payload.as_ref().map(|p| &p.reference),
        "issuer": r.checked.issuer,
        "verified_by": r.checked.verified_by,
        "problem": r.checked.problem,
    })
}

/// The owner and image the path names; other formats have no keys.
async fn image(
    state: &AppState,
    actor: &entrepot_core::Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> std::result::Result<(String, String), entrepot_http::ApiError> {
    let owner = resolve_owner(state, actor, route, params).await?;
    if package_type_of(param(params, "package_type")?)? != PackageType::Container {
        return Err(not_found());
    }
    Ok((owner.login, param(params, "package_name")?.to_owned()))
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>> {
    let (owner, name) = image(&state, &actor, route, &params).await?;
    let keys = state
        .registry
        .image_signing()
        .keys(Some(&actor), (&owner, &name))
        .await?;
    Ok(Json(keys.iter().map(shown_key).collect()))
}

async fn add(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>)> {
    let (owner, name) = image(&state, &actor, route, &params).await?;
    if actor.user_id().is_none() {
        return Err(entrepot_service::ServiceError::Unauthenticated.into());
    }
    let body: Body = body_of(&body)?;
    let public_key = body.public_key.ok_or_else(|| {
        unprocessable("give the `public_key`: an armored OpenPGP key or cosign's PEM key")
    })?;
    let key = state
        .registry
        .image_signing()
        .add_key(Some(&actor), (&owner, &name), &public_key, body.note)
        .await?;
    Ok((StatusCode::CREATED, Json(shown_key(&key))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let (owner, name) = image(&state, &actor, route, &params).await?;
    let id = id_param(&params, "id")?;
    state
        .registry
        .image_signing()
        .remove_key(Some(&actor), (&owner, &name), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn signatures(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> std::result::Result<Json<Vec<Value>>, entrepot_http::ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    if package.package_type != PackageType::Container {
        return Err(not_found());
    }
    let id = id_param(&params, "package_version_id")?;
    let version = state
        .registry
        .packages()
        .version_by_id(id)
        .await?
        .filter(|v| v.package_id == package.id)
        .ok_or_else(not_found)?;
    let signing = state.registry.image_signing();
    let keys = signing.required_keys(&package).await?;
    let reports = signing.reports(&package, &version.name, keys).await?;
    Ok(Json(reports.iter().map(shown_report).collect()))
}

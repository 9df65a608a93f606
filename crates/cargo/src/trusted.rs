//! crates.io's trusted publishing, per owner: `POST
//! api/v1/trusted_publishing/tokens` with `{"jwt": …}` (the CI provider's
//! token, audience this registry's host name, as crates.io's is
//! `crates.io`) answers `{"token": …}`, bound to the owner's crates whose
//! trusted publishers the token matches; `DELETE` with that token revokes
//! it when the job ends, as `rust-lang/crates-io-auth-action` does.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Actor, PackageType};
use entrepot_http::AppState;
use serde_json::json;

use crate::reply::{self, CargoError, Result};

pub async fn mint(state: &AppState, owner: &str, body: Body) -> Result<Response> {
    let jwt = entrepot_http::ci_token::from_json_body(body, "jwt")
        .await
        .map_err(|e| CargoError::bad(e.to_string()))?;
    let jwt = jwt.as_str();
    let minted = state
        .registry
        .trusted()
        .exchange_for_owner(jwt, owner, PackageType::Cargo)
        .await?;
    Ok(reply::json(
        StatusCode::OK,
        &json!({ "token": minted.secret }),
        false,
    ))
}

pub async fn revoke(state: &AppState, actor: &Actor) -> Result<Response> {
    reply::signed_in(actor)?;
    state.registry.trusted().revoke(actor).await?;
    Ok(Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::empty())
        .expect("a static response"))
}

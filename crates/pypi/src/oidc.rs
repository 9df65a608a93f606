//! PyPI's trusted publishing, where `pypa/gh-action-pypi-publish` looks
//! for it: at the host's root, `GET /_/oidc/audience` names the audience
//! to ask the CI provider for, and `POST /_/oidc/mint-token` trades the
//! provider's token (`{"token": JWT}`) for an upload token bound to the
//! projects whose trusted publishers it matches, as Warehouse answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::trusted::Wanted;
use serde_json::json;

pub async fn audience(State(state): State<AppState>) -> Response {
    Json(json!({ "audience": state.registry.trusted().audience("pypi:") })).into_response()
}

pub async fn mint_token(State(state): State<AppState>, body: axum::body::Body) -> Response {
    match mint(&state, body).await {
        Ok(response) => response,
        Err((code, e)) => {
            let description = entrepot_http::error::public_message(&e);
            let status = match e {
                ServiceError::Internal(_) | ServiceError::StorageFull(_) => {
                    entrepot_http::error::status_of(&e)
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            (
                status,
                Json(json!({
                    "message": "Token request failed",
                    "errors": [{ "code": code, "description": description }],
                })),
            )
                .into_response()
        }
    }
}

async fn mint(
    state: &AppState,
    body: axum::body::Body,
) -> Result<Response, (&'static str, ServiceError)> {
    let jwt = entrepot_http::ci_token::from_json_body(body, "token")
        .await
        .map_err(|e| ("invalid-payload", e))?;
    let jwt = jwt.as_str();
    let trusted = state.registry.trusted();
    let minted = trusted
        .exchange(
            jwt,
            &trusted.audience("pypi:"),
            Wanted::Matching {
                owner: None,
                package_type: PackageType::Pypi,
            },
        )
        .await
        .map_err(|e| ("invalid-publisher", e))?;
    let expires = minted.expires_at.timestamp();
    Ok(
        Json(json!({ "success": true, "token": minted.secret, "expires": expires }))
            .into_response(),
    )
}

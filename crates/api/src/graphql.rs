//! The one GraphQL question GitHub's CLI asks before anything else
//! (`gh auth status`: `query UserCurrent { viewer { login } }`) at
//! `/api/graphql`, where GitHub Enterprise Server serves GraphQL. Any other
//! query gets a GraphQL error saying the REST API is the way in.

use axum::Json;
use axum::extract::State;
use entrepot_core::Actor;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Request {
    query: String,
}

/// `POST /api/graphql`.
pub async fn graphql(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let Actor::User { id, .. } = actor else {
        return Err(ApiError(ServiceError::Unauthenticated));
    };
    let request: Request = serde_json::from_slice(&body)
        .map_err(|e| ApiError(ServiceError::Invalid(format!("Problems parsing JSON: {e}"))))?;
    let words: Vec<&str> = request
        .query
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect();
    let asks_login = words.contains(&"viewer") && words.contains(&"login");
    let unsupported = words
        .iter()
        .skip_while(|w| **w != "viewer")
        .skip(1)
        .any(|w| !matches!(*w, "login"));
    if !asks_login || unsupported {
        return Ok(Json(json!({
            "errors": [{
                "type": "NOT_SUPPORTED",
                "message": "Entrepot answers GraphQL's `viewer { login }` only; the REST API at /api/v3/ serves the rest",
            }]
        })));
    }
    let account = state
        .registry
        .accounts()
        .account_by_id(id)
        .await?
        .ok_or(ServiceError::BadCredentials)?;
    Ok(Json(
        json!({ "data": { "viewer": { "login": account.login } } }),
    ))
}

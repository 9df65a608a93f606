//! RubyGems' trusted publishing, as `rubygems/configure-rubygems-credentials`
//! calls it with `gem-server: BASE/rubygems/OWNER`: `POST
//! api/v1/oidc/trusted_publisher/exchange_token` with `{"jwt": …}` (the
//! CI provider's token, audience this registry's host name) answers the
//! API key `gem push` then sends, bound to the owner's gems whose trusted
//! publishers the token matches.

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use serde_json::{Value, json};

use crate::respond::{GemError, Result};

/// The largest request read: a token and its JSON around it.
const MAX_REQUEST: usize = 32 * 1024;

pub async fn exchange(state: &AppState, owner: &str, body: Body) -> Result<Response> {
    let invalid = |why: String| GemError::from(ServiceError::Invalid(why));
    let bytes = axum::body::to_bytes(body, MAX_REQUEST)
        .await
        .map_err(|_| invalid(format!("the request is larger than {MAX_REQUEST} bytes")))?;
    let request: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("the request is not JSON: {e}")))?;
    let jwt = request
        .get("jwt")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("the request has no `jwt`".into()))?;
    let minted = state
        .registry
        .trusted()
        .exchange_for_owner(jwt, owner, PackageType::Rubygems)
        .await?;
    let gem = match minted.grant.packages.as_slice() {
        [one] => json!({ "name": one.name }),
        _ => Value::Null,
    };
    let mut answer = json!({
        "rubygems_api_key": minted.secret,
        "name": format!("trusted publishing: {}", minted.grant.via),
        "scopes": ["push_rubygem"],
        "expires_at": minted.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    if !gem.is_null() {
        answer["gem"] = gem;
    }
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

//! NuGet's trusted publishing, as `NuGet/login` calls it with
//! `token-service-url: BASE/nuget/OWNER/api/v2/token`: a `POST` whose
//! `Authorization: Bearer` is the CI provider's token (audience this
//! registry's host name) answers `{"apiKey": …}`, a key bound to the
//! owner's packages whose trusted publishers the token matches, for
//! `dotnet nuget push --api-key`. A refusal is `{"error": …}`, which the
//! action prints.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::auth::Credential;
use serde_json::json;

pub async fn token(state: &AppState, owner: &str, headers: &HeaderMap, body: Body) -> Response {
    match exchange(state, owner, headers, body).await {
        Ok(response) => response,
        Err(e) => (
            entrepot_http::error::status_of(&e),
            Json(json!({ "error": entrepot_http::error::public_message(&e) })),
        )
            .into_response(),
    }
}

async fn exchange(
    state: &AppState,
    owner: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ServiceError> {
    // The body names the user who made the policy on nuget.org; here the
    // URL names the owner, so it is read (bounded) and set aside.
    let limit = entrepot_http::ci_token::MAX_REQUEST;
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ServiceError::Invalid(format!("the request is larger than {limit} bytes")))?;
    let Some(Credential::Token(jwt)) = entrepot_http::auth::credential_in(headers)? else {
        return Err(ServiceError::Unauthenticated);
    };
    let minted = state
        .registry
        .trusted()
        .exchange_for_owner(&jwt, owner, PackageType::Nuget)
        .await?;
    Ok((
        StatusCode::OK,
        Json(json!({
            "apiKey": minted.secret,
            "tokenType": "ApiKey",
            "expires": minted.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        })),
    )
        .into_response())
}

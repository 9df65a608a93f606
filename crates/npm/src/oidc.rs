//! npm's trusted publishing: the CLI (11.5 and later), in a CI job,
//! trades its provider's OpenID Connect token (audience `npm:HOST`) for a
//! short-lived token at `/-/npm/v1/oidc/token/exchange/package/NAME`, an
//! absolute path it resolves against the registry URL, so at the host's
//! root. The token then publishes that one package.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::auth::Credential;
use entrepot_service::trusted::Wanted;
use serde_json::json;

use crate::error::{NpmError, invalid};
use crate::name::NpmName;
use crate::reply;

pub async fn exchange(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match answer(&state, &name, &headers).await {
        Ok(response) => response,
        // The CLI logs the body's `message` (and goes on without a token).
        Err(NpmError(e)) => {
            let message = entrepot_http::error::public_message(&e);
            let status = entrepot_http::error::status_of(&e);
            (
                status,
                axum::Json(json!({ "error": message, "message": message })),
            )
                .into_response()
        }
    }
}

async fn answer(state: &AppState, name: &str, headers: &HeaderMap) -> Result<Response, NpmError> {
    let name = NpmName::parse(name).map_err(invalid)?;
    let Some(Credential::Token(jwt)) = entrepot_http::auth::credential_in(headers)? else {
        return Err(NpmError(ServiceError::Unauthenticated));
    };
    let trusted = state.registry.trusted();
    let minted = trusted
        .exchange(
            &jwt,
            &trusted.audience("npm:"),
            Wanted::One {
                owner: &name.scope,
                package_type: PackageType::Npm,
                name: &name.name,
            },
        )
        .await?;
    Ok(reply::json(
        StatusCode::CREATED,
        json!({
            "token": minted.secret,
            "expires": minted.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    ))
}

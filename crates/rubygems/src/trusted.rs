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
use serde_json::{Value, json};

use crate::respond::Result;

pub async fn exchange(state: &AppState, owner: &str, body: Body) -> Result<Response> {
    let jwt = entrepot_http::ci_token::from_json_body(body, "jwt").await?;
    let jwt = jwt.as_str();
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

//! One request under `BASE/rubygems/OWNER/`: which endpoint, who calls,
//! and the handler that answers it.

use std::sync::Arc;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::owner::OwnerRequest;
use entrepot_http::{ApiError, AppState, Caller};

use crate::endpoint::Endpoint;
use crate::respond::{Result, text_response};
use crate::view::{Indexes, View};
use crate::{api, fallthrough, legacy_index, push, trusted, upstream, yank};

pub async fn handle(
    state: AppState,
    (indexes, mirrored): (Arc<Indexes>, Arc<upstream::Mirrored>),
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    route(&state, (&indexes, &mirrored), caller, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The endpoint, then the caller: `gem signin` sends a password, which is
/// not a token, so it is answered whoever the caller is.
async fn route(
    state: &AppState,
    (indexes, mirrored): (&Indexes, &upstream::Mirrored),
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Result<Response> {
    let OwnerRequest {
        method,
        owner,
        path,
        query,
        headers,
        client,
        body,
    } = request;
    let endpoint = Endpoint::parse(&method, &path, query.as_deref());
    let actor = match (&endpoint, caller) {
        // The password is checked by the endpoint itself.
        (Ok(Endpoint::ApiKey), _) => Actor::Anonymous,
        (_, Ok(Caller(actor))) => actor,
        (_, Err(e)) => return Err(e.0.into()),
    };
    if let Some(upstream) = upstream::mirror(state, &owner).await? {
        let asked = (&headers, method == Method::HEAD);
        return upstream::route(state, mirrored, (&actor, &upstream), endpoint?, asked).await;
    }
    let view = View {
        state,
        indexes,
        actor: &actor,
        owner: &owner,
        headers: &headers,
        head: method == Method::HEAD,
    };
    match endpoint? {
        Endpoint::ApiKey => api::api_key(state, &headers, client).await,
        Endpoint::Root => {
            // `gem` uses the compact index when the source root answers.
            state.registry.accounts().account(&owner).await?;
            Ok(text_response(
                view.head,
                "Entrepot RubyGems source\n".into(),
            ))
        }
        Endpoint::Push => push::push(&view, body).await,
        Endpoint::ExchangeToken => trusted::exchange(state, &owner, body).await,
        Endpoint::Yank { fields } => yank::yank(&view, fields, body).await,
        Endpoint::Versions => fallthrough::list(&view, mirrored, false).await,
        Endpoint::Names => fallthrough::list(&view, mirrored, true).await,
        Endpoint::Info { name } => fallthrough::info(&view, mirrored, &name).await,
        Endpoint::Specs(specs) => legacy_index::specs(&view, specs).await,
        Endpoint::QuickSpec { stem } => fallthrough::gem(&view, &stem, true).await,
        Endpoint::Gem { stem } => fallthrough::gem(&view, &stem, false).await,
        Endpoint::Dependencies { names, json } => api::dependencies(&view, &names, json).await,
        Endpoint::GemJson { name } => api::gem_json(&view, &name).await,
        Endpoint::LatestVersion { name } => api::latest_version(&view, &name).await,
        Endpoint::VersionsJson { name } => api::versions_json(&view, &name).await,
    }
}

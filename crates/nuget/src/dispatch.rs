//! One request under `BASE/nuget/OWNER/`: who calls, whose feed, which
//! endpoint, and the handler that answers it.

use std::sync::Arc;

use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::owner::OwnerRequest;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::auth::Credential;

use crate::documents::Documents;
use crate::endpoint::Endpoint;
use crate::respond::{Result, json_response};
use crate::view::View;
use crate::{
    fallthrough, feed, flatcontainer, odata, push, registration, search, unlist, upstream,
};

/// Who is calling: the `Authorization` header, else the push key NuGet
/// sends in `X-NuGet-ApiKey` (alone, or beside empty Basic credentials).
async fn actor_of(
    state: &AppState,
    caller: std::result::Result<Caller, ApiError>,
    headers: &HeaderMap,
) -> Result<Actor> {
    let key = headers
        .get("x-nuget-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    match (caller, key) {
        (Ok(Caller(actor @ Actor::User { .. })), _) | (Ok(Caller(actor)), None) => Ok(actor),
        (_, Some(key)) => Ok(state
            .registry
            .sessions()
            .authenticate(&Credential::Token(key.to_owned()))
            .await?),
        (Err(e), None) => Err(e.0.into()),
    }
}

pub async fn handle(
    state: AppState,
    documents: Arc<Documents>,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    route(&state, &documents, caller, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The caller first, then the owner (unseen when missing), then the
/// endpoint, so that a path that names nothing is no hint about owners.
async fn route(
    state: &AppState,
    documents: &Documents,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Result<Response> {
    let OwnerRequest {
        method,
        owner,
        path,
        query,
        headers,
        body,
        ..
    } = request;
    // Trusted publishing's exchange comes with a CI token, no key of ours.
    if method == Method::POST && path == "api/v2/token" {
        return Ok(crate::trusted::token(state, &owner, &headers, body).await);
    }
    let actor = actor_of(state, caller, &headers).await?;
    let endpoint = Endpoint::parse(&method, &path, query.as_deref());
    if let Some(upstream) = upstream::mirror(state, &owner).await? {
        let asked = (&headers, method == Method::HEAD);
        return upstream::route(state, (&actor, &upstream), endpoint?, asked).await;
    }
    let view = View::open(state, &actor, &owner, &headers, documents).await?;
    let head = method == Method::HEAD;
    let endpoint = endpoint?;
    let local = match &endpoint {
        Endpoint::ServiceIndex => Ok(json_response(&feed::service_index(&view.urls))),
        Endpoint::Push { symbols } => push::push(&view, body, *symbols).await,
        Endpoint::SetListed { lid, lver, listed } => {
            unlist::set_listed(&view, lid, lver, *listed).await
        }
        Endpoint::Versions { lid } => flatcontainer::versions(&view, lid, head).await,
        Endpoint::File { lid, lver, file } => {
            flatcontainer::file(&view, lid, lver, file, head).await
        }
        Endpoint::Registration {
            hive,
            lid,
            document,
        } => registration::document(&view, *hive, lid, document, head).await,
        Endpoint::CatalogEntry { lid, lver } => {
            registration::catalog_entry(&view, lid, lver, head).await
        }
        Endpoint::Search(query) => fallthrough::search(&view, query).await,
        Endpoint::Autocomplete(query) => search::autocomplete(&view, query).await,
        Endpoint::V2(request) => odata::handle(&view, request).await,
    };
    fallthrough::or_upstream(&view, &endpoint, head, local).await
}

//! One request under `BASE/cargo/OWNER/`: read into its `Endpoint`, the
//! owner looked up, and handed to the endpoint's handler; errors go out in
//! cargo's JSON.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::Actor;
use entrepot_http::owner::OwnerRequest;
use entrepot_http::{ApiError, AppState, Caller};

use crate::endpoint::Endpoint;
use crate::namespace::owner_account;
use crate::reply::{CargoError, Result};
use crate::sparse::{self, IndexCache};
use crate::{download, owners, publish, search, trusted, upstream, yank};

pub async fn handle(
    state: AppState,
    cache: Arc<IndexCache>,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let result = match caller {
        Ok(Caller(actor)) => route(&state, &cache, &actor, request).await,
        Err(e) => Err(e.0.into()),
    };
    result.unwrap_or_else(|e| e.respond(&state.config))
}

async fn route(
    state: &AppState,
    cache: &IndexCache,
    actor: &Actor,
    request: OwnerRequest,
) -> Result<Response> {
    let endpoint = Endpoint::parse(&request.method, &request.path);
    if endpoint == Endpoint::NotFound {
        return Err(CargoError::not_found("Not Found"));
    }
    let login = request.owner.as_str();
    let owner = &owner_account(state, actor, login).await?;
    let headers = &request.headers;
    if let Some(upstream) = upstream::mirror(state, actor, owner).await? {
        match endpoint {
            Endpoint::Config { head } => return Ok(upstream::config_json(state, owner, head)),
            Endpoint::IndexFile { name, head } => {
                return upstream::index_file(state, &upstream, &name, headers, head).await;
            }
            Endpoint::Download {
                name,
                version,
                head,
            } => {
                let crate_version = (name.as_str(), version.as_str());
                return upstream::download(state, actor, &upstream, crate_version, headers, head)
                    .await;
            }
            // Search finds what was cached; every change is refused, as
            // for any upstream's name.
            _ => {}
        }
    }
    match endpoint {
        Endpoint::Config { head } => sparse::config_json(state, actor, owner, head).await,
        Endpoint::IndexFile { name, head } => {
            match sparse::index_file(state, cache, actor, owner, &name, headers, head).await {
                // A crate the owner does not have may come from the
                // upstream its registry falls through to.
                Err(local) if local.status() == StatusCode::NOT_FOUND => {
                    match upstream::fallthrough(state, actor, owner, &name).await? {
                        Some(up) => upstream::index_file(state, &up, &name, headers, head).await,
                        None => Err(local),
                    }
                }
                answered => answered,
            }
        }
        Endpoint::NoIndexFile | Endpoint::NotFound => Err(CargoError::not_found("Not Found")),
        Endpoint::Publish => publish::publish(state, actor, owner, login, request.body).await,
        Endpoint::MintToken => trusted::mint(state, login, request.body).await,
        Endpoint::RevokeToken => trusted::revoke(state, actor).await,
        Endpoint::Search => search::search(state, actor, owner, request.query.as_deref()).await,
        Endpoint::Download {
            name,
            version,
            head,
        } => {
            match download::download(state, actor, owner, (&name, &version), headers, head).await {
                Err(local) if local.status() == StatusCode::NOT_FOUND => {
                    match upstream::fallthrough(state, actor, owner, &name).await? {
                        Some(up) => {
                            let crate_version = (name.as_str(), version.as_str());
                            let asked = (headers, head);
                            upstream::fallen_through(
                                state,
                                actor,
                                (owner, &up),
                                crate_version,
                                asked,
                            )
                            .await
                        }
                        None => Err(local),
                    }
                }
                answered => answered,
            }
        }
        Endpoint::Yank {
            name,
            version,
            yanked,
        } => yank::set_yanked(state, actor, owner, (&name, &version), yanked).await,
        Endpoint::ListOwners { name } => owners::list_owners(state, actor, owner, &name).await,
        Endpoint::ChangeOwners { name, add } => {
            owners::change_owners(state, actor, owner, &name, request.body, add).await
        }
    }
}

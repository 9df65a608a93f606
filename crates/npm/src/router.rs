//! The one door of npm requests: every request under `/npm` is parsed
//! into an `Endpoint`, then handed to the handler of that endpoint.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;
use serde_json::json;

use crate::cache::Packuments;
use crate::endpoint::{Endpoint, ForeignRead};
use crate::error::{NpmError, NpmResult, invalid};
use crate::name::NpmName;
use crate::{audit, dist_tags, packument, publish, reply, search, unpublish, upstream, user};

pub async fn dispatch(
    cache: std::sync::Arc<Packuments>,
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    request: Request,
) -> Response {
    let actor = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return NpmError(e.0).into_response(),
    };
    let uri = request.uri();
    let path = uri
        .path()
        .trim_start_matches("/npm")
        .trim_start_matches('/');
    let endpoint = Endpoint::parse(request.method(), path, uri.query());
    route(&state, &cache, &actor, endpoint, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn route(
    state: &AppState,
    cache: &Packuments,
    actor: &Actor,
    endpoint: Endpoint,
    request: Request,
) -> NpmResult<Response> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    match endpoint {
        Endpoint::Ping => Ok(reply::json(StatusCode::OK, json!({}))),
        Endpoint::Whoami => user::whoami(actor),
        Endpoint::Keys => {
            let keys = state.registry.signing_keys().await?;
            let listed: Vec<serde_json::Value> = keys
                .public()
                .iter()
                .map(|k| {
                    json!({
                        "expires": k.expires.map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                        "keyid": k.keyid,
                        "keytype": "ecdsa-sha2-nistp256",
                        "scheme": "ecdsa-sha2-nistp256",
                        "key": k.key,
                    })
                })
                .collect();
            Ok(reply::json(StatusCode::OK, json!({ "keys": listed })))
        }
        Endpoint::Login { user } => {
            let from = entrepot_http::auth::client_address(&parts.extensions);
            user::login(state, &user, from, body).await
        }
        Endpoint::Logout { token } => user::logout(state, actor, &token).await,
        Endpoint::Search(query) => search::search(state, actor, &query).await,
        Endpoint::Packument { name, head } => {
            let local = packument::packument(state, cache, actor, &name, headers, head).await;
            or_upstream(
                state,
                actor,
                &name,
                local,
                ForeignRead::Packument { head },
                headers,
            )
            .await
        }
        Endpoint::VersionDoc { name, version } => {
            let local = packument::version_doc(state, actor, &name, &version).await;
            let read = ForeignRead::VersionDoc { version };
            or_upstream(state, actor, &name, local, read, headers).await
        }
        Endpoint::Tarball { name, file } => {
            let local = packument::tarball(state, actor, &name, &file, headers).await;
            or_upstream(
                state,
                actor,
                &name,
                local,
                ForeignRead::Tarball { file },
                headers,
            )
            .await
        }
        Endpoint::Foreign { name, read } => {
            match upstream::upstream_for(state, actor, &name).await? {
                Some(upstream) => upstream::read(state, &upstream, &name, read, headers).await,
                None => Err(NpmError(ServiceError::not_found(format!(
                    "{name} is not here: packages are scoped by their owner, as in @OWNER/{name}"
                )))),
            }
        }
        Endpoint::Publish { name } => publish::put_document(state, actor, &name, body, false).await,
        Endpoint::UnpublishVersions { name } => {
            publish::put_document(state, actor, &name, body, true).await
        }
        Endpoint::UnpublishAll { name } => unpublish::all(state, actor, &name).await,
        Endpoint::DeleteTarball => Ok(reply::ok(StatusCode::OK)),
        Endpoint::DistTags { name } => dist_tags::list(state, actor, &name).await,
        Endpoint::SetDistTag { name, tag } => dist_tags::set(state, actor, &name, &tag, body).await,
        Endpoint::RemoveDistTag { name, tag } => dist_tags::remove(state, actor, &name, &tag).await,
        Endpoint::SetAccess { name } => dist_tags::set_access(state, actor, &name, body).await,
        Endpoint::Visibility { name } => dist_tags::visibility(state, actor, &name).await,
        Endpoint::Audit(kind) => audit::answer(state, actor, kind, headers, body).await,
        Endpoint::InvalidName { reason, sent: true } => Err(invalid(reason)),
        Endpoint::InvalidName {
            reason,
            sent: false,
        } => Err(NpmError(ServiceError::NotFound(reason))),
        Endpoint::NotFound => Err(NpmError(ServiceError::not_found("not found"))),
    }
}

/// A scoped read the local registry could not answer goes to the default
/// upstream when no local owner has the scope; a local owner's names
/// never come from an upstream.
async fn or_upstream(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    local: NpmResult<Response>,
    read: ForeignRead,
    headers: &axum::http::HeaderMap,
) -> NpmResult<Response> {
    match local {
        Err(NpmError(ServiceError::NotFound(_) | ServiceError::Unauthenticated)) => {
            let full = name.full();
            match upstream::upstream_for(state, actor, &full).await? {
                Some(upstream) => upstream::read(state, &upstream, &full, read, headers).await,
                None => local,
            }
        }
        answered => answered,
    }
}

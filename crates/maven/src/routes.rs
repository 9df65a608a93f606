//! One request under `BASE/maven/OWNER/REPOSITORY/`: read into its
//! `Endpoint`, its target found, and handed to reading or deploying;
//! errors go out as Maven's plain text.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_http::{ApiError, AppState, Caller};

use crate::deploy::deploy;
use crate::endpoint::Endpoint;
use crate::error::{MavenError, Result};
use crate::path::PathError;
use crate::read::read;
use crate::target::Target;
use crate::upstream;

pub async fn handle(
    snapshot_builds: usize,
    State(state): State<AppState>,
    caller: std::result::Result<Caller, ApiError>,
    method: Method,
    Path((owner, repo, rest)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let request = (&method, (owner.as_str(), repo.as_str(), rest.as_str()));
    route(&state, caller, request, &headers, body, snapshot_builds)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn route(
    state: &AppState,
    caller: std::result::Result<Caller, ApiError>,
    (method, (owner, repo, rest)): (&Method, (&str, &str, &str)),
    headers: &HeaderMap,
    body: Body,
    snapshot_builds: usize,
) -> Result<Response> {
    let Ok(Caller(actor)) = caller else {
        return Err(MavenError::new(
            StatusCode::UNAUTHORIZED,
            "Bad credentials: use your user name and a personal access token",
        ));
    };
    if let Some(upstream) = upstream::mirror(state, owner).await? {
        let path = format!("{repo}/{rest}");
        return upstream::mirrored(state, &actor, &upstream, (method, &path), headers).await;
    }
    let endpoint = Endpoint::parse(method, owner, repo, rest).map_err(refusal)?;
    let target =
        Target::resolve(state, actor, (owner, repo), endpoint.path().coordinates()).await?;
    match endpoint {
        // A groupId the owner does not publish may come from the upstream
        // the owner falls through to.
        Endpoint::Read { path, head } if target.package.is_none() => {
            match upstream::fallthrough(state, &target).await? {
                Some(up) => {
                    let read = (&path, rest);
                    upstream::fallen_through(state, (&target, &up), read, headers, head).await
                }
                None => read(state, &target, &path, headers, head).await,
            }
        }
        Endpoint::Read { path, head } => read(state, &target, &path, headers, head).await,
        Endpoint::Deploy(path) => {
            deploy(state, &target, &path, (headers, body), snapshot_builds).await
        }
        Endpoint::Unsupported(_) => Err(MavenError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the Maven repository takes GET, HEAD and PUT",
        )),
    }
}

/// How a refused path is answered: 400.
fn refusal(e: PathError) -> MavenError {
    match e {
        PathError::Invalid(m) => MavenError::bad_request(m),
    }
}

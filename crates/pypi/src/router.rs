//! The one door of PyPI requests: each request under `/pypi/OWNER/` is
//! parsed into an `Endpoint`, then handed to the handler of that endpoint.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_http::owner::OwnerRequest;
use entrepot_http::{ApiError, AppState, Caller};

use crate::endpoint::Endpoint;
use crate::error::PypiError;
use crate::files::{FileRequest, download};
use crate::pages::Pages;
use crate::{project_json, simple, upload, upstream, yank};

pub async fn handle(
    state: AppState,
    pages: Arc<Pages>,
    caller: Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let actor = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return PypiError::from(e.0).into_response(),
    };
    let OwnerRequest {
        method,
        owner,
        path,
        query,
        headers,
        body,
        ..
    } = request;
    let (state, actor, owner) = (&state, &actor, owner.as_str());
    let result = match Endpoint::parse(&method, &path, query.as_deref()) {
        Endpoint::Upload => upload::upload(state, actor, owner, &headers, body).await,
        Endpoint::Projects(listing) => {
            simple::projects(state, actor, owner, &headers, &listing).await
        }
        Endpoint::Project { project, listing } => {
            let asked = simple::Asked {
                headers: &headers,
                listing: &listing,
                pages: &pages,
            };
            simple::project(state, actor, owner, &project, asked).await
        }
        Endpoint::File {
            project,
            version,
            filename,
            head,
        } => {
            let file = FileRequest {
                owner,
                project: &project,
                version: &version,
                filename: &filename,
                head,
            };
            match download(state, actor, &file, &headers).await {
                // A file of an upstream's project not kept yet.
                Err(local) if matches!(local.status.as_u16(), 401 | 404) => {
                    let names = (project.as_str(), version.as_str(), filename.as_str());
                    from_upstream(state, actor, owner, names, &headers, head)
                        .await
                        .unwrap_or(Err(local))
                }
                answered => answered,
            }
        }
        Endpoint::ProjectJson { project } => {
            project_json::project_json(state, actor, owner, &project).await
        }
        Endpoint::Yank {
            project,
            version,
            yank,
        } => yank::yank(state, actor, owner, (&project, &version), yank, body).await,
        Endpoint::NotFound => Err(PypiError::new(StatusCode::NOT_FOUND, "Not Found")),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A file under an upstream's name, fetched now; `None` when `owner` is
/// not an upstream.
async fn from_upstream(
    state: &AppState,
    actor: &entrepot_core::Actor,
    owner: &str,
    names: (&str, &str, &str),
    headers: &axum::http::HeaderMap,
    head: bool,
) -> Option<Result<Response, PypiError>> {
    match upstream::mirror(state, actor, owner).await {
        Ok(Some(upstream)) => {
            Some(upstream::download(state, actor, &upstream, names, headers, head).await)
        }
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

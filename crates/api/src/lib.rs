//! GitHub's REST API under `/api/v3`, as GitHub Enterprise Server serves it,
//! so that Octokit, PyGithub and `gh` work by changing only their base URL.

mod users;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entrepot_core::Actor;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;

/// The API version we answer as; clients send and read it.
pub const API_VERSION: &str = "2022-11-28";

pub fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/", get(users::root))
        .route("/user", get(users::authenticated_user))
        .route("/users/{username}", get(users::get_user))
        .route("/orgs/{org}", get(users::get_org))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            github_headers,
        ));
    Router::new().nest("/api/v3", api)
}

async fn not_found() -> ApiError {
    ApiError(ServiceError::not_found("Not Found"))
}

/// Authenticates once per request and adds the headers GitHub sends that
/// clients read: the API version, the media type and the token's scopes.
async fn github_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return with_github_headers(e.into_response(), None),
    };
    let response = next.run(Request::from_parts(parts, body)).await;
    with_github_headers(response, Some(&caller.0))
}

fn with_github_headers(mut response: Response, actor: Option<&Actor>) -> Response {
    let headers = response.headers_mut();
    if headers
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json")
    {
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    headers.insert(
        "x-github-api-version-selected",
        HeaderValue::from_static(API_VERSION),
    );
    headers.insert(
        "x-github-api-version",
        HeaderValue::from_static(API_VERSION),
    );
    headers.insert(
        "x-github-media-type",
        HeaderValue::from_static("github.v3; format=json"),
    );
    if let Some(actor @ Actor::User { .. }) = actor
        && let Ok(scopes) = HeaderValue::from_str(&actor.scopes().to_header())
    {
        headers.insert("x-oauth-scopes", scopes);
    }
    response
}

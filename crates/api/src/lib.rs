//! GitHub's REST API under `/api/v3`, as GitHub Enterprise Server serves it,
//! so that Octokit, PyGithub and `gh` work by changing only their base URL.

mod admin;
mod advisories;
mod alerts;
mod cleanup;
mod credentials;
mod dependencies;
mod fallthrough;
mod graphql;
mod hooks;
mod image_signing;
mod immutable;
mod memberships;
mod meta;
mod model;
mod notifications;
pub mod osv;
mod packages;
mod quotas;
mod repos;
mod sbom;
mod shared;
mod site_admin;
mod subscriptions;
mod trusted;
mod users;

use axum::Extension;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entrepot_core::Actor;
use entrepot_http::rate_limit::RateKey;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;

use shared::OwnerRoute;

/// The API version we answer as; clients send and read it.
pub const API_VERSION: &str = "2022-11-28";

pub fn router(state: &AppState) -> Router<AppState> {
    let api = Router::new()
        .route("/", get(users::root))
        .route(
            "/user",
            get(users::authenticated_user).patch(users::update_authenticated_user),
        )
        .route("/user/emails", get(users::emails))
        .route("/users/{username}", get(users::get_user))
        .route("/orgs/{org}", get(users::get_org))
        .merge(admin::routes())
        .merge(site_admin::routes())
        .merge(repos::routes())
        .merge(memberships::routes())
        .merge(credentials::routes())
        .merge(advisories::global_routes())
        .merge(alerts::routes())
        .merge(sbom::routes())
        .merge(advisories::repository_routes())
        .merge(notifications::routes())
        .merge(meta::routes())
        .nest("/user", owner_routes(OwnerRoute::Me))
        .nest("/users/{username}", owner_routes(OwnerRoute::User))
        .nest("/orgs/{org}", owner_routes(OwnerRoute::Org))
        .fallback(not_found);
    Router::new()
        .nest("/api/v3", api)
        // The root with its slash too: GitHub's clients ask for `/api/v3/`.
        .route("/api/v3/", get(users::root))
        .route("/api/graphql", axum::routing::post(graphql::graphql))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            github_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

pub use shared::MAX_BODY_BYTES;

async fn not_found() -> ApiError {
    shared::not_found()
}

/// The routes under one owner prefix (`/user`, `/users/{username}`,
/// `/orgs/{org}`): packages and versions, their advisories, hooks and
/// subscriptions, each told which prefix it is under.
fn owner_routes(route: OwnerRoute) -> Router<AppState> {
    Router::new()
        .merge(packages::routes())
        .merge(advisories::package_routes())
        .merge(hooks::owner_routes())
        .merge(subscriptions::owner_routes())
        .merge(fallthrough::owner_routes())
        .merge(cleanup::owner_routes())
        .merge(immutable::owner_routes())
        .merge(quotas::owner_routes())
        .merge(trusted::owner_routes())
        .merge(image_signing::owner_routes())
        .merge(dependencies::owner_routes())
        .merge(alerts::owner_routes())
        .layer(axum::middleware::from_fn(accepted_scopes))
        .layer(Extension(route))
}

/// Tells clients which scopes an endpoint accepts, as GitHub does.
async fn accepted_scopes(request: Request, next: Next) -> Response {
    let accepted = match *request.method() {
        Method::DELETE => "delete:packages, read:packages",
        Method::POST => "read:packages, write:packages",
        Method::PATCH => "write:packages",
        _ => "read:packages",
    };
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        "x-accepted-oauth-scopes",
        HeaderValue::from_static(accepted),
    );
    response
}

/// Authenticates once per request and adds the headers GitHub sends that
/// clients read: the API version, the media type and the token's scopes.
/// Why a bounded token may not make this request, if it may not. A token
/// minted by trusted publishing acts for its packages' owner only to
/// publish them, through their clients; a narrow token or a robot's
/// reaches packages (and who it is), never the account's other settings.
fn bounded_refusal(actor: &Actor, parts: &axum::http::request::Parts) -> Option<ServiceError> {
    let Actor::User {
        grant: Some(grant), ..
    } = actor
    else {
        return None;
    };
    if grant.is_minted() {
        return Some(ServiceError::Forbidden(
            "a token minted by trusted publishing works with package clients only; the REST API does not take it".into(),
        ));
    }
    let path = parts.uri.path().trim_end_matches('/');
    let about_packages = path.contains("/packages");
    let who = parts.method == axum::http::Method::GET
        && matches!(path, "/api/v3" | "/api/v3/user" | "/api/v3/rate_limit");
    (!about_packages && !who).then(|| {
        ServiceError::Forbidden(
            "this token is restricted to packages; the account's other settings need another token"
                .into(),
        )
    })
}

async fn github_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(e) => return with_github_headers(e.into_response(), None),
    };
    let key = match &caller.0 {
        Actor::User {
            token_id: Some(t), ..
        } => RateKey::Token(*t),
        Actor::User { id, .. } => RateKey::User(*id),
        Actor::Anonymous => entrepot_http::auth::client_address(&parts.extensions)
            .map_or(RateKey::Unknown, RateKey::Address),
    };
    let now = std::time::SystemTime::now();
    let status = if parts.uri.path().trim_end_matches('/') == "/api/v3/rate_limit" {
        state.rate_limiter.peek(key, now)
    } else {
        state.rate_limiter.hit(key, now)
    };
    parts.extensions.insert(status);
    let response = if let Some(refused) = bounded_refusal(&caller.0, &parts) {
        ApiError(refused).into_response()
    } else if status.exceeded() {
        ApiError(ServiceError::Forbidden(format!(
            "API rate limit exceeded: {} requests per hour. The limit resets at {} (seconds since the epoch).",
            status.limit, status.reset
        )))
        .into_response()
    } else {
        let conditional = parts.method == axum::http::Method::GET;
        let if_none_match = parts
            .headers
            .get(axum::http::header::IF_NONE_MATCH)
            .cloned();
        let response = next.run(Request::from_parts(parts, body)).await;
        if conditional {
            etagged(response, if_none_match.as_ref()).await
        } else {
            response
        }
    };
    let mut response = with_github_headers(response, Some(&caller.0));
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", status.limit.to_string()),
        ("x-ratelimit-remaining", status.remaining().to_string()),
        ("x-ratelimit-reset", status.reset.to_string()),
        (
            "x-ratelimit-used",
            status.used.min(status.limit).to_string(),
        ),
        ("x-ratelimit-resource", "core".to_owned()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    response
}

/// The largest answer hashed for its `ETag` on the executor's thread.
const INLINE_HASH_BYTES: usize = 64 * 1024;

/// The largest answer given an `ETag` (bigger ones go without).
const MAX_ETAGGED_BYTES: usize = 8 * 1024 * 1024;

/// Gives a successful JSON answer a weak `ETag` of its content, as GitHub
/// does, and answers 304 when the client already has it.
async fn etagged(response: Response, if_none_match: Option<&HeaderValue>) -> Response {
    use sha2::Digest;
    let json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let small = axum::body::HttpBody::size_hint(response.body())
        .upper()
        .is_some_and(|n| n <= MAX_ETAGGED_BYTES as u64);
    if response.status() != axum::http::StatusCode::OK || !json || !small {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ETAGGED_BYTES).await else {
        return ApiError(ServiceError::Internal("an answer too large to send".into()))
            .into_response();
    };
    let tag_of =
        |bytes: &[u8]| format!("W/\"{}\"", hex::encode(&sha2::Sha256::digest(bytes)[..16]));
    // Hashing a large answer is no work for the executor's threads.
    let etag = if bytes.len() <= INLINE_HASH_BYTES {
        tag_of(&bytes)
    } else {
        let body = bytes.clone();
        match tokio::task::spawn_blocking(move || tag_of(&body)).await {
            Ok(etag) => etag,
            Err(_) => return Response::from_parts(parts, axum::body::Body::from(bytes)),
        }
    };
    let unchanged = if_none_match
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(axum::http::header::ETAG, v);
    }
    if unchanged {
        parts.status = axum::http::StatusCode::NOT_MODIFIED;
        parts.headers.remove(axum::http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, axum::body::Body::empty());
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
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

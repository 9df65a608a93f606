//! The access log: one line per request at info level, on the target
//! `entrepot::access` (method, route, path, status, declared bytes,
//! duration, user, client address, request id), human or JSON as the log
//! is. Every request runs in a span carrying its id, method and route, so
//! any error logged while it is served names them; the id goes back to the
//! client as `X-Request-Id` (and `X-GitHub-Request-Id`, which GitHub's
//! clients print).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Who the request turned out to be from: set once by whatever
/// authenticates it (the `Caller` extractor, a web session).
#[derive(Clone, Default)]
pub struct SeenUser(Arc<OnceLock<String>>);

impl SeenUser {
    /// Records the login a request was authenticated as.
    pub fn set(&self, login: &str) {
        let _ = self.0.set(login.to_owned());
    }
}

/// A request's id: 16 hex digits, random.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Middleware: the span, the id and the line.
pub async fn log(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = new_id();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let path = request.uri().path().to_owned();
    let client = crate::auth::client_address(request.extensions());
    let user = SeenUser::default();
    request.extensions_mut().insert(user.clone());
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let mut response = next.run(request).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v.clone());
        response.headers_mut().insert("x-github-request-id", v);
    }
    let bytes = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    tracing::info!(
        target: "entrepot::access",
        method = %method,
        route = %route,
        path = %path,
        status = response.status().as_u16(),
        bytes,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        user = user.0.get().map_or("-", String::as_str),
        client = %client.map_or_else(|| "-".to_owned(), |c| c.to_string()),
        request_id = %id,
        "{method} {path} {}",
        response.status().as_u16()
    );
    response
}

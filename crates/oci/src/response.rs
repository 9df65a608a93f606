//! The shapes of successful answers several endpoints share: a created
//! resource, and a sorted list paged by `n` and `last` with a `Link` to
//! the next page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::ctx::Ctx;

/// Adds a header; a value no header may hold is left out.
pub fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, v);
    }
}

/// `201 Created` for what now lives at `location` under `digest`.
pub fn created(location: &str, digest: &str) -> Response {
    let mut response = StatusCode::CREATED.into_response();
    set(&mut response, "location", location);
    set(&mut response, "docker-content-digest", digest);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

/// The page of sorted `items` the query's `n` and `last` ask for, in the
/// body `body` makes of it, with a `Link` to the next page at `url`.
pub fn paged(
    ctx: &Ctx,
    items: Vec<String>,
    url: &str,
    body: impl FnOnce(Vec<String>) -> Value,
) -> Response {
    let after: Vec<String> = match ctx.query("last") {
        Some(last) => items.into_iter().filter(|t| t.as_str() > last).collect(),
        None => items,
    };
    let (shown, link) = match ctx.query("n").and_then(|n| n.parse::<usize>().ok()) {
        Some(n) if n < after.len() => {
            let shown: Vec<String> = after.into_iter().take(n).collect();
            let link = shown
                .last()
                .map(|last| format!("<{url}?n={n}&last={last}>; rel=\"next\""));
            (shown, link)
        }
        _ => (after, None),
    };
    let mut response = axum::Json(body(shown)).into_response();
    if let Some(link) = link {
        set(&mut response, "link", &link);
    }
    response
}

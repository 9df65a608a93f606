//! How an answer served from an upstream registry says so, in every format.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Names the upstream an answer came from (`X-Entrepot-Upstream`) and, when
/// the upstream could not be reached and the cached copy was served,
/// says it is stale (`Warning: 110`).
pub fn mark(mut response: Response, upstream: &str, stale: bool) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(upstream) {
        h.insert("x-entrepot-upstream", v);
    }
    if stale {
        h.insert(
            header::WARNING,
            HeaderValue::from_static("110 entrepot \"Response is Stale\""),
        );
    }
    response
}

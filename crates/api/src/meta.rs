//! GitHub's `/rate_limit` (which costs nothing) and `/meta`, which GitHub's
//! clients read to learn where they are.

use axum::routing::get;
use axum::{Extension, Json, Router};
use entrepot_http::AppState;
use entrepot_http::rate_limit::RateStatus;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rate_limit", get(rate_limit))
        .route("/meta", get(meta))
}

fn window(status: &RateStatus) -> Value {
    json!({
        "limit": status.limit,
        "remaining": status.remaining(),
        "reset": status.reset,
        "used": status.used.min(status.limit),
        "resource": "core",
    })
}

/// `GET /rate_limit`: the caller's window, as `core` (every REST call here
/// counts against it) and as the deprecated `rate`.
async fn rate_limit(Extension(status): Extension<RateStatus>) -> Json<Value> {
    Json(json!({
        "resources": { "core": window(&status) },
        "rate": window(&status),
    }))
}

/// `GET /meta`: what GitHub Enterprise Server says of itself that applies
/// here.
async fn meta() -> Json<Value> {
    Json(json!({
        "verifiable_password_authentication": false,
        "installed_version": "3.14.0",
        "api_versions": [crate::API_VERSION],
    }))
}

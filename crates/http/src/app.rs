//! Assembles the whole application: every router, the shared layers, and
//! the health and metrics endpoints.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;

use crate::format::PackageFormat;
use crate::state::AppState;

/// Builds the application from the shared state, each format's routes and
/// the other parts' routers.
pub fn build_app(
    state: AppState,
    formats: &[Arc<dyn PackageFormat>],
    parts: Vec<Router<AppState>>,
) -> Router {
    let body_limit = usize::try_from(state.registry.limits.max_upload_bytes)
        .unwrap_or(usize::MAX)
        // Room for the envelope some clients wrap a file in (npm's base64 JSON).
        .saturating_mul(4)
        / 3
        + 64 * 1024;
    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics));
    for part in parts {
        router = router.merge(part);
    }
    for format in formats {
        router = router.merge(format.router());
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(crate::access::log))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::idle::stalled_uploads,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::resolve_client,
        ))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// `GET /metrics`.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state.registry.stats),
    )
}

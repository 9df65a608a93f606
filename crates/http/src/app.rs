//! Assembles the whole application: every router, the shared layers, and
//! the health and metrics endpoints.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

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
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    for part in parts {
        router = router.merge(part);
    }
    for format in formats {
        router = router.merge(format.router());
    }
    router
        .layer(crate::encoding::layer())
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
        // What users uploaded is served from the pages' origin: never
        // sniffed into a script or a page, whatever its name says.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// `GET /readyz`: 200 when both stores answer (a write and a read each),
/// else 503 naming what failed.
async fn readyz(State(state): State<AppState>) -> axum::response::Response {
    static NODE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    // Probes come often and each costs a write to both stores: one answer
    // serves them all for a second.
    static LAST: std::sync::Mutex<Option<(std::time::Instant, entrepot_service::jobs::Readiness)>> =
        std::sync::Mutex::new(None);
    let node = NODE.get_or_init(|| format!("{}-{:08x}", std::process::id(), rand::random::<u32>()));
    let recent = LAST
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .filter(|(at, _)| at.elapsed() < std::time::Duration::from_secs(1))
        .map(|(_, r)| r.clone());
    let readiness = if let Some(readiness) = recent {
        readiness
    } else {
        let readiness = state.registry.maintenance().readiness(node).await;
        if !readiness.is_ready() {
            tracing::warn!(?readiness, "not ready");
        }
        *LAST
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), readiness.clone()));
        readiness
    };
    let status = if readiness.is_ready() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    // Anyone may ask: the details (paths, addresses) go to the log only.
    let word = |trouble: &Option<String>| if trouble.is_some() { "failed" } else { "ok" };
    let body = serde_json::json!({
        "ready": readiness.is_ready(),
        "database": word(&readiness.database),
        "blobs": word(&readiness.blobs),
    });
    (status, axum::Json(body)).into_response()
}

/// `GET /metrics`, with the bearer token `--metrics-token` set, if set.
async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Some(wanted) = &state.config.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let same = given.len() == wanted.expose().len()
            && given
                .bytes()
                .zip(wanted.expose().bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !same {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                [(
                    axum::http::header::WWW_AUTHENTICATE,
                    "Bearer realm=\"metrics\"",
                )],
                "/metrics wants the token of --metrics-token\n",
            )
                .into_response();
        }
    }
    let database = state.registry.maintenance().database_use().await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(&state.registry.stats, &database),
    )
        .into_response()
}

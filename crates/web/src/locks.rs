//! The site administrators' page of sign-in locks (`/admin/sign-in-locks`):
//! the user names and client addresses that failed too many password
//! attempts, each with a button that lifts its lock.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::throttle::WINDOW;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error};

const PAGE: &str = "/admin/sign-in-locks";

#[derive(Serialize)]
struct Row {
    key: String,
    attempts: i64,
    until: String,
    until_iso: String,
}

/// `GET /admin/sign-in-locks`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    let locks = match state.registry.sessions().sign_in_locks(&viewer.actor).await {
        Ok(locks) => locks,
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => {
            return not_found(&viewer);
        }
        Err(e) => return server_error(&e),
    };
    let rows: Vec<Row> = locks
        .into_iter()
        .map(|l| Row {
            key: l.key,
            attempts: l.attempts,
            until: l.until.format("%H:%M UTC").to_string(),
            until_iso: l.until.to_rfc3339(),
        })
        .collect();
    let notice = query.contains_key("lifted").then_some("Lock lifted.");
    page_with_status(
        StatusCode::OK,
        &viewer,
        "locks.html",
        context! { locks => rows, window => WINDOW.num_minutes(), notice => notice },
    )
}

#[derive(Deserialize)]
pub(crate) struct LiftForm {
    csrf: Option<String>,
    key: String,
}

/// `POST /admin/sign-in-locks`: lifts the lock the form names.
pub(crate) async fn lift(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<LiftForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    match state
        .registry
        .sessions()
        .lift_sign_in_lock(&viewer.actor, &form.key)
        .await
    {
        Ok(_) => Redirect::to(&format!("{PAGE}?lifted")).into_response(),
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

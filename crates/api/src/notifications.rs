//! The caller's notifications at `/notifications` (GitHub's, in a simpler
//! shape: Entrepot's notifications are about advisories, not threads).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use entrepot_http::{AppState, Caller};
use entrepot_service::notifications::NotificationQuery;

use crate::model::notification::Notification;
use crate::shared::{Params, UnprocessableResult as Result, id_param};

/// `/notifications` and `/notifications/threads/{thread_id}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/notifications",
            get(notifications).put(mark_all_notifications_read),
        )
        .route(
            "/notifications/threads/{thread_id}",
            axum::routing::patch(mark_notification_read),
        )
}

async fn notifications(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Notification>>> {
    let all = query.get("all").is_some_and(|a| a == "true");
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(50);
    let list = state
        .registry
        .advisories()
        .notifications(
            &actor,
            NotificationQuery {
                unread_only: !all,
                limit: per_page,
            },
        )
        .await?;
    Ok(Json(list.iter().map(Notification::new).collect()))
}

async fn mark_notification_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
) -> Result<StatusCode> {
    state
        .registry
        .advisories()
        .mark_notification_read(&actor, id_param(&params, "thread_id")?)
        .await?;
    Ok(StatusCode::RESET_CONTENT)
}

async fn mark_all_notifications_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<StatusCode> {
    state
        .registry
        .advisories()
        .mark_all_notifications_read(&actor)
        .await?;
    Ok(StatusCode::RESET_CONTENT)
}

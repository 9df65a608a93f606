//! A hook's deliveries: how the pages list one, and one delivery's page,
//! what was sent and what came back, as the service kept it.

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::webhook::MAX_ATTEMPTS;
use entrepot_core::{Delivery, DeliveryState};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::delivery::KEPT_BODY;
use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use super::hook_form::hook_label;
use super::hooks::Place;
use crate::page_with_status;
use crate::session::Viewer;

/// The most of a payload or response body a delivery's page shows.
const MAX_SHOWN: usize = 64 * 1024;

/// A delivery as the pages list it.
#[derive(Serialize)]
pub(super) struct DeliveryRow {
    id: i64,
    guid: String,
    event: String,
    status: String,
    state: String,
    failed: bool,
    redelivery: bool,
    duration: Option<String>,
    at: String,
    at_iso: String,
}

impl DeliveryRow {
    pub(super) fn of(d: &Delivery) -> Self {
        let at = d.delivered_at.unwrap_or(d.created_at);
        DeliveryRow {
            id: d.id,
            guid: d.guid.clone(),
            event: match &d.action {
                Some(action) => format!("{}.{action}", d.event),
                None => d.event.clone(),
            },
            status: status_text(d),
            state: state_text(d),
            failed: failed(d),
            redelivery: d.redelivery,
            // Only answers are timed (the service's rule).
            duration: d
                .status_code
                .and(d.duration_ms)
                .map(|ms| format!("{ms} ms")),
            at: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            at_iso: at.to_rfc3339(),
        }
    }
}

/// `200 OK`, `pending`, or why nothing answered.
pub(super) fn status_text(d: &Delivery) -> String {
    if d.attempts == 0 {
        return "pending".to_owned();
    }
    match d.status_code {
        Some(code) => format!("{code} {}", d.status).trim_end().to_owned(),
        None => d.status.clone(),
    }
}

/// Where a delivery stands, in words: `pending`, `delivered`,
/// `retrying (attempt N of 8)` (the attempt to come) or
/// `failed after N attempts`.
pub(super) fn state_text(d: &Delivery) -> String {
    match d.state {
        DeliveryState::Delivered => "delivered".to_owned(),
        DeliveryState::Failed => format!(
            "failed after {} attempt{}",
            d.attempts,
            if d.attempts == 1 { "" } else { "s" }
        ),
        DeliveryState::Pending if d.attempts == 0 => "pending".to_owned(),
        DeliveryState::Pending => {
            format!("retrying (attempt {} of {MAX_ATTEMPTS})", d.attempts + 1)
        }
    }
}

/// Given up on, or last answered with anything but a 2xx.
pub(super) fn failed(d: &Delivery) -> bool {
    d.state == DeliveryState::Failed
        || (d.attempts > 0 && !d.status_code.is_some_and(|c| (200..300).contains(&c)))
}

#[derive(Serialize)]
struct HeaderRow {
    name: String,
    value: String,
}

/// A stored header object as rows, in its order.
fn header_rows(headers: Option<&Value>) -> Vec<HeaderRow> {
    let Some(Value::Object(map)) = headers else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, value)| HeaderRow {
            name: name.clone(),
            value: value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned),
        })
        .collect()
}

/// At most `MAX_SHOWN` bytes of `text` (cut on a character), and how many
/// were left out.
fn bounded(text: &str) -> (String, Option<usize>) {
    if text.len() <= MAX_SHOWN {
        return (text.to_owned(), None);
    }
    let mut end = MAX_SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (text[..end].to_owned(), Some(text.len() - end))
}

/// One delivery: what was sent and what came back, as the service kept
/// it, with a button to send it again.
pub(super) async fn delivery_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    hook_id: i64,
    delivery_id: i64,
) -> Result<Response, ServiceError> {
    let hooks = state.registry.webhooks();
    let hook = hooks.hook(&viewer.actor, place.scope(), hook_id).await?;
    let d = hooks
        .hook_delivery(&viewer.actor, place.scope(), hook_id, delivery_id)
        .await?;
    let pretty = serde_json::from_str::<Value>(&d.payload)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| d.payload.clone());
    let (payload, payload_cut) = bounded(&pretty);
    let (body, body_cut) = d.response_body.as_deref().map_or((None, None), |b| {
        let (shown, cut) = bounded(b);
        (Some(shown), cut)
    });
    // The worker keeps the first KEPT_BODY bytes: a body that long was
    // (most likely) longer.
    let kept_only = d
        .response_body
        .as_ref()
        .is_some_and(|b| b.len() >= KEPT_BODY);
    Ok(page_with_status(
        StatusCode::OK,
        viewer,
        "hook_delivery.html",
        context! {
            place => place.describe(viewer),
            hook_id => hook_id,
            hook_label => hook_label(&hook),
            delivery => DeliveryRow::of(&d),
            request_headers => header_rows(d.request_headers.as_ref()),
            response_headers => header_rows(d.response_headers.as_ref()),
            answered => d.response_headers.is_some(),
            payload => payload,
            payload_cut => payload_cut,
            response_body => body,
            response_cut => body_cut,
            response_kept_only => kept_only,
            kept_bytes => KEPT_BODY,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_cut_on_a_character() {
        let text = "é".repeat(MAX_SHOWN);
        let (shown, cut) = bounded(&text);
        assert!(shown.len() <= MAX_SHOWN);
        assert_eq!(shown.len() + cut.unwrap(), text.len());
        assert_eq!(bounded("short"), ("short".to_owned(), None));
    }

    #[test]
    fn the_state_says_whether_a_delivery_is_still_tried() {
        let mut d = Delivery {
            id: 1,
            guid: "g".into(),
            hook_id: 1,
            event: "ping".into(),
            action: None,
            payload: "{}".into(),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: None,
            status_code: None,
            status: String::new(),
            duration_ms: None,
            delivered_at: None,
            redelivery: false,
            request_headers: None,
            response_headers: None,
            response_body: None,
            created_at: chrono::Utc::now(),
        };
        assert_eq!(state_text(&d), "pending");
        d.attempts = 2;
        assert_eq!(state_text(&d), "retrying (attempt 3 of 8)");
        d.state = DeliveryState::Failed;
        assert_eq!(state_text(&d), "failed after 2 attempts");
        d.attempts = 1;
        assert_eq!(state_text(&d), "failed after 1 attempt");
        d.state = DeliveryState::Delivered;
        assert_eq!(state_text(&d), "delivered");
    }
}

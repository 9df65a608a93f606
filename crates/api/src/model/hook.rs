//! GitHub's webhook shapes: `org-hook` (also for user and package hooks)
//! with its `webhook-config`, `hook-delivery-item` and `hook-delivery`.

use entrepot_core::{Delivery, DeliveryState, Hook as StoredHook};
use serde::Serialize;
use serde_json::{Map, Value};

use super::time::iso;

/// GitHub's `webhook-config`; the secret is never shown again.
#[derive(Debug, Serialize)]
pub struct HookConfig {
    pub url: String,
    pub content_type: &'static str,
    /// `"0"` or `"1"`, as GitHub writes it.
    pub insecure_ssl: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'static str>,
}

impl HookConfig {
    pub fn new(hook: &StoredHook) -> Self {
        HookConfig {
            url: hook.url.clone(),
            content_type: hook.content_type.as_str(),
            insecure_ssl: if hook.insecure_ssl { "1" } else { "0" },
            // GitHub never shows a secret again.
            secret: hook.secret.as_ref().map(|_| "********"),
        }
    }
}

/// GitHub's `org-hook`; `url` is the hook's API URL and `kind` its `type`
/// (`Organization`, `User` or `Package`).
#[derive(Debug, Serialize)]
pub struct Hook {
    pub id: i64,
    pub url: String,
    pub ping_url: String,
    pub deliveries_url: String,
    pub name: &'static str,
    pub events: Vec<String>,
    pub active: bool,
    pub config: HookConfig,
    pub updated_at: String,
    pub created_at: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Hook {
    pub fn new(hook: &StoredHook, url: String, kind: &'static str) -> Self {
        Hook {
            id: hook.id,
            ping_url: format!("{url}/pings"),
            deliveries_url: format!("{url}/deliveries"),
            url,
            name: "web",
            events: hook.events.clone(),
            active: hook.active,
            config: HookConfig::new(hook),
            updated_at: iso(&hook.updated_at),
            created_at: iso(&hook.created_at),
            kind,
        }
    }
}

/// GitHub's `hook-delivery-item`, plus where the delivery is in its
/// retries (`state`, `attempts`, `next_attempt_at`).
#[derive(Debug, Serialize)]
pub struct DeliveryItem {
    pub id: i64,
    pub guid: String,
    pub delivered_at: String,
    pub redelivery: bool,
    /// Seconds.
    pub duration: f64,
    pub status: String,
    pub status_code: u16,
    pub event: String,
    pub action: Option<String>,
    pub installation_id: Option<i64>,
    pub repository_id: Option<i64>,
    pub throttled_at: Option<String>,
    pub state: &'static str,
    pub attempts: u32,
    pub next_attempt_at: Option<String>,
}

impl DeliveryItem {
    pub fn new(d: &Delivery) -> Self {
        DeliveryItem {
            id: d.id,
            guid: d.guid.clone(),
            delivered_at: iso(d.delivered_at.as_ref().unwrap_or(&d.created_at)),
            redelivery: d.redelivery,
            duration: d.duration_ms.map_or(0.0, |ms| ms as f64 / 1000.0),
            status: if d.attempts == 0 {
                "pending".to_owned()
            } else {
                d.status.clone()
            },
            status_code: d.status_code.unwrap_or(0),
            event: d.event.clone(),
            action: d.action.clone(),
            installation_id: None,
            repository_id: None,
            throttled_at: None,
            state: d.state.as_str(),
            attempts: d.attempts,
            next_attempt_at: d
                .next_attempt_at
                .as_ref()
                .filter(|_| d.state == DeliveryState::Pending)
                .map(iso),
        }
    }
}

/// GitHub's `hook-delivery`: the item with its URL, the request sent and
/// the response received.
#[derive(Debug, Serialize)]
pub struct HookDelivery {
    #[serde(flatten)]
    pub item: DeliveryItem,
    pub url: String,
    pub request: DeliveryRequest,
    pub response: DeliveryResponse,
}

/// The request of a delivery: its headers as sent and its JSON payload.
#[derive(Debug, Serialize)]
pub struct DeliveryRequest {
    pub headers: Value,
    pub payload: Value,
}

/// The response to a delivery: its headers and the start of its body.
#[derive(Debug, Serialize)]
pub struct DeliveryResponse {
    pub headers: Value,
    pub payload: Option<String>,
}

impl HookDelivery {
    /// `d`, whose API URL is `url`.
    pub fn new(d: &Delivery, url: String) -> Self {
        let headers = |h: &Option<Value>| h.clone().unwrap_or_else(|| Value::Object(Map::new()));
        HookDelivery {
            item: DeliveryItem::new(d),
            url,
            request: DeliveryRequest {
                headers: headers(&d.request_headers),
                payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
            },
            response: DeliveryResponse {
                headers: headers(&d.response_headers),
                payload: d.response_body.clone(),
            },
        }
    }
}

//! Webhooks, package subscriptions and notifications: the data, the events
//! a hook may take, the signatures a receiver checks, and the retry
//! schedule. Sending is the service's business; nothing here does I/O.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};

use crate::model::{DeliveryState, HookContentType, Id, Timestamp};

/// A package was published or updated (GitHub's `package` event).
pub const EVENT_PACKAGE: &str = "package";
/// The same news in GitHub's older `registry_package` shape.
pub const EVENT_REGISTRY_PACKAGE: &str = "registry_package";
/// An advisory on a subscribed package was published or withdrawn.
pub const EVENT_SECURITY_ADVISORY: &str = "security_advisory";
/// Sent when a hook is created or pinged; every hook takes it.
pub const EVENT_PING: &str = "ping";
/// A dependency alert of one of the owner's packages opened, fixed,
/// reintroduced, dismissed or reopened (GitHub's Dependabot alerts).
pub const EVENT_DEPENDABOT_ALERT: &str = "dependabot_alert";
/// Every event.
pub const EVENT_ANY: &str = "*";

/// The events a hook may subscribe to.
pub const EVENTS: &[&str] = &[
    EVENT_PACKAGE,
    EVENT_REGISTRY_PACKAGE,
    EVENT_SECURITY_ADVISORY,
    EVENT_DEPENDABOT_ALERT,
    EVENT_PING,
    EVENT_ANY,
];

/// How many attempts a delivery gets before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// The longest wait between two attempts, however many failed before.
pub const MAX_RETRY_DELAY: Duration = Duration::from_hours(1);

/// A webhook of an account (all its packages) or of one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub id: Id,
    /// The user or organization the hook belongs to.
    pub owner_id: Id,
    /// Set for a hook on one package; `None` for the owner's every package.
    pub package_id: Option<Id>,
    pub url: String,
    /// The HMAC key of the signature headers; never shown again.
    pub secret: Option<String>,
    pub content_type: HookContentType,
    pub events: Vec<String>,
    pub active: bool,
    /// Accept the receiver's certificate unchecked (GitHub's `insecure_ssl`).
    pub insecure_ssl: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Hook {
    /// Whether the hook takes `event`: named, or `*`; pings always.
    pub fn wants(&self, event: &str) -> bool {
        event == EVENT_PING || self.events.iter().any(|e| e == event || e == EVENT_ANY)
    }
}

/// One event sent (or to be sent) to one hook, with every attempt's outcome
/// summed up: the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Id,
    /// The `X-GitHub-Delivery` header: random, as GitHub's are.
    pub guid: String,
    pub hook_id: Id,
    pub event: String,
    pub action: Option<String>,
    /// The JSON body, fixed when the event happened so that a redelivery
    /// sends the very same bytes.
    pub payload: String,
    pub state: DeliveryState,
    pub attempts: u32,
    /// When the next attempt is due (a claim moves it forward as a lease).
    pub next_attempt_at: Option<Timestamp>,
    /// The last attempt's HTTP status, if the receiver answered at all.
    pub status_code: Option<u16>,
    /// The last attempt's outcome in words (`OK`, `Internal Server Error`,
    /// `connection refused`).
    pub status: String,
    /// How long the last attempt took, in milliseconds.
    pub duration_ms: Option<u64>,
    /// When the last attempt was made.
    pub delivered_at: Option<Timestamp>,
    /// Sent again on request, from an earlier delivery's payload.
    pub redelivery: bool,
    /// The last attempt's request headers, as sent.
    pub request_headers: Option<serde_json::Value>,
    pub response_headers: Option<serde_json::Value>,
    /// The start of the last response's body.
    pub response_body: Option<String>,
    pub created_at: Timestamp,
}

/// An account's wish to hear about one package's advisories, or about
/// every package it may see (`package_id: None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: Id,
    /// The user or organization subscribed.
    pub account_id: Id,
    pub package_id: Option<Id>,
    pub created_at: Timestamp,
}

/// An entry in a user's notifications list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: Id,
    pub user_id: Id,
    /// Why the user was told, as GitHub names reasons (`security_alert`).
    pub reason: String,
    pub title: String,
    /// Where to read more.
    pub url: String,
    pub package_id: Option<Id>,
    pub ghsa_id: Option<String>,
    pub unread: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The `X-Hub-Signature-256` header: HMAC-SHA256 of the body under the
/// hook's secret, as `sha256=<hex>`.
pub fn signature_256(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The legacy `X-Hub-Signature` header (HMAC-SHA1), for receivers that
/// still check it.
pub fn signature_sha1(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
}

/// How long to wait after failed attempt number `attempt` (1-based):
/// `base`, then twice that, four times, … up to `MAX_RETRY_DELAY`. `None`
/// once `MAX_ATTEMPTS` attempts have been made: the delivery has failed.
pub fn retry_delay(base: Duration, attempt: u32) -> Option<Duration> {
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    Some(base.saturating_mul(factor).min(MAX_RETRY_DELAY))
}

/// A random delivery id shaped like a UUID (version 4), as GitHub's are.
pub fn new_guid() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_githubs_documented_example() {
        // GitHub's docs: secret "It's a Secret to Everybody", body "Hello, World!".
        assert_eq!(
            signature_256("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(signature_sha1("s", b"body").starts_with("sha1="));
        assert_eq!(signature_sha1("s", b"body").len(), 5 + 40);
    }

    #[test]
    fn retries_back_off_exponentially_then_give_up() {
        let base = Duration::from_secs(10);
        assert_eq!(retry_delay(base, 1), Some(Duration::from_secs(10)));
        assert_eq!(retry_delay(base, 2), Some(Duration::from_secs(20)));
        assert_eq!(retry_delay(base, 3), Some(Duration::from_secs(40)));
        assert_eq!(retry_delay(base, 7), Some(Duration::from_secs(640)));
        assert_eq!(retry_delay(base, MAX_ATTEMPTS), None);
        assert_eq!(
            retry_delay(Duration::from_mins(10), 7),
            Some(MAX_RETRY_DELAY),
            "capped"
        );
    }

    #[test]
    fn hooks_take_their_events_and_pings() {
        let hook = Hook {
            id: 1,
            owner_id: 1,
            package_id: None,
            url: "http://example.test/".into(),
            secret: None,
            content_type: HookContentType::Json,
            events: vec![EVENT_PACKAGE.into()],
            active: true,
            insecure_ssl: false,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        };
        assert!(hook.wants(EVENT_PACKAGE));
        assert!(hook.wants(EVENT_PING));
        assert!(!hook.wants(EVENT_SECURITY_ADVISORY));
        let any = Hook {
            events: vec![EVENT_ANY.into()],
            ..hook
        };
        assert!(any.wants(EVENT_SECURITY_ADVISORY));
    }

    #[test]
    fn guids_look_like_uuids() {
        let a = new_guid();
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_ne!(a, new_guid());
    }
}

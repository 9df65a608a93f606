//! The delivery worker: claims due deliveries from the shared store, POSTs
//! each to its hook's URL signed with the hook's secret, and logs the
//! outcome; failures are retried with exponential backoff until
//! `MAX_ATTEMPTS`. Redirects are not followed (GitHub does not either).
//! Every request goes through the registry's `Outbound` client, so a hook
//! never reaches an address the operator has not allowed.

use std::time::{Duration, Instant};

use chrono::Utc;
use entrepot_core::webhook::{retry_delay, signature_256, signature_sha1};
use entrepot_core::{Delivery, DeliveryState, Hook, HookContentType};
use entrepot_store::DeliveryAttempt;
use serde_json::{Map, Value};

use crate::outbound::{self, ClientKind, Outbound};
use crate::webhooks::ALLOW_HINT;
use crate::{ServiceResult, Webhooks};

/// How many deliveries one pass claims.
const BATCH: u64 = 16;
/// The longest the worker sleeps: other nodes enqueue without waking it.
const POLL: Duration = Duration::from_secs(1);
/// How much of a response body the log keeps, in bytes: a kept body this
/// long was probably cut.
pub const KEPT_BODY: usize = 4096;
/// How many of a response's headers the log keeps, and how much of each.
const KEPT_HEADERS: usize = 64;
const KEPT_HEADER_VALUE: usize = 1024;

impl Webhooks<'_> {
    /// Sends deliveries until the process ends: whatever is due, then
    /// sleeps until the next is due, something is enqueued, or a second
    /// has passed.
    pub async fn run_webhook_worker(self) {
        loop {
            let sent = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "could not claim webhook deliveries; will retry");
                    0
                }
            };
            if sent as u64 >= BATCH {
                continue;
            }
            let wait = match self.meta.next_delivery_due().await {
                Ok(Some(due)) => (due - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_millis(10), POLL),
                _ => POLL,
            };
            self.delivery.wait(wait).await;
        }
    }

    /// One pass: claims what is due and sends it, all at once. Returns how
    /// many were attempted.
    pub async fn deliver_due(self) -> ServiceResult<usize> {
        let settings = self.delivery.settings();
        let now = Utc::now();
        let lease = chrono::TimeDelta::from_std(settings.timeout + Duration::from_secs(30))
            .unwrap_or(chrono::TimeDelta::minutes(1));
        let claimed = self.meta.claim_deliveries(now, now + lease, BATCH).await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|d| self.attempt(d));
        for result in futures::future::join_all(attempts).await {
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not record a webhook delivery attempt");
            }
        }
        Ok(count)
    }

    async fn attempt(self, delivery: Delivery) -> ServiceResult<()> {
        let Some(hook) = self.meta.hook(delivery.hook_id).await? else {
            return Ok(());
        };
        let settings = self.delivery.settings();
        let outcome = if hook.active {
            send(&self.outbound, &hook, &delivery, settings.timeout).await
        } else {
            Outcome::refused(&hook, &delivery, "the hook is inactive")
        };
        let attempts = delivery.attempts + 1;
        let ok = outcome.status_code.is_some_and(|c| (200..300).contains(&c));
        let tally = if ok {
            &self.stats.webhook_delivered
        } else {
            &self.stats.webhook_failed
        };
        tally.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (state, next) = if ok {
            (DeliveryState::Delivered, None)
        } else if outcome.give_up {
            (DeliveryState::Failed, None)
        } else {
            match retry_delay(settings.retry_delay, attempts) {
                Some(wait) => (
                    DeliveryState::Pending,
                    Some(Utc::now() + chrono::TimeDelta::from_std(wait).unwrap_or_default()),
                ),
                None => (DeliveryState::Failed, None),
            }
        };
        tracing::debug!(guid = %delivery.guid, hook = hook.id, status = %outcome.status, attempts, "webhook attempt");
        self.meta
            .record_attempt(
                delivery.id,
                &DeliveryAttempt {
                    state,
                    next_attempt_at: next,
                    status_code: outcome.status_code,
                    status: outcome.status,
                    duration_ms: outcome.duration_ms,
                    at: outcome.at,
                    request_headers: outcome.request_headers,
                    response_headers: outcome.response_headers,
                    response_body: outcome.response_body,
                },
            )
            .await?;
        Ok(())
    }
}

/// What one POST came to.
struct Outcome {
    /// Trying again would end the same way (an inactive hook, an address
    /// the outbound rules refuse): the delivery fails at once.
    give_up: bool,
    status_code: Option<u16>,
    status: String,
    duration_ms: u64,
    at: chrono::DateTime<Utc>,
    request_headers: Value,
    response_headers: Option<Value>,
    response_body: Option<String>,
}

impl Outcome {
    fn refused(hook: &Hook, delivery: &Delivery, why: &str) -> Self {
        Outcome {
            give_up: true,
            status_code: None,
            status: why.to_owned(),
            duration_ms: 0,
            at: Utc::now(),
            request_headers: Value::Object(headers(hook, delivery, b"").into_iter().collect()),
            response_headers: None,
            response_body: None,
        }
    }
}

/// The body as sent: the JSON itself, or a form with `payload=<JSON>`.
fn body_of(hook: &Hook, delivery: &Delivery) -> Vec<u8> {
    match hook.content_type {
        HookContentType::Json => delivery.payload.clone().into_bytes(),
        HookContentType::Form => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("payload", &delivery.payload);
            form.finish().into_bytes()
        }
    }
}

/// GitHub's delivery headers; the signatures cover the body as sent.
fn headers(hook: &Hook, delivery: &Delivery, body: &[u8]) -> Vec<(String, Value)> {
    let target = match hook.package_id {
        Some(_) => "package",
        None => "account",
    };
    let content_type = match hook.content_type {
        HookContentType::Json => "application/json",
        HookContentType::Form => "application/x-www-form-urlencoded",
    };
    let mut out = vec![
        ("Content-Type", content_type.to_owned()),
        ("User-Agent", "GitHub-Hookshot/entrepot".to_owned()),
        ("X-GitHub-Delivery", delivery.guid.clone()),
        ("X-GitHub-Event", delivery.event.clone()),
        ("X-GitHub-Hook-ID", hook.id.to_string()),
        ("X-GitHub-Hook-Installation-Target-Type", target.to_owned()),
        (
            "X-GitHub-Hook-Installation-Target-ID",
            hook.package_id.unwrap_or(hook.owner_id).to_string(),
        ),
    ];
    if let Some(secret) = &hook.secret {
        out.push(("X-Hub-Signature", signature_sha1(secret, body)));
        out.push(("X-Hub-Signature-256", signature_256(secret, body)));
    }
    out.into_iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v)))
        .collect()
}

/// What the log says of every failure to get an answer: a refused
/// connection, a reset, a time-out and a TLS failure read alike, so that
/// hooks cannot tell open ports from closed ones.
const NO_ANSWER: &str = "the receiver did not answer";

/// What the log says of a request the outbound rules refused, and how to
/// allow it.
fn refusal(what: &str) -> String {
    format!("refused: {what} ({ALLOW_HINT})")
}

async fn send(outbound: &Outbound, hook: &Hook, delivery: &Delivery, timeout: Duration) -> Outcome {
    let body = body_of(hook, delivery);
    let request_headers = headers(hook, delivery, &body);
    let at = Utc::now();
    let refused = |why: String, give_up: bool| Outcome {
        give_up,
        status_code: None,
        status: why,
        duration_ms: 0,
        at,
        request_headers: Value::Object(request_headers.iter().cloned().collect()),
        response_headers: None,
        response_body: None,
    };
    let Ok(url) = url::Url::parse(&hook.url) else {
        return refused("the hook's URL is not valid".to_owned(), true);
    };
    if let Err(e) = outbound.check_url(&url) {
        return refused(refusal(&e.to_string()), true);
    }
    let kind = ClientKind {
        insecure: hook.insecure_ssl,
        follow_redirects: false,
    };
    let client = match outbound.client(kind) {
        Ok(client) => client,
        Err(e) => return refused(format!("not sent: {e}"), false),
    };
    let mut request = client.post(url).timeout(timeout);
    for (name, value) in &request_headers {
        if let Value::String(v) = value {
            request = request.header(name.as_str(), v.as_str());
        }
    }
    let started = Instant::now();
    let result = request.body(body).send().await;
    let (status_code, status, response_headers, response_body) = match result {
        Ok(response) => {
            let (code, status, headers, body) = kept_answer(response).await;
            (Some(code), status, Some(headers), Some(body))
        }
        // A name that resolves only to refused addresses: no retry.
        Err(e) if outbound::is_refusal(&e) => {
            return refused(
                refusal("the receiver's address is not one this server may send to"),
                true,
            );
        }
        Err(_) => (None, NO_ANSWER.to_owned(), None, None),
    };
    Outcome {
        give_up: false,
        // How long a failure took would tell a closed port (at once) from
        // a filtered one (the timeout): only answers are timed.
        duration_ms: if status_code.is_some() {
            started.elapsed().as_millis() as u64
        } else {
            0
        },
        status_code,
        status,
        at,
        request_headers: Value::Object(request_headers.into_iter().collect()),
        response_headers,
        response_body,
    }
}

/// What the log keeps of an answer: its status code and reason, up to
/// `KEPT_HEADERS` headers and the first `KEPT_BODY` bytes of its body.
async fn kept_answer(mut response: reqwest_hooks::Response) -> (u16, String, Value, String) {
    let code = response.status();
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .take(KEPT_HEADERS)
        .map(|(k, v)| {
            let v = v.as_bytes();
            let v = &v[..v.len().min(KEPT_HEADER_VALUE)];
            (
                k.as_str().to_owned(),
                Value::String(String::from_utf8_lossy(v).into_owned()),
            )
        })
        .collect();
    // Only the first KEPT_BODY bytes are read; the rest is never taken off
    // the socket.
    let mut kept = Vec::new();
    while kept.len() < KEPT_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = KEPT_BODY - kept.len();
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    (
        code.as_u16(),
        code.canonical_reason().unwrap_or("").to_owned(),
        Value::Object(headers),
        String::from_utf8_lossy(&kept).into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(content_type: HookContentType, secret: Option<&str>) -> Hook {
        Hook {
            id: 7,
            owner_id: 3,
            package_id: None,
            url: "http://127.0.0.1:1/".into(),
            secret: secret.map(Into::into),
            content_type,
            events: vec!["package".into()],
            active: true,
            insecure_ssl: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn delivery() -> Delivery {
        Delivery {
            id: 1,
            guid: "0f0e0d0c-0b0a-4908-8706-050403020100".into(),
            hook_id: 7,
            event: "package".into(),
            action: Some("published".into()),
            payload: r#"{"action":"published"}"#.into(),
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
            created_at: Utc::now(),
        }
    }

    #[test]
    fn forms_carry_the_json_in_a_payload_field() {
        let body = body_of(&hook(HookContentType::Form, None), &delivery());
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "payload=%7B%22action%22%3A%22published%22%7D"
        );
    }

    #[test]
    fn signatures_cover_the_body_as_sent_and_only_with_a_secret() {
        let d = delivery();
        let signed = hook(HookContentType::Json, Some("s"));
        let body = body_of(&signed, &d);
        let h: Map<String, Value> = headers(&signed, &d, &body).into_iter().collect();
        assert_eq!(
            h["X-Hub-Signature-256"],
            signature_256("s", body.as_slice())
        );
        assert_eq!(h["X-GitHub-Event"], "package");
        assert_eq!(h["X-GitHub-Hook-Installation-Target-Type"], "account");
        let unsigned = hook(HookContentType::Json, None);
        let h: Map<String, Value> = headers(&unsigned, &d, &body).into_iter().collect();
        assert!(!h.contains_key("X-Hub-Signature-256"));
    }

    #[tokio::test]
    async fn a_refused_address_fails_at_once_and_says_how_to_allow_it() {
        let (target, d) = (hook(HookContentType::Json, None), delivery());
        let outbound = Outbound::default();
        let refused = send(&outbound, &target, &d, Duration::from_secs(5)).await;
        assert!(refused.give_up, "no retry can change the rules");
        assert!(
            refused
                .status
                .starts_with("refused: 127.0.0.1 is not an address this server may send to"),
            "{}",
            refused.status
        );
        assert!(refused.status.contains("outbound_allow / --outbound-allow"));
        // Allowed, a receiver that does not answer is tried again.
        outbound.allow(crate::outbound::AllowList::parse("127.0.0.0/8").unwrap());
        let unanswered = send(&outbound, &target, &d, Duration::from_secs(5)).await;
        assert!(!unanswered.give_up);
        assert_eq!(unanswered.status, NO_ANSWER);
    }
}

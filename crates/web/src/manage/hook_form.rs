//! A hook's form: a new hook's, and one hook's page with its recent
//! deliveries; what a submitted form asks for, and the posts that add a
//! hook or `update`, `ping` or `redeliver` one.

use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::webhook::{EVENT_PING, EVENT_SECURITY_ADVISORY, EVENTS};
use entrepot_core::{Hook, HookContentType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::webhooks::HookChanges;
use minijinja::context;
use serde::Serialize;

use super::hook_deliveries::DeliveryRow;
use super::hooks::{Place, about_deliveries, refused};
use super::{Flash, is_input, redirect_done, untrimmed};
use crate::page_with_status;
use crate::session::{Fields, Viewer};

/// The deliveries a hook's page lists (the REST API's default page).
const RECENT: u64 = 30;

/// The fields of the hook form, as stored or as typed (never a secret).
#[derive(Serialize)]
pub(super) struct HookForm {
    url: String,
    content_type: String,
    events: Vec<String>,
    active: bool,
    insecure_ssl: bool,
    has_secret: bool,
}

impl HookForm {
    /// A new hook's defaults, the service's: `package`, JSON, active.
    pub(super) fn blank() -> Self {
        HookForm {
            url: String::new(),
            content_type: HookContentType::Json.as_str().to_owned(),
            events: vec![entrepot_core::webhook::EVENT_PACKAGE.to_owned()],
            active: true,
            insecure_ssl: false,
            has_secret: false,
        }
    }

    fn of(hook: &Hook) -> Self {
        HookForm {
            url: hook.url.clone(),
            content_type: hook.content_type.as_str().to_owned(),
            events: hook.events.clone(),
            active: hook.active,
            insecure_ssl: hook.insecure_ssl,
            has_secret: hook.secret.is_some(),
        }
    }

    fn typed(fields: &Fields) -> Self {
        HookForm {
            url: fields.get("url").unwrap_or_default().to_owned(),
            content_type: fields.get("content_type").unwrap_or("json").to_owned(),
            events: fields.all("events").map(str::to_owned).collect(),
            active: fields.get("active") == Some("on"),
            insecure_ssl: fields.get("insecure_ssl") == Some("on"),
            has_secret: false,
        }
    }
}

/// What a submitted hook form asks for. An empty secret keeps the
/// current one; `remove_secret` removes it.
fn changes_of(fields: &Fields) -> Result<HookChanges, ServiceError> {
    let content_type = fields
        .get("content_type")
        .unwrap_or("json")
        .parse::<HookContentType>()
        .map_err(|_| {
            ServiceError::Invalid(
                "Content type: choose application/json or application/x-www-form-urlencoded".into(),
            )
        })?;
    // Untrimmed: a secret is the receiver's key, byte for byte.
    let secret = untrimmed(fields, "secret")
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(HookChanges {
        url: Some(fields.get("url").unwrap_or_default().to_owned()),
        secret: if fields.get("remove_secret") == Some("on") {
            Some(None)
        } else {
            secret.map(Some)
        },
        content_type: Some(content_type),
        events: Some(fields.all("events").map(str::to_owned).collect()),
        active: Some(fields.get("active") == Some("on")),
        insecure_ssl: Some(fields.get("insecure_ssl") == Some("on")),
        ..HookChanges::default()
    })
}

/// `POST` to the list: adds a hook, then back to the list.
pub(super) async fn create(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    fields: &Fields,
) -> Response {
    let hooks = state.registry.webhooks();
    // Who may not manage these hooks learns nothing from the form's errors.
    if let Err(e) = hooks.list_hooks(&viewer.actor, place.scope()).await {
        return refused(viewer, &e);
    }
    let made = match changes_of(fields) {
        Ok(changes) => {
            hooks
                .create_hook(&viewer.actor, place.scope(), changes)
                .await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(_) => redirect_done(&place.base(), "created"),
        Err(e) if is_input(&e) => render_hook(
            viewer,
            place,
            None,
            &HookForm::typed(fields),
            &[],
            &Flash::refusal(&e),
        ),
        Err(e) => refused(viewer, &e),
    }
}

/// `POST` to a hook's page: `update`, `ping`, or `redeliver` a delivery.
pub(super) async fn change(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    id: i64,
    fields: &Fields,
) -> Response {
    let hooks = state.registry.webhooks();
    let (actor, scope) = (&viewer.actor, place.scope());
    let action = fields.get("action").unwrap_or_default();
    let done = match action {
        "update" => match changes_of(fields) {
            Ok(changes) => hooks
                .update_hook(actor, scope, id, changes)
                .await
                .map(|_| "updated"),
            Err(e) => Err(e),
        },
        "ping" => hooks.ping_hook(actor, scope, id).await.map(|_| "pinged"),
        "redeliver" => match fields.get("delivery").and_then(|d| d.parse().ok()) {
            Some(delivery) => hooks
                .redeliver(actor, scope, id, delivery)
                .await
                .map(|_| "redelivered"),
            None => Err(ServiceError::Invalid(
                "Choose a delivery to redeliver.".into(),
            )),
        },
        _ => Err(ServiceError::Invalid(format!("Unknown action: {action}"))),
    };
    let here = format!("{}/{id}", place.base());
    match done {
        // Back to the list the new delivery joins.
        Ok(key @ ("pinged" | "redelivered")) => {
            Redirect::to(&format!("{here}?done={key}#deliveries")).into_response()
        }
        Ok(key) => redirect_done(&here, key),
        // The page again (which checks who may see it), with what was typed.
        Err(e) if is_input(&e) => {
            let typed = (action == "update").then(|| HookForm::typed(fields));
            hook_page(state, viewer, place, id, typed, &Flash::refusal(&e))
                .await
                .unwrap_or_else(|e| refused(viewer, &e))
        }
        Err(e) => refused(viewer, &e),
    }
}

/// A hook's page: its form and its recent deliveries.
pub(super) async fn hook_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    id: i64,
    typed: Option<HookForm>,
    flash: &Flash<'_>,
) -> Result<Response, ServiceError> {
    let hooks = state.registry.webhooks();
    let hook = hooks.hook(&viewer.actor, place.scope(), id).await?;
    let deliveries = hooks
        .hook_deliveries(&viewer.actor, place.scope(), id, RECENT)
        .await?;
    let mut form = typed.unwrap_or_else(|| HookForm::of(&hook));
    form.has_secret = hook.secret.is_some();
    let rows: Vec<DeliveryRow> = deliveries.iter().map(DeliveryRow::of).collect();
    Ok(render_hook(viewer, place, Some(&hook), &form, &rows, flash))
}

/// How the pages name a hook: `Hook 12 (example.com)`, the host of its
/// URL (never the user and password a URL may carry).
pub(super) fn hook_label(hook: &Hook) -> String {
    let host = hook
        .url
        .split_once("://")
        .and_then(|(_, rest)| rest.split(['/', '?', '#']).next())
        .map(|authority| authority.rsplit_once('@').map_or(authority, |(_, h)| h))
        .filter(|host| !host.is_empty());
    match host {
        Some(host) => format!("Hook {} ({host})", hook.id),
        None => format!("Hook {}", hook.id),
    }
}

/// What each event a hook may take is about.
fn event_help(event: &str) -> &'static str {
    match event {
        "package" => "a version was published, or a file added to one",
        "registry_package" => "the same news, in GitHub's older registry_package shape",
        "security_advisory" => "an advisory on a watched package was published or withdrawn",
        "*" => "every event",
        _ => "",
    }
}

/// Whether the form offers `event`: every hook is pinged whatever it
/// lists, and only account hooks hear of advisories.
fn offered(place: &Place, event: &str) -> bool {
    match event {
        EVENT_PING => false,
        EVENT_SECURITY_ADVISORY => !matches!(place, Place::Package { .. }),
        _ => true,
    }
}

/// The hook form: a new hook's (`hook` none) or one hook's page.
pub(super) fn render_hook(
    viewer: &Viewer,
    place: &Place,
    hook: Option<&Hook>,
    form: &HookForm,
    deliveries: &[DeliveryRow],
    flash: &Flash<'_>,
) -> Response {
    let events: Vec<minijinja::Value> = EVENTS
        .iter()
        .filter(|e| offered(place, e))
        .map(|e| {
            context! {
                name => *e,
                help => event_help(e),
                checked => form.events.iter().any(|chosen| chosen == e),
            }
        })
        .collect();
    page_with_status(
        flash.status,
        viewer,
        "hook.html",
        context! {
            place => place.describe(viewer),
            hook_id => hook.map(|h| h.id),
            hook_label => hook.map(hook_label),
            form => form,
            events => events,
            deliveries => deliveries,
            notice => flash.notice,
            notice_at_deliveries => flash.notice.is_some_and(about_deliveries),
            error => flash.error,
        },
    )
}

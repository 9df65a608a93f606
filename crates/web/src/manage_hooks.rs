//! Webhooks in the pages, as GitHub's settings have them: a user's own at
//! `/settings/hooks`, an organization's at
//! `/organizations/{org}/settings/hooks`, and a package's at
//! `…/packages/{type}/{name}/hooks` (reached through the package settings
//! route, whose catch-all owns that URL shape: see `package_page`). Each
//! lists the hooks, adds one, edits, pings and deletes it, and shows its
//! recent deliveries, one at a time with a button to send it again.
//!
//! Every page calls the `webhooks()` use case its REST endpoint calls, so
//! who may see and change which hooks is decided in one place: hooks the
//! viewer may not manage are not there (404), and a package's reader who
//! is no admin is told so (403), as the REST API answers.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use entrepot_core::webhook::EVENTS;
use entrepot_core::{
    Account, Delivery, DeliveryState, Hook, HookContentType, Package, PackageType,
};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::webhooks::{HookChanges, HookScope};
use minijinja::context;
use serde::Serialize;
use serde_json::Value;

use crate::account::sign_in_redirect;
use crate::session::{Fields, Viewer};
use crate::{
    display_name, form_expired, not_found, owner_segment, page_with_status, server_error,
    settings_path,
};

/// The deliveries a hook's page lists (the REST API's default page).
const RECENT: u64 = 30;

/// The most of a payload or response body a delivery's page shows.
const MAX_SHOWN: usize = 64 * 1024;

/// The messages a finished action leaves; the query names one, so nothing
/// a visitor types is ever reflected into the page.
const NOTICES: [(&str, &str); 5] = [
    (
        "created",
        "Webhook added. An active hook is sent a ping at once.",
    ),
    ("updated", "Webhook updated."),
    ("deleted", "Webhook deleted."),
    (
        "pinged",
        "Ping queued: it is listed below, and its status once the receiver answers.",
    ),
    (
        "redelivered",
        "Delivery queued again: it is listed below, and its status once the receiver answers.",
    ),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/hooks", get(mine_page).post(mine_form))
        .route(
            "/settings/hooks/{*tail}",
            get(mine_page_at).post(mine_form_at),
        )
        .route(
            "/organizations/{org}/settings/hooks",
            get(org_page).post(org_form),
        )
        .route(
            "/organizations/{org}/settings/hooks/{*tail}",
            get(org_page_at).post(org_form_at),
        )
}

/// What an action left on a page: its status, and a notice or an error.
pub(crate) struct Flash<'a> {
    pub status: StatusCode,
    pub notice: Option<&'a str>,
    pub error: Option<String>,
}

impl<'a> Flash<'a> {
    pub fn ok(notice: Option<&'a str>) -> Self {
        Flash {
            status: StatusCode::OK,
            notice,
            error: None,
        }
    }

    /// The refusal of what was typed, shown above the form it came from.
    pub fn refusal(e: &ServiceError) -> Self {
        Flash {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            error: Some(entrepot_http::error::public_message(e)),
        }
    }
}

/// The notice `?done=KEY` names, if it is one of `notices`.
pub(crate) fn notice_of(
    notices: &[(&str, &'static str)],
    query: &HashMap<String, String>,
) -> Option<&'static str> {
    let done = query.get("done")?;
    notices.iter().find(|(k, _)| k == done).map(|(_, t)| *t)
}

/// Whether the service refused what was typed (the form is shown again)
/// rather than who typed it.
pub(crate) fn is_input(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Invalid(_) | ServiceError::Conflict(_))
}

/// The path of the page asked for, where signing in comes back to.
pub(crate) fn here_path(viewer: &Viewer) -> &str {
    viewer.here.split('?').next().unwrap_or("/")
}

/// Splits the `rest` of a package settings URL (`NAME/SEGMENT[/TAIL]`)
/// into the package name and the tail, if `fits` takes the tail. The last
/// `SEGMENT` is tried first: names may hold slashes (`app/sub`), and even
/// the segment itself.
pub(crate) fn split_package_path<'a>(
    rest: &'a str,
    segment: &str,
    fits: fn(&str) -> bool,
) -> Option<(&'a str, &'a str)> {
    let marker = format!("/{segment}");
    rest.rmatch_indices(&marker).find_map(|(at, _)| {
        let name = &rest[..at];
        let after = &rest[at + marker.len()..];
        let tail = if after.is_empty() {
            ""
        } else {
            after.strip_prefix('/')?
        };
        (!name.is_empty() && fits(tail)).then_some((name, tail))
    })
}

/// A page under a place's hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    List,
    New,
    Hook(i64),
    Delete(i64),
    Delivery(i64, i64),
}

impl Sub {
    fn of(tail: &str) -> Option<Sub> {
        fn id(s: &str) -> Option<i64> {
            s.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        }
        match tail.split('/').collect::<Vec<_>>().as_slice() {
            [""] => Some(Sub::List),
            ["new"] => Some(Sub::New),
            [hook] => id(hook).map(Sub::Hook),
            [hook, "delete"] => id(hook).map(Sub::Delete),
            [hook, "deliveries", delivery] => Some(Sub::Delivery(id(hook)?, id(delivery)?)),
            _ => None,
        }
    }
}

/// Whose hooks a page is about.
enum Place {
    Mine,
    Org(String),
    /// A package the viewer may read (whether they may manage its hooks
    /// is the service's answer).
    Package {
        account: Box<Account>,
        package: Box<Package>,
        display: String,
    },
}

impl Place {
    fn scope(&self) -> HookScope<'_> {
        match self {
            Place::Mine => HookScope::Mine,
            Place::Org(org) => HookScope::Org(org),
            Place::Package { package, .. } => HookScope::Package(package),
        }
    }

    fn base(&self) -> String {
        match self {
            Place::Mine => "/settings/hooks".to_owned(),
            Place::Org(org) => format!("/organizations/{org}/settings/hooks"),
            Place::Package {
                account, package, ..
            } => format!(
                "/{}/{}/packages/{}/{}/hooks",
                owner_segment(account),
                account.login,
                package.package_type,
                package.name
            ),
        }
    }

    /// What the hooks are of, where that is, and what they hear about.
    fn describe(&self, viewer: &Viewer) -> minijinja::Value {
        let (name, back, about) = match self {
            Place::Mine => (
                viewer.login().unwrap_or_default().to_owned(),
                "/settings/profile".to_owned(),
                "Hooks on your account hear about every package you own, and about \
                 advisories on the packages you watch.",
            ),
            Place::Org(org) => (
                org.clone(),
                format!("/{org}"),
                "Hooks on the organization hear about every package it owns, and about \
                 advisories on the packages it watches.",
            ),
            Place::Package {
                account,
                package,
                display,
            } => (
                display.clone(),
                settings_path(account, package),
                "Hooks on this package hear about this package alone.",
            ),
        };
        context! { name => name, back => back, about => about, base => self.base() }
    }
}

async fn mine_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    account_page(&state, &viewer, None, "", &query).await
}

async fn mine_page_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tail): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    account_page(&state, &viewer, None, &tail, &query).await
}

async fn org_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    account_page(&state, &viewer, Some(org), "", &query).await
}

async fn org_page_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, tail)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    account_page(&state, &viewer, Some(org), &tail, &query).await
}

async fn mine_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    account_form(&state, &viewer, None, "", &Fields(fields)).await
}

async fn mine_form_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(tail): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    account_form(&state, &viewer, None, &tail, &Fields(fields)).await
}

async fn org_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    account_form(&state, &viewer, Some(org), "", &Fields(fields)).await
}

async fn org_form_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((org, tail)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    account_form(&state, &viewer, Some(org), &tail, &Fields(fields)).await
}

/// A page of the viewer's own hooks or an organization's (signed-in
/// browsers only: the pages carry forms).
async fn account_page(
    state: &AppState,
    viewer: &Viewer,
    org: Option<String>,
    tail: &str,
    query: &HashMap<String, String>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(here_path(viewer));
    }
    let Some(sub) = Sub::of(tail) else {
        return not_found(viewer);
    };
    let place = org.map_or(Place::Mine, Place::Org);
    show(state, viewer, &place, sub, query).await
}

async fn account_form(
    state: &AppState,
    viewer: &Viewer,
    org: Option<String>,
    tail: &str,
    fields: &Fields,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(here_path(viewer));
    }
    let Some(sub) = Sub::of(tail) else {
        return not_found(viewer);
    };
    let place = org.map_or(Place::Mine, Place::Org);
    act(state, viewer, &place, sub, fields).await
}

/// `GET …/packages/TYPE/NAME/hooks[/…]`, from the package settings route
/// (`None`: the URL is not one of these pages).
pub(crate) async fn package_page(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    query: &HashMap<String, String>,
) -> Option<Response> {
    let (name, tail) = split_package_path(rest, "hooks", |t| Sub::of(t).is_some())?;
    let sub = Sub::of(tail)?;
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => show(state, viewer, &place, sub, query).await,
            Err(refusal) => refusal,
        },
    )
}

/// `POST …/packages/TYPE/NAME/hooks[/…]`, from the package settings route.
pub(crate) async fn package_form(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    fields: &[(String, String)],
) -> Option<Response> {
    let (name, tail) = split_package_path(rest, "hooks", |t| Sub::of(t).is_some())?;
    let sub = Sub::of(tail)?;
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => act(state, viewer, &place, sub, &Fields(fields.to_vec())).await,
            Err(refusal) => refusal,
        },
    )
}

/// The package, found as the REST API finds it (readable and live), or
/// the page to show instead.
async fn package_place(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
) -> Result<Place, Response> {
    let (account, package) =
        readable_package(state, viewer, owner, package_type, name, refused).await?;
    Ok(Place::Package {
        display: display_name(state, &package),
        account: Box::new(account),
        package: Box::new(package),
    })
}

/// The live package the viewer may read and its owner, found as the REST
/// API finds them, or the page to show instead: `refused` says what the
/// service's refusal means on the page asked for.
pub(crate) async fn readable_package(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
    refused: fn(&Viewer, &ServiceError) -> Response,
) -> Result<(Account, Package), Response> {
    // Before any lookup: without a session, an existing private package
    // and a missing one must look the same.
    if viewer.session.is_none() {
        return Err(sign_in_redirect(here_path(viewer)));
    }
    let Ok(package_type) = package_type.parse::<PackageType>() else {
        return Err(not_found(viewer));
    };
    let registry = &state.registry;
    let package = registry
        .packages()
        .readable_package(&viewer.actor, owner, package_type, name)
        .await
        .map_err(|e| refused(viewer, &e))?;
    let account = registry
        .accounts()
        .account_by_id(package.owner_id)
        .await
        .map_err(|e| server_error(&e))?
        .ok_or_else(|| not_found(viewer))?;
    Ok((account, package))
}

/// What the service's refusal means here: hooks one may not manage are
/// not there; a package's reader is told only its admins manage them.
fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) | ServiceError::Unauthenticated => not_found(viewer),
        ServiceError::Forbidden(_) => page_with_status(
            StatusCode::FORBIDDEN,
            viewer,
            "message.html",
            context! {
                heading => "You cannot manage these webhooks",
                message => "Only the package's admins can see and change its webhooks.",
            },
        ),
        other => server_error(other),
    }
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    sub: Sub,
    query: &HashMap<String, String>,
) -> Response {
    let notice = notice_of(&NOTICES, query);
    let hooks = state.registry.webhooks();
    let actor = &viewer.actor;
    let shown = match sub {
        Sub::List => list_page(state, viewer, place, notice).await,
        // Listing is the permission to manage: the form is for those only.
        Sub::New => hooks.list_hooks(actor, place.scope()).await.map(|_| {
            render_hook(
                viewer,
                place,
                None,
                &HookForm::blank(),
                &[],
                &Flash::ok(None),
            )
        }),
        Sub::Hook(id) => hook_page(state, viewer, place, id, None, &Flash::ok(notice)).await,
        Sub::Delete(id) => hooks.hook(actor, place.scope(), id).await.map(|hook| {
            page_with_status(
                StatusCode::OK,
                viewer,
                "hook_delete.html",
                context! {
                    place => place.describe(viewer),
                    hook => context! { id => hook.id, url => hook.url },
                },
            )
        }),
        Sub::Delivery(id, delivery) => delivery_page(state, viewer, place, id, delivery).await,
    };
    shown.unwrap_or_else(|e| refused(viewer, &e))
}

async fn act(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    sub: Sub,
    fields: &Fields,
) -> Response {
    if !viewer.csrf_ok(fields.get("csrf")) {
        return form_expired();
    }
    match sub {
        Sub::List => create(state, viewer, place, fields).await,
        Sub::Hook(id) => change(state, viewer, place, id, fields).await,
        Sub::Delete(id) => match state
            .registry
            .webhooks()
            .delete_hook(&viewer.actor, place.scope(), id)
            .await
        {
            Ok(()) => Redirect::to(&format!("{}?done=deleted", place.base())).into_response(),
            Err(e) => refused(viewer, &e),
        },
        Sub::New | Sub::Delivery(..) => (
            StatusCode::METHOD_NOT_ALLOWED,
            "Nothing is posted here; use the page's own forms.",
        )
            .into_response(),
    }
}

/// A row of the list: a hook and how its last delivery went.
#[derive(Serialize)]
struct HookRow {
    id: i64,
    url: String,
    events: String,
    active: bool,
    content_type: &'static str,
    last: Option<String>,
    last_failed: bool,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    notice: Option<&str>,
) -> Result<Response, ServiceError> {
    let hooks = state.registry.webhooks();
    let actor = &viewer.actor;
    let scope = place.scope();
    let mut rows = Vec::new();
    for hook in hooks.list_hooks(actor, scope).await? {
        let last = hooks
            .hook_deliveries(actor, scope, hook.id, 1)
            .await?
            .into_iter()
            .next();
        rows.push(HookRow {
            id: hook.id,
            events: hook.events.join(", "),
            active: hook.active,
            content_type: hook.content_type.as_str(),
            last: last.as_ref().map(status_text),
            last_failed: last.as_ref().is_some_and(failed),
            url: hook.url,
        });
    }
    Ok(page_with_status(
        StatusCode::OK,
        viewer,
        "hooks.html",
        context! { place => place.describe(viewer), hooks => rows, notice => notice },
    ))
}

/// The fields of the hook form, as stored or as typed (never a secret).
#[derive(Serialize)]
struct HookForm {
    url: String,
    content_type: String,
    events: Vec<String>,
    active: bool,
    insecure_ssl: bool,
    has_secret: bool,
}

impl HookForm {
    /// A new hook's defaults, the service's: `package`, JSON, active.
    fn blank() -> Self {
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
        .map_err(|_| ServiceError::Invalid("choose json or form as the content type".into()))?;
    // Untrimmed: a secret is the receiver's key, byte for byte.
    let secret = fields
        .0
        .iter()
        .find(|(k, _)| k == "secret")
        .map(|(_, v)| v.clone())
        .filter(|s| !s.is_empty());
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
async fn create(state: &AppState, viewer: &Viewer, place: &Place, fields: &Fields) -> Response {
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
        Ok(_) => Redirect::to(&format!("{}?done=created", place.base())).into_response(),
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
async fn change(
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
            None => Err(ServiceError::Invalid("no delivery given".into())),
        },
        _ => Err(ServiceError::Invalid(format!("unknown action `{action}`"))),
    };
    match done {
        Ok(key) => Redirect::to(&format!("{}/{id}?done={key}", place.base())).into_response(),
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

/// A delivery as the pages list it.
#[derive(Serialize)]
struct DeliveryRow {
    id: i64,
    guid: String,
    event: String,
    status: String,
    failed: bool,
    redelivery: bool,
    duration: Option<String>,
    at: String,
    at_iso: String,
}

impl DeliveryRow {
    fn of(d: &Delivery) -> Self {
        let at = d.delivered_at.unwrap_or(d.created_at);
        DeliveryRow {
            id: d.id,
            guid: d.guid.clone(),
            event: match &d.action {
                Some(action) => format!("{}.{action}", d.event),
                None => d.event.clone(),
            },
            status: status_text(d),
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
fn status_text(d: &Delivery) -> String {
    if d.attempts == 0 {
        return "pending".to_owned();
    }
    match d.status_code {
        Some(code) => format!("{code} {}", d.status).trim_end().to_owned(),
        None => d.status.clone(),
    }
}

/// Given up on, or last answered with anything but a 2xx.
fn failed(d: &Delivery) -> bool {
    d.state == DeliveryState::Failed
        || (d.attempts > 0 && !d.status_code.is_some_and(|c| (200..300).contains(&c)))
}

/// A hook's page: its form and its recent deliveries.
async fn hook_page(
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
    Ok(render_hook(
        viewer,
        place,
        Some(hook.id),
        &form,
        &rows,
        flash,
    ))
}

/// What each event a hook may take is about.
fn event_help(event: &str) -> &'static str {
    match event {
        "package" => "a version was published, or a file added to one",
        "registry_package" => "the same news, in GitHub's older registry_package shape",
        "security_advisory" => {
            "an advisory on a watched package was published or withdrawn (account hooks)"
        }
        "ping" => "sent when the hook is added and on request; every hook gets it",
        "*" => "every event",
        _ => "",
    }
}

/// The hook form: a new hook's (`hook_id` none) or one hook's page.
fn render_hook(
    viewer: &Viewer,
    place: &Place,
    hook_id: Option<i64>,
    form: &HookForm,
    deliveries: &[DeliveryRow],
    flash: &Flash<'_>,
) -> Response {
    let events: Vec<minijinja::Value> = EVENTS
        .iter()
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
            hook_id => hook_id,
            form => form,
            events => events,
            deliveries => deliveries,
            notice => flash.notice,
            error => flash.error,
        },
    )
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
async fn delivery_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    hook_id: i64,
    delivery_id: i64,
) -> Result<Response, ServiceError> {
    let d = state
        .registry
        .webhooks()
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
    Ok(page_with_status(
        StatusCode::OK,
        viewer,
        "hook_delivery.html",
        context! {
            place => place.describe(viewer),
            hook_id => hook_id,
            delivery => DeliveryRow::of(&d),
            attempts => d.attempts,
            state => d.state.as_str(),
            request_headers => header_rows(d.request_headers.as_ref()),
            response_headers => header_rows(d.response_headers.as_ref()),
            answered => d.response_headers.is_some(),
            payload => payload,
            payload_cut => payload_cut,
            response_body => body,
            response_cut => body_cut,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_pages_are_named_by_their_tail() {
        assert_eq!(Sub::of(""), Some(Sub::List));
        assert_eq!(Sub::of("new"), Some(Sub::New));
        assert_eq!(Sub::of("12"), Some(Sub::Hook(12)));
        assert_eq!(Sub::of("12/delete"), Some(Sub::Delete(12)));
        assert_eq!(Sub::of("12/deliveries/7"), Some(Sub::Delivery(12, 7)));
        for bad in [
            "+1",
            "x",
            "12/deliveries",
            "12/deliveries/x",
            "1/2/3/4",
            "settings",
        ] {
            assert_eq!(Sub::of(bad), None, "{bad}");
        }
    }

    #[test]
    fn package_names_may_hold_slashes_and_the_segment() {
        let fits = |t: &str| Sub::of(t).is_some();
        assert_eq!(
            split_package_path("hello/hooks", "hooks", fits),
            Some(("hello", ""))
        );
        assert_eq!(
            split_package_path("app/sub/hooks/3/deliveries/9", "hooks", fits),
            Some(("app/sub", "3/deliveries/9"))
        );
        assert_eq!(
            split_package_path("x/hooks/hooks", "hooks", fits),
            Some(("x/hooks", ""))
        );
        assert_eq!(split_package_path("hooks", "hooks", fits), None);
        assert_eq!(split_package_path("hello/hooksy", "hooks", fits), None);
        assert_eq!(split_package_path("hello/settings", "hooks", fits), None);
    }

    #[test]
    fn the_management_templates_parse() {
        for name in [
            "hooks.html",
            "hook.html",
            "hook_delete.html",
            "hook_delivery.html",
            "advisories_manage.html",
            "advisory_edit.html",
            "settings.html",
        ] {
            assert!(crate::templates().get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn long_bodies_are_cut_on_a_character() {
        let text = "é".repeat(MAX_SHOWN);
        let (shown, cut) = bounded(&text);
        assert!(shown.len() <= MAX_SHOWN);
        assert_eq!(shown.len() + cut.unwrap(), text.len());
        assert_eq!(bounded("short"), ("short".to_owned(), None));
    }
}

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
//!
//! Here are the routes, whose hooks a page is about, and the list; a
//! hook's form and page are in `hook_form`, its deliveries in
//! `hook_deliveries`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use entrepot_core::{Account, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::webhooks::HookScope;
use minijinja::context;
use serde::Serialize;

use super::hook_deliveries::{delivery_page, failed, state_text, status_text};
use super::hook_form::{HookForm, change, create, hook_label, hook_page, render_hook};
use super::{
    Flash, forbidden_page, notice_of, package_base, package_sub, readable_package, redirect_done,
    refusal_page, sign_in_first,
};
use crate::session::{Fields, Viewer};
use crate::{display_name, form_expired, not_found, package_path, page_with_status, settings_path};

/// The notices of a ping and a redelivery, shown by the deliveries list.
const PINGED: &str = "Ping queued: it is listed below, and its status once the receiver answers.";
const REDELIVERED: &str =
    "Delivery queued again: it is listed below, and its status once the receiver answers.";

/// The messages a finished action leaves; the query names one, so nothing
/// a visitor types is ever reflected into the page.
const NOTICES: [(&str, &str); 5] = [
    (
        "created",
        "Webhook added. An active hook is sent a ping at once.",
    ),
    ("updated", "Webhook updated."),
    ("deleted", "Webhook deleted."),
    ("pinged", PINGED),
    ("redelivered", REDELIVERED),
];

/// Whether a notice is about the deliveries list (and shown there, where
/// the page lands).
pub(super) fn about_deliveries(notice: &str) -> bool {
    notice == PINGED || notice == REDELIVERED
}

pub(super) fn routes() -> Router<AppState> {
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
pub(super) enum Place {
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
    pub(super) fn scope(&self) -> HookScope<'_> {
        match self {
            Place::Mine => HookScope::Mine,
            Place::Org(org) => HookScope::Org(org),
            Place::Package { package, .. } => HookScope::Package(package),
        }
    }

    pub(super) fn base(&self) -> String {
        match self {
            Place::Mine => "/settings/hooks".to_owned(),
            Place::Org(org) => format!("/organizations/{org}/settings/hooks"),
            Place::Package {
                account, package, ..
            } => package_base(account, package, "hooks"),
        }
    }

    /// What the hooks are of, where that is (a package's: its page, and
    /// its settings page), and what they hear about.
    pub(super) fn describe(&self, viewer: &Viewer) -> minijinja::Value {
        let settings = match self {
            Place::Package {
                account, package, ..
            } => Some(settings_path(account, package)),
            Place::Mine | Place::Org(_) => None,
        };
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
                package_path(account, package),
                "Hooks on this package hear about this package alone.",
            ),
        };
        context! {
            name => name,
            back => back,
            settings => settings,
            about => about,
            base => self.base(),
        }
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
    if let Some(page) = sign_in_first(viewer) {
        return page;
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
    if let Some(page) = sign_in_first(viewer) {
        return page;
    }
    let Some(sub) = Sub::of(tail) else {
        return not_found(viewer);
    };
    let place = org.map_or(Place::Mine, Place::Org);
    act(state, viewer, &place, sub, fields).await
}

/// `GET …/packages/TYPE/NAME/hooks[/…]`, from the package settings route
/// (`None`: the URL is not one of these pages).
pub(super) async fn package_page(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    query: &HashMap<String, String>,
) -> Option<Response> {
    let (name, sub) = package_sub(rest, "hooks", Sub::of)?;
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => show(state, viewer, &place, sub, query).await,
            Err(refusal) => refusal,
        },
    )
}

/// `POST …/packages/TYPE/NAME/hooks[/…]`, from the package settings route.
pub(super) async fn package_form(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    fields: &[(String, String)],
) -> Option<Response> {
    let (name, sub) = package_sub(rest, "hooks", Sub::of)?;
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

/// What the service's refusal means here: hooks one may not manage are
/// not there; a package's reader is told only its admins manage them.
pub(super) fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    refusal_page(viewer, e, || {
        forbidden_page(
            viewer,
            "You cannot manage these webhooks",
            "Only the package's admins can see and change its webhooks.",
        )
    })
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
                    hook => context! { id => hook.id, label => hook_label(&hook), url => hook.url },
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
            Ok(()) => redirect_done(&place.base(), "deleted"),
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
    last_state: Option<String>,
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
            last_state: last.as_ref().map(state_text),
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

#[cfg(test)]
mod tests {
    use super::super::split_package_path;
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
}

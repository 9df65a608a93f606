//! The notifications page (`/notifications`): what subscriptions brought
//! (published and withdrawn advisories), marked read one by one or all at
//! once, and the viewer's subscriptions — to one package ("watch" on its
//! page) or to every package they may see.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::{PackageType, Subscription};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::notifications::{NotificationQuery, Subscriber};
use minijinja::context;
use serde::Deserialize;

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{day, display_name, not_found, package_path, page_with_status, server_error};

const PAGE: &str = "/notifications";

/// Where a form sends the viewer back: a local path, else this page.
fn back(return_to: Option<&str>) -> Response {
    // The sign-in page's rule: a local path without control characters
    // (which no `Location` header may carry).
    let target = return_to
        .filter(|p| crate::session::safe_return_to(Some(p)) == *p)
        .unwrap_or(PAGE);
    Redirect::to(target).into_response()
}

/// `GET /notifications`.
pub(crate) async fn notifications_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.login().is_none() {
        return sign_in_redirect(PAGE);
    }
    render(&state, &viewer, StatusCode::OK, None).await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let registry = &state.registry;
    let loaded = async {
        let notifications = registry
            .advisories()
            .notifications(&viewer.actor, NotificationQuery::default())
            .await?;
        let subscriptions = registry
            .advisories()
            .subscriptions(&viewer.actor, Subscriber::Me)
            .await?;
        let mut watching = Vec::new();
        for s in &subscriptions {
            watching.push(subscription_row(state, s).await?);
        }
        let rows: Vec<_> = notifications
            .iter()
            .map(|n| {
                context! {
                    id => n.id,
                    title => n.title,
                    url => n.url,
                    reason => n.reason.replace('_', " "),
                    unread => n.unread,
                    day => day(&n.updated_at),
                }
            })
            .collect();
        let unread = notifications.iter().filter(|n| n.unread).count();
        Ok::<_, ServiceError>(context! {
            notifications => rows,
            unread => unread,
            watching => watching,
            watching_everything => subscriptions.iter().any(|s| s.package_id.is_none()),
            error => error,
        })
    };
    match loaded.await {
        Ok(ctx) => page_with_status(status, viewer, "notifications.html", ctx),
        Err(e) => server_error(&e),
    }
}

async fn subscription_row(
    state: &AppState,
    s: &Subscription,
) -> Result<minijinja::Value, ServiceError> {
    let registry = &state.registry;
    let package = match s.package_id {
        Some(id) => registry.packages().package_by_id(id).await?,
        None => None,
    };
    let described = match package {
        Some(p) => {
            let owner = registry.accounts().account_by_id(p.owner_id).await?;
            Some((display_name(state, &p), owner.map(|o| package_path(&o, &p))))
        }
        None => None,
    };
    Ok(context! {
        id => s.id,
        everything => s.package_id.is_none(),
        name => described.as_ref().map(|d| d.0.clone()),
        url => described.and_then(|d| d.1),
        since => day(&s.created_at),
    })
}

#[derive(Deserialize)]
pub(crate) struct PlainForm {
    csrf: Option<String>,
    return_to: Option<String>,
}

/// Checks the form came from one of our pages in the viewer's session.
async fn refused(state: &AppState, viewer: &Viewer, csrf: Option<&str>) -> Option<Response> {
    if viewer.session.is_none() {
        return Some(sign_in_redirect(PAGE));
    }
    if !viewer.csrf_ok(csrf) {
        return Some(
            render(
                state,
                viewer,
                StatusCode::BAD_REQUEST,
                Some("This form expired; please try again."),
            )
            .await,
        );
    }
    None
}

/// `POST /notifications/{id}/read`.
pub(crate) async fn mark_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<PlainForm>,
) -> Response {
    if let Some(refusal) = refused(&state, &viewer, form.csrf.as_deref()).await {
        return refusal;
    }
    match state
        .registry
        .advisories()
        .mark_notification_read(&viewer.actor, id)
        .await
    {
        Ok(()) => back(form.return_to.as_deref()),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

/// `POST /notifications/read`: every one read.
pub(crate) async fn mark_all_read(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PlainForm>,
) -> Response {
    if let Some(refusal) = refused(&state, &viewer, form.csrf.as_deref()).await {
        return refusal;
    }
    match state
        .registry
        .advisories()
        .mark_all_notifications_read(&viewer.actor)
        .await
    {
        Ok(_) => back(form.return_to.as_deref()),
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct WatchForm {
    csrf: Option<String>,
    return_to: Option<String>,
    /// A package (`package_type`, `owner`, `name`), or none for everything.
    package_type: Option<String>,
    owner: Option<String>,
    name: Option<String>,
}

/// `POST /notifications/subscriptions`: watch a package, or everything.
pub(crate) async fn watch(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<WatchForm>,
) -> Response {
    if let Some(refusal) = refused(&state, &viewer, form.csrf.as_deref()).await {
        return refusal;
    }
    let registry = &state.registry;
    let package = match (&form.package_type, &form.owner, &form.name) {
        (Some(t), Some(owner), Some(name)) => {
            let Ok(package_type) = t.parse::<PackageType>() else {
                return not_found(&viewer);
            };
            match registry
                .packages()
                .readable_package(&viewer.actor, owner, package_type, name)
                .await
            {
                Ok(p) => Some(p),
                Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => {
                    return not_found(&viewer);
                }
                Err(e) => return server_error(&e),
            }
        }
        _ => None,
    };
    match registry
        .advisories()
        .subscribe(&viewer.actor, Subscriber::Me, package.as_ref())
        .await
    {
        // Already watching is what was asked for.
        Ok(_) | Err(ServiceError::Conflict(_)) => back(form.return_to.as_deref()),
        Err(e) => server_error(&e),
    }
}

/// `POST /notifications/subscriptions/{id}/delete`.
pub(crate) async fn unwatch(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<PlainForm>,
) -> Response {
    if let Some(refusal) = refused(&state, &viewer, form.csrf.as_deref()).await {
        return refusal;
    }
    match state
        .registry
        .advisories()
        .unsubscribe(&viewer.actor, Subscriber::Me, id)
        .await
    {
        Ok(()) => back(form.return_to.as_deref()),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

/// The package page's watch button: hidden from anonymous viewers, and
/// for the others the subscription to undo, if any.
pub(crate) enum Watch {
    SignedOut,
    Off,
    On(i64),
}

impl Watch {
    pub(crate) fn shown(&self) -> bool {
        !matches!(self, Watch::SignedOut)
    }

    pub(crate) fn subscription(&self) -> Option<i64> {
        match self {
            Watch::On(id) => Some(*id),
            Watch::SignedOut | Watch::Off => None,
        }
    }
}

/// The viewer's subscription to `package_id`.
pub(crate) async fn watching(
    state: &AppState,
    viewer_actor: &entrepot_core::Actor,
    package_id: i64,
) -> Result<Watch, ServiceError> {
    if viewer_actor.user_id().is_none() {
        return Ok(Watch::SignedOut);
    }
    let subscriptions = state
        .registry
        .advisories()
        .subscriptions(viewer_actor, Subscriber::Me)
        .await?;
    Ok(subscriptions
        .iter()
        .find(|s| s.package_id == Some(package_id))
        .map_or(Watch::Off, |s| Watch::On(s.id)))
}

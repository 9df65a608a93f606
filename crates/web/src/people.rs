//! The site administrators' page of users (`/admin/users`): every user
//! with buttons to suspend or reinstate, promote or demote; deleting one
//! goes through a page that says what goes with the account and wants its
//! login typed.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::AccountKind;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error};

const PAGE: &str = "/admin/users";

#[derive(Serialize)]
struct Row {
    login: String,
    email: Option<String>,
    site_admin: bool,
    suspended: bool,
    created: String,
    me: bool,
}

/// What the service's refusal means on these pages: nothing here for
/// anyone but a site administrator.
fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) | ServiceError::Unauthenticated => not_found(viewer),
        other => server_error(other),
    }
}

/// `GET /admin/users[?since=ID]`: a page of 100 users.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    let since = query.get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
    let page = entrepot_service::administration::MAX_PAGE;
    let users = match state
        .registry
        .accounts()
        .list_as(&viewer.actor, AccountKind::User, since, page)
        .await
    {
        Ok(users) => users,
        Err(e) => return refused(&viewer, &e),
    };
    let next = (users.len() == page as usize)
        .then(|| users.last().map(|u| u.id))
        .flatten();
    let rows: Vec<Row> = users
        .into_iter()
        .map(|u| Row {
            me: viewer.login() == Some(u.login.as_str()),
            created: u.created_at.format("%Y-%m-%d").to_string(),
            site_admin: u.site_admin,
            suspended: u.suspended_at.is_some(),
            email: u.email,
            login: u.login,
        })
        .collect();
    let notice = query.get("done").map(String::as_str);
    page_with_status(
        StatusCode::OK,
        &viewer,
        "people.html",
        context! { users => rows, next => next, notice => notice },
    )
}

#[derive(Deserialize)]
pub(crate) struct ActForm {
    csrf: Option<String>,
    login: String,
    action: String,
}

/// `POST /admin/users`: suspends, reinstates, promotes or demotes.
pub(crate) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ActForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let accounts = state.registry.accounts();
    let actor = &viewer.actor;
    let login = form.login.as_str();
    let (done, said) = match form.action.as_str() {
        "suspend" => (
            accounts.set_suspended_as(actor, login, true).await,
            "suspended",
        ),
        "unsuspend" => (
            accounts.set_suspended_as(actor, login, false).await,
            "reinstated",
        ),
        "promote" => (
            accounts.set_site_admin_as(actor, login, true).await,
            "promoted",
        ),
        "demote" => (
            accounts.set_site_admin_as(actor, login, false).await,
            "demoted",
        ),
        _ => return (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    };
    match done {
        Ok(_) => Redirect::to(&format!("{PAGE}?done={said}")).into_response(),
        Err(ServiceError::Forbidden(m)) => (StatusCode::FORBIDDEN, m).into_response(),
        Err(e) => refused(&viewer, &e),
    }
}

/// `GET /admin/users/{login}/delete`: what deleting takes, and the form.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(login): Path<String>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&format!("{PAGE}/{login}/delete"));
    }
    match state
        .registry
        .accounts()
        .deletion_plan_as(&viewer.actor, &login)
        .await
    {
        Ok(plan) => page_with_status(
            StatusCode::OK,
            &viewer,
            "people_delete.html",
            context! { login => plan.user.login, plan => plan.describe(), error => None::<String> },
        ),
        Err(ServiceError::Conflict(m)) => page_with_status(
            StatusCode::CONFLICT,
            &viewer,
            "people_delete.html",
            context! { login => login, plan => None::<String>, error => m },
        ),
        Err(e) => refused(&viewer, &e),
    }
}

#[derive(Deserialize)]
pub(crate) struct DeleteForm {
    csrf: Option<String>,
    confirm: String,
}

/// `POST /admin/users/{login}/delete`: deletes once the login was typed.
pub(crate) async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(login): Path<String>,
    Form(form): Form<DeleteForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    if form.confirm.trim() != login {
        let plan = state
            .registry
            .accounts()
            .deletion_plan_as(&viewer.actor, &login)
            .await;
        return page_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &viewer,
            "people_delete.html",
            context! { login => login, plan => plan.ok().map(|p| p.describe()),
            error => format!("Type `{login}` to delete it; nothing was deleted.") },
        );
    }
    match state
        .registry
        .accounts()
        .delete_user_as(&viewer.actor, &login)
        .await
    {
        Ok(_) => Redirect::to(&format!("{PAGE}?done=deleted")).into_response(),
        Err(ServiceError::Forbidden(m) | ServiceError::Conflict(m)) => {
            (StatusCode::CONFLICT, m).into_response()
        }
        Err(e) => refused(&viewer, &e),
    }
}

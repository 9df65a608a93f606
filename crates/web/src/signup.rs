//! Making accounts without a site administrator: `/signup` (when the
//! operator opened sign-up; the form uses the sign-in page's CSRF cookie,
//! and a new account is signed in at once) and `/organizations/new` (when
//! users may create organizations; the creator owns it).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use entrepot_service::sessions::{SESSION_LIFETIME, random_secret};
use minijinja::context;
use serde::Deserialize;

use crate::account::sign_in_redirect;
use crate::session::{
    LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, cookie, same, set_cookie, with_cookie,
};
use crate::{not_found, page_with_status, server_error};

fn signup_page(
    viewer: &Viewer,
    csrf: &str,
    login: Option<&str>,
    email: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    page_with_status(
        status,
        viewer,
        "signup.html",
        context! { login_csrf => csrf, login => login, email => email, error => error },
    )
}

/// Whether sign-up is open (closed when the store cannot say).
async fn open_sign_up(state: &AppState) -> bool {
    state
        .registry
        .accounts()
        .account_policy()
        .await
        .is_ok_and(|p| p.open_sign_up)
}

/// `GET /signup`: the form, or nothing here while sign-up is closed.
pub(crate) async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Response {
    if !open_sign_up(&state).await {
        return not_found(&viewer);
    }
    if viewer.session.is_some() {
        return Redirect::to("/").into_response();
    }
    let csrf = match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(c) if c.len() == 43 => c.to_owned(),
        _ => random_secret(),
    };
    with_cookie(
        signup_page(&viewer, &csrf, None, None, None, StatusCode::OK),
        set_cookie(&state, LOGIN_CSRF_COOKIE, &csrf, 3600),
    )
}

#[derive(Deserialize)]
pub(crate) struct SignUpForm {
    csrf: String,
    login: String,
    email: String,
    password: String,
}

/// `POST /signup`: creates the account and signs it in.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<SignUpForm>,
) -> Response {
    if !open_sign_up(&state).await {
        return not_found(&viewer);
    }
    let Some(csrf) = cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| same(c, &form.csrf)) else {
        return crate::form_expired();
    };
    let (login, email) = (form.login.trim(), form.email.trim());
    let refused = |status, message: &str| {
        signup_page(
            &viewer,
            csrf,
            Some(login),
            Some(email),
            Some(message),
            status,
        )
    };
    let made = state
        .registry
        .accounts()
        .sign_up(login, email, form.password.clone(), from)
        .await;
    match made {
        Ok(_) => {}
        Err(ServiceError::Invalid(m) | ServiceError::Conflict(m)) => {
            return refused(StatusCode::UNPROCESSABLE_ENTITY, &m);
        }
        Err(ServiceError::Throttled(m)) => return refused(StatusCode::TOO_MANY_REQUESTS, &m),
        Err(e) => return server_error(&e),
    }
    match state
        .registry
        .sessions()
        .sign_in(login, &form.password, from)
        .await
    {
        Ok(session) => with_cookie(
            Redirect::to("/settings/tokens"),
            set_cookie(
                &state,
                SESSION_COOKIE,
                &session.secret,
                SESSION_LIFETIME.num_seconds(),
            ),
        ),
        Err(_) => Redirect::to("/login").into_response(),
    }
}

/// `GET /organizations/new`.
pub(crate) async fn org_form(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/organizations/new");
    }
    let allowed = state
        .registry
        .accounts()
        .account_policy()
        .await
        .is_ok_and(|p| p.users_create_orgs)
        || matches!(
            viewer.actor,
            entrepot_core::Actor::User {
                site_admin: true,
                ..
            }
        );
    page_with_status(
        StatusCode::OK,
        &viewer,
        "org_new.html",
        context! { allowed => allowed, error => None::<String>, login => None::<String> },
    )
}

#[derive(Deserialize)]
pub(crate) struct OrgForm {
    csrf: Option<String>,
    login: String,
}

/// `POST /organizations/new`: creates it, owned by the caller.
pub(crate) async fn create_org(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<OrgForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/organizations/new");
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let login = form.login.trim();
    match state
        .registry
        .accounts()
        .create_own_org(&viewer.actor, login)
        .await
    {
        Ok(org) => Redirect::to(&format!("/{}", org.login)).into_response(),
        Err(ServiceError::Invalid(m) | ServiceError::Conflict(m) | ServiceError::Forbidden(m)) => {
            page_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &viewer,
                "org_new.html",
                context! { allowed => true, error => m, login => login },
            )
        }
        Err(e) => server_error(&e),
    }
}

//! Forgotten passwords: `/password-reset` asks for a login or email and
//! says the same whether or not an account matched; the mailed link,
//! `/password-reset/{secret}`, sets a new password once.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::Deserialize;

use crate::session::{LOGIN_CSRF_COOKIE, Viewer, cookie, same, set_cookie, with_cookie};
use crate::{page_with_status, server_error};

/// The page asking for a login, its form carrying the sign-in page's
/// CSRF token (`csrf`).
fn ask_page(
    viewer: &Viewer,
    (can_mail, csrf): (bool, &str),
    status: StatusCode,
    said: Option<&str>,
    error: Option<&str>,
) -> Response {
    page_with_status(
        status,
        viewer,
        "reset.html",
        context! { can_mail => can_mail, said => said, error => error,
        secret => None::<String>, login_csrf => csrf },
    )
}

/// `GET /password-reset`.
pub(crate) async fn ask(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
) -> Response {
    let can_mail = state.registry.sessions().can_mail();
    let csrf = match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(c) if c.len() == 43 => c.to_owned(),
        _ => entrepot_service::sessions::random_secret(),
    };
    with_cookie(
        ask_page(&viewer, (can_mail, &csrf), StatusCode::OK, None, None),
        set_cookie(&state, LOGIN_CSRF_COOKIE, &csrf, 3600),
    )
}

#[derive(Deserialize)]
pub(crate) struct AskForm {
    csrf: String,
    login: String,
}

/// `POST /password-reset`: mails a link if an account matches.
pub(crate) async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    headers: axum::http::HeaderMap,
    Form(form): Form<AskForm>,
) -> Response {
    let Some(csrf) = cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| same(c, &form.csrf)) else {
        return crate::form_expired();
    };
    let sessions = state.registry.sessions();
    let can_mail = (sessions.can_mail(), csrf);
    match sessions.request_password_reset(&form.login, from).await {
        Ok(()) => ask_page(
            &viewer,
            can_mail,
            StatusCode::OK,
            Some(
                "If an account with an email address matches, a link to set a new password is on its way. It works once, within the hour.",
            ),
            None,
        ),
        Err(
            ServiceError::Throttled(m) | ServiceError::Forbidden(m) | ServiceError::Upstream(m),
        ) => ask_page(
            &viewer,
            can_mail,
            StatusCode::TOO_MANY_REQUESTS,
            None,
            Some(&m),
        ),
        Err(e) => server_error(&e),
    }
}

fn set_page(viewer: &Viewer, secret: &str, status: StatusCode, error: Option<&str>) -> Response {
    page_with_status(
        status,
        viewer,
        "reset.html",
        context! { can_mail => true, said => None::<String>, error => error, secret => secret },
    )
}

/// `GET /password-reset/{secret}`: the form for the new password.
pub(crate) async fn form(viewer: Viewer, Path(secret): Path<String>) -> Response {
    set_page(&viewer, &secret, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub(crate) struct SetForm {
    password: String,
    confirm_password: String,
}

/// `POST /password-reset/{secret}`: sets it, then off to sign in.
pub(crate) async fn set(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
    Form(form): Form<SetForm>,
) -> Response {
    if form.password != form.confirm_password {
        return set_page(
            &viewer,
            &secret,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("The two passwords differ."),
        );
    }
    match state
        .registry
        .sessions()
        .reset_password(&secret, form.password)
        .await
    {
        Ok(_) => Redirect::to("/login?return_to=/settings/profile").into_response(),
        Err(ServiceError::Invalid(m)) => {
            set_page(&viewer, &secret, StatusCode::UNPROCESSABLE_ENTITY, Some(&m))
        }
        Err(e) => server_error(&e),
    }
}

/// `GET /verify-email/{secret}`: the mailed link that verifies an address.
pub(crate) async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(secret): Path<String>,
) -> Response {
    let (status, heading, message) = match state.registry.sessions().verify_email(&secret).await {
        Ok(login) => (
            StatusCode::OK,
            "Email address verified",
            format!("The email address of `{login}` is verified."),
        ),
        Err(ServiceError::Invalid(m)) => (StatusCode::UNPROCESSABLE_ENTITY, "Not verified", m),
        Err(e) => return server_error(&e),
    };
    page_with_status(
        status,
        &viewer,
        "message.html",
        context! { heading => heading, message => message },
    )
}

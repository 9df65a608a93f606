//! Signing in with an external identity provider: the login page's
//! buttons lead to `/login/oidc/{provider}`, which sends the browser to the
//! provider with the flow in a signed cookie; the provider sends it back to
//! `…/callback`, which opens a session (or links the identity, when the
//! profile page began the flow).

use axum::extract::{Path, Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use entrepot_service::identity::{Intent, Outcome};
use entrepot_service::oidc::{Answer, FLOW_LIFETIME, Started};
use entrepot_service::sessions::{SESSION_LIFETIME, SignInError};
use entrepot_service::throttle::WINDOW;
use minijinja::context;
use serde::Deserialize;

use crate::page_with_status;
use crate::session::{SESSION_COOKIE, Viewer, cookie, safe_return_to, set_cookie, with_cookie};

/// The cookie that carries a flow from the redirect to the callback.
pub const FLOW_COOKIE: &str = "entrepot_sign_in_flow";

#[derive(Deserialize)]
pub struct BeginQuery {
    return_to: Option<String>,
}

/// The browser sent to the provider, the flow's cookie set.
pub fn to_provider(state: &AppState, started: &Started) -> Response {
    let seconds = i64::try_from(FLOW_LIFETIME.as_secs()).unwrap_or(600);
    with_cookie(
        Redirect::to(started.authorize_url.as_str()),
        set_cookie(state, FLOW_COOKIE, &started.cookie, seconds),
    )
}

/// The login page again, saying why signing in did not work.
fn refused(viewer: &Viewer, status: StatusCode, message: &str) -> Response {
    page_with_status(
        status,
        viewer,
        "sign_in_failed.html",
        context! { error => message },
    )
}

/// `GET /login/oidc/{provider}`.
pub async fn begin(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(provider): Path<String>,
    Query(query): Query<BeginQuery>,
) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref());
    if viewer.session.is_some() {
        return Redirect::to(&return_to).into_response();
    }
    match state
        .registry
        .identity()
        .begin_oidc(&provider, &return_to, Intent::SignIn)
        .await
    {
        Ok(started) => to_provider(&state, &started),
        Err(e) => service_refused(&viewer, &e),
    }
}

fn service_refused(viewer: &Viewer, e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(m) => refused(viewer, StatusCode::NOT_FOUND, m),
        ServiceError::Upstream(m) => refused(viewer, StatusCode::BAD_GATEWAY, m),
        ServiceError::Invalid(m) | ServiceError::Conflict(m) => {
            refused(viewer, StatusCode::FORBIDDEN, m)
        }
        other => crate::server_error(other),
    }
}

/// `GET /login/oidc/{provider}/callback`.
pub async fn callback(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    Path(provider): Path<String>,
    Query(answer): Query<Answer>,
) -> Response {
    let signed_in = viewer.session.as_ref().map(|_| &viewer.actor);
    let finished = state
        .registry
        .identity()
        .finish_oidc(
            &provider,
            answer,
            cookie(&headers, FLOW_COOKIE),
            signed_in,
            from,
        )
        .await;
    let forget_flow = set_cookie(&state, FLOW_COOKIE, "", 0);
    let response = match finished {
        Ok(finished) => match finished.outcome {
            Outcome::SignedIn(session) => with_cookie(
                Redirect::to(&finished.return_to),
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &session.secret,
                    SESSION_LIFETIME.num_seconds(),
                ),
            ),
            Outcome::Linked => Redirect::to("/settings/profile?done=connected").into_response(),
            Outcome::SignedOn => Redirect::to(&finished.return_to).into_response(),
        },
        Err(e) => failed(&viewer, e),
    };
    with_cookie(response, forget_flow)
}

/// The page for a sign-in (or sign-on) that failed, in the status it
/// deserves.
pub(crate) fn failed(viewer: &Viewer, error: SignInError) -> Response {
    match error {
        SignInError::External(m) => refused(viewer, StatusCode::FORBIDDEN, &m),
        SignInError::Refused => refused(
            viewer,
            StatusCode::UNAUTHORIZED,
            "The provider did not sign you in.",
        ),
        SignInError::Throttled(m) => {
            let mut response = refused(viewer, StatusCode::TOO_MANY_REQUESTS, &m);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(WINDOW.num_seconds()));
            response
        }
        SignInError::Service(e) => service_refused(viewer, &e),
    }
}

#[derive(Deserialize)]
pub struct ConnectQuery {
    csrf: Option<String>,
}

/// `GET /settings/profile/connect/{provider}?csrf=…`: links an identity to
/// the signed-in account. A link rather than a form, so that the
/// provider's pages are reached as any link's are (a form's redirect to
/// another origin is refused by the page's `form-action`); the session's
/// CSRF token in it keeps other sites from starting it.
pub async fn connect(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(provider): Path<String>,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let Some(user) = viewer.session.as_ref().and(viewer.actor.user_id()) else {
        return crate::account::sign_in_redirect("/settings/profile");
    };
    if !viewer.csrf_ok(query.csrf.as_deref()) {
        return crate::form_expired();
    }
    match state
        .registry
        .identity()
        .begin_oidc(&provider, "/settings/profile", Intent::Link(user))
        .await
    {
        Ok(started) => to_provider(&state, &started),
        Err(e) => service_refused(&viewer, &e),
    }
}

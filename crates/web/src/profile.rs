//! A user's own account page (`/settings/profile`): their name and email,
//! a new password (the current one asked first; other sessions then end),
//! and their browser sessions, each of which they can end.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use entrepot_service::sessions::SignInError;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{page_with_status, server_error};

const PAGE: &str = "/settings/profile";

#[derive(Serialize)]
struct SessionRow {
    id: String,
    since: String,
    until: String,
    current: bool,
}

#[derive(Serialize)]
struct IdentityRow {
    name: String,
    display_name: String,
    /// When it was linked; `None`: not linked.
    linked_at: Option<String>,
    /// A directory, connected with its user name and password here.
    directory: bool,
}

/// The page, with `error` (and its status) when a form was refused.
async fn render(
    state: &AppState,
    viewer: &Viewer,
    secret: &str,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<String>,
) -> Response {
    let login = viewer.login().unwrap_or_default();
    let account = match state.registry.accounts().account(login).await {
        Ok(a) => a,
        Err(e) => return server_error(&e),
    };
    let sessions = match state
        .registry
        .sessions()
        .my_sessions(&viewer.actor, secret)
        .await
    {
        Ok(s) => s,
        Err(e) => return server_error(&e),
    };
    let rows: Vec<SessionRow> = sessions
        .into_iter()
        .map(|s| SessionRow {
            id: s.id,
            since: s.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            until: s.expires_at.format("%Y-%m-%d").to_string(),
            current: s.current,
        })
        .collect();
    let has_password = match state.registry.sessions().has_password(&viewer.actor).await {
        Ok(has) => has,
        Err(e) => return server_error(&e),
    };
    let linked = match state.registry.identity().identities_as(&viewer.actor).await {
        Ok(linked) => linked,
        Err(e) => return server_error(&e),
    };
    let identity = state.registry.identity();
    let directories = identity.directory_providers();
    let directory_names: Vec<String> = directories.iter().map(|d| d.name.clone()).collect();
    let providers = match identity.providers().await {
        Ok(found) => found,
        Err(e) => return server_error(&e),
    };
    let identities: Vec<IdentityRow> = providers
        .into_iter()
        .chain(directories)
        .map(|p| {
            let found = linked.iter().find(|i| i.provider == p.name);
            IdentityRow {
                linked_at: found.map(|i| i.linked_at.format("%Y-%m-%d").to_string()),
                directory: directory_names.contains(&p.name),
                name: p.name,
                display_name: p.display_name,
            }
        })
        .collect();
    page_with_status(
        status,
        viewer,
        "profile.html",
        context! {
            identities => identities, has_password => has_password,
            verified => account.email_verified_at.is_some(),
            email_notifications => account.email_notifications,
            name => account.name, email => account.email, sessions => rows,
            notice => notice, error => error,
        },
    )
}

/// `GET /settings/profile`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(secret) = viewer.session.clone() else {
        return sign_in_redirect(PAGE);
    };
    let notice = match query.get("done").map(String::as_str) {
        Some("profile") => Some("Profile saved."),
        Some("password") => Some("Password changed; your other sessions were signed out."),
        Some("ended") => Some("Session ended."),
        Some("connected") => Some("Identity connected: you can sign in with it now."),
        Some("unlinked") => Some("Identity disconnected."),
        _ => None,
    };
    render(&state, &viewer, &secret, StatusCode::OK, notice, None).await
}

#[derive(Deserialize)]
pub(crate) struct ProfileForm {
    csrf: Option<String>,
    action: String,
    name: Option<String>,
    email: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
    confirm_password: Option<String>,
    session: Option<String>,
    email_notifications: Option<String>,
    provider: Option<String>,
    directory_login: Option<String>,
    directory_password: Option<String>,
}

/// Links a directory entry, proven by its password, to the caller.
async fn connect_directory(
    state: &AppState,
    actor: &entrepot_core::Actor,
    provider: &str,
    form: &ProfileForm,
    from: Option<std::net::IpAddr>,
) -> Result<&'static str, ServiceError> {
    let connected = state
        .registry
        .identity()
        .connect_directory_as(
            actor,
            provider,
            form.directory_login.as_deref().unwrap_or_default().trim(),
            form.directory_password.as_deref().unwrap_or_default(),
            from,
        )
        .await;
    match connected {
        Ok(()) => Ok("connected"),
        Err(SignInError::Refused) => Err(ServiceError::BadCredentials),
        Err(SignInError::Throttled(m)) => Err(ServiceError::Throttled(m)),
        Err(SignInError::External(m)) => Err(ServiceError::Conflict(m)),
        Err(SignInError::Service(e)) => Err(e),
    }
}

/// `POST /settings/profile`: saves the profile, changes the password, or
/// ends a session (or all others).
pub(crate) async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    Form(form): Form<ProfileForm>,
) -> Response {
    let Some(secret) = viewer.session.clone() else {
        return sign_in_redirect(PAGE);
    };
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let actor = &viewer.actor;
    let provider = form.provider.as_deref().unwrap_or_default();
    let done = match form.action.as_str() {
        "connect-directory" => connect_directory(&state, actor, provider, &form, from).await,
        "unlink" => state
            .registry
            .identity()
            .unlink_as(actor, provider)
            .await
            .map(|()| "unlinked"),
        "profile" => state
            .registry
            .accounts()
            .update_profile_as(actor, Some(form.name), Some(form.email))
            .await
            .map(|_| "profile"),
        "password" => {
            let new = form.new_password.unwrap_or_default();
            if Some(&new) == form.confirm_password.as_ref() {
                state
                    .registry
                    .sessions()
                    .change_password(
                        actor,
                        form.current_password.as_deref().unwrap_or_default(),
                        new,
                        from,
                        &secret,
                    )
                    .await
                    .map(|()| "password")
            } else {
                Err(ServiceError::Invalid(
                    "the new password and its confirmation differ".into(),
                ))
            }
        }
        "notifications" => state
            .registry
            .sessions()
            .set_email_notifications(actor, form.email_notifications.is_some())
            .await
            .map(|()| "profile"),
        "end" => state
            .registry
            .sessions()
            .end_my_session(actor, form.session.as_deref().unwrap_or_default())
            .await
            .map(|()| "ended"),
        "end-others" => state
            .registry
            .sessions()
            .end_other_sessions(actor, &secret)
            .await
            .map(|_| "ended"),
        _ => return (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    };
    let (status, message) = match done {
        Ok(what) => return Redirect::to(&format!("{PAGE}?done={what}")).into_response(),
        Err(ServiceError::BadCredentials) if form.action == "connect-directory" => (
            StatusCode::UNAUTHORIZED,
            "The directory did not accept that user name and password.".to_owned(),
        ),
        Err(ServiceError::BadCredentials) => (
            StatusCode::UNAUTHORIZED,
            "The current password is not right; nothing was changed.".to_owned(),
        ),
        Err(ServiceError::Throttled(m)) => (StatusCode::TOO_MANY_REQUESTS, m),
        Err(ServiceError::Invalid(m)) => (StatusCode::UNPROCESSABLE_ENTITY, m),
        Err(ServiceError::NotFound(m)) => (StatusCode::NOT_FOUND, m),
        Err(ServiceError::Conflict(m)) => (StatusCode::CONFLICT, m),
        Err(ServiceError::Upstream(m)) => (StatusCode::BAD_GATEWAY, m),
        Err(e) => return server_error(&e),
    };
    render(&state, &viewer, &secret, status, None, Some(message)).await
}

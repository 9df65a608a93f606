//! The page where an owner turns its PyPI index's fall-through on or off
//! (`/settings/fallthrough?owner=NAME`, the signed-in user by default):
//! which upstream serves the names the owner does not have, and the name
//! patterns that never come from it. The user themself, an organization's
//! owners and site administrators may change it; members may look.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::PackageType;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::Deserialize;

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error, urlencode};

const PAGE: &str = "/settings/fallthrough";

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    owner: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    csrf: Option<String>,
    owner: String,
    upstream: Option<String>,
    reserved: Option<String>,
    off: Option<String>,
}

/// `GET /settings/fallthrough`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(login) = viewer.login().map(str::to_owned) else {
        return sign_in_redirect(PAGE);
    };
    let owner = query.owner.unwrap_or(login);
    show(&state, &viewer, &owner, StatusCode::OK, query.done, None).await
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let upstreams = state.registry.upstreams();
    let account = match state.registry.accounts().account_by_login(owner).await {
        Ok(Some(account)) => account,
        Ok(None) => return not_found(viewer),
        Err(e) => return server_error(&e),
    };
    let current = match upstreams
        .fallthrough_as(&viewer.actor, &account, PackageType::Pypi)
        .await
    {
        Ok(current) => current,
        Err(e @ ServiceError::Forbidden(_)) => {
            return page_with_status(
                StatusCode::FORBIDDEN,
                viewer,
                "message.html",
                context! { heading => "Fall-through", message => entrepot_http::error::public_message(&e) },
            );
        }
        Err(e) => return server_error(&e),
    };
    let choices = match upstreams.fallthrough_choices(PackageType::Pypi).await {
        Ok(choices) => choices,
        Err(e) => return server_error(&e),
    };
    page_with_status(
        status,
        viewer,
        "fallthrough.html",
        context! {
            owner => account.login,
            upstream => current.as_ref().map(|c| c.upstream.name.clone()),
            reserved => current.map(|c| c.reserved.join("\n")).unwrap_or_default(),
            choices => choices,
            notice => notice,
            error => error,
        },
    )
}

/// `POST /settings/fallthrough`: sets or turns off the owner's
/// fall-through.
pub(crate) async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ChangeForm>,
) -> Response {
    if viewer.login().is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let account = match state
        .registry
        .accounts()
        .account_by_login(&form.owner)
        .await
    {
        Ok(Some(account)) => account,
        Ok(None) => return not_found(&viewer),
        Err(e) => return server_error(&e),
    };
    let reserved: Vec<String> = form
        .reserved
        .as_deref()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let upstream = if form.off.is_some() {
        None
    } else {
        form.upstream.as_deref().filter(|u| !u.is_empty())
    };
    let changed = state
        .registry
        .upstreams()
        .set_fallthrough_as(&viewer.actor, &account, "pypi", upstream, &reserved)
        .await;
    match changed {
        Ok(()) => {
            let notice = match upstream {
                Some(name) => format!(
                    "{}'s PyPI index now falls through to {name}.",
                    account.login
                ),
                None => format!(
                    "{}'s PyPI index serves only its own projects.",
                    account.login
                ),
            };
            Redirect::to(&format!(
                "{PAGE}?owner={}&done={}",
                urlencode(&account.login),
                urlencode(&notice)
            ))
            .into_response()
        }
        Err(
            e @ (ServiceError::Invalid(_) | ServiceError::NotFound(_) | ServiceError::Forbidden(_)),
        ) => {
            let status = entrepot_http::error::status_of(&e);
            let message = entrepot_http::error::public_message(&e);
            show(&state, &viewer, &account.login, status, None, Some(message)).await
        }
        Err(e) => server_error(&e),
    }
}

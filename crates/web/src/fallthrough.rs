//! The page where an owner turns its registry's fall-through on or off,
//! one format at a time (`/settings/fallthrough?owner=NAME&format=cargo`,
//! the signed-in user and PyPI by default): which upstream serves the
//! names the owner does not have, and the name patterns that never come
//! from it. The user themself, an organization's
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
    format: Option<String>,
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ChangeForm {
    csrf: Option<String>,
    owner: String,
    format: Option<String>,
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
    let Some(format) = format_of(&state, query.format.as_deref()) else {
        return not_found(&viewer);
    };
    let shown = (owner.as_str(), format);
    show(&state, &viewer, shown, StatusCode::OK, query.done, None).await
}

/// The format a page is about (PyPI unless named), if its registries
/// fall through.
fn format_of(state: &AppState, named: Option<&str>) -> Option<PackageType> {
    let format = named.unwrap_or("pypi").parse().ok()?;
    state
        .registry
        .catalog()
        .fallthrough_formats()
        .contains(&format)
        .then_some(format)
}

fn display_name(state: &AppState, format: PackageType) -> &'static str {
    state
        .registry
        .catalog()
        .format(format)
        .map_or("", |f| f.display_name())
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    (owner, format): (&str, PackageType),
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
        .fallthrough_as(&viewer.actor, &account, format)
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
    let choices = match upstreams.fallthrough_choices(format).await {
        Ok(choices) => choices,
        Err(e) => return server_error(&e),
    };
    page_with_status(
        status,
        viewer,
        "fallthrough.html",
        context! {
            format => format.as_str(),
            format_name => display_name(state, format),
            formats => state.registry.catalog().fallthrough_formats().into_iter()
                .map(|f| context! { id => f.as_str(), name => display_name(state, f) })
                .collect::<Vec<_>>(),
            usage => state.registry.catalog().proxying(format).fallthrough_use
                .replace("{base}", &state.config.url("")).replace("{owner}", &account.login),
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
    let Some(format) = format_of(&state, form.format.as_deref()) else {
        return not_found(&viewer);
    };
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
        .set_fallthrough_as(
            &viewer.actor,
            &account,
            format.as_str(),
            upstream,
            &reserved,
        )
        .await;
    match changed {
        Ok(()) => {
            let name = display_name(&state, format);
            let notice = match upstream {
                Some(upstream) => format!(
                    "{}'s {name} registry now falls through to {upstream}.",
                    account.login
                ),
                None => format!(
                    "{}'s {name} registry serves only its own packages.",
                    account.login
                ),
            };
            Redirect::to(&format!(
                "{PAGE}?owner={}&format={}&done={}",
                urlencode(&account.login),
                format.as_str(),
                urlencode(&notice)
            ))
            .into_response()
        }
        Err(
            e @ (ServiceError::Invalid(_) | ServiceError::NotFound(_) | ServiceError::Forbidden(_)),
        ) => {
            let status = entrepot_http::error::status_of(&e);
            let message = entrepot_http::error::public_message(&e);
            let shown = (account.login.as_str(), format);
            show(&state, &viewer, shown, status, None, Some(message)).await
        }
        Err(e) => server_error(&e),
    }
}

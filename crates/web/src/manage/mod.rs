//! The management pages: webhooks (`hooks`, with a hook's form in
//! `hook_form` and its deliveries in `hook_deliveries`) and security
//! advisories (`advisories`, with what the advisory form holds in
//! `advisory_form` and its page and posts in `advisory_edit`).
//!
//! Both kinds live at a place of their own (an account, an organization, a
//! repository) and under a package's settings URL, and both answer as the
//! REST API does. What they share is here, once: finding the package,
//! the sign-in a form page needs first, what an action leaves on the page
//! (`?done=KEY` and `Flash`), and what a service refusal shows.

mod advisories;
mod advisory_edit;
mod advisory_form;
mod hook_deliveries;
mod hook_form;
mod hooks;

use std::collections::HashMap;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::{Account, Package, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;

use crate::account::sign_in_redirect;
use crate::session::{Fields, Viewer};
use crate::{not_found, owner_segment, page_with_status, server_error};

/// The routes of the pages at places of their own: a user's and an
/// organization's hooks, a repository's advisories.
pub(crate) fn routes() -> Router<AppState> {
    hooks::routes().merge(advisories::routes())
}

/// `GET …/packages/TYPE/NAME/{hooks,security-advisories}[/…]`, from the
/// package settings route, whose catch-all owns that URL shape (`None`:
/// the URL is not one of these pages).
pub(crate) async fn package_page(
    state: &AppState,
    viewer: &Viewer,
    target: &(String, String, String),
    query: &HashMap<String, String>,
) -> Option<Response> {
    if let Some(page) = hooks::package_page(state, viewer, target, query).await {
        return Some(page);
    }
    advisories::package_page(state, viewer, target, query).await
}

/// `POST …/packages/TYPE/NAME/{hooks,security-advisories}[/…]`, from the
/// package settings route (`None`: the URL is not one of these pages).
pub(crate) async fn package_form(
    state: &AppState,
    viewer: &Viewer,
    target: &(String, String, String),
    fields: &[(String, String)],
) -> Option<Response> {
    if let Some(done) = hooks::package_form(state, viewer, target, fields).await {
        return Some(done);
    }
    advisories::package_form(state, viewer, target, fields).await
}

/// What an action left on a page: its status, and a notice or an error.
struct Flash<'a> {
    status: StatusCode,
    notice: Option<&'a str>,
    error: Option<String>,
}

impl<'a> Flash<'a> {
    fn ok(notice: Option<&'a str>) -> Self {
        Flash {
            status: StatusCode::OK,
            notice,
            error: None,
        }
    }

    /// The refusal of what was typed, shown above the form it came from.
    fn refusal(e: &ServiceError) -> Self {
        Flash {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            notice: None,
            error: Some(entrepot_http::error::public_message(e)),
        }
    }
}

/// The notice `?done=KEY` names, if it is one of `notices`.
fn notice_of(
    notices: &[(&str, &'static str)],
    query: &HashMap<String, String>,
) -> Option<&'static str> {
    let done = query.get("done")?;
    notices.iter().find(|(k, _)| k == done).map(|(_, t)| *t)
}

/// Back to `to` once an action is done, naming its notice (`?done=KEY`,
/// read by `notice_of`): what the visitor typed is never put in a URL.
fn redirect_done(to: &str, key: &str) -> Response {
    Redirect::to(&format!("{to}?done={key}")).into_response()
}

/// Whether the service refused what was typed (the form is shown again)
/// rather than who typed it.
fn is_input(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Invalid(_) | ServiceError::Conflict(_))
}

/// The first value of `name` as sent (`Fields::get` trims): a secret is
/// the receiver's key byte for byte, and Markdown may start indented.
fn untrimmed<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .0
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The path of the page asked for, where signing in comes back to.
fn here_path(viewer: &Viewer) -> &str {
    viewer.here.split('?').next().unwrap_or("/")
}

/// Signing in, for a visitor without a session (`None` for one with):
/// the pages carry forms, and before any lookup an existing private
/// package and a missing one must look the same.
fn sign_in_first(viewer: &Viewer) -> Option<Response> {
    viewer
        .session
        .is_none()
        .then(|| sign_in_redirect(here_path(viewer)))
}

/// A page saying the viewer may see but not do this (403).
fn forbidden_page(viewer: &Viewer, heading: &str, message: &str) -> Response {
    page_with_status(
        StatusCode::FORBIDDEN,
        viewer,
        "message.html",
        context! { heading => heading, message => message },
    )
}

/// What a service refusal of who asked means on these pages: what they
/// may not see is not there (404), what they may see but not do is
/// `forbidden`'s page, anything else a server error.
fn refusal_page(
    viewer: &Viewer,
    e: &ServiceError,
    forbidden: impl FnOnce() -> Response,
) -> Response {
    match e {
        ServiceError::NotFound(_) | ServiceError::Unauthenticated => not_found(viewer),
        ServiceError::Forbidden(_) => forbidden(),
        other => server_error(other),
    }
}

/// The base path of a package's pages under `segment` (`hooks`,
/// `security-advisories`), beside its settings page.
fn package_base(account: &Account, package: &Package, segment: &str) -> String {
    format!(
        "/{}/{}/packages/{}/{}/{segment}",
        owner_segment(account),
        account.login,
        package.package_type,
        package.name
    )
}

/// Splits the `rest` of a package settings URL (`NAME/SEGMENT[/TAIL]`)
/// into the package name and the tail, if `fits` takes the tail. The last
/// `SEGMENT` is tried first: names may hold slashes (`app/sub`), and even
/// the segment itself.
fn split_package_path<'a>(
    rest: &'a str,
    segment: &str,
    fits: impl Fn(&str) -> bool,
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

/// The package name and the page `sub` names in the `rest` of a package
/// settings URL, for the pages under `segment` (`None`: not one of them).
fn package_sub<'a, S>(
    rest: &'a str,
    segment: &str,
    sub: fn(&str) -> Option<S>,
) -> Option<(&'a str, S)> {
    let (name, tail) = split_package_path(rest, segment, |t| sub(t).is_some())?;
    Some((name, sub(tail)?))
}

/// The live package the viewer may read and its owner, found as the REST
/// API finds them, or the page to show instead: `refused` says what the
/// service's refusal means on the page asked for.
async fn readable_package(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
    refused: fn(&Viewer, &ServiceError) -> Response,
) -> Result<(Account, Package), Response> {
    // Before any lookup: without a session, an existing private package
    // and a missing one must look the same.
    if let Some(page) = sign_in_first(viewer) {
        return Err(page);
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

#[cfg(test)]
mod tests {
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
}

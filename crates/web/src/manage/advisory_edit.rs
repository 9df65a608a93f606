//! The advisory form's page, for a new draft or an advisory of the place,
//! and its posts: drafting one, and `update`, `publish` or `close` (which
//! cannot be undone, and is confirmed with a box to tick).

use axum::response::Response;
use entrepot_core::advisory::CREDIT_TYPES;
use entrepot_core::{Action, Advisory, AdvisoryState, Ecosystem, Id, Package, Severity};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryChanges;
use minijinja::context;
use serde::Serialize;

use super::advisories::{Place, administered, forbidden, public_path, refused};
use super::advisory_form::{AdvisoryForm, changes_of};
use super::{Flash, is_input, redirect_done};
use crate::session::{Fields, Viewer};
use crate::{day, display_name, page_with_status};

/// A package a new draft may be on: its id and name.
#[derive(Serialize)]
pub(super) struct Choice {
    id: Id,
    name: String,
}

/// Of `place`'s packages, those the viewer administers that may have
/// advisories (containers have none).
pub(super) fn choices(state: &AppState, place: &Place, admin_of: &[Id]) -> Vec<Choice> {
    place
        .packages()
        .iter()
        .filter(|p| admin_of.contains(&p.id) && Ecosystem::of(p.package_type).is_some())
        .map(|p| Choice {
            id: p.id,
            name: display_name(state, p),
        })
        .collect()
}

/// What the form page is for.
pub(super) enum Target<'a> {
    /// A new draft, on one of these packages.
    New(Vec<Choice>),
    /// An advisory: `may_edit` for its package's admins, `reviewer` for
    /// site administrators.
    Existing {
        advisory: &'a Advisory,
        package: &'a Package,
        may_edit: bool,
        reviewer: bool,
    },
}

pub(super) fn render_form(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    target: &Target<'_>,
    form: &AdvisoryForm,
    flash: &Flash<'_>,
) -> Response {
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let (advisory, choices) = match target {
        Target::New(choices) => (None, choices.as_slice()),
        Target::Existing {
            advisory: a,
            package,
            may_edit,
            reviewer,
        } => (
            Some(context! {
                ghsa_id => a.ghsa_id,
                summary => a.summary,
                state => a.state.as_str(),
                package => display_name(state, package),
                public => public_path(a),
                published => a.published_at.as_ref().map(day),
                withdrawn => a.withdrawn_at.as_ref().map(day),
                editable => *may_edit && a.state != AdvisoryState::Withdrawn,
                publish => *reviewer && a.state == AdvisoryState::Draft,
                close => *reviewer && a.state == AdvisoryState::Published,
            }),
            &[][..],
        ),
    };
    page_with_status(
        flash.status,
        viewer,
        "advisory_edit.html",
        context! {
            place => place.describe(state),
            advisory => advisory,
            choices => choices,
            form => form,
            severities => severities,
            credit_types => CREDIT_TYPES,
            notice => flash.notice,
            error => flash.error,
        },
    )
}

/// A refusal of what was typed, shown above the form: the quotes of the
/// service's messages (backticks, for the REST API) as quotation marks.
fn refusal(e: &ServiceError) -> Flash<'static> {
    let mut flash = Flash::refusal(e);
    flash.error = flash.error.map(|m| quoted(&m));
    flash
}

/// `message` with each pair of backticks made quotation marks.
fn quoted(message: &str) -> String {
    let mut open = false;
    message
        .chars()
        .map(|c| {
            if c == '`' {
                open = !open;
                if open { '\u{201c}' } else { '\u{201d}' }
            } else {
                c
            }
        })
        .collect()
}

/// The advisory `ghsa_id`, if the viewer may see it and it is on one of
/// `place`'s packages.
async fn on_place(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    ghsa_id: &str,
) -> Result<(Advisory, Package), ServiceError> {
    let (advisory, package) = state
        .registry
        .advisories()
        .advisory(&viewer.actor, ghsa_id)
        .await?;
    if !place.packages().iter().any(|p| p.id == package.id) {
        return Err(ServiceError::not_found("Not Found"));
    }
    Ok((advisory, package))
}

/// An advisory's form, for its package's admins and site administrators.
pub(super) async fn edit_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    ghsa_id: &str,
    typed: Option<AdvisoryForm>,
    flash: &Flash<'_>,
) -> Result<Response, ServiceError> {
    let (advisory, package) = on_place(state, viewer, place, ghsa_id).await?;
    let may_edit = state
        .registry
        .authorize_package(&viewer.actor, Action::Manage, &package)
        .await
        .is_ok();
    let reviewer = viewer.actor.is_site_admin();
    if !may_edit && !reviewer {
        return Ok(forbidden(
            viewer,
            "Only the package's admins edit its advisories, and site administrators review them.",
        ));
    }
    let form = typed.unwrap_or_else(|| AdvisoryForm::of(&advisory));
    let target = Target::Existing {
        advisory: &advisory,
        package: &package,
        may_edit,
        reviewer,
    };
    Ok(render_form(state, viewer, place, &target, &form, flash))
}

/// `POST` to the list: drafts an advisory, then on to its form.
pub(super) async fn create(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    fields: &Fields,
) -> Response {
    let admin_of = administered(state, viewer, place).await;
    if admin_of.is_empty() {
        return forbidden(viewer, "Only a package's admins draft its advisories.");
    }
    let wanted = match place {
        Place::Package { package, .. } => Some(package.as_ref()),
        Place::Repository { packages, .. } => fields
            .get("package")
            .and_then(|id| id.parse::<Id>().ok())
            .and_then(|id| packages.iter().find(|p| p.id == id)),
    };
    let made = match wanted {
        None => Err(ServiceError::Invalid(
            "Package: choose the package the advisory is about.".into(),
        )),
        Some(package) => match changes_of(fields, package) {
            Ok(changes) => {
                state
                    .registry
                    .advisories()
                    .create_advisory(&viewer.actor, package, changes)
                    .await
            }
            Err(e) => Err(e),
        },
    };
    match made {
        Ok(a) => redirect_done(&format!("{}/{}", place.base(), a.ghsa_id), "created"),
        Err(e) if is_input(&e) => render_form(
            state,
            viewer,
            place,
            &Target::New(choices(state, place, &admin_of)),
            &AdvisoryForm::typed(fields),
            &refusal(&e),
        ),
        Err(e) => refused(viewer, &e),
    }
}

/// `POST` to an advisory's form: `update` its fields, or (site
/// administrators) `publish` a draft or `close` a published one.
pub(super) async fn change(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    ghsa_id: &str,
    fields: &Fields,
) -> Response {
    let (advisory, package) = match on_place(state, viewer, place, ghsa_id).await {
        Ok(found) => found,
        Err(e) => return refused(viewer, &e),
    };
    let action = fields.get("action").unwrap_or_default();
    let review = |to: AdvisoryState| AdvisoryChanges {
        state: Some(to),
        ..AdvisoryChanges::default()
    };
    let (changes, done) = match action {
        "update" => (changes_of(fields, &package), "updated"),
        "publish" => (Ok(review(AdvisoryState::Published)), "published"),
        "close" if fields.get("confirm") == Some("yes") => {
            (Ok(review(AdvisoryState::Withdrawn)), "closed")
        }
        "close" => (
            Err(ServiceError::Invalid(
                "Close advisory: tick the box to confirm; a closed advisory cannot be reopened."
                    .into(),
            )),
            "",
        ),
        _ => (
            Err(ServiceError::Invalid(format!("Unknown action `{action}`."))),
            "",
        ),
    };
    let saved = match changes {
        Ok(changes) => {
            state
                .registry
                .advisories()
                .update_advisory(&viewer.actor, &advisory.ghsa_id, changes)
                .await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(a) => redirect_done(&format!("{}/{}", place.base(), a.ghsa_id), done),
        // The form again (which checks who may see it), with what was typed.
        Err(e) if is_input(&e) => {
            let typed = (action == "update").then(|| AdvisoryForm::typed(fields));
            edit_page(state, viewer, place, ghsa_id, typed, &refusal(&e))
                .await
                .unwrap_or_else(|e| refused(viewer, &e))
        }
        Err(e) => refused(viewer, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticks_become_quotation_marks() {
        assert_eq!(
            quoted("Affected range 2: `<< 1.0.1` is not an npm version range"),
            "Affected range 2: \u{201c}<< 1.0.1\u{201d} is not an npm version range"
        );
        assert_eq!(
            quoted("Summary: 1 to 1,024 characters."),
            "Summary: 1 to 1,024 characters."
        );
    }
}

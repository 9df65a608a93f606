//! Security advisories in the pages, for those who draft and review them:
//! a package's at `…/packages/{type}/{name}/security-advisories` (reached
//! through the package settings route, whose catch-all owns that URL
//! shape: see `package_page`) and a repository's, over the packages
//! connected to it, at `/{owner}/{repo}/security-advisories`. Each lists
//! the drafts, published and closed (withdrawn) advisories, drafts new
//! ones, edits them, and, for site administrators (who review advisories),
//! publishes and closes them. A published one links to its public page,
//! `/advisories/{ghsa_id}`.
//!
//! Every page calls the `advisories()` use case its REST endpoint calls,
//! and answers as it does: drafts and packages the viewer may not see are
//! not there (404); a reader who may not draft or edit is not offered to,
//! and told so (403) where they ask anyway.
//!
//! Here are the routes, whose advisories a page is about, and the list;
//! what the form holds is in `advisory_form`, its page and posts in
//! `advisory_edit`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use entrepot_core::{Account, Action, Advisory, AdvisoryState, Id, Package, Severity};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::Serialize;

use super::advisory_edit::{Target, change, choices, create, edit_page, render_form};
use super::advisory_form::AdvisoryForm;
use super::{
    Flash, forbidden_page, notice_of, package_base, package_sub, readable_package, refusal_page,
    sign_in_first,
};
use crate::session::{Fields, Viewer};
use crate::{
    day, display_name, form_expired, not_found, package_path, page_with_status, server_error,
};

/// The messages a finished action leaves (`?done=KEY`).
const NOTICES: [(&str, &str); 4] = [
    (
        "created",
        "Draft saved. Only the package's admins see it until a site administrator publishes it.",
    ),
    ("updated", "Advisory saved."),
    (
        "published",
        "Advisory published: those who watch the package are told.",
    ),
    (
        "closed",
        "Advisory closed: it no longer marks any version as vulnerable.",
    ),
];

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/{owner}/{repo}/security-advisories",
            get(repository_page).post(repository_form),
        )
        .route(
            "/{owner}/{repo}/security-advisories/{tail}",
            get(repository_page_at).post(repository_form_at),
        )
}

/// A page under a place's advisories.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sub {
    List,
    New,
    Advisory(String),
}

impl Sub {
    fn of(tail: &str) -> Option<Sub> {
        match tail {
            "" => Some(Sub::List),
            "new" => Some(Sub::New),
            id if id.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("GHSA-"))
                && id.len() > 5
                && !id.contains('/') =>
            {
                Some(Sub::Advisory(id.to_owned()))
            }
            _ => None,
        }
    }
}

/// Whose advisories a page is about.
pub(super) enum Place {
    /// One package the viewer may read.
    Package {
        account: Box<Account>,
        package: Box<Package>,
    },
    /// A repository's connected packages that the viewer may read (at
    /// least one, or the repository is not there for them).
    Repository {
        full_name: String,
        packages: Vec<Package>,
    },
}

impl Place {
    pub(super) fn packages(&self) -> &[Package] {
        match self {
            Place::Package { package, .. } => std::slice::from_ref(package.as_ref()),
            Place::Repository { packages, .. } => packages,
        }
    }

    pub(super) fn base(&self) -> String {
        match self {
            Place::Package { account, package } => {
                package_base(account, package, "security-advisories")
            }
            Place::Repository { full_name, .. } => format!("/{full_name}/security-advisories"),
        }
    }

    /// What the advisories are of, and where that is.
    pub(super) fn describe(&self, state: &AppState) -> minijinja::Value {
        let (name, back) = match self {
            Place::Package { account, package } => {
                (display_name(state, package), package_path(account, package))
            }
            Place::Repository { full_name, .. } => {
                (full_name.clone(), format!("/{full_name}/packages"))
            }
        };
        context! { name => name, back => back, base => self.base() }
    }
}

/// The public page of an advisory, once published (a draft has none).
pub(super) fn public_path(a: &Advisory) -> Option<String> {
    (a.state != AdvisoryState::Draft).then(|| format!("/advisories/{}", a.ghsa_id))
}

async fn repository_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    repository_show(&state, &viewer, &owner, &repo, "", &query).await
}

async fn repository_page_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo, tail)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    repository_show(&state, &viewer, &owner, &repo, &tail, &query).await
}

async fn repository_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    repository_act(&state, &viewer, &owner, &repo, "", &Fields(fields)).await
}

async fn repository_form_at(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo, tail)): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    repository_act(&state, &viewer, &owner, &repo, &tail, &Fields(fields)).await
}

async fn repository_show(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    repo: &str,
    tail: &str,
    query: &HashMap<String, String>,
) -> Response {
    let Some(sub) = Sub::of(tail) else {
        return not_found(viewer);
    };
    match repository_place(state, viewer, owner, repo).await {
        Ok(place) => show(state, viewer, &place, sub, query).await,
        Err(refusal) => refusal,
    }
}

async fn repository_act(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    repo: &str,
    tail: &str,
    fields: &Fields,
) -> Response {
    let Some(sub) = Sub::of(tail) else {
        return not_found(viewer);
    };
    match repository_place(state, viewer, owner, repo).await {
        Ok(place) => act(state, viewer, &place, sub, fields).await,
        Err(refusal) => refusal,
    }
}

/// `GET …/packages/TYPE/NAME/security-advisories[/…]`, from the package
/// settings route (`None`: the URL is not one of these pages).
pub(super) async fn package_page(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    query: &HashMap<String, String>,
) -> Option<Response> {
    let (name, sub) = package_sub(rest, "security-advisories", Sub::of)?;
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => show(state, viewer, &place, sub, query).await,
            Err(refusal) => refusal,
        },
    )
}

/// `POST …/packages/TYPE/NAME/security-advisories[/…]`, from the package
/// settings route.
pub(super) async fn package_form(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    fields: &[(String, String)],
) -> Option<Response> {
    let (name, sub) = package_sub(rest, "security-advisories", Sub::of)?;
    let fields = Fields(fields.to_vec());
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => act(state, viewer, &place, sub, &fields).await,
            Err(refusal) => refusal,
        },
    )
}

/// The package, found as the REST API finds it (readable and live).
async fn package_place(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
) -> Result<Place, Response> {
    let (account, package) =
        readable_package(state, viewer, owner, package_type, name, refused).await?;
    Ok(Place::Package {
        account: Box::new(account),
        package: Box::new(package),
    })
}

/// The repository and its connected packages the viewer may read, as the
/// REST API finds them: with none, the repository is not there.
async fn repository_place(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    repo: &str,
) -> Result<Place, Response> {
    if let Some(page) = sign_in_first(viewer) {
        return Err(page);
    }
    let registry = &state.registry;
    let Ok(repository) = registry
        .accounts()
        .repository(&format!("{owner}/{repo}"))
        .await
    else {
        return Err(not_found(viewer));
    };
    let connected = registry
        .packages()
        .list_packages(entrepot_store::PackageFilter {
            repository_id: Some(repository.id),
            ..entrepot_store::PackageFilter::default()
        })
        .await
        .map_err(|e| server_error(&e))?;
    let mut packages = Vec::new();
    for package in connected {
        match registry.can_read(&viewer.actor, &package).await {
            Ok(true) => packages.push(package),
            Ok(false) => {}
            Err(e) => return Err(server_error(&e)),
        }
    }
    if packages.is_empty() {
        return Err(not_found(viewer));
    }
    Ok(Place::Repository {
        full_name: repository.full_name(),
        packages,
    })
}

/// A page saying the viewer may see but not do this.
pub(super) fn forbidden(viewer: &Viewer, message: &str) -> Response {
    forbidden_page(viewer, "You cannot change these advisories", message)
}

/// What the service's refusal means here.
pub(super) fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    refusal_page(viewer, e, || {
        forbidden(viewer, &entrepot_http::error::public_message(e))
    })
}

/// The packages of `place` whose advisories the viewer drafts and edits.
pub(super) async fn administered(state: &AppState, viewer: &Viewer, place: &Place) -> Vec<Id> {
    let mut ids = Vec::new();
    for package in place.packages() {
        if state
            .registry
            .authorize_package(&viewer.actor, Action::Manage, package)
            .await
            .is_ok()
        {
            ids.push(package.id);
        }
    }
    ids
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    sub: Sub,
    query: &HashMap<String, String>,
) -> Response {
    let notice = notice_of(&NOTICES, query);
    let shown = match sub {
        Sub::List => list_page(state, viewer, place, notice).await,
        Sub::New => {
            let admin_of = administered(state, viewer, place).await;
            if admin_of.is_empty() {
                return forbidden(viewer, "Only a package's admins draft its advisories.");
            }
            let target = Target::New(choices(state, place, &admin_of));
            Ok(render_form(
                state,
                viewer,
                place,
                &target,
                &AdvisoryForm::blank(),
                &Flash::ok(None),
            ))
        }
        Sub::Advisory(ghsa_id) => {
            edit_page(state, viewer, place, &ghsa_id, None, &Flash::ok(notice)).await
        }
    };
    shown.unwrap_or_else(|e| refused(viewer, &e))
}

async fn act(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    sub: Sub,
    fields: &Fields,
) -> Response {
    if !viewer.csrf_ok(fields.get("csrf")) {
        return form_expired();
    }
    match sub {
        Sub::List => create(state, viewer, place, fields).await,
        Sub::Advisory(ghsa_id) => change(state, viewer, place, &ghsa_id, fields).await,
        Sub::New => (
            StatusCode::METHOD_NOT_ALLOWED,
            "Nothing is posted here; use the page's own form.",
        )
            .into_response(),
    }
}

/// An advisory as the list shows it.
#[derive(Serialize)]
struct Row {
    ghsa_id: String,
    cve_id: Option<String>,
    summary: String,
    severity: Option<&'static str>,
    package: String,
    /// When it was drafted, published or closed, as its state says.
    date: String,
    /// Its form, for those who may edit or review it (not once closed).
    edit: Option<String>,
    /// Its public page, once published.
    public: Option<String>,
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    place: &Place,
    notice: Option<&str>,
) -> Result<Response, ServiceError> {
    let admin_of = administered(state, viewer, place).await;
    let reviewer = viewer.actor.is_site_admin();
    let mut all: Vec<(Advisory, &Package)> = Vec::new();
    for package in place.packages() {
        for advisory in state
            .registry
            .advisories()
            .advisories_for_package(&viewer.actor, package)
            .await?
        {
            all.push((advisory, package));
        }
    }
    all.sort_by(|a, b| {
        b.0.created_at
            .cmp(&a.0.created_at)
            .then(b.0.id.cmp(&a.0.id))
    });
    let base = place.base();
    let (mut drafts, mut published, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    for (a, package) in all {
        let date = match a.state {
            AdvisoryState::Draft => Some(a.created_at),
            AdvisoryState::Published => a.published_at,
            AdvisoryState::Withdrawn => a.withdrawn_at,
        };
        let row = Row {
            // A closed advisory is neither edited nor reviewed any more.
            edit: (a.state != AdvisoryState::Withdrawn
                && (reviewer || admin_of.contains(&package.id)))
            .then(|| format!("{base}/{}", a.ghsa_id)),
            public: public_path(&a),
            date: date.as_ref().map_or_else(|| "–".to_owned(), day),
            package: display_name(state, package),
            severity: a.severity.map(Severity::as_str),
            ghsa_id: a.ghsa_id,
            cve_id: a.cve_id,
            summary: a.summary,
        };
        match a.state {
            AdvisoryState::Draft => drafts.push(row),
            AdvisoryState::Published => published.push(row),
            AdvisoryState::Withdrawn => closed.push(row),
        }
    }
    let groups = [
        ("drafts", "Drafts", drafts),
        ("published", "Published", published),
        ("closed", "Closed (withdrawn)", closed),
    ]
    .into_iter()
    .map(|(id, title, rows)| context! { id => id, title => title, rows => rows })
    .collect::<Vec<_>>();
    Ok(page_with_status(
        StatusCode::OK,
        viewer,
        "advisories_manage.html",
        context! {
            place => place.describe(state),
            groups => groups,
            may_draft => !admin_of.is_empty(),
            notice => notice,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_pages_are_named_by_their_tail() {
        assert_eq!(Sub::of(""), Some(Sub::List));
        assert_eq!(Sub::of("new"), Some(Sub::New));
        assert_eq!(
            Sub::of("GHSA-2345-6789-cfgh"),
            Some(Sub::Advisory("GHSA-2345-6789-cfgh".into()))
        );
        for bad in ["GHSA-", "GHSA-x/y", "settings", "é"] {
            assert_eq!(Sub::of(bad), None, "{bad}");
        }
    }
}

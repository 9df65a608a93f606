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

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use entrepot_core::advisory::CREDIT_TYPES;
use entrepot_core::{
    Account, Action, Advisory, AdvisoryPackage, AdvisoryState, Credit, Ecosystem, Id, Package,
    Severity, Vulnerability,
};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryChanges;
use minijinja::context;
use serde::Serialize;

use crate::account::sign_in_redirect;
use crate::manage_hooks::{
    Flash, here_path, is_input, notice_of, readable_package, split_package_path,
};
use crate::session::{Fields, Viewer};
use crate::{
    day, display_name, form_expired, not_found, owner_segment, package_path, page_with_status,
    server_error,
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

/// The most affected ranges a form takes.
const MAX_ROWS: usize = 50;

pub(crate) fn routes() -> Router<AppState> {
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
enum Place {
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
    fn packages(&self) -> &[Package] {
        match self {
            Place::Package { package, .. } => std::slice::from_ref(package.as_ref()),
            Place::Repository { packages, .. } => packages,
        }
    }

    fn base(&self) -> String {
        match self {
            Place::Package { account, package } => format!(
                "/{}/{}/packages/{}/{}/security-advisories",
                owner_segment(account),
                account.login,
                package.package_type,
                package.name
            ),
            Place::Repository { full_name, .. } => format!("/{full_name}/security-advisories"),
        }
    }

    /// What the advisories are of, and where that is.
    fn describe(&self, state: &AppState) -> minijinja::Value {
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
pub(crate) async fn package_page(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    query: &HashMap<String, String>,
) -> Option<Response> {
    let (name, tail) = split_package_path(rest, "security-advisories", |t| Sub::of(t).is_some())?;
    let sub = Sub::of(tail)?;
    Some(
        match package_place(state, viewer, owner, package_type, name).await {
            Ok(place) => show(state, viewer, &place, sub, query).await,
            Err(refusal) => refusal,
        },
    )
}

/// `POST …/packages/TYPE/NAME/security-advisories[/…]`, from the package
/// settings route.
pub(crate) async fn package_form(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, rest): &(String, String, String),
    fields: &[(String, String)],
) -> Option<Response> {
    let (name, tail) = split_package_path(rest, "security-advisories", |t| Sub::of(t).is_some())?;
    let sub = Sub::of(tail)?;
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
    if viewer.session.is_none() {
        return Err(sign_in_redirect(here_path(viewer)));
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
fn forbidden(viewer: &Viewer, message: &str) -> Response {
    page_with_status(
        StatusCode::FORBIDDEN,
        viewer,
        "message.html",
        context! { heading => "You cannot change these advisories", message => message },
    )
}

/// What the service's refusal means here.
fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) | ServiceError::Unauthenticated => not_found(viewer),
        ServiceError::Forbidden(_) => forbidden(viewer, &entrepot_http::error::public_message(e)),
        other => server_error(other),
    }
}

/// The packages of `place` whose advisories the viewer drafts and edits.
async fn administered(state: &AppState, viewer: &Viewer, place: &Place) -> Vec<Id> {
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
    /// Its form, for those who may edit or review it.
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
            edit: (reviewer || admin_of.contains(&package.id))
                .then(|| format!("{base}/{}", a.ghsa_id)),
            public: (a.state != AdvisoryState::Draft).then(|| format!("/advisories/{}", a.ghsa_id)),
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

/// One affected range of the form.
#[derive(Serialize)]
struct RangeRow {
    index: usize,
    /// `kept` (a range of the advisory) or `extra` (a blank one to add,
    /// ignored while left blank).
    kind: &'static str,
    range: String,
    patched: String,
    functions: String,
    removable: bool,
}

/// The fields of the advisory form, as stored or as typed.
#[derive(Serialize)]
struct AdvisoryForm {
    summary: String,
    description: String,
    severity: String,
    cvss: String,
    cve_id: String,
    cwe_ids: String,
    credits: String,
    package: Option<Id>,
    rows: Vec<RangeRow>,
}

impl AdvisoryForm {
    fn blank() -> Self {
        AdvisoryForm {
            summary: String::new(),
            description: String::new(),
            severity: String::new(),
            cvss: String::new(),
            cve_id: String::new(),
            cwe_ids: String::new(),
            credits: String::new(),
            package: None,
            rows: vec![RangeRow {
                index: 0,
                kind: "kept",
                range: String::new(),
                patched: String::new(),
                functions: String::new(),
                removable: false,
            }],
        }
    }

    fn of(a: &Advisory) -> Self {
        let kept = a.vulnerabilities.len();
        let mut rows: Vec<RangeRow> = a
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(index, v)| RangeRow {
                index,
                kind: "kept",
                range: v.vulnerable_version_range.clone().unwrap_or_default(),
                patched: v.patched_versions.clone().unwrap_or_default(),
                functions: v.vulnerable_functions.join(", "),
                removable: kept > 1,
            })
            .collect();
        rows.push(RangeRow {
            index: kept,
            kind: "extra",
            range: String::new(),
            patched: String::new(),
            functions: String::new(),
            removable: false,
        });
        AdvisoryForm {
            summary: a.summary.clone(),
            description: a.description.clone(),
            severity: a.severity.map_or("", Severity::as_str).to_owned(),
            cvss: a.cvss_vector.clone().unwrap_or_default(),
            cve_id: a.cve_id.clone().unwrap_or_default(),
            cwe_ids: a.cwe_ids.join(", "),
            credits: a
                .credits
                .iter()
                .map(|c| format!("{} {}", c.login, c.credit_type))
                .collect::<Vec<_>>()
                .join("\n"),
            package: Some(a.package_id),
            rows,
        }
    }

    fn typed(fields: &Fields) -> Self {
        let text = |name: &str| fields.get(name).unwrap_or_default().to_owned();
        AdvisoryForm {
            summary: text("summary"),
            description: description_of(fields),
            severity: text("severity"),
            cvss: text("cvss_vector_string"),
            cve_id: text("cve_id"),
            cwe_ids: text("cwe_ids"),
            credits: text("credits"),
            package: fields.get("package").and_then(|p| p.parse().ok()),
            rows: rows_of(fields),
        }
    }
}

/// The description as typed (untrimmed: Markdown may start indented),
/// with the browser's line ends made plain.
fn description_of(fields: &Fields) -> String {
    fields
        .0
        .iter()
        .find(|(k, _)| k == "description")
        .map(|(_, v)| v.replace("\r\n", "\n"))
        .unwrap_or_default()
}

/// The affected ranges of a submitted form, in order: each row sends a
/// `row` kind and its three fields.
fn rows_of(fields: &Fields) -> Vec<RangeRow> {
    let column =
        |name: &str| -> Vec<String> { fields.all(name).map(|v| v.trim().to_owned()).collect() };
    let (ranges, patched, functions) = (column("range"), column("patched"), column("functions"));
    let cell = |list: &[String], i: usize| list.get(i).cloned().unwrap_or_default();
    let kinds: Vec<&str> = fields.all("row").take(MAX_ROWS).collect();
    let kept = kinds.iter().filter(|k| **k != "extra").count();
    kinds
        .iter()
        .enumerate()
        .map(|(index, kind)| RangeRow {
            index,
            kind: if *kind == "extra" { "extra" } else { "kept" },
            range: cell(&ranges, index),
            patched: cell(&patched, index),
            functions: cell(&functions, index),
            removable: *kind != "extra" && kept > 1,
        })
        .collect()
}

/// Comma- (or space-) separated words, such as CWE ids.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The vulnerabilities a form names on `package`: its rows, less those
/// marked for removal and blank extra ones.
fn vulnerabilities_of(fields: &Fields, package: &Package) -> Vec<Vulnerability> {
    // A package without an ecosystem has no advisories: the service says so.
    let Some(ecosystem) = Ecosystem::of(package.package_type) else {
        return Vec::new();
    };
    let removed: Vec<&str> = fields.all("remove").collect();
    rows_of(fields)
        .into_iter()
        .filter(|r| !removed.contains(&r.index.to_string().as_str()))
        .filter(|r| {
            r.kind == "kept"
                || !(r.range.is_empty() && r.patched.is_empty() && r.functions.is_empty())
        })
        .map(|r| Vulnerability {
            package: AdvisoryPackage {
                ecosystem,
                name: package.name.clone(),
            },
            vulnerable_version_range: Some(r.range).filter(|s| !s.is_empty()),
            patched_versions: Some(r.patched).filter(|s| !s.is_empty()),
            vulnerable_functions: r
                .functions
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

/// Credits, one a line: a login and a credit type.
fn credits_of(fields: &Fields) -> Result<Vec<Credit>, ServiceError> {
    let mut credits = Vec::new();
    for line in fields
        .get("credits")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
    {
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => {}
            (Some(login), Some(kind), None) => credits.push(Credit {
                login: login.trim_start_matches('@').to_owned(),
                credit_type: kind.to_owned(),
            }),
            _ => {
                return Err(ServiceError::Invalid(format!(
                    "`{line}`: write each credit as a login and a type ({})",
                    CREDIT_TYPES.join(", ")
                )));
            }
        }
    }
    Ok(credits)
}

/// What a submitted form asks for on `package`: every field, as the REST
/// API's `PATCH` with the whole advisory would (empty clears).
fn changes_of(fields: &Fields, package: &Package) -> Result<AdvisoryChanges, ServiceError> {
    let severity = match fields.get("severity").unwrap_or_default() {
        "" => None,
        s => Some(
            s.parse::<Severity>()
                .map_err(|_| ServiceError::Invalid(format!("`{s}` is not a severity")))?,
        ),
    };
    let filled = |name: &str| {
        fields
            .get(name)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Ok(AdvisoryChanges {
        summary: Some(fields.get("summary").unwrap_or_default().to_owned()),
        description: Some(description_of(fields)),
        cve_id: Some(filled("cve_id")),
        vulnerabilities: Some(vulnerabilities_of(fields, package)),
        cwe_ids: Some(words(fields.get("cwe_ids").unwrap_or_default())),
        credits: Some(credits_of(fields)?),
        severity: Some(severity),
        cvss_vector_string: Some(filled("cvss_vector_string")),
        state: None,
    })
}

/// A package a new draft may be on: its id and name.
#[derive(Serialize)]
struct Choice {
    id: Id,
    name: String,
}

/// Of `place`'s packages, those the viewer administers that may have
/// advisories (containers have none).
fn choices(state: &AppState, place: &Place, admin_of: &[Id]) -> Vec<Choice> {
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
enum Target<'a> {
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

fn render_form(
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
                public => (a.state != AdvisoryState::Draft).then(|| format!("/advisories/{}", a.ghsa_id)),
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
async fn edit_page(
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
async fn create(state: &AppState, viewer: &Viewer, place: &Place, fields: &Fields) -> Response {
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
            "choose the package the advisory is about".into(),
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
        Ok(a) => {
            Redirect::to(&format!("{}/{}?done=created", place.base(), a.ghsa_id)).into_response()
        }
        Err(e) if is_input(&e) => render_form(
            state,
            viewer,
            place,
            &Target::New(choices(state, place, &admin_of)),
            &AdvisoryForm::typed(fields),
            &Flash::refusal(&e),
        ),
        Err(e) => refused(viewer, &e),
    }
}

/// `POST` to an advisory's form: `update` its fields, or (site
/// administrators) `publish` a draft or `close` a published one.
async fn change(
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
        "close" => (Ok(review(AdvisoryState::Withdrawn)), "closed"),
        _ => (
            Err(ServiceError::Invalid(format!("unknown action `{action}`"))),
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
        Ok(a) => {
            Redirect::to(&format!("{}/{}?done={done}", place.base(), a.ghsa_id)).into_response()
        }
        // The form again (which checks who may see it), with what was typed.
        Err(e) if is_input(&e) => {
            let typed = (action == "update").then(|| AdvisoryForm::typed(fields));
            edit_page(state, viewer, place, ghsa_id, typed, &Flash::refusal(&e))
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

    #[test]
    fn form_rows_are_read_in_order() {
        let fields = Fields(
            [
                ("row", "kept"),
                ("range", "< 1.2.0"),
                ("patched", "1.2.0"),
                ("functions", "a.b, c"),
                ("row", "kept"),
                ("range", ">= 2.0.0"),
                ("patched", ""),
                ("functions", ""),
                ("row", "extra"),
                ("range", ""),
                ("patched", ""),
                ("functions", ""),
                ("remove", "1"),
            ]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        );
        let rows = rows_of(&fields);
        assert_eq!(rows.len(), 3);
        assert!(rows[0].removable && !rows[2].removable);
        assert_eq!(words("CWE-79, CWE-89 CWE-1"), ["CWE-79", "CWE-89", "CWE-1"]);
    }

    #[test]
    fn credits_are_a_login_and_a_type_a_line() {
        let fields = |text: &str| Fields(vec![("credits".to_owned(), text.to_owned())]);
        let credits = credits_of(&fields("@alice finder\n\nbob reporter\n")).unwrap();
        assert_eq!(credits.len(), 2);
        assert_eq!(credits[0].login, "alice");
        assert_eq!(credits[1].credit_type, "reporter");
        assert!(credits_of(&fields("alice")).is_err());
    }
}

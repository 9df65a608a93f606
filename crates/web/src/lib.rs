//! The web pages: a package's page (README, install instructions from its
//! format, versions, files and download activity), the lists of an owner's,
//! a repository's and the whole instance's packages, signing in, token
//! settings and package settings. Server-rendered HTML, no JavaScript;
//! private packages are simply not there for those who may not see them.

mod account;
mod advisories;
mod alerts_section;
mod api_links;
mod bulk;
mod chart;
mod cleanup;
mod dependency_links;
mod details;
mod external;
mod fallthrough;
pub mod fuzzing;
mod image_keys;
mod locks;
mod manage;
mod members;
mod notifications;
mod package_page;
mod packaged;
mod people;
mod profile;
mod publishers;
mod render;
mod repos;
mod reset;
mod saml;
mod session;
mod settings;
mod sign_in_providers;
mod signup;
mod site_admin;
mod sso;
mod upstreams;
mod used_by;
mod versions;

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use entrepot_core::{Account, Action, Actor, Package, PackageType};
use entrepot_http::AppState;
use entrepot_http::format::human_size;
use entrepot_service::ServiceError;
use entrepot_store::{PackageSearch, SearchOrder, SearchPage};
use minijinja::{Environment, context};
use serde::Serialize;

use crate::session::Viewer;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/search", get(search))
        .route("/static/style.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .merge(identity_routes())
        .merge(manage::routes())
        .route(
            "/orgs/{owner}/invitation",
            get(members::invitation).post(members::answer),
        )
        .route(
            "/settings/tokens",
            get(account::tokens).post(account::create_token),
        )
        .route("/settings/tokens/{id}/revoke", post(account::revoke_token))
        .route(
            "/settings/profile",
            get(profile::page).post(profile::change),
        )
        .route("/advisories/{ghsa_id}", get(advisories::advisory_page))
        .route("/admin/sign-in-locks", get(locks::page).post(locks::lift))
        .route("/admin/users", get(people::page).post(people::act))
        .route(
            "/admin/organizations",
            get(site_admin::organizations).post(site_admin::create_org),
        )
        .route("/admin/repositories", get(site_admin::repositories))
        .route(
            "/admin/sign-in-providers",
            get(sign_in_providers::page).post(sign_in_providers::act),
        )
        .route("/admin/storage", get(site_admin::storage))
        .route(
            "/admin/settings",
            get(site_admin::settings).post(site_admin::change_settings),
        )
        .route(
            "/admin/users/{login}/delete",
            get(people::confirm).post(people::delete),
        )
        .route(
            "/admin/upstreams",
            get(upstreams::page).post(upstreams::act),
        )
        .route(
            "/settings/fallthrough",
            get(fallthrough::page).post(fallthrough::change),
        )
        .route(
            "/settings/cleanup",
            get(cleanup::page).post(cleanup::change),
        )
        .route("/notifications", get(notifications::notifications_page))
        .route("/notifications/read", post(notifications::mark_all_read))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/notifications/subscriptions", post(notifications::watch))
        .route(
            "/notifications/subscriptions/{id}/delete",
            post(notifications::unwatch),
        )
        .route("/new", get(repos::new_form).post(repos::create))
        .route(
            "/{owner}/{repo}/settings",
            get(repos::settings).post(repos::change),
        )
        .route("/{owner}", get(owner_page))
        .route("/{owner}/{repo}", get(api_links::repository))
        .route("/avatars/{login}", get(api_links::avatar))
        .route("/advisories", get(api_links::advisories))
        .route("/orgs/{owner}/packages", get(api_links::owner_packages))
        .route("/users/{owner}/packages", get(api_links::owner_packages))
        .route("/{owner}/{repo}/packages", get(repository_page))
        .route(
            "/users/{owner}/packages/{package_type}/package/{*name}",
            get(package_page::package_page),
        )
        .route(
            "/orgs/{owner}/packages/{package_type}/package/{*name}",
            get(package_page::package_page),
        )
        // GitHub's settings URL: `…/packages/TYPE/NAME/settings`.
        .route(
            "/users/{owner}/packages/{package_type}/{*rest}",
            get(settings::show).post(settings::change),
        )
        .route(
            "/orgs/{owner}/packages/{package_type}/{*rest}",
            get(settings::show).post(settings::change),
        )
        // Every form here is a few fields: none is read past this.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM_BYTES))
}

/// Signing in and up, passwords, organizations' people and their single
/// sign-on.
fn identity_routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/login/oidc/{provider}", get(external::begin))
        .route("/login/oidc/{provider}/callback", get(external::callback))
        .route(
            "/settings/profile/connect/{provider}",
            get(external::connect),
        )
        .route("/signup", get(signup::form).post(signup::create))
        .route("/password-reset", get(reset::ask).post(reset::send))
        .route("/verify-email/{secret}", get(reset::verify))
        .route(
            "/password-reset/{secret}",
            get(reset::form).post(reset::set),
        )
        .route(
            "/organizations/new",
            get(signup::org_form).post(signup::create_org),
        )
        .route(
            "/orgs/{owner}/people",
            get(members::page).post(members::act),
        )
        .route("/orgs/{owner}/sso", get(sso::page).post(sso::act))
        .route("/orgs/{owner}/sso/begin", get(sso::begin))
        .route("/orgs/{owner}/saml/consume", post(saml::consume))
        .route("/orgs/{owner}/saml/complete", get(saml::complete))
        .route("/orgs/{owner}/saml/metadata", get(saml::metadata))
        .route("/settings/tokens/{id}/sso", post(sso::authorize_token))
}

/// The largest form body a page accepts.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Each template's file name and its text, compiled in.
macro_rules! compiled_in {
    ($($name:literal,)*) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),*]
    };
}

/// The pages' templates.
static TEMPLATES: &[(&str, &str)] = compiled_in![
    "base.html",
    "package.html",
    "list.html",
    "login.html",
    "tokens.html",
    "settings.html",
    "message.html",
    "sign_in_failed.html",
    "advisory.html",
    "locks.html",
    "people.html",
    "profile.html",
    "signup.html",
    "reset.html",
    "org_new.html",
    "members.html",
    "sso.html",
    "versions.html",
    "advisories.html",
    "repo_new.html",
    "admin_orgs.html",
    "admin_nav.html",
    "admin_providers.html",
    "provider_fields.html",
    "admin_repos.html",
    "admin_storage.html",
    "admin_settings.html",
    "repo_settings.html",
    "invitation.html",
    "people_delete.html",
    "upstreams.html",
    "fallthrough.html",
    "cleanup.html",
    "notifications.html",
    "hooks.html",
    "hook.html",
    "hook_delete.html",
    "hook_delivery.html",
    "advisories_manage.html",
    "advisory_edit.html",
];

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // HTML-escape what must be escaped, but leave `/` alone (names
        // like `@owner/name` stay readable and searchable in the source).
        env.set_formatter(|out, _state, value| {
            if value.is_safe() {
                write!(out, "{value}")
                    .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure))
            } else {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                out.write_str(&escape_html(&text))
                    .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure))
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("templates parse");
        }
        env
    })
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Renders a page for `viewer` (who is signed in, and the CSRF token of
/// their forms, go into every page's header).
fn page_with_status(
    status: StatusCode,
    viewer: &Viewer,
    template: &str,
    ctx: minijinja::Value,
) -> Response {
    // "Sign in" comes back here (not to the sign-in pages themselves).
    // Nor to pages whose URL holds a secret.
    let secret_or_sign_in = ["/login", "/signup", "/password-reset", "/verify-email"];
    let sign_in =
        if viewer.here == "/" || secret_or_sign_in.iter().any(|p| viewer.here.starts_with(p)) {
            "/login".to_owned()
        } else {
            format!("/login?return_to={}", urlencode(&viewer.here))
        };
    let ctx = context! { viewer => viewer.login(), csrf => viewer.csrf, sign_in => sign_in, ..ctx };
    match templates()
        .get_template(template)
        .and_then(|t| t.render(ctx))
    {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            let headers = response.headers_mut();
            // Pages differ by viewer and carry form tokens: never cached
            // by anyone, never framed by another site.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                     form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            );
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            );
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            );
            response
        }
        Err(e) => server_error(&ServiceError::Internal(e.to_string())),
    }
}

fn page(viewer: &Viewer, template: &str, ctx: minijinja::Value) -> Response {
    page_with_status(StatusCode::OK, viewer, template, ctx)
}

/// An error page for what the service refused: its own status (a full
/// disk is 507, not 500) and the message a client may see.
fn server_error(e: &ServiceError) -> Response {
    // Behind an organization's single sign-on: its page signs the browser on.
    if let ServiceError::SsoRequired { org, .. } = e {
        return Redirect::to(&format!("/orgs/{org}/sso")).into_response();
    }
    let message = entrepot_http::error::public_message(e);
    (entrepot_http::error::status_of(e), message).into_response()
}

/// The answer to a form whose CSRF token is missing or stale.
fn form_expired() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "This form expired; please try again.",
    )
        .into_response()
}

fn not_found(viewer: &Viewer) -> Response {
    let message = if viewer.login().is_some() {
        "There is nothing here."
    } else {
        "There is nothing here, or you need to sign in to see it."
    };
    page_with_status(
        StatusCode::NOT_FOUND,
        viewer,
        "message.html",
        context! { heading => "404: not found", message => message },
    )
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("templates/style.css"),
    )
        .into_response()
}

/// The pages' few lines of progressive enhancement (copy buttons, the
/// theme switch, relative times); every page works without them.
async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("templates/app.js"),
    )
        .into_response()
}

/// `users` or `orgs`, as the owner's pages are addressed.
pub(crate) fn owner_segment(owner: &Account) -> &'static str {
    owner.kind.url_segment()
}

/// The path of a package's page, as INTERFACE.md names it.
pub fn package_path(owner: &Account, package: &Package) -> String {
    let segment = owner_segment(owner);
    format!(
        "/{segment}/{}/packages/{}/package/{}",
        owner.login, package.package_type, package.name
    )
}

/// The path of a package's settings page (GitHub's: no `/package/`).
pub fn settings_path(owner: &Account, package: &Package) -> String {
    let segment = owner_segment(owner);
    format!(
        "/{segment}/{}/packages/{}/{}/settings",
        owner.login, package.package_type, package.name
    )
}

/// The name clients know a package by, as its format writes it.
pub(crate) fn display_name(state: &AppState, package: &Package) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| package.name.clone(), |f| f.full_name(package))
}

fn day(t: &chrono::DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

#[derive(Serialize)]
struct ListRow {
    url: String,
    display_name: String,
    /// Cached from an upstream registry (its owner).
    cached: bool,
    r#type: &'static str,
    visibility: &'static str,
    description: Option<String>,
    updated: String,
    updated_iso: String,
    downloads: i64,
}

const PER_PAGE: usize = 30;

/// The packages a list page holds before its query narrows them: an
/// owner's, a repository's, or the whole instance's.
#[derive(Default)]
struct ListScope {
    owner_id: Option<entrepot_core::Id>,
    repository_id: Option<entrepot_core::Id>,
}

/// The rows of a list page for what a search found.
async fn list_rows(
    state: &AppState,
    actor: &Actor,
    found: Vec<entrepot_store::Found>,
) -> Result<Vec<ListRow>, ServiceError> {
    let mut owners: HashMap<entrepot_core::Id, Account> = HashMap::new();
    let mut shown = Vec::new();
    for row in found {
        let package = row.package;
        // The store's filter is the rule written in SQL; the rule itself
        // has the last word on each row shown.
        if !state.registry.can_read(actor, &package).await? {
            tracing::warn!(
                package = package.id,
                "search found a package its reader may not read"
            );
            continue;
        }
        let owner = if let Some(owner) = owners.get(&package.owner_id) {
            owner.clone()
        } else {
            let Some(owner) = state
                .registry
                .accounts()
                .account_by_id(package.owner_id)
                .await?
            else {
                continue;
            };
            owners.insert(owner.id, owner.clone());
            owner
        };
        shown.push(ListRow {
            url: package_path(&owner, &package),
            display_name: display_name(state, &package),
            cached: package.owner_is_upstream,
            r#type: package.package_type.as_str(),
            visibility: row.visibility.as_str(),
            description: package.description.clone(),
            updated: day(&package.updated_at),
            updated_iso: package.updated_at.to_rfc3339(),
            downloads: row.downloads,
        });
    }
    Ok(shown)
}

/// A list page's heading, and the links its viewer may follow from it
/// (label, path): an organization's people and single sign-on for its
/// members, a new repository for whoever may create one here, a
/// repository's settings for its admins.
struct Heading {
    text: String,
    links: Vec<(&'static str, String)>,
}

impl From<String> for Heading {
    fn from(text: String) -> Self {
        Self {
            text,
            links: Vec::new(),
        }
    }
}

/// The types a list filters by: `docker`, the legacy name of
/// `container`, is one entry with it.
fn filter_types() -> Vec<&'static str> {
    PackageType::ALL
        .iter()
        .filter(|t| **t != PackageType::Docker)
        .map(|t| t.as_str())
        .collect()
}

/// Renders a list of packages the viewer may see, filtered, searched,
/// sorted and paged in SQL by the query.
async fn list(
    state: &AppState,
    viewer: &Viewer,
    heading: Heading,
    within: ListScope,
    query: &HashMap<String, String>,
    base_path: &str,
    deleted: Vec<DeletedPackage>,
) -> Result<Response, ServiceError> {
    let actor = &viewer.actor;
    let wanted_type = query.get("type").filter(|t| !t.is_empty()).cloned();
    let wanted_visibility = query.get("visibility").filter(|v| !v.is_empty()).cloned();
    let text = query
        .get("q")
        .map(|q| q.trim().to_owned())
        .unwrap_or_default();
    let sort = query
        .get("sort")
        .filter(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            if text.is_empty() {
                "newest"
            } else {
                "relevance"
            }
            .into()
        });
    let order = match sort.as_str() {
        "downloads" => SearchOrder::Downloads,
        "name" => SearchOrder::Name,
        "relevance" => SearchOrder::Relevance,
        _ => SearchOrder::Updated,
    };
    // A filter no package can meet finds nothing, not everything.
    let package_type = wanted_type
        .as_deref()
        .map(str::parse::<entrepot_core::PackageType>);
    let visibility = wanted_visibility
        .as_deref()
        .map(str::parse::<entrepot_core::Visibility>);
    let impossible = matches!(package_type, Some(Err(_))) || matches!(visibility, Some(Err(_)));
    let mut search = PackageSearch {
        text,
        owner_id: within.owner_id,
        repository_id: within.repository_id,
        package_type: package_type.and_then(Result::ok),
        visibility: visibility.and_then(Result::ok),
        order,
        offset: 0,
        limit: PER_PAGE as u64,
        ..PackageSearch::default()
    };
    // A page number past any list's end is the last page, found below.
    let wanted_page = query
        .get("page")
        .and_then(|p| p.parse::<u32>().ok())
        .map_or(1, |p| usize::try_from(p).unwrap_or(usize::MAX))
        .max(1);
    search.offset = ((wanted_page - 1) as u64).saturating_mul(PER_PAGE as u64);
    let packages = state.registry.packages();
    let mut found = if impossible {
        SearchPage::default()
    } else {
        packages.search(actor, search.clone()).await?
    };
    let pages = usize::try_from(found.total)
        .unwrap_or(usize::MAX)
        .div_ceil(PER_PAGE)
        .max(1);
    // Past the last page: the last page.
    let page_no = wanted_page.min(pages);
    if page_no != wanted_page && !impossible {
        search.offset = ((page_no - 1) as u64).saturating_mul(PER_PAGE as u64);
        found = packages.search(actor, search).await?;
    }
    let shown = list_rows(state, actor, found.found).await?;
    let link = |n: usize| {
        let mut params: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect();
        params.sort();
        params.push(format!("page={n}"));
        format!("{base_path}?{}", params.join("&"))
    };
    Ok(page(
        viewer,
        "list.html",
        context! {
            deleted => deleted,
            heading => heading.text,
            links => heading.links,
            packages => shown,
            types => filter_types(),
            type => wanted_type,
            visibility => wanted_visibility,
            query => query.get("q").cloned().unwrap_or_default(),
            sort => sort,
            total => found.total,
            // A search by words reads only as far as its page needs.
            at_least => found.at_least,
            page => page_no,
            pages => pages,
            prev => (page_no > 1).then(|| link(page_no - 1)),
            next => (page_no < pages).then(|| link(page_no + 1)),
        },
    ))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn or_error(result: Result<Response, ServiceError>) -> Response {
    result.unwrap_or_else(|e| server_error(&e))
}

/// A deleted package its viewer may still restore, for the owner page.
#[derive(Serialize)]
struct DeletedPackage {
    display_name: String,
    r#type: &'static str,
    deleted: String,
    settings: String,
}

/// Of an owner's deleted packages, those the viewer may still restore.
async fn restorable(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    deleted: Vec<Package>,
) -> Result<Vec<DeletedPackage>, ServiceError> {
    if actor.user_id().is_none() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let mut out = Vec::new();
    for package in deleted {
        let Some(at) = package.deleted_at else {
            continue;
        };
        if now - at > state.registry.limits.retention
            || state
                .registry
                .authorize_package(actor, Action::Restore, &package)
                .await
                .is_err()
        {
            continue;
        }
        out.push(DeletedPackage {
            display_name: display_name(state, &package),
            r#type: package.package_type.as_str(),
            deleted: day(&at),
            settings: settings_path(owner, &package),
        });
    }
    Ok(out)
}

async fn owner_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(owner): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !entrepot_core::names::is_valid_login(&owner) {
        return not_found(&viewer);
    }
    let account = match state.registry.accounts().account_by_login(&owner).await {
        Ok(Some(a)) => a,
        Ok(None) => return not_found(&viewer),
        Err(e) => return or_error(Err(e)),
    };
    // The deleted packages, offered for restore to those who may; the
    // live ones are searched for the list itself.
    let deleted = if viewer.actor.user_id().is_some() {
        let filter = entrepot_store::PackageFilter {
            owner_id: Some(account.id),
            only_deleted: true,
            ..Default::default()
        };
        match state.registry.packages().list_packages(filter).await {
            Ok(deleted) => deleted,
            Err(e) => return or_error(Err(e)),
        }
    } else {
        Vec::new()
    };
    let deleted = match restorable(&state, &viewer.actor, &account, deleted).await {
        Ok(d) => d,
        Err(e) => return server_error(&e),
    };
    let path = format!("/{}", account.login);
    let mut links = Vec::new();
    let member = account.kind == entrepot_core::AccountKind::Organization
        && state
            .registry
            .accounts()
            .members_as(&viewer.actor, &account.login)
            .await
            .is_ok_and(|m| {
                m.iter()
                    .any(|(a, _)| Some(a.login.as_str()) == viewer.login())
            });
    if member {
        links.push(("People", format!("/orgs/{}/people", account.login)));
        links.push(("Single sign-on", format!("/orgs/{}/sso", account.login)));
    }
    if member || viewer.login() == Some(account.login.as_str()) {
        links.push(("New repository", format!("/new?owner={}", account.login)));
    }
    let heading = Heading {
        text: format!("{}'s packages", account.login),
        links,
    };
    let within = ListScope {
        owner_id: Some(account.id),
        ..ListScope::default()
    };
    or_error(list(&state, &viewer, heading, within, &query, &path, deleted).await)
}

pub(crate) async fn repository_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let actor = &viewer.actor;
    let Ok(repository) = state
        .registry
        .accounts()
        .repository(&format!("{owner}/{repo}"))
        .await
    else {
        return not_found(&viewer);
    };
    // A private repository is there only for those with a role on it.
    if repository.visibility != entrepot_core::Visibility::Public {
        let role = state.registry.repository_role(actor, &repository).await;
        let internal_ok = repository.visibility == entrepot_core::Visibility::Internal
            && actor.user_id().is_some();
        if !internal_ok && !matches!(role, Ok(Some(_))) {
            return not_found(&viewer);
        }
    }
    let path = format!("/{}/packages", repository.full_name());
    let mut heading = Heading::from(format!("Packages of {}", repository.full_name()));
    if let Ok(Some(entrepot_core::Role::Admin)) =
        state.registry.repository_role(actor, &repository).await
    {
        heading
            .links
            .push(("Settings", format!("/{}/settings", repository.full_name())));
    }
    or_error(
        list(
            &state,
            &viewer,
            heading,
            ListScope {
                repository_id: Some(repository.id),
                ..ListScope::default()
            },
            &query,
            &path,
            Vec::new(),
        )
        .await,
    )
}

async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let heading = match query.get("q").filter(|q| !q.is_empty()) {
        Some(q) => format!("Packages matching “{q}”"),
        None => "All packages".to_owned(),
    };
    or_error(
        list(
            &state,
            &viewer,
            heading.into(),
            ListScope::default(),
            &query,
            "/search",
            Vec::new(),
        )
        .await,
    )
}

async fn home(
    state: State<AppState>,
    viewer: Viewer,
    query: Query<HashMap<String, String>>,
) -> Response {
    search(state, viewer, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_but_names_stay_readable() {
        assert_eq!(
            escape_html("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_html("@alice/hello"), "@alice/hello");
        let rendered = templates()
            .get_template("list.html")
            .unwrap()
            .render(context! { heading => "<b>owner</b>", packages => Vec::<ListRow>::new(), pages => 1, page => 1 })
            .unwrap();
        assert!(rendered.contains("&lt;b&gt;owner&lt;/b&gt;"));
    }
}

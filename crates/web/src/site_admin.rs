//! The site administrators' pages beside `/admin/users`: organizations
//! (`/admin/organizations`: listed with their members, created with an
//! owner), repositories (`/admin/repositories`, each linked to its
//! settings, which site administrators may use) and storage
//! (`/admin/storage`: the accounts using the most) and the instance's
//! account rules (`/admin/settings`: open sign-up, organizations made by
//! users). Anyone else finds nothing there.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::AccountKind;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error};

/// Nothing here for anyone but a site administrator.
fn refused(viewer: &Viewer, e: &ServiceError) -> Response {
    match e {
        ServiceError::NotFound(_) | ServiceError::Unauthenticated | ServiceError::Forbidden(_) => {
            not_found(viewer)
        }
        other => server_error(other),
    }
}

#[derive(Serialize)]
struct OrgRow {
    login: String,
    members: usize,
    owners: Vec<String>,
    created: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct OrgQuery {
    since: Option<i64>,
    done: Option<String>,
}

/// `GET /admin/organizations[?since=ID]`.
pub(crate) async fn organizations(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<OrgQuery>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/organizations");
    }
    let notice = query
        .done
        .as_deref()
        .filter(|l| entrepot_core::names::is_valid_login(l))
        .map(|l| format!("Created {l}."));
    render_orgs(
        &state,
        &viewer,
        query.since.unwrap_or(0),
        StatusCode::OK,
        notice.as_deref(),
        None,
    )
    .await
}

async fn render_orgs(
    state: &AppState,
    viewer: &Viewer,
    since: i64,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let accounts = state.registry.accounts();
    let page = entrepot_service::administration::MAX_PAGE;
    let orgs = match accounts
        .list_as(&viewer.actor, AccountKind::Organization, since, page)
        .await
    {
        Ok(orgs) => orgs,
        Err(e) => return refused(viewer, &e),
    };
    let next = (orgs.len() == page as usize)
        .then(|| orgs.last().map(|o| o.id))
        .flatten();
    let mut rows = Vec::new();
    for org in orgs {
        let members = match accounts.members_as(&viewer.actor, &org.login).await {
            Ok(m) => m,
            Err(e) => return server_error(&e),
        };
        rows.push(OrgRow {
            owners: members
                .iter()
                .filter(|(_, r)| *r == entrepot_core::OrgRole::Owner)
                .map(|(a, _)| a.login.clone())
                .collect(),
            members: members.len(),
            created: org.created_at.format("%Y-%m-%d").to_string(),
            login: org.login,
        });
    }
    page_with_status(
        status,
        viewer,
        "admin_orgs.html",
        context! { orgs => rows, next => next, notice => notice, error => error },
    )
}

#[derive(Deserialize)]
pub(crate) struct NewOrgForm {
    csrf: Option<String>,
    login: String,
    owner: String,
}

/// `POST /admin/organizations`: creates one owned by `owner`.
pub(crate) async fn create_org(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewOrgForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/organizations");
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    match state
        .registry
        .accounts()
        .create_org_as(&viewer.actor, form.login.trim(), form.owner.trim())
        .await
    {
        Ok(org) => {
            Redirect::to(&format!("/admin/organizations?done={}", org.login)).into_response()
        }
        Err(ServiceError::Invalid(m) | ServiceError::Conflict(m) | ServiceError::NotFound(m))
            if viewer.actor.is_site_admin() =>
        {
            render_orgs(
                &state,
                &viewer,
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&m),
            )
            .await
        }
        Err(e) => refused(&viewer, &e),
    }
}

#[derive(Serialize)]
struct RepoRow {
    full_name: String,
    visibility: String,
    description: Option<String>,
    created: String,
}

/// `GET /admin/repositories`.
pub(crate) async fn repositories(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/repositories");
    }
    let repos = match state
        .registry
        .accounts()
        .repositories_as(&viewer.actor, None)
        .await
    {
        Ok(r) => r,
        Err(e) => return refused(&viewer, &e),
    };
    let rows: Vec<RepoRow> = repos
        .into_iter()
        .map(|r| RepoRow {
            full_name: r.full_name(),
            visibility: r.visibility.to_string(),
            description: r.description,
            created: r.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    page_with_status(
        StatusCode::OK,
        &viewer,
        "admin_repos.html",
        context! { repos => rows },
    )
}

#[derive(Serialize)]
struct UsageRow {
    login: String,
    organization: bool,
    packages: u64,
    size: String,
    bytes: u64,
}

/// `GET /admin/storage`: the 100 accounts using the most.
pub(crate) async fn storage(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/storage");
    }
    let usage = match state
        .registry
        .accounts()
        .storage_as(&viewer.actor, 100)
        .await
    {
        Ok(u) => u,
        Err(e) => return refused(&viewer, &e),
    };
    let total: u64 = usage.iter().map(|u| u.bytes).sum();
    let rows: Vec<UsageRow> = usage
        .into_iter()
        .map(|u| UsageRow {
            organization: u.account.kind == AccountKind::Organization,
            login: u.account.login,
            packages: u.packages,
            size: entrepot_service::quota::size_text(u.bytes),
            bytes: u.bytes,
        })
        .collect();
    page_with_status(
        StatusCode::OK,
        &viewer,
        "admin_storage.html",
        context! { usage => rows, total => entrepot_service::quota::size_text(total) },
    )
}

/// `GET /admin/settings`.
pub(crate) async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<OrgQuery>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/settings");
    }
    if !viewer.actor.is_site_admin() {
        return not_found(&viewer);
    }
    let accounts = state.registry.accounts();
    let policy = match accounts.account_policy().await {
        Ok(p) => p,
        Err(e) => return server_error(&e),
    };
    let configured = state.registry.limits.accounts;
    page_with_status(
        StatusCode::OK,
        &viewer,
        "admin_settings.html",
        context! {
            open_sign_up => policy.open_sign_up,
            users_create_orgs => policy.users_create_orgs,
            configured_open_sign_up => configured.open_sign_up,
            configured_users_create_orgs => configured.users_create_orgs,
            saved => query.done.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    csrf: Option<String>,
    /// `save` or `reset` (back to the configuration's).
    action: String,
    open_sign_up: Option<String>,
    users_create_orgs: Option<String>,
}

/// `POST /admin/settings`.
pub(crate) async fn change_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SettingsForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/admin/settings");
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let policy = (form.action == "save").then(|| entrepot_service::signup::AccountPolicy {
        open_sign_up: form.open_sign_up.is_some(),
        users_create_orgs: form.users_create_orgs.is_some(),
    });
    match state
        .registry
        .accounts()
        .set_account_policy_as(&viewer.actor, policy)
        .await
    {
        Ok(_) => Redirect::to("/admin/settings?done=saved").into_response(),
        Err(e) => refused(&viewer, &e),
    }
}

//! Repositories in the pages: `/new` creates one under oneself or an
//! organization one belongs to; `/{owner}/{repo}/settings` (its admins)
//! changes its description, visibility and code URL, manages its
//! collaborators, and deletes it after saying what becomes of its
//! packages and asking for its name.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::{RegistryKind, Role, Visibility};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::repositories::RepositoryRequest;
use entrepot_store::RepositoryChanges;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{form_expired, not_found, page_with_status, server_error};

#[derive(Deserialize, Default)]
pub(crate) struct NewForm {
    csrf: Option<String>,
    owner: Option<String>,
    name: Option<String>,
    description: Option<String>,
    visibility: Option<String>,
    code_url: Option<String>,
}

async fn new_page(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    form: &NewForm,
    error: Option<&str>,
) -> Response {
    let orgs = match state.registry.accounts().my_orgs(&viewer.actor).await {
        Ok(orgs) => orgs.into_iter().map(|(o, _)| o.login).collect::<Vec<_>>(),
        Err(e) => return server_error(&e),
    };
    page_with_status(
        status,
        viewer,
        "repo_new.html",
        context! {
            orgs => orgs,
            owner => form.owner,
            name => form.name,
            description => form.description,
            visibility => form.visibility.as_deref().unwrap_or("public"),
            code_url => form.code_url,
            error => error,
        },
    )
}

/// `GET /new[?owner=ORG]`.
pub(crate) async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(form): Query<NewForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/new");
    }
    new_page(&state, &viewer, StatusCode::OK, &form, None).await
}

fn visibility_of(text: Option<&str>) -> Option<Visibility> {
    text.and_then(|v| v.parse().ok())
}

/// `POST /new`.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<NewForm>,
) -> Response {
    let Some(me) = viewer.login().filter(|_| viewer.session.is_some()) else {
        return sign_in_redirect("/new");
    };
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let owner = form
        .owner
        .as_deref()
        .filter(|o| !o.eq_ignore_ascii_case(me) && !o.is_empty());
    let request = RepositoryRequest {
        name: form.name.clone().unwrap_or_default().trim().to_owned(),
        visibility: visibility_of(form.visibility.as_deref()),
        description: form.description.clone(),
        code_url: form.code_url.clone(),
    };
    match state
        .registry
        .accounts()
        .create_repository_as(&viewer.actor, owner, request)
        .await
    {
        Ok(repository) => {
            Redirect::to(&format!("/{}/settings", repository.full_name())).into_response()
        }
        Err(
            ServiceError::Invalid(m)
            | ServiceError::Conflict(m)
            | ServiceError::Forbidden(m)
            | ServiceError::NotFound(m),
        ) => {
            new_page(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                &form,
                Some(&m),
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

#[derive(Serialize)]
struct CollaboratorRow {
    login: String,
    role: &'static str,
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Read => "read",
        Role::Write => "write",
        Role::Admin => "admin",
    }
}

#[derive(Deserialize)]
pub(crate) struct SettingsQuery {
    done: Option<String>,
}

/// `GET /{owner}/{repo}/settings`.
pub(crate) async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<SettingsQuery>,
) -> Response {
    let full_name = format!("{owner}/{repo}");
    if viewer.session.is_none() {
        return sign_in_redirect(&format!("/{full_name}/settings"));
    }
    let notice = match query.done.as_deref() {
        Some("saved") => Some("Saved."),
        Some("collaborators") => Some("Collaborators updated."),
        _ => None,
    };
    render(&state, &viewer, &full_name, StatusCode::OK, notice, None).await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    full_name: &str,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let accounts = state.registry.accounts();
    let (repository, packages) = match accounts
        .repository_packages_as(&viewer.actor, full_name)
        .await
    {
        Ok(found) => found,
        // Who may see it but not administer it is told so; others see nothing.
        Err(ServiceError::Forbidden(m)) => {
            return page_with_status(
                StatusCode::FORBIDDEN,
                viewer,
                "message.html",
                context! { heading => "403: forbidden", message => m },
            );
        }
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => return not_found(viewer),
        Err(e) => return server_error(&e),
    };
    let collaborators: Vec<CollaboratorRow> =
        match accounts.collaborators_as(&viewer.actor, full_name).await {
            Ok(found) => found
                .into_iter()
                .map(|(a, role)| CollaboratorRow {
                    login: a.login,
                    role: role_name(role),
                })
                .collect(),
            Err(e) => return server_error(&e),
        };
    let (living_in, connected): (Vec<_>, Vec<_>) = packages
        .iter()
        .partition(|p| p.package_type.registry_kind() == RegistryKind::RepositoryScoped);
    let names = |list: &[&entrepot_core::Package]| {
        list.iter()
            .map(|p| format!("{} {}", p.package_type.as_str(), p.name))
            .collect::<Vec<_>>()
    };
    let owner_is_org = state
        .registry
        .accounts()
        .account(&repository.owner_login)
        .await
        .is_ok_and(|a| a.kind == entrepot_core::AccountKind::Organization);
    page_with_status(
        status,
        viewer,
        "repo_settings.html",
        context! {
            full_name => repository.full_name(),
            description => repository.description,
            visibility => repository.visibility.to_string(),
            code_url => repository.code_url,
            archived => repository.archived_at.map(|a| a.format("%Y-%m-%d").to_string()),
            owner_is_org => owner_is_org,
            collaborators => collaborators,
            connected => names(&connected),
            living_in => names(&living_in),
            notice => notice,
            error => error,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct SettingsForm {
    csrf: Option<String>,
    /// `update`, `collaborator`, `remove-collaborator` or `delete`.
    action: String,
    description: Option<String>,
    visibility: Option<String>,
    code_url: Option<String>,
    login: Option<String>,
    role: Option<String>,
    /// The repository's full name, typed to confirm a deletion.
    confirm: Option<String>,
}

/// `POST /{owner}/{repo}/settings`.
pub(crate) async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((owner, repo)): Path<(String, String)>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let full_name = format!("{owner}/{repo}");
    if viewer.session.is_none() {
        return sign_in_redirect(&format!("/{full_name}/settings"));
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let accounts = state.registry.accounts();
    let actor = &viewer.actor;
    let login = form.login.as_deref().unwrap_or_default().trim();
    let done = match form.action.as_str() {
        "update" => accounts
            .update_repository_as(
                actor,
                &full_name,
                RepositoryChanges {
                    visibility: visibility_of(form.visibility.as_deref()),
                    description: Some(form.description.clone().filter(|d| !d.trim().is_empty())),
                    code_url: Some(form.code_url.clone()),
                    archived: None,
                },
            )
            .await
            .map(|_| "saved"),
        "collaborator" => {
            let role = match form.role.as_deref() {
                Some("admin") => Role::Admin,
                Some("write") => Role::Write,
                _ => Role::Read,
            };
            accounts
                .set_collaborator_as(actor, &full_name, login, role)
                .await
                .map(|()| "collaborators")
        }
        "archive" | "unarchive" => accounts
            .update_repository_as(
                actor,
                &full_name,
                RepositoryChanges {
                    archived: Some(form.action == "archive"),
                    ..RepositoryChanges::default()
                },
            )
            .await
            .map(|_| "saved"),
        "remove-collaborator" => accounts
            .remove_collaborator_as(actor, &full_name, login)
            .await
            .map(|()| "collaborators"),
        "delete" => {
            if form.confirm.as_deref().map(str::trim) == Some(full_name.as_str()) {
                return match accounts.delete_repository_as(actor, &full_name).await {
                    Ok(_) => Redirect::to(&format!("/{owner}")).into_response(),
                    Err(e) => refusal(&state, &viewer, &full_name, &e).await,
                };
            }
            Err(ServiceError::Invalid(format!(
                "type `{full_name}` to delete it"
            )))
        }
        _ => Err(ServiceError::Invalid("no such action".into())),
    };
    match done {
        Ok(done) => Redirect::to(&format!("/{full_name}/settings?done={done}")).into_response(),
        Err(e) => refusal(&state, &viewer, &full_name, &e).await,
    }
}

async fn refusal(state: &AppState, viewer: &Viewer, full_name: &str, e: &ServiceError) -> Response {
    match e {
        ServiceError::Invalid(m)
        | ServiceError::Conflict(m)
        | ServiceError::NotFound(m)
        | ServiceError::Forbidden(m) => {
            render(
                state,
                viewer,
                full_name,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(m),
            )
            .await
        }
        other => server_error(other),
    }
}

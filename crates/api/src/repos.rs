//! Repositories in GitHub's REST shapes, for their owners: creating one
//! (`POST /user/repos`, `POST /orgs/{org}/repos`), reading, changing and
//! deleting it (`/repos/{owner}/{repo}`), and its collaborators
//! (`/repos/{owner}/{repo}/collaborators[/{username}]`). Entrepot keeps a
//! repository as a record that packages connect to; `code_url` (an
//! Entrepot extension, also read from GitHub's `homepage`) says where its
//! code lives on a forge, and is the repository's `html_url`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use entrepot_core::{Actor, Repository, Role, Visibility};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::repositories::RepositoryRequest;
use entrepot_store::RepositoryChanges;
use serde::{Deserialize, Serialize};

use crate::model::repository::MinimalRepository;
use crate::model::user::SimpleUser;
use crate::shared::{UnprocessableResult, body_of, unprocessable};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user/repos", post(create_mine))
        .route("/orgs/{org}/repos", post(create_in_org))
        .route(
            "/repos/{owner}/{repo}",
            get(show).patch(update).delete(remove),
        )
        .route("/repos/{owner}/{repo}/collaborators", get(collaborators))
        .route(
            "/repos/{owner}/{repo}/collaborators/{username}",
            put(add_collaborator).delete(remove_collaborator),
        )
}

/// GitHub's `permissions` of a repository, for the caller.
#[derive(Debug, Serialize)]
#[expect(clippy::struct_excessive_bools, reason = "GitHub's shape")]
struct Permissions {
    admin: bool,
    maintain: bool,
    push: bool,
    triage: bool,
    pull: bool,
}

impl Permissions {
    fn of(role: Option<Role>, visible: bool) -> Self {
        let at_least = |r: Role| role.is_some_and(|have| have >= r);
        Permissions {
            admin: at_least(Role::Admin),
            maintain: at_least(Role::Admin),
            push: at_least(Role::Write),
            triage: at_least(Role::Read),
            pull: visible,
        }
    }
}

/// A repository as these endpoints answer it: GitHub's minimal shape,
/// with the caller's permissions and where its code lives.
#[derive(Debug, Serialize)]
struct RepositoryView {
    #[serde(flatten)]
    repository: MinimalRepository,
    homepage: Option<String>,
    code_url: Option<String>,
    archived: bool,
    disabled: bool,
    permissions: Permissions,
}

async fn view(
    state: &AppState,
    actor: &Actor,
    repository: &Repository,
) -> Result<RepositoryView, ApiError> {
    let owner = state
        .registry
        .accounts()
        .account(&repository.owner_login)
        .await?;
    let role = state.registry.repository_role(actor, repository).await?;
    let mut minimal = MinimalRepository::new(&state.config, repository, &owner);
    if let Some(url) = &repository.code_url {
        minimal.html_url.clone_from(url);
    }
    Ok(RepositoryView {
        repository: minimal,
        homepage: repository.code_url.clone(),
        code_url: repository.code_url.clone(),
        archived: repository.archived_at.is_some(),
        disabled: false,
        permissions: Permissions::of(role, true),
    })
}

/// What creating a repository takes, as GitHub names it.
#[derive(Debug, Default, Deserialize)]
struct CreateBody {
    name: Option<String>,
    description: Option<String>,
    private: Option<bool>,
    visibility: Option<String>,
    homepage: Option<String>,
    code_url: Option<String>,
}

fn visibility_of(
    private: Option<bool>,
    visibility: Option<&str>,
) -> Result<Option<Visibility>, crate::shared::UnprocessableError> {
    match (visibility, private) {
        (Some(v), _) => v
            .parse()
            .map(Some)
            .map_err(|_| unprocessable("`visibility` is public, private or internal")),
        (None, Some(true)) => Ok(Some(Visibility::Private)),
        (None, Some(false)) => Ok(Some(Visibility::Public)),
        (None, None) => Ok(None),
    }
}

async fn create(
    state: &AppState,
    actor: &Actor,
    owner: Option<&str>,
    body: &axum::body::Bytes,
) -> UnprocessableResult<(StatusCode, Json<RepositoryView>)> {
    let body: CreateBody = body_of(body)?;
    let Some(name) = body.name else {
        return Err(unprocessable("give the repository's `name`"));
    };
    let request = RepositoryRequest {
        name,
        visibility: visibility_of(body.private, body.visibility.as_deref())?,
        description: body.description,
        code_url: body.code_url.or(body.homepage),
    };
    let repository = state
        .registry
        .accounts()
        .create_repository_as(actor, owner, request)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(view(state, actor, &repository).await?),
    ))
}

async fn create_mine(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> UnprocessableResult<(StatusCode, Json<RepositoryView>)> {
    create(&state, &actor, None, &body).await
}

async fn create_in_org(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> UnprocessableResult<(StatusCode, Json<RepositoryView>)> {
    create(&state, &actor, Some(&org), &body).await
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo)): Path<(String, String)>,
) -> Result<Json<RepositoryView>, ApiError> {
    let repository = state
        .registry
        .accounts()
        .repository_as(&actor, &format!("{owner}/{repo}"))
        .await?;
    Ok(Json(view(&state, &actor, &repository).await?))
}

/// What `PATCH` changes; a field sent as `null` clears it.
#[derive(Debug, Default, Deserialize)]
#[expect(
    clippy::option_option,
    reason = "absent leaves a field alone, null clears it"
)]
struct UpdateBody {
    #[serde(default, deserialize_with = "crate::shared::some")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    homepage: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    code_url: Option<Option<String>>,
    private: Option<bool>,
    visibility: Option<String>,
    archived: Option<bool>,
}

async fn update(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> UnprocessableResult<Json<RepositoryView>> {
    let body: UpdateBody = body_of(&body)?;
    let changes = RepositoryChanges {
        visibility: visibility_of(body.private, body.visibility.as_deref())?,
        description: body.description,
        code_url: body.code_url.or(body.homepage),
        archived: body.archived,
    };
    let repository = state
        .registry
        .accounts()
        .update_repository_as(&actor, &format!("{owner}/{repo}"), changes)
        .await?;
    Ok(Json(view(&state, &actor, &repository).await?))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .delete_repository_as(&actor, &format!("{owner}/{repo}"))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A collaborator: GitHub's `collaborator` shape.
#[derive(Debug, Serialize)]
struct Collaborator {
    #[serde(flatten)]
    user: SimpleUser,
    permissions: Permissions,
    role_name: &'static str,
}

async fn collaborators(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo)): Path<(String, String)>,
) -> Result<Json<Vec<Collaborator>>, ApiError> {
    let list = state
        .registry
        .accounts()
        .collaborators_as(&actor, &format!("{owner}/{repo}"))
        .await?;
    Ok(Json(
        list.iter()
            .map(|(account, role)| Collaborator {
                user: SimpleUser::new(&state.config, account),
                permissions: Permissions::of(Some(*role), true),
                role_name: match role {
                    Role::Read => "read",
                    Role::Write => "write",
                    Role::Admin => "admin",
                },
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct CollaboratorBody {
    permission: Option<String>,
}

/// GitHub's permission names, as Entrepot's three roles.
fn role_of(permission: Option<&str>) -> Result<Role, crate::shared::UnprocessableError> {
    match permission.unwrap_or("push") {
        "pull" | "read" | "triage" => Ok(Role::Read),
        "push" | "write" | "maintain" => Ok(Role::Write),
        "admin" => Ok(Role::Admin),
        other => Err(unprocessable(format!(
            "`{other}` is not a permission: pull, triage, push, maintain or admin"
        ))),
    }
}

async fn add_collaborator(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo, username)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> UnprocessableResult<StatusCode> {
    let body: CollaboratorBody = body_of(&body)?;
    let role = role_of(body.permission.as_deref())?;
    state
        .registry
        .accounts()
        .set_collaborator_as(&actor, &format!("{owner}/{repo}"), &username, role)
        .await?;
    // Added at once (Entrepot sends no invitations): GitHub's answer for
    // someone who needed none.
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_collaborator(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((owner, repo, username)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .remove_collaborator_as(&actor, &format!("{owner}/{repo}"), &username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

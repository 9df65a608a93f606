//! `/`, `/user`, `/users/{username}` and `/orgs/{org}` in GitHub's shapes;
//! clients call them to learn who they are.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, AccountKind, Actor};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;

use crate::model::user::{FullUser, NamedUser, Organization, Root};
use crate::shared::not_found;

pub async fn root(State(state): State<AppState>) -> Json<Root> {
    Json(Root::new(&state.config))
}

/// The caller's own account, for `/user` and what hangs under it.
async fn signed_in(state: &AppState, actor: &Actor) -> Result<Account, ApiError> {
    let Actor::User { id, .. } = actor else {
        return Err(ApiError(ServiceError::Unauthenticated));
    };
    Ok(state
        .registry
        .accounts()
        .account_by_id(*id)
        .await?
        .ok_or(ServiceError::BadCredentials)?)
}

pub async fn authenticated_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<FullUser>, ApiError> {
    let account = signed_in(&state, &actor).await?;
    Ok(Json(FullUser::new(&state.config, &account)))
}

/// A user in the fuller shape; an organization as a `simple-user` with
/// its name.
pub async fn get_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, ApiError> {
    let account = lookup(&state, &username).await?;
    Ok(match account.kind {
        AccountKind::User => Json(FullUser::new(&state.config, &account)).into_response(),
        AccountKind::Organization | AccountKind::Upstream => {
            Json(NamedUser::new(&state.config, &account)).into_response()
        }
    })
}

pub async fn get_org(
    State(state): State<AppState>,
    Path(org): Path<String>,
) -> Result<Json<Organization>, ApiError> {
    let account = lookup(&state, &org).await?;
    if account.kind.url_segment() != "orgs" {
        return Err(not_found());
    }
    Ok(Json(Organization::new(&state.config, &account)))
}

async fn lookup(state: &AppState, login: &str) -> Result<Account, ApiError> {
    if !entrepot_core::names::is_valid_login(login) {
        return Err(not_found());
    }
    state
        .registry
        .accounts()
        .account_by_login(login)
        .await?
        .ok_or_else(not_found)
}

/// What `PATCH /user` changes; `null` clears a field.
#[derive(Debug, Default, serde::Deserialize)]
#[expect(
    clippy::option_option,
    reason = "absent leaves a field alone, null clears it"
)]
pub struct ProfileBody {
    #[serde(default, deserialize_with = "crate::shared::some")]
    name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    email: Option<Option<String>>,
}

/// `PATCH /user`: the caller's own name and email.
pub async fn update_authenticated_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> crate::shared::UnprocessableResult<Json<FullUser>> {
    let body: ProfileBody = crate::shared::body_of(&body)?;
    let account = state
        .registry
        .accounts()
        .update_profile_as(&actor, body.name, body.email)
        .await?;
    Ok(Json(FullUser::new(&state.config, &account)))
}

/// GitHub's `email` of `GET /user/emails`.
#[derive(Debug, serde::Serialize)]
#[expect(clippy::struct_field_names, reason = "GitHub's shape")]
pub struct Email {
    email: String,
    primary: bool,
    verified: bool,
    visibility: Option<&'static str>,
}

/// `GET /user/emails`: the caller's address, and whether it is verified.
pub async fn emails(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Email>>, ApiError> {
    let account = signed_in(&state, &actor).await?;
    Ok(Json(
        account
            .email
            .map(|email| Email {
                email,
                primary: true,
                verified: account.email_verified_at.is_some(),
                visibility: Some("private"),
            })
            .into_iter()
            .collect(),
    ))
}

//! GitHub Enterprise Server's site administration, as its clients call
//! it: creating and deleting users (`/admin/users`), suspending them and
//! making them site administrators (`/users/{username}/suspended`,
//! `/users/{username}/site_admin`), creating organizations
//! (`/admin/organizations`); and GitHub's lists of every user and every
//! organization (`/users`, `/organizations`), paged by `since`. Only a
//! site administrator whose token carries `site_admin` may act; anyone
//! else is told there is nothing here.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use entrepot_core::{AccountKind, Actor};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use serde::Deserialize;

use crate::model::user::{FullUser, Organization, SimpleUser};
use crate::shared::{UnprocessableResult, body_of, unprocessable};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", axum::routing::get(list_users))
        .route("/organizations", axum::routing::get(list_orgs))
        .route("/admin/users", post(create_user))
        .route(
            "/admin/users/{username}",
            axum::routing::delete(delete_user),
        )
        .route("/admin/organizations", post(create_org))
        .route(
            "/users/{username}/suspended",
            put(suspend).delete(unsuspend),
        )
        .route("/users/{username}/site_admin", put(promote).delete(demote))
}

/// `since` (the last id seen) and `per_page`, as GitHub pages these lists.
fn paging(query: &HashMap<String, String>) -> Result<(i64, u32), ApiError> {
    let number = |key: &str, default: u64| -> Result<u64, ApiError> {
        query.get(key).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| ApiError(ServiceError::Invalid(format!("`{key}` must be a number"))))
        })
    };
    let since = i64::try_from(number("since", 0)?).unwrap_or(i64::MAX);
    let per_page = u32::try_from(number("per_page", 30)?).unwrap_or(u32::MAX);
    Ok((since, per_page))
}

/// One page of accounts, with the `Link` to the next when it is full.
async fn page_of(
    state: &AppState,
    actor: &Actor,
    kind: AccountKind,
    query: &HashMap<String, String>,
    path: &str,
) -> Result<Response, ApiError> {
    if matches!(actor, Actor::Anonymous) {
        return Err(ApiError(ServiceError::Unauthenticated));
    }
    let (since, per_page) = paging(query)?;
    let accounts = state
        .registry
        .accounts()
        .list(kind, since, per_page)
        .await?;
    let full =
        accounts.len() == per_page.clamp(1, entrepot_service::administration::MAX_PAGE) as usize;
    let next = accounts.last().filter(|_| full).map(|a| a.id);
    let body: Vec<SimpleUser> = accounts
        .iter()
        .map(|a| SimpleUser::new(&state.config, a))
        .collect();
    let mut response = Json(body).into_response();
    if let Some(last) = next {
        let url = state
            .config
            .url(&format!("/api/v3{path}?per_page={per_page}&since={last}"));
        if let Ok(v) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(response)
}

async fn list_users(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    page_of(&state, &actor, AccountKind::User, &query, "/users").await
}

async fn list_orgs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    page_of(
        &state,
        &actor,
        AccountKind::Organization,
        &query,
        "/organizations",
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
struct NewUserBody {
    login: Option<String>,
    email: Option<String>,
    /// GHES's: ignored here (a local account is always local).
    #[serde(default)]
    #[allow(dead_code)]
    suspended: Option<bool>,
}

async fn create_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> UnprocessableResult<(StatusCode, Json<FullUser>)> {
    let body: NewUserBody = body_of(&body)?;
    let Some(login) = body.login else {
        return Err(unprocessable("give `login`"));
    };
    let user = state
        .registry
        .accounts()
        .create_user_as(&actor, &login, body.email)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(FullUser::new(&state.config, &user)),
    ))
}

async fn delete_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .delete_user_as(&actor, &username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
struct NewOrgBody {
    login: Option<String>,
    admin: Option<String>,
}

async fn create_org(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> UnprocessableResult<(StatusCode, Json<Organization>)> {
    let body: NewOrgBody = body_of(&body)?;
    let (Some(login), Some(admin)) = (body.login, body.admin) else {
        return Err(unprocessable(
            "give `login` and `admin` (the owner's login)",
        ));
    };
    let org = state
        .registry
        .accounts()
        .create_org_as(&actor, &login, &admin)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Organization::new(&state.config, &org)),
    ))
}

async fn set_suspended(
    state: &AppState,
    actor: &Actor,
    username: &str,
    suspended: bool,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .set_suspended_as(actor, username, suspended)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn suspend(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_suspended(&state, &actor, &username, true).await
}

async fn unsuspend(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_suspended(&state, &actor, &username, false).await
}

async fn set_admin(
    state: &AppState,
    actor: &Actor,
    username: &str,
    admin: bool,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .set_site_admin_as(actor, username, admin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn promote(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_admin(&state, &actor, &username, true).await
}

async fn demote(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_admin(&state, &actor, &username, false).await
}

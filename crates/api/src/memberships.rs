//! Organization membership in GitHub's REST shapes: the members
//! (`GET /orgs/{org}/members`), one membership
//! (`GET|PUT|DELETE /orgs/{org}/memberships/{username}`), and removing a
//! member (`DELETE /orgs/{org}/members/{username}`). Owners manage members
//! with a token carrying `admin:org`; a member may leave. Entrepot adds a
//! member at once: the membership's `state` is `active`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use entrepot_core::{Account, OrgRole};
use entrepot_http::{ApiError, AppState, Caller};
use serde::{Deserialize, Serialize};

use crate::model::user::{Organization, SimpleUser};
use crate::shared::{UnprocessableResult, body_of, unprocessable};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/members", get(members))
        .route(
            "/orgs/{org}/members/{username}",
            axum::routing::delete(remove),
        )
        .route(
            "/orgs/{org}/memberships/{username}",
            get(show).put(set).delete(remove),
        )
}

async fn members(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> Result<Json<Vec<SimpleUser>>, ApiError> {
    let members = state.registry.accounts().members_as(&actor, &org).await?;
    Ok(Json(
        members
            .iter()
            .map(|(a, _)| SimpleUser::new(&state.config, a))
            .collect(),
    ))
}

/// GitHub's `org-membership`.
#[derive(Debug, Serialize)]
struct Membership {
    url: String,
    state: &'static str,
    role: &'static str,
    organization_url: String,
    organization: Organization,
    user: SimpleUser,
}

async fn membership(
    state: &AppState,
    org: &str,
    user: &Account,
    role: OrgRole,
) -> Result<Membership, ApiError> {
    let org = state.registry.accounts().account(org).await?;
    Ok(Membership {
        url: state.config.url(&format!(
            "/api/v3/orgs/{}/memberships/{}",
            org.login, user.login
        )),
        state: "active",
        role: match role {
            OrgRole::Owner => "admin",
            OrgRole::Member => "member",
        },
        organization_url: state.config.url(&format!("/api/v3/orgs/{}", org.login)),
        organization: Organization::new(&state.config, &org),
        user: SimpleUser::new(&state.config, user),
    })
}

async fn show(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((org, username)): Path<(String, String)>,
) -> Result<Json<Membership>, ApiError> {
    let (user, role) = state
        .registry
        .accounts()
        .membership_as(&actor, &org, &username)
        .await?;
    Ok(Json(membership(&state, &org, &user, role).await?))
}

#[derive(Debug, Default, Deserialize)]
struct RoleBody {
    role: Option<String>,
}

async fn set(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((org, username)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> UnprocessableResult<Json<Membership>> {
    let body: RoleBody = body_of(&body)?;
    let role = match body.role.as_deref().unwrap_or("member") {
        "admin" | "owner" => OrgRole::Owner,
        "member" => OrgRole::Member,
        other => {
            return Err(unprocessable(format!(
                "`{other}` is not a role: admin or member"
            )));
        }
    };
    let (user, role) = state
        .registry
        .accounts()
        .set_membership_as(&actor, &org, &username, role)
        .await?;
    Ok(Json(membership(&state, &org, &user, role).await?))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((org, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .remove_membership_as(&actor, &org, &username)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Organization membership in GitHub's REST shapes: the members
//! (`GET /orgs/{org}/members`), one membership
//! (`GET|PUT|DELETE /orgs/{org}/memberships/{username}`), and removing a
//! member (`DELETE /orgs/{org}/members/{username}`), and invitations:
//! `PUT` a membership for someone not yet a member invites them (its
//! `state` is `pending`), `GET|DELETE /orgs/{org}/invitations[/{id}]` list
//! and withdraw them, and the invitee accepts with
//! `PATCH /user/memberships/orgs/{org}` (`{"state": "active"}`) or
//! declines on the invitation's page. Owners manage members with a token
//! carrying `admin:org`; a member may leave.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use entrepot_core::{Account, OrgRole};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::memberships::MembershipState;
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
        .route("/orgs/{org}/invitations", get(invitations))
        .route(
            "/orgs/{org}/invitations/{invitation_id}",
            axum::routing::delete(cancel),
        )
        .route(
            "/user/memberships/orgs/{org}",
            get(my_membership).patch(accept),
        )
        .route("/user/orgs", get(my_orgs))
        .route("/user/memberships/orgs", get(my_memberships))
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
    standing: MembershipState,
) -> Result<Membership, ApiError> {
    let org = state.registry.accounts().account(org).await?;
    Ok(Membership {
        url: state.config.url(&format!(
            "/api/v3/orgs/{}/memberships/{}",
            org.login, user.login
        )),
        state: match standing {
            MembershipState::Active => "active",
            MembershipState::Pending => "pending",
        },
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
    let (user, role, standing) = state
        .registry
        .accounts()
        .membership_as(&actor, &org, &username)
        .await?;
    Ok(Json(membership(&state, &org, &user, role, standing).await?))
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
    let (user, role, standing) = state
        .registry
        .accounts()
        .set_membership_as(&actor, &org, &username, role)
        .await?;
    Ok(Json(membership(&state, &org, &user, role, standing).await?))
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

/// GitHub's `organization-invitation`.
#[derive(Debug, Serialize)]
struct OrgInvitation {
    id: i64,
    login: String,
    email: Option<String>,
    role: &'static str,
    created_at: String,
    failed_at: Option<String>,
    failed_reason: Option<String>,
    inviter: Option<SimpleUser>,
    team_count: i64,
    node_id: String,
    invitation_teams_url: String,
    invitation_source: &'static str,
}

async fn invitations(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> Result<Json<Vec<OrgInvitation>>, ApiError> {
    let pending = state
        .registry
        .accounts()
        .invitations_as(&actor, &org)
        .await?;
    Ok(Json(
        pending
            .into_iter()
            .map(|(i, invitee, inviter)| OrgInvitation {
                id: i.id,
                login: invitee.login.clone(),
                email: None,
                role: match i.role {
                    OrgRole::Owner => "admin",
                    OrgRole::Member => "direct_member",
                },
                created_at: i.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                failed_at: None,
                failed_reason: None,
                inviter: inviter.map(|a| SimpleUser::new(&state.config, &a)),
                team_count: 0,
                node_id: base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    format!("OI_{}", i.id),
                ),
                invitation_teams_url: state.config.url(&format!(
                    "/api/v3/organizations/{}/invitations/{}/teams",
                    i.org_id, i.id
                )),
                invitation_source: "member",
            })
            .collect(),
    ))
}

async fn cancel(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((org, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .cancel_invitation_as(&actor, &org, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn my_membership(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
) -> Result<Json<Membership>, ApiError> {
    let login = actor
        .login()
        .ok_or(entrepot_service::ServiceError::Unauthenticated)?
        .to_owned();
    let (user, role, standing) = state
        .registry
        .accounts()
        .membership_as(&actor, &org, &login)
        .await?;
    Ok(Json(membership(&state, &org, &user, role, standing).await?))
}

#[derive(Debug, Default, Deserialize)]
struct StateBody {
    state: Option<String>,
}

/// Accepts the caller's invitation (`{"state": "active"}`, the only state
/// one may set).
async fn accept(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
    body: axum::body::Bytes,
) -> UnprocessableResult<Json<Membership>> {
    let body: StateBody = body_of(&body)?;
    if body.state.as_deref() != Some("active") {
        return Err(unprocessable("`state` must be `active`".to_owned()));
    }
    let login = actor
        .login()
        .ok_or(entrepot_service::ServiceError::Unauthenticated)?
        .to_owned();
    let accounts = state.registry.accounts();
    // Accepting twice finds the membership active: the same answer.
    if accounts.my_invitation(&actor, &org).await.is_ok() {
        accounts.accept_invitation_as(&actor, &org).await?;
    }
    let (user, role, standing) = accounts.membership_as(&actor, &org, &login).await?;
    Ok(Json(membership(&state, &org, &user, role, standing).await?))
}

/// `GET /user/orgs`: the caller's organizations.
async fn my_orgs(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Organization>>, ApiError> {
    let orgs = state.registry.accounts().my_orgs(&actor).await?;
    Ok(Json(
        orgs.iter()
            .map(|(org, _)| Organization::new(&state.config, org))
            .collect(),
    ))
}

/// `GET /user/memberships/orgs`: the caller's active memberships.
async fn my_memberships(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<Membership>>, ApiError> {
    let accounts = state.registry.accounts();
    let me = accounts
        .account(
            actor
                .login()
                .ok_or(entrepot_service::ServiceError::Unauthenticated)?,
        )
        .await?;
    let mut out = Vec::new();
    for (org, role) in accounts.my_orgs(&actor).await? {
        out.push(membership(&state, &org.login, &me, role, MembershipState::Active).await?);
    }
    Ok(Json(out))
}

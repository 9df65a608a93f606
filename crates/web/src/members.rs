//! An organization's people (`/orgs/{org}/people`, GitHub's URL): its
//! members and their roles for every member; owners invite people, change
//! roles, remove members and withdraw invitations there, and a member may
//! leave. The invitee answers on `/orgs/{org}/invitation`, the link of the
//! invitation mail.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::{Account, OrgRole};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::memberships::MembershipState;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{form_expired, not_found, page_with_status, server_error};

fn people_path(org: &str) -> String {
    format!("/orgs/{org}/people")
}

fn invitation_path(org: &str) -> String {
    format!("/orgs/{org}/invitation")
}

#[derive(Serialize)]
struct MemberRow {
    login: String,
    owner: bool,
    me: bool,
}

#[derive(Serialize)]
struct InvitationRow {
    id: i64,
    login: String,
    owner: bool,
    inviter: Option<String>,
    since: String,
}

fn role_name(role: OrgRole) -> &'static str {
    match role {
        OrgRole::Owner => "owner",
        OrgRole::Member => "member",
    }
}

/// `org` and the viewer's role in it, or the page a viewer who is neither
/// a member nor a site administrator gets (404).
pub(crate) async fn org_role(
    state: &AppState,
    viewer: &Viewer,
    org: &str,
) -> Result<(Account, Option<OrgRole>), Response> {
    match state
        .registry
        .accounts()
        .org_role_as(&viewer.actor, org)
        .await
    {
        Ok(found) => Ok(found),
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => Err(not_found(viewer)),
        Err(e) => Err(server_error(&e)),
    }
}

/// `GET /orgs/{org}/people[?done=…]`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&people_path(&org));
    }
    // Only words of ours reach the page, never text from the address.
    let who = query
        .get("who")
        .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map_or("", String::as_str);
    let notice = match query.get("done").map(String::as_str) {
        Some("invited") => Some(format!(
            "Invited {who}; they are a member once they accept."
        )),
        Some("owner") => Some(format!("{who} is now an owner.")),
        Some("member") => Some(format!("{who} is now a member.")),
        Some("removed") => Some(format!("Removed {who}.")),
        Some("withdrawn") => Some("Withdrew the invitation.".to_owned()),
        _ => None,
    };
    render(
        &state,
        &viewer,
        &org,
        StatusCode::OK,
        notice.as_deref(),
        None,
    )
    .await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    org: &str,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let accounts = state.registry.accounts();
    let (org_account, role) = match org_role(state, viewer, org).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let members = match accounts.members_as(&viewer.actor, org).await {
        Ok(members) => members,
        Err(e) => return server_error(&e),
    };
    let me = viewer.login().unwrap_or_default();
    let owner = role == Some(OrgRole::Owner) || viewer.actor.is_site_admin();
    let invitations = if owner {
        match accounts.invitations_as(&viewer.actor, org).await {
            Ok(pending) => pending
                .into_iter()
                .map(|(i, invitee, inviter)| InvitationRow {
                    id: i.id,
                    login: invitee.login,
                    owner: i.role == OrgRole::Owner,
                    inviter: inviter.map(|a| a.login),
                    since: i.created_at.format("%Y-%m-%d").to_string(),
                })
                .collect(),
            Err(e) => return server_error(&e),
        }
    } else {
        Vec::new()
    };
    let rows: Vec<MemberRow> = members
        .iter()
        .map(|(a, role)| MemberRow {
            login: a.login.clone(),
            owner: *role == OrgRole::Owner,
            me: a.login.eq_ignore_ascii_case(me),
        })
        .collect();
    page_with_status(
        status,
        viewer,
        "members.html",
        context! {
            org => org_account.login,
            members => rows,
            invitations => invitations,
            owner => owner,
            member => role.is_some(),
            notice => notice,
            error => error,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct PeopleForm {
    csrf: Option<String>,
    /// `invite`, `role`, `remove`, `leave` or `cancel`.
    action: String,
    login: Option<String>,
    /// `owner` or `member`.
    role: Option<String>,
    invitation: Option<i64>,
}

/// `POST /orgs/{org}/people`: one change, then back to the page saying
/// what was done (or the page again with the refusal).
pub(crate) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Form(form): Form<PeopleForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&people_path(&org));
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let accounts = state.registry.accounts();
    let actor = &viewer.actor;
    let login = form.login.as_deref().unwrap_or_default().trim();
    let role = match form.role.as_deref() {
        Some("owner") => OrgRole::Owner,
        _ => OrgRole::Member,
    };
    let done = match form.action.as_str() {
        "invite" | "role" => accounts
            .set_membership_as(actor, &org, login, role)
            .await
            .map(|(user, role, standing)| match standing {
                MembershipState::Pending => ("invited", user.login),
                MembershipState::Active => (role_name(role), user.login),
            }),
        "remove" => accounts
            .remove_membership_as(actor, &org, login)
            .await
            .map(|()| ("removed", login.to_owned())),
        "cancel" => accounts
            .cancel_invitation_as(actor, &org, form.invitation.unwrap_or_default())
            .await
            .map(|()| ("withdrawn", String::new())),
        "leave" => {
            let me = viewer.login().unwrap_or_default().to_owned();
            return match accounts.remove_membership_as(actor, &org, &me).await {
                Ok(()) => Redirect::to(&format!("/{org}")).into_response(),
                Err(e) => refusal(&state, &viewer, &org, &e).await,
            };
        }
        _ => Err(ServiceError::Invalid("no such action".into())),
    };
    match done {
        Ok((done, who)) => {
            Redirect::to(&format!("{}?done={done}&who={who}", people_path(&org))).into_response()
        }
        Err(e) => refusal(&state, &viewer, &org, &e).await,
    }
}

/// The page again with what the service refused, or the refusal's own
/// page where there is nothing to show.
async fn refusal(state: &AppState, viewer: &Viewer, org: &str, e: &ServiceError) -> Response {
    match e {
        ServiceError::Invalid(m)
        | ServiceError::Conflict(m)
        | ServiceError::Forbidden(m)
        | ServiceError::NotFound(m) => {
            render(
                state,
                viewer,
                org,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(m),
            )
            .await
        }
        other => server_error(other),
    }
}

/// `GET /orgs/{org}/invitation`: the viewer's invitation, to accept or
/// decline; a member is sent to the people page.
pub(crate) async fn invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&invitation_path(&org));
    }
    let accounts = state.registry.accounts();
    match accounts.my_invitation(&viewer.actor, &org).await {
        Ok(invitation) => {
            let inviter = match invitation.inviter_id {
                Some(id) => accounts.account_by_id(id).await.ok().flatten(),
                None => None,
            };
            page_with_status(
                StatusCode::OK,
                &viewer,
                "invitation.html",
                context! {
                    org => org,
                    role => role_name(invitation.role),
                    inviter => inviter.map(|a| a.login),
                },
            )
        }
        Err(ServiceError::NotFound(_)) => {
            if accounts.members_as(&viewer.actor, &org).await.is_ok() {
                Redirect::to(&people_path(&org)).into_response()
            } else {
                not_found(&viewer)
            }
        }
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct AnswerForm {
    csrf: Option<String>,
    /// `accept` or `decline`.
    action: String,
}

/// `POST /orgs/{org}/invitation`.
pub(crate) async fn answer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&invitation_path(&org));
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let accounts = state.registry.accounts();
    let answered = if form.action == "accept" {
        accounts
            .accept_invitation_as(&viewer.actor, &org)
            .await
            .map(|_| people_path(&org))
    } else {
        accounts
            .decline_invitation_as(&viewer.actor, &org)
            .await
            .map(|()| "/".to_owned())
    };
    match answered {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

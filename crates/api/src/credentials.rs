//! An organization's credential authorizations in GitHub's REST shape
//! (`GET /orgs/{org}/credential-authorizations`, `DELETE …/{credential_id}`):
//! the tokens its members authorized for its single sign-on, for its
//! owners to see and take back.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use entrepot_core::Scope;
use entrepot_http::{ApiError, AppState, Caller};
use serde::Serialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/credential-authorizations", get(list))
        .route(
            "/orgs/{org}/credential-authorizations/{credential_id}",
            delete(revoke),
        )
}

/// GitHub's `credential-authorization`.
#[derive(Debug, Serialize)]
struct CredentialAuthorization {
    login: String,
    credential_id: i64,
    credential_type: &'static str,
    credential_authorized_at: String,
    credential_accessed_at: Option<String>,
    scopes: Vec<&'static str>,
    authorized_credential_id: i64,
    authorized_credential_note: Option<String>,
    authorized_credential_expires_at: Option<String>,
}

fn iso(t: &entrepot_core::Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `GET …/credential-authorizations[?login=USER&page=N&per_page=M]`.
async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let page = crate::shared::page_of(&query)?;
    let found = state
        .registry
        .accounts()
        .credential_authorizations_as(&actor, &org)
        .await?;
    let rows: Vec<CredentialAuthorization> = found
        .into_iter()
        .filter(|(_, owner, _)| {
            query
                .get("login")
                .is_none_or(|l| owner.login.eq_ignore_ascii_case(l))
        })
        .map(|(token, owner, at)| CredentialAuthorization {
            login: owner.login,
            credential_id: token.id,
            credential_type: "personal access token",
            credential_authorized_at: iso(&at),
            credential_accessed_at: token.last_used_at.as_ref().map(iso),
            scopes: token.scopes.iter().map(Scope::as_str).collect(),
            authorized_credential_id: token.id,
            authorized_credential_note: token.note,
            authorized_credential_expires_at: token.expires_at.as_ref().map(iso),
        })
        .collect();
    let total = rows.len();
    let shown: Vec<&CredentialAuthorization> = page.slice(&rows).iter().collect();
    let mut url = state
        .config
        .url(&format!("/api/v3/orgs/{org}/credential-authorizations"));
    if let Some(login) = query
        .get("login")
        .filter(|l| entrepot_core::names::is_valid_login(l))
    {
        url = format!("{url}?login={login}");
    }
    Ok(crate::shared::with_link(
        Json(shown).into_response(),
        page,
        &url,
        total,
    ))
}

async fn revoke(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((org, credential_id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state
        .registry
        .accounts()
        .revoke_credential_authorization_as(&actor, &org, credential_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

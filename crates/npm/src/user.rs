//! Who the caller is (`npm whoami`), and `npm login` / `npm logout` with
//! a password traded for a token and the token handed back.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Actor, Scopes};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use serde_json::{Value, json};

use crate::error::{NpmError, NpmResult, invalid};
use crate::reply;

pub fn whoami(actor: &Actor) -> NpmResult<Response> {
    match actor.login() {
        Some(login) => Ok(reply::json(StatusCode::OK, json!({ "username": login }))),
        None => Err(NpmError(ServiceError::Unauthenticated)),
    }
}

/// `npm login --auth-type=legacy` / `npm adduser`: user name and password in,
/// a new `read:packages,write:packages` token out. No self-registration.
pub async fn login(
    state: &AppState,
    user: &str,
    from: Option<std::net::IpAddr>,
    body: Body,
) -> NpmResult<Response> {
    let bytes = reply::small_body(body, 64 * 1024, "login").await?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("invalid login document: {e}")))?;
    let password = doc
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = doc.get("name").and_then(Value::as_str).unwrap_or(user);
    let scopes = Scopes::parse_list("read:packages,write:packages").expect("known scopes");
    let actor = state
        .registry
        .sessions()
        .check_password(name, password, from, scopes)
        .await?;
    let login = actor.login().unwrap_or(name).to_owned();
    let issued = state
        .registry
        .accounts()
        .create_token(&login, scopes, None, Some("npm login".into()))
        .await?;
    Ok(reply::json(
        StatusCode::CREATED,
        json!({ "ok": true, "id": format!("org.couchdb.user:{login}"), "rev": "_we_dont_use_revs_any_more", "token": issued.secret }),
    ))
}

/// `npm logout`: revokes the token it names, if it is the caller's own.
pub async fn logout(state: &AppState, actor: &Actor, token: &str) -> NpmResult<Response> {
    state
        .registry
        .accounts()
        .revoke_held_token(actor, token)
        .await?;
    Ok(reply::ok(StatusCode::OK))
}

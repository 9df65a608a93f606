//! `/user`, `/users/{username}` and `/orgs/{org}` in GitHub's shapes; clients
//! call them to learn who they are.

use axum::Json;
use axum::extract::{Path, State};
use base64::Engine;
use entrepot_core::{Account, AccountKind, Actor};
use entrepot_http::state::HttpConfig;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use serde_json::{Value, json};

fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn type_name(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "User",
        AccountKind::Organization => "Organization",
    }
}

/// GitHub's `simple-user` schema, with our URLs.
pub fn simple_user(config: &HttpConfig, a: &Account) -> Value {
    let api = config.url(&format!("/api/v3/users/{}", a.login));
    let node_id = base64::engine::general_purpose::STANDARD.encode(format!(
        "04:{}{}",
        type_name(a.kind),
        a.id
    ));
    json!({
        "login": a.login,
        "id": a.id,
        "node_id": node_id,
        "avatar_url": config.url(&format!("/avatars/{}", a.login)),
        "gravatar_id": "",
        "url": api,
        "html_url": config.url(&format!("/{}", a.login)),
        "followers_url": format!("{api}/followers"),
        "following_url": format!("{api}/following{{/other_user}}"),
        "gists_url": format!("{api}/gists{{/gist_id}}"),
        "starred_url": format!("{api}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{api}/subscriptions"),
        "organizations_url": format!("{api}/orgs"),
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events{{/privacy}}"),
        "received_events_url": format!("{api}/received_events"),
        "type": type_name(a.kind),
        "site_admin": a.site_admin,
        "user_view_type": "public",
    })
}

/// The fuller user shape of `/users/{username}` and `/user`.
fn full_user(config: &HttpConfig, a: &Account) -> Value {
    let mut v = simple_user(config, a);
    let extra = json!({
        "name": a.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": a.email,
        "hireable": null,
        "bio": null,
        "twitter_username": null,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(&a.created_at),
        "updated_at": iso(&a.updated_at),
    });
    if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
        map.extend(extra);
    }
    v
}

fn organization(config: &HttpConfig, a: &Account) -> Value {
    let api = config.url(&format!("/api/v3/orgs/{}", a.login));
    json!({
        "login": a.login,
        "id": a.id,
        "node_id": base64::engine::general_purpose::STANDARD.encode(format!("04:Organization{}", a.id)),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "events_url": format!("{api}/events"),
        "hooks_url": format!("{api}/hooks"),
        "issues_url": format!("{api}/issues"),
        "members_url": format!("{api}/members{{/member}}"),
        "public_members_url": format!("{api}/public_members{{/member}}"),
        "avatar_url": config.url(&format!("/avatars/{}", a.login)),
        "description": null,
        "name": a.name,
        "company": null,
        "blog": "",
        "location": null,
        "email": a.email,
        "is_verified": false,
        "has_organization_projects": false,
        "has_repository_projects": false,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "html_url": config.url(&format!("/{}", a.login)),
        "created_at": iso(&a.created_at),
        "updated_at": iso(&a.updated_at),
        "archived_at": null,
        "type": "Organization",
    })
}

pub async fn root(State(state): State<AppState>) -> Json<Value> {
    let c = &state.config;
    Json(json!({
        "current_user_url": c.url("/api/v3/user"),
        "user_url": c.url("/api/v3/users/{user}"),
        "organization_url": c.url("/api/v3/orgs/{org}"),
        "user_packages_url": c.url("/api/v3/user/packages"),
    }))
}

pub async fn authenticated_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let Actor::User { id, .. } = actor else {
        return Err(ApiError(ServiceError::Unauthenticated));
    };
    let account = state
        .registry
        .meta
        .account_by_id(id)
        .await?
        .ok_or(ServiceError::BadCredentials)?;
    Ok(Json(full_user(&state.config, &account)))
}

pub async fn get_user(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = lookup(&state, &username).await?;
    Ok(Json(match account.kind {
        AccountKind::User => full_user(&state.config, &account),
        AccountKind::Organization => {
            let mut v = simple_user(&state.config, &account);
            v["name"] = json!(account.name);
            v
        }
    }))
}

pub async fn get_org(
    State(state): State<AppState>,
    Path(org): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = lookup(&state, &org).await?;
    if account.kind != AccountKind::Organization {
        return Err(ApiError(ServiceError::not_found("Not Found")));
    }
    Ok(Json(organization(&state.config, &account)))
}

async fn lookup(state: &AppState, login: &str) -> Result<Account, ApiError> {
    if !entrepot_core::names::is_valid_login(login) {
        return Err(ApiError(ServiceError::not_found("Not Found")));
    }
    state
        .registry
        .meta
        .account_by_login(login)
        .await?
        .ok_or_else(|| ApiError(ServiceError::not_found("Not Found")))
}

//! `GET /token`: trades the caller's credentials for a registry token that
//! grants the intersection of the requested and the allowed actions; a
//! partial grant is not an error, bad credentials are.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::AppState;
use entrepot_service::auth::Credential;
use entrepot_service::trusted_token::looks_like_jwt;

use crate::auth;
use crate::caller::SigningKey;
use crate::ctx::{Act, query_pairs, repo_access};
use crate::error::{Code, OciError};
use crate::name::RepoName;

pub async fn token_endpoint(
    State(state): State<AppState>,
    key: SigningKey,
    request: Request,
) -> Response {
    let query = query_pairs(request.uri());
    let (parts, _) = request.into_parts();
    let actor = match entrepot_http::auth::credential_of(&parts) {
        Ok(None) => Actor::Anonymous,
        Ok(Some(credential)) => match caller_of(&state, &credential, &query).await {
            Ok(actor) => actor,
            Err(e) => return OciError::from_service(&e, Code::Unauthorized).into_response(),
        },
        Err(e) => return OciError::from_service(&e, Code::Unauthorized).into_response(),
    };
    let mut grants: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (_, scope) in query.iter().filter(|(k, _)| k == "scope") {
        for one in scope.split(' ') {
            let Some((resource_type, name, actions)) = auth::parse_scope(one) else {
                continue;
            };
            let granted = grant(&state, &actor, &resource_type, &name, &actions).await;
            if !granted.is_empty() {
                grants
                    .entry((resource_type, name))
                    .or_default()
                    .extend(granted);
            }
        }
    }
    let now = chrono::Utc::now();
    let claims = auth::Claims {
        sub: actor.user_id(),
        tok: match &actor {
            Actor::User { token_id, .. } => *token_id,
            Actor::Anonymous => None,
        },
        scp: actor.scopes().to_string(),
        acc: grants
            .into_iter()
            .map(|((resource_type, name), actions)| auth::Grant {
                resource_type,
                name,
                actions,
            })
            .collect(),
        iat: now.timestamp(),
        exp: now.timestamp() + auth::TOKEN_LIFETIME,
    };
    let key = match key.get(&state).await {
        Ok(k) => k,
        Err(e) => return OciError::from(e).into_response(),
    };
    let token = auth::issue(&key, &claims);
    axum::Json(serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": auth::TOKEN_LIFETIME,
        "issued_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
    .into_response()
}

/// Who the credentials name. A password that is a CI provider's OpenID
/// Connect token (`docker login -u OWNER -p $JWT`, trusted publishing) is
/// traded for a token bound to the images of the owner the first
/// requested repository names (without one, as at `docker login`, the
/// user name).
async fn caller_of(
    state: &AppState,
    credential: &Credential,
    query: &[(String, String)],
) -> entrepot_service::ServiceResult<Actor> {
    let (jwt, user) = match credential {
        Credential::Basic { password, username } if looks_like_jwt(password) => {
            (password, Some(username))
        }
        Credential::Token(password) if looks_like_jwt(password) => (password, None),
        _ => return state.registry.sessions().authenticate(credential).await,
    };
    let owner = query
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, scope)| scope.split(' '))
        .filter_map(auth::parse_scope)
        .find(|(kind, _, _)| kind == "repository")
        .and_then(|(_, name, _)| without_host(&name).split('/').next().map(str::to_owned))
        .or_else(|| user.filter(|u| !u.is_empty()).cloned())
        .ok_or_else(|| {
            entrepot_service::ServiceError::Invalid(
                "a CI token logs in as the owner of its images: give the owner as the user name"
                    .into(),
            )
        })?;
    state.registry.trusted().registry_login(jwt, &owner).await
}

/// The requested `actions` on one resource that the caller may take.
async fn grant(
    state: &AppState,
    actor: &Actor,
    resource_type: &str,
    name: &str,
    actions: &[String],
) -> Vec<String> {
    if resource_type == "registry" && name == "catalog" {
        return match actor {
            Actor::User {
                site_admin: true, ..
            } => actions.to_vec(),
            _ => Vec::new(),
        };
    }
    if resource_type != "repository" {
        return Vec::new();
    }
    let Some(repo) = RepoName::parse(without_host(name)) else {
        return Vec::new();
    };
    let mut granted = Vec::new();
    for action in actions {
        let acts: &[Act] = match action.as_str() {
            "pull" => &[Act::Pull],
            "push" => &[Act::Push],
            "delete" => &[Act::Delete],
            "*" => &[Act::Pull, Act::Push, Act::Delete],
            _ => &[],
        };
        for act in acts {
            if repo_access(state, actor, &repo, *act).await.is_ok() {
                granted.push(act.scope().to_owned());
            }
        }
    }
    granted
}

/// A scope's repository name without the registry host clients may put
/// before it (a first segment with a `:` or a `.`).
fn without_host(name: &str) -> &str {
    name.split_once('/')
        .filter(|(h, _)| h.contains(':') || h.contains('.'))
        .map_or(name, |(_, n)| n)
}

//! Who is calling a `/v2/` endpoint: the bearer of a registry token this
//! instance signed, a personal access token in any form, or nobody.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, header};
use entrepot_core::{Actor, Scopes};
use entrepot_http::AppState;
use entrepot_service::{ServiceError, ServiceResult};
use tokio::sync::OnceCell;

use crate::auth::{self, Access};

/// The instance setting that holds the registry tokens' key.
const KEY_SETTING: &str = "registry_token_key";

/// The key registry tokens are signed with, read once per process.
#[derive(Clone, Default)]
pub struct SigningKey(Arc<OnceCell<Vec<u8>>>);

impl SigningKey {
    pub async fn get(&self, state: &AppState) -> ServiceResult<Vec<u8>> {
        self.0
            .get_or_try_init(|| state.registry.sessions().signing_key(KEY_SETTING))
            .await
            .cloned()
    }
}

/// Who is calling: a registry token's bearer (with what it grants), a
/// personal access token's owner, or nobody.
pub async fn access_of(
    state: &AppState,
    key: &SigningKey,
    headers: &HeaderMap,
) -> ServiceResult<Access> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if let Some(token) = bearer.filter(|t| auth::is_registry_token(t)) {
        let key = key.get(state).await?;
        let claims = auth::verify(&key, token, chrono::Utc::now().timestamp())
            .ok_or(ServiceError::BadCredentials)?;
        let actor = match claims.sub {
            None => Actor::Anonymous,
            Some(user) => {
                let scopes = Scopes::parse_list(&claims.scp).unwrap_or_default();
                state
                    .registry
                    .sessions()
                    .signed_token_bearer(user, claims.tok, scopes)
                    .await?
            }
        };
        return Ok(Access {
            actor,
            claims: Some(claims),
        });
    }
    let mut parts = Request::builder()
        .body(())
        .expect("empty request")
        .into_parts()
        .0;
    parts.headers = headers.clone();
    let actor = match entrepot_http::auth::credential_of(&parts)? {
        None => Actor::Anonymous,
        Some(credential) => state.registry.sessions().authenticate(&credential).await?,
    };
    Ok(Access {
        actor,
        claims: None,
    })
}

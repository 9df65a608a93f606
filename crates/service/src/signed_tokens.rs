//! Short-lived tokens the registry signs itself for a caller it has
//! authenticated (Docker's token flow): the key they are signed with, one
//! per instance and shared by every node, and the caller a token stands
//! for, rechecked on every use.

use entrepot_core::{Actor, Id, Scopes};

use crate::{ServiceError, ServiceResult, Sessions};

impl Sessions<'_> {
    /// The instance's signing key called `name`: 32 random bytes made on
    /// first use and kept as an instance setting, so that a token one
    /// node signs verifies on every node.
    pub async fn signing_key(self, name: &str) -> ServiceResult<Vec<u8>> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let value = self.meta.setting_or_init(name, &fresh).await?;
        hex::decode(value).map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// The caller a usable token (by id) stands for.
    pub async fn token_actor(self, token: Id) -> ServiceResult<Actor> {
        let record = self
            .meta
            .token_by_id(token)
            .await?
            .ok_or(ServiceError::BadCredentials)?;
        self.signed_token_bearer(record.user_id, Some(token), record.scopes)
            .await
    }

    /// The caller a signed token names: `user`, limited to `scopes`. A
    /// token issued for a personal access token (`token`) is good only as
    /// long as that token is usable, and only while the account exists;
    /// otherwise the credentials are bad.
    pub async fn signed_token_bearer(
        self,
        user: Id,
        token: Option<Id>,
        scopes: Scopes,
    ) -> ServiceResult<Actor> {
        // A bounded token (narrow, a robot's, minted) keeps its bounds
        // through the token it was traded for.
        let mut grant = None;
        if let Some(token_id) = token {
            let record = self
                .meta
                .token_by_id(token_id)
                .await?
                .filter(|t| t.is_usable_at(chrono::Utc::now()))
                .ok_or(ServiceError::BadCredentials)?;
            grant = record.bound_to.map(std::sync::Arc::new);
        }
        let account = self
            .meta
            .account_by_id(user)
            .await?
            .filter(|a| a.suspended_at.is_none())
            .ok_or(ServiceError::BadCredentials)?;
        Ok(Actor::User {
            id: user,
            login: account.login,
            site_admin: account.site_admin && grant.is_none(),
            scopes,
            token_id: token,
            session: None,
            grant,
        })
    }
}

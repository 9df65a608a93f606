//! Logging out: a client hands back the token it holds (`npm logout`), and
//! only its owner may revoke it that way.

use entrepot_core::{Actor, token};

use crate::{Accounts, ServiceError, ServiceResult};

impl Accounts<'_> {
    /// Revokes the token whose secret is `secret`, if it belongs to the
    /// signed-in `actor`. Anyone else's token, or none, is "no such token":
    /// a caller learns nothing about tokens that are not theirs.
    pub async fn revoke_held_token(self, actor: &Actor, secret: &str) -> ServiceResult<()> {
        let Some(user) = actor.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        match self.meta.token_by_hash(&token::hash(secret)).await? {
            Some((record, _)) if record.user_id == user => self.revoke_token(record.id).await,
            _ => Err(ServiceError::not_found("no such token")),
        }
    }
}

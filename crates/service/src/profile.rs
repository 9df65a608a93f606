//! What a signed-in user does to their own account from the web pages:
//! changing their password (the current one checked under the shared
//! throttle; every other session then ends), and seeing and ending their
//! browser sessions.

use chrono::Utc;
use entrepot_core::{Actor, Scopes, Timestamp, token};

use crate::{ServiceError, ServiceResult, Sessions};

/// One browser session, as its owner sees it: a short id (the start of
/// the hash of its secret, which reveals nothing), and whether it is the
/// one asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub id: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub current: bool,
}

/// How many hex digits of the hash name a session.
const ID_DIGITS: usize = 16;

impl Sessions<'_> {
    /// The caller's sessions, newest first; `current` is the cookie secret
    /// of the one asking.
    pub async fn my_sessions(
        self,
        actor: &Actor,
        current: &str,
    ) -> ServiceResult<Vec<SessionView>> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let current = token::hash(current);
        Ok(self
            .meta
            .user_sessions(me, Utc::now())
            .await?
            .into_iter()
            .map(|(hash, s)| SessionView {
                id: hash.chars().take(ID_DIGITS).collect(),
                current: hash == current,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// Ends one of the caller's sessions by its id.
    pub async fn end_my_session(self, actor: &Actor, id: &str) -> ServiceResult<()> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let mine = self.meta.user_sessions(me, Utc::now()).await?;
        let found = mine
            .iter()
            .find(|(hash, _)| id.len() == ID_DIGITS && hash.starts_with(id));
        match found {
            Some((hash, _)) => Ok(self.meta.delete_session(hash).await?),
            None => Err(ServiceError::not_found("no such session")),
        }
    }

    /// Ends every session of the caller but the one asking; how many.
    pub async fn end_other_sessions(self, actor: &Actor, current: &str) -> ServiceResult<u64> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self
            .meta
            .delete_user_sessions(me, Some(&token::hash(current)))
            .await?)
    }

    /// Changes the caller's password once the current one is given (a
    /// wrong one counts against the throttle as any sign-in does), then
    /// ends every other session.
    pub async fn change_password(
        self,
        actor: &Actor,
        current_password: &str,
        new_password: String,
        from: Option<std::net::IpAddr>,
        current_session: &str,
    ) -> ServiceResult<()> {
        let login = actor
            .login()
            .ok_or(ServiceError::Unauthenticated)?
            .to_owned();
        // An account made by an identity provider has no password to ask
        // for: its session sets the first one.
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        if self.meta.password_hash(me).await?.is_some() {
            self.check_password(&login, current_password, from, Scopes::NONE)
                .await?;
        }
        self.accounts().set_password(&login, new_password).await?;
        self.end_other_sessions(actor, current_session).await?;
        Ok(())
    }

    /// Whether the caller has a password (an account an identity provider
    /// made may have none).
    pub async fn has_password(self, actor: &Actor) -> ServiceResult<bool> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self.meta.password_hash(me).await?.is_some())
    }

    /// Whether the caller's notifications also go to their verified
    /// email address.
    pub async fn set_email_notifications(self, actor: &Actor, on: bool) -> ServiceResult<()> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self.meta.set_email_notifications(me, on).await?)
    }
}

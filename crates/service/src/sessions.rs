//! Browser sign-in. A session is a random secret in a cookie (the store
//! keeps only its SHA-256) with its own CSRF token for the forms it
//! submits. Passwords are checked under the shared throttle
//! (`crate::throttle`), as every other way of presenting one is.

use base64::Engine;
use chrono::{TimeDelta, Utc};
use entrepot_core::{Actor, Scopes, Timestamp, token};
use entrepot_store::WebSession;
use rand::RngCore;

use crate::{ServiceError, ServiceResult, Sessions};

/// How long a browser stays signed in.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::days(14);

/// A session just opened: the cookie secret is shown to the browser once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub secret: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

/// Why a sign-in did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("incorrect user name or password")]
    Refused,
    /// Too many attempts on this name or from this address; the message
    /// says when to try again.
    #[error("{0}")]
    Throttled(String),
    /// An identity provider's answer did not sign anyone in; the message
    /// says why, for the person at the browser.
    #[error("{0}")]
    External(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<entrepot_store::StoreError> for SignInError {
    fn from(e: entrepot_store::StoreError) -> Self {
        SignInError::Service(e.into())
    }
}

/// A random secret for cookies and CSRF tokens (256 bits, URL-safe).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl Sessions<'_> {
    /// Checks a user name and password under the shared throttle
    /// (`check_password`) and opens a session.
    pub async fn sign_in(
        self,
        login: &str,
        password: &str,
        from: Option<std::net::IpAddr>,
    ) -> Result<NewSession, SignInError> {
        let user_id = match self
            .check_password(login, password, from, Scopes::ALL)
            .await
        {
            Ok(actor) => actor
                .user_id()
                .ok_or_else(|| ServiceError::Internal("a password signed in no user".into()))?,
            // Not this registry's password: perhaps a directory's. The
            // attempt stays counted unless one says yes.
            Err(ServiceError::BadCredentials) => {
                let identity = self.identity();
                let Some((rules, vouched)) =
                    identity.directory_sign_in(login.trim(), password).await?
                else {
                    return Err(SignInError::Refused);
                };
                self.forgive_password_attempt(login, from).await?;
                return match identity
                    .conclude(&rules, vouched, crate::identity::Intent::SignIn)
                    .await?
                {
                    crate::identity::Outcome::SignedIn(session) => Ok(session),
                    crate::identity::Outcome::Linked | crate::identity::Outcome::SignedOn => {
                        Err(SignInError::Refused)
                    }
                };
            }
            Err(ServiceError::Throttled(m)) => return Err(SignInError::Throttled(m)),
            Err(e) => return Err(e.into()),
        };
        Ok(self.open_session(user_id).await?)
    }

    /// Opens a session for a user whose identity was just proven.
    pub(crate) async fn open_session(
        self,
        user_id: entrepot_core::Id,
    ) -> ServiceResult<NewSession> {
        let now = Utc::now();
        let secret = random_secret();
        let session = WebSession {
            user_id,
            csrf: random_secret(),
            created_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        self.meta
            .create_session(&token::hash(&secret), &session)
            .await?;
        Ok(NewSession {
            secret,
            csrf: session.csrf,
            expires_at: session.expires_at,
        })
    }

    /// The signed-in user behind a session cookie, with the session's CSRF
    /// token; `None` for an unknown or expired session. A session acts
    /// with every scope: it is the user at the keyboard, not a token.
    pub async fn session(self, secret: &str) -> ServiceResult<Option<(Actor, String)>> {
        let hash = token::hash(secret);
        let Some(session) = self.meta.session(&hash, Utc::now()).await? else {
            return Ok(None);
        };
        let Some(user) = self.meta.account_by_id(session.user_id).await? else {
            return Ok(None);
        };
        if user.suspended_at.is_some() {
            return Ok(None);
        }
        Ok(Some((
            Actor::User {
                id: user.id,
                login: user.login,
                site_admin: user.site_admin,
                scopes: Scopes::ALL,
                token_id: None,
                session: Some(hash.into()),
                grant: None,
            },
            session.csrf,
        )))
    }

    pub async fn sign_out(self, secret: &str) -> ServiceResult<()> {
        Ok(self.meta.delete_session(&token::hash(secret)).await?)
    }

    /// Forgets expired sessions and throttle windows that are over.
    pub async fn prune_sessions(self) -> ServiceResult<u64> {
        let now = Utc::now();
        Ok(self
            .meta
            .prune_sessions(now, now - crate::throttle::WINDOW)
            .await?)
    }
}

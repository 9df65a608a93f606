//! Turning what a client sent into an `Actor`: tokens in every form the
//! package clients use, and passwords for the clients that log in with one.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use chrono::Utc;
use entrepot_core::{Actor, Scopes, token};

use crate::{ServiceError, ServiceResult, Sessions};

/// What a request carried in its `Authorization` header (or a client's own
/// header, such as NuGet's `X-NuGet-ApiKey`), already decoded by the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A bare token: `Bearer T`, `token T`, or the raw token alone.
    Token(String),
    /// HTTP Basic: any user name, the token (or a password) as the password.
    Basic { username: String, password: String },
}

/// Each password check takes about 19 MiB and a core for a moment: at most
/// one per processor at a time, however many clients send passwords.
static PASSWORD_CHECKS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from))
    });

/// Token use is recorded at most this often, to keep reads write-free.
const TOUCH_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

impl Sessions<'_> {
    /// Resolves a credential to a signed-in actor. A wrong, expired or
    /// revoked token is `BadCredentials`, never an anonymous fallback.
    pub async fn authenticate(self, credential: &Credential) -> ServiceResult<Actor> {
        let secret = match credential {
            Credential::Token(t) => t.as_str(),
            Credential::Basic { password, .. } => password.as_str(),
        };
        if !token::looks_valid(secret) {
            return Err(ServiceError::BadCredentials);
        }
        let hash = token::hash(secret);
        let Some((record, stored)) = self.meta.token_by_hash(&hash).await? else {
            return Err(ServiceError::BadCredentials);
        };
        let now = Utc::now();
        if !token::hashes_equal(&stored, &hash) || !record.is_usable_at(now) {
            return Err(ServiceError::BadCredentials);
        }
        let user = self
            .meta
            .account_by_id(record.user_id)
            .await?
            // A suspended user's tokens stop working at once.
            .filter(|a| a.suspended_at.is_none())
            .ok_or(ServiceError::BadCredentials)?;
        // Recording use is a courtesy: a store that cannot write (a full
        // disk) must not turn every install into a failed sign-in.
        if record.last_used_at.is_none_or(|t| now - t > TOUCH_INTERVAL)
            && let Err(e) = self.meta.touch_token(record.id, now).await
        {
            tracing::warn!(error = %e, "could not record a token's use");
        }
        // A token minted by trusted publishing acts for the package's
        // owner on its packages alone, never with the owner's other powers.
        let grant = record.bound_to.map(std::sync::Arc::new);
        Ok(Actor::User {
            id: user.id,
            login: user.login,
            site_admin: user.site_admin && grant.is_none(),
            scopes: record.scopes,
            token_id: Some(record.id),
            session: None,
            grant,
        })
    }

    /// Checks a user name and password, returning the user's actor with the
    /// given scopes. Any failure is `BadCredentials`. Not public: every
    /// caller goes through `check_password`, which throttles guessing.
    pub(crate) async fn verify_password(
        self,
        login: &str,
        password: &str,
        scopes: Scopes,
    ) -> ServiceResult<Actor> {
        let user = self.meta.account_by_login(login).await?;
        let stored = match &user {
            Some(user) => self.meta.password_hash(user.id).await?,
            None => None,
        };
        let password = password.to_owned();
        let turn = PASSWORD_CHECKS
            .acquire()
            .await
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        // Without a user or a password, a decoy is verified all the same,
        // so that the answer takes as long and tells no one which logins
        // exist.
        let ok = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let hash = stored.as_deref().unwrap_or_else(|| decoy_hash());
            let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            });
            matches && stored.is_some()
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let Some(user) = user.filter(|u| ok && u.suspended_at.is_none()) else {
            return Err(ServiceError::BadCredentials);
        };
        Ok(Actor::User {
            id: user.id,
            login: user.login,
            site_admin: user.site_admin,
            scopes,
            token_id: None,
            session: None,
            grant: None,
        })
    }
}

/// A hash of a random password, made once with the parameters of real
/// hashes, for `verify_password` to check against when there is no real one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let mut secret = [0u8; 32];
        argon2::password_hash::rand_core::RngCore::fill_bytes(&mut OsRng, &mut secret);
        Argon2::default()
            .hash_password(&secret, &SaltString::generate(&mut OsRng))
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    &DECOY
}

/// Hashes a password with Argon2id and a random salt (PHC string format).
pub async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_decoy_costs_what_a_real_hash_costs() {
        let real = hash_password("correct horse".into()).await.unwrap();
        let real = PasswordHash::new(&real).unwrap();
        let decoy = PasswordHash::new(decoy_hash()).unwrap();
        assert_eq!(decoy.algorithm, real.algorithm);
        assert_eq!(decoy.version, real.version);
        assert_eq!(decoy.params.to_string(), real.params.to_string());
        assert_eq!(
            decoy.hash.map(|h| h.len()),
            real.hash.map(|h| h.len()),
            "the same output length"
        );
    }
}

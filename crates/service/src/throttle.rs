//! Password guessing, throttled. Every way of presenting a password (the
//! web sign-in, `npm login`, `gem signin`) goes through `check_password`,
//! which counts the attempt against the user name and against the client's
//! address in the shared store before the password is looked at: one
//! atomic count per key, so concurrent guesses and several nodes count
//! together, and a locked login learns nothing, not even from timing.

use std::net::IpAddr;

use chrono::{TimeDelta, Utc};
use entrepot_core::{Actor, Scopes, Timestamp};
use sha2::Digest as _;

use crate::{ServiceError, ServiceResult, Sessions};

/// The window attempts are counted in.
pub const WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Failed attempts per user name in a window (a success does not wipe
/// them; the window's end, or an administrator, does).
pub const PER_USER: i64 = 5;
/// Failed attempts per client address in a window, whatever the names:
/// enough for an office behind one address, too few to spray passwords.
pub const PER_ADDRESS: i64 = 30;

/// The key of a user name. A name no account can have (too long, odd
/// bytes) is keyed by its digest, so that keys stay short whatever a
/// client sends.
fn user_key(login: &str) -> String {
    let login = login.trim().to_lowercase();
    if entrepot_core::names::is_valid_login(&login) {
        format!("user:{login}")
    } else {
        let digest = sha2::Sha256::digest(login.as_bytes());
        format!("user:#{}", &hex::encode(digest)[..32])
    }
}

/// The key of a client address: one client as the connection limits count
/// them (IPv4 as it is, IPv6 by its /64).
pub(crate) fn address_key(ip: IpAddr) -> String {
    match entrepot_core::ranges::client_key(ip) {
        v4 @ IpAddr::V4(_) => format!("addr:{v4}"),
        v6 @ IpAddr::V6(_) => format!("addr:{v6}/64"),
    }
}

fn saml_key(ip: IpAddr) -> String {
    format!("saml:{}", address_key(ip))
}

/// A key with too many attempts, for the administrators' page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// `user:NAME` or `addr:ADDRESS`.
    pub key: String,
    pub attempts: i64,
    pub until: Timestamp,
}

fn throttled(until: Timestamp) -> ServiceError {
    let minutes = (until - Utc::now()).num_minutes().max(0) + 1;
    ServiceError::Throttled(format!(
        "Too many failed sign-ins. Try again in {minutes} minute{}.",
        if minutes == 1 { "" } else { "s" }
    ))
}

impl Sessions<'_> {
    /// Checks a user name and password under the throttle and returns the
    /// user's actor with `scopes`. A wrong password is `BadCredentials`; too
    /// many attempts, from this address or on this name, `Throttled`
    /// whatever the password.
    pub async fn check_password(
        self,
        login: &str,
        password: &str,
        from: Option<IpAddr>,
        scopes: Scopes,
    ) -> ServiceResult<Actor> {
        let now = Utc::now();
        let window_after = now - WINDOW;
        let address = from.map(address_key);
        if let Some(key) = &address {
            let t = self.meta.count_attempt(key, now, window_after).await?;
            if t.attempts > PER_ADDRESS {
                return Err(throttled(t.window_start + WINDOW));
            }
        }
        let user = user_key(login);
        let t = self.meta.count_attempt(&user, now, window_after).await?;
        if t.attempts > PER_USER {
            return Err(throttled(t.window_start + WINDOW));
        }
        let actor = self.verify_password(login.trim(), password, scopes).await?;
        // A success takes back its own attempt only: the failures of the
        // window still count, so that guesses sent together with (or
        // between) the owner's sign-ins never get more than their share.
        self.meta.forgive_attempt(&user).await?;
        if let Some(key) = &address {
            self.meta.forgive_attempt(key).await?;
        }
        Ok(actor)
    }

    /// Counts an attempt at a password that is not this registry's (a
    /// directory's, proven to link it) against `login` and `from`, as
    /// `check_password` counts; `Throttled` past either limit.
    pub(crate) async fn count_password_attempt(
        self,
        login: &str,
        from: Option<IpAddr>,
    ) -> ServiceResult<()> {
        let now = Utc::now();
        if let Some(ip) = from {
            self.count_address_attempt(ip).await?;
        }
        let t = self
            .meta
            .count_attempt(&user_key(login), now, now - WINDOW)
            .await?;
        if t.attempts > PER_USER {
            return Err(throttled(t.window_start + WINDOW));
        }
        Ok(())
    }

    /// Takes back the attempt `check_password` counted on `login` (and
    /// `from`) when another check of the same password (a directory's)
    /// succeeded.
    pub(crate) async fn forgive_password_attempt(
        self,
        login: &str,
        from: Option<IpAddr>,
    ) -> ServiceResult<()> {
        self.meta.forgive_attempt(&user_key(login)).await?;
        if let Some(ip) = from {
            self.meta.forgive_attempt(&address_key(ip)).await?;
        }
        Ok(())
    }

    /// Counts an attempt from `ip` on a sign-in path without a password
    /// (an identity provider's answer); `Throttled` past the address's
    /// limit.
    pub(crate) async fn count_address_attempt(self, ip: IpAddr) -> ServiceResult<()> {
        self.count_keyed(&address_key(ip)).await
    }

    /// Counts an answer posted to an organization's SAML consumer from
    /// `ip`, apart from sign-ins: any page can make a browser post one,
    /// and must not lock its address out of signing in.
    pub(crate) async fn count_saml_attempt(self, ip: IpAddr) -> ServiceResult<()> {
        self.count_keyed(&saml_key(ip)).await
    }

    pub(crate) async fn forgive_saml_attempt(self, ip: IpAddr) -> ServiceResult<()> {
        Ok(self.meta.forgive_attempt(&saml_key(ip)).await?)
    }

    async fn count_keyed(self, key: &str) -> ServiceResult<()> {
        let now = Utc::now();
        let t = self.meta.count_attempt(key, now, now - WINDOW).await?;
        if t.attempts > PER_ADDRESS {
            return Err(throttled(t.window_start + WINDOW));
        }
        Ok(())
    }

    /// Takes back an attempt `count_address_attempt` counted that succeeded.
    pub(crate) async fn forgive_address_attempt(self, ip: IpAddr) -> ServiceResult<()> {
        Ok(self.meta.forgive_attempt(&address_key(ip)).await?)
    }

    /// The user names and addresses locked now (site administrators only).
    pub async fn sign_in_locks(self, actor: &Actor) -> ServiceResult<Vec<Lock>> {
        require_site_admin(actor)?;
        let window_after = Utc::now() - WINDOW;
        let mut locks = Vec::new();
        for (key, t) in self.meta.throttled_keys(window_after, PER_USER).await? {
            let limit = if key.starts_with("addr:") || key.starts_with("saml:") {
                PER_ADDRESS
            } else {
                PER_USER
            };
            if t.attempts >= limit {
                locks.push(Lock {
                    key,
                    attempts: t.attempts,
                    until: t.window_start + WINDOW,
                });
            }
        }
        Ok(locks)
    }

    /// Lifts a lock (`user:NAME` or `addr:ADDRESS`, as `sign_in_locks`
    /// names it) for a site administrator; whether there was one.
    pub async fn lift_sign_in_lock(self, actor: &Actor, key: &str) -> ServiceResult<bool> {
        require_site_admin(actor)?;
        Ok(self.meta.clear_attempts(key).await?)
    }

    /// Lifts the lock on a user name (`entrepot admin user unlock`, which
    /// runs with the operator's authority); whether there was one.
    pub async fn unlock_user(self, login: &str) -> ServiceResult<bool> {
        self.accounts().user(login.trim()).await?;
        Ok(self.meta.clear_attempts(&user_key(login)).await?)
    }
}

fn require_site_admin(actor: &Actor) -> ServiceResult<()> {
    match actor {
        Actor::User {
            site_admin: true, ..
        } => Ok(()),
        Actor::User { .. } => Err(ServiceError::not_found("Not Found")),
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_client() {
        assert_eq!(address_key("192.0.2.7".parse().unwrap()), "addr:192.0.2.7");
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "addr:192.0.2.7"
        );
        assert_eq!(
            address_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            address_key("2001:db8:1:2:ffff::1".parse().unwrap()),
            "one /64 is one client"
        );
        assert_eq!(user_key(" Alice "), "user:alice");
        let long = user_key(&"x".repeat(100_000));
        assert!(long.starts_with("user:#") && long.len() == 38, "{long}");
    }
}

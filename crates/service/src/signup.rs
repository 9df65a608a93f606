//! Who may make accounts and organizations without a site administrator:
//! open sign-up (off unless the operator turns it on) and organizations
//! created by users (on unless the operator keeps it to site
//! administrators). The configuration gives the defaults; a site
//! administrator's choice on the settings page, kept in the shared store,
//! wins over them. Sign-ups are throttled per client address.

use chrono::Utc;
use entrepot_core::{Account, Actor};

use crate::{Accounts, ServiceError, ServiceResult};

/// The instance's account rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountPolicy {
    /// Anyone may create a user account at `/signup`.
    pub open_sign_up: bool,
    /// Any user may create an organization (else site administrators only).
    pub users_create_orgs: bool,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        AccountPolicy {
            open_sign_up: false,
            users_create_orgs: true,
        }
    }
}

/// The store's names of the two settings.
const OPEN_SIGN_UP: &str = "accounts.open_sign_up";
const USERS_CREATE_ORGS: &str = "accounts.users_create_orgs";

/// Sign-ups from one client address in a throttle window.
const SIGN_UPS_PER_ADDRESS: i64 = 5;

impl Accounts<'_> {
    /// The account rules in force: a site administrator's choice where
    /// made, else the configuration's.
    pub async fn account_policy(self) -> ServiceResult<AccountPolicy> {
        let configured = self.limits.accounts;
        let chosen = |name| async move {
            Ok::<_, ServiceError>(self.meta.setting(name).await?.map(|v| v == "true"))
        };
        Ok(AccountPolicy {
            open_sign_up: chosen(OPEN_SIGN_UP)
                .await?
                .unwrap_or(configured.open_sign_up),
            users_create_orgs: chosen(USERS_CREATE_ORGS)
                .await?
                .unwrap_or(configured.users_create_orgs),
        })
    }

    /// Sets the account rules (a site administrator), or with `None`
    /// goes back to the configuration's.
    pub async fn set_account_policy_as(
        self,
        actor: &Actor,
        policy: Option<AccountPolicy>,
    ) -> ServiceResult<AccountPolicy> {
        if !actor.is_site_admin() {
            return Err(ServiceError::not_found("Not Found"));
        }
        let text = |on: bool| if on { "true" } else { "false" };
        self.meta
            .set_setting(OPEN_SIGN_UP, policy.map(|p| text(p.open_sign_up)))
            .await?;
        self.meta
            .set_setting(USERS_CREATE_ORGS, policy.map(|p| text(p.users_create_orgs)))
            .await?;
        self.account_policy().await
    }

    /// Creates an account for someone signing up, when sign-up is open:
    /// a login, an email and a password of at least 8 characters. At most
    /// five sign-ups per client address in 15 minutes.
    pub async fn sign_up(
        self,
        login: &str,
        email: &str,
        password: String,
        from: Option<std::net::IpAddr>,
    ) -> ServiceResult<Account> {
        if !self.account_policy().await?.open_sign_up {
            return Err(ServiceError::Forbidden(
                "sign-up is closed here: a site administrator creates accounts".into(),
            ));
        }
        if !email.contains('@') || email.len() > 320 {
            return Err(ServiceError::Invalid(format!(
                "`{email}` is not an email address"
            )));
        }
        if let Some(ip) = from {
            let now = Utc::now();
            let key = format!("signup:{}", crate::throttle::address_key(ip));
            let seen = self
                .meta
                .count_attempt(&key, now, now - crate::throttle::WINDOW)
                .await?;
            if seen.attempts > SIGN_UPS_PER_ADDRESS {
                return Err(ServiceError::Throttled(
                    "too many sign-ups from this address; try again in 15 minutes".into(),
                ));
            }
        }
        let user = self
            .create_user(login, Some(email.to_owned()), false, Some(password))
            .await?;
        self.sessions().send_email_verification(&user).await?;
        Ok(user)
    }

    /// Creates an organization owned by the caller, when users may.
    pub async fn create_own_org(self, actor: &Actor, login: &str) -> ServiceResult<Account> {
        let Actor::User {
            site_admin,
            login: me,
            ..
        } = actor
        else {
            return Err(ServiceError::Unauthenticated);
        };
        if !*site_admin && !self.account_policy().await?.users_create_orgs {
            return Err(ServiceError::Forbidden(
                "only site administrators create organizations here".into(),
            ));
        }
        self.create_org(login, me).await
    }
}

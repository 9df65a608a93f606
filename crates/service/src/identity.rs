//! Sign-in through external identity providers, whatever the protocol
//! (`oidc.rs` speaks OpenID Connect): the provider vouches for a subject
//! and its claims, and this decides which account that is. An identity is
//! linked to one account by the provider's subject, never by a name, so
//! that a name reused at the provider cannot take over someone's account;
//! a person the registry does not know gets an account only where the
//! provider allows it (`auto_provision`), and their groups decide their
//! membership in the organizations the provider maps.

use std::net::IpAddr;

use chrono::Utc;
use entrepot_core::identity::{ProviderRules, login_from_claim};
use entrepot_core::{Account, AccountKind, Actor, Id, OrgRole};
use entrepot_store::{ExternalIdentity, NewUser, StoreError};

use crate::sessions::{NewSession, SignInError};
use crate::{Identity, ServiceError, ServiceResult};

/// What a provider said about the person signing in.
#[derive(Debug, Clone, Default)]
pub struct Vouched {
    /// The provider's stable identifier for them.
    pub subject: String,
    /// The claim a new account's login is made from.
    pub login: Option<String>,
    pub name: Option<String>,
    /// Their address, if the provider verified it.
    pub email: Option<String>,
    /// Their groups, when the provider sends them (`None`: it sent none,
    /// so memberships are left as they are).
    pub groups: Option<Vec<String>>,
}

/// What the caller wants of a provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// Open a session as the account the identity is linked to.
    SignIn,
    /// Link the identity to this signed-in account.
    Link(Id),
    /// Sign the member `user`'s browser `session` (its key) on to the
    /// organization `org`, whose provider this is.
    SignOn {
        org: Id,
        user: Id,
        session: std::sync::Arc<str>,
    },
}

/// How a provider's answer ended.
#[derive(Debug)]
pub enum Outcome {
    SignedIn(NewSession),
    Linked,
    /// The browser signed on to an organization.
    SignedOn,
}

/// A provider people may sign in with, as the login page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderButton {
    pub name: String,
    pub display_name: String,
    /// Where the button sends the browser.
    pub path: String,
}

impl Identity<'_> {
    /// The providers one may sign in with: the file's in its order, then
    /// those added in the pages.
    pub async fn providers(self) -> ServiceResult<Vec<ProviderButton>> {
        Ok(self
            .oidc_providers()
            .await?
            .into_iter()
            .map(|p| ProviderButton {
                path: format!("/login/oidc/{}", p.rules.name),
                name: p.rules.name,
                display_name: p.rules.display_name,
            })
            .collect())
    }

    /// The directories whose passwords the sign-in form takes, by their
    /// display names.
    #[must_use]
    pub fn directories(&self) -> Vec<String> {
        self.identity_providers
            .ldap
            .iter()
            .map(|p| p.rules.display_name.clone())
            .collect()
    }

    /// Refuses a caller whose failed sign-ins from this address reached
    /// the throttle's limit; otherwise counts this attempt, which
    /// `forgive` takes back when it succeeds.
    pub(crate) async fn count_attempt(self, from: Option<IpAddr>) -> Result<(), SignInError> {
        let Some(ip) = from else { return Ok(()) };
        match self.sessions().count_address_attempt(ip).await {
            Err(ServiceError::Throttled(m)) => Err(SignInError::Throttled(m)),
            other => Ok(other?),
        }
    }

    pub(crate) async fn forgive(self, from: Option<IpAddr>) -> ServiceResult<()> {
        if let Some(ip) = from {
            self.sessions().forgive_address_attempt(ip).await?;
        }
        Ok(())
    }

    /// Acts on what `rules`' provider vouched for.
    pub(crate) async fn conclude(
        self,
        rules: &ProviderRules,
        vouched: Vouched,
        intent: Intent,
    ) -> Result<Outcome, SignInError> {
        if let Intent::SignOn { org, user, session } = intent {
            let on = crate::sso::SignOn {
                org,
                user,
                session: &session,
            };
            let until = Utc::now() + crate::sso::SSO_SESSION_LIFETIME;
            return self.sign_on(&rules.name, &vouched.subject, on, until).await;
        }
        if let Intent::Link(user) = intent {
            self.meta
                .link_identity(&rules.name, &vouched.subject, user, Utc::now())
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(_) => SignInError::External(format!(
                        "This {} identity is linked to an account already, or yours has \
                         one there: unlink it first.",
                        rules.display_name
                    )),
                    other => ServiceError::from(other).into(),
                })?;
            return Ok(Outcome::Linked);
        }
        let account = match self
            .meta
            .sign_in_identity(&rules.name, &vouched.subject, Utc::now())
            .await?
        {
            Some(id) => self
                .meta
                .account_by_id(id)
                .await?
                .ok_or_else(|| ServiceError::Internal("a linked account is gone".into()))?,
            None => self.provision(rules, &vouched).await?,
        };
        if account.suspended_at.is_some() {
            return Err(SignInError::External(
                "This account is suspended. Ask a site administrator.".into(),
            ));
        }
        if let Some(groups) = &vouched.groups {
            self.sync_memberships(rules, &account, groups).await?;
        }
        Ok(Outcome::SignedIn(
            self.sessions().open_session(account.id).await?,
        ))
    }

    /// The account a first sign-in makes, where the provider may make one.
    async fn provision(
        self,
        rules: &ProviderRules,
        vouched: &Vouched,
    ) -> Result<Account, SignInError> {
        let not_linked = || {
            SignInError::External(format!(
                "No account here is linked to this {} identity. Sign in with your password \
                 and connect it on your profile page, or ask a site administrator.",
                rules.display_name
            ))
        };
        if !rules.auto_provision {
            return Err(not_linked());
        }
        let login = vouched
            .login
            .as_deref()
            .and_then(login_from_claim)
            .ok_or_else(|| {
                SignInError::External(format!(
                    "{} sent no name an account could take.",
                    rules.display_name
                ))
            })?;
        self.accounts()
            .refuse_new_login(&login)
            .await
            .map_err(|e| match e {
                ServiceError::Invalid(m) | ServiceError::Conflict(m) => {
                    SignInError::External(format!(
                        "An account cannot be named `{login}` here: {m}. Ask a site administrator."
                    ))
                }
                other => other.into(),
            })?;
        let user = NewUser {
            login: login.clone(),
            name: vouched.name.clone(),
            email: vouched.email.clone(),
            password_hash: None,
            site_admin: false,
        };
        match self
            .meta
            .create_linked_user(user, &rules.name, &vouched.subject)
            .await
        {
            Ok(account) => Ok(account),
            // Someone else has the name, or another sign-in of this
            // identity won the race.
            Err(StoreError::Conflict(_)) => {
                match self
                    .meta
                    .sign_in_identity(&rules.name, &vouched.subject, Utc::now())
                    .await?
                {
                    Some(id) => self.meta.account_by_id(id).await?.ok_or_else(|| {
                        ServiceError::Internal("a linked account is gone".into()).into()
                    }),
                    None => Err(SignInError::External(format!(
                        "The login `{login}` belongs to another account. If it is yours, sign \
                         in with its password and connect {} on your profile page.",
                        rules.display_name
                    ))),
                }
            }
            Err(e) => Err(ServiceError::from(e).into()),
        }
    }

    /// Makes `user`'s membership in each organization the provider maps
    /// what their groups say: added, given the role, or removed (never as
    /// an organization's last owner). Organizations that do not exist are
    /// skipped and logged.
    async fn sync_memberships(
        self,
        rules: &ProviderRules,
        user: &Account,
        groups: &[String],
    ) -> ServiceResult<()> {
        let wanted = rules.memberships(groups);
        for org_login in rules.managed_orgs() {
            let found = self.meta.account_by_login(org_login).await?;
            let Some(org) = found.filter(|a| a.kind == AccountKind::Organization) else {
                tracing::warn!(provider = %rules.name, org = org_login, "a group maps to an organization that does not exist (or is not an organization)");
                continue;
            };
            let now = self.meta.org_role(org.id, user.id).await?;
            match (wanted.get(org_login).copied(), now) {
                (Some(role), current) if current != Some(role) => {
                    if current == Some(OrgRole::Owner)
                        && self.accounts().refuse_last_owner(&org, user).await.is_err()
                    {
                        continue;
                    }
                    self.meta.set_org_member(org.id, user.id, role).await?;
                }
                (None, Some(_)) if self.accounts().refuse_last_owner(&org, user).await.is_ok() => {
                    self.meta.remove_org_member(org.id, user.id).await?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The caller's linked identities.
    pub async fn identities_as(self, actor: &Actor) -> ServiceResult<Vec<ExternalIdentity>> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self.meta.identities(user).await?)
    }

    /// Unlinks the caller's identity at `provider`, unless it is their only
    /// way to sign in (no password, no other identity).
    pub async fn unlink_as(self, actor: &Actor, provider: &str) -> ServiceResult<()> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let has_password = self.meta.password_hash(user).await?.is_some();
        let identities = self.meta.identities(user).await?;
        if !identities.iter().any(|i| i.provider == provider) {
            return Err(ServiceError::not_found(format!(
                "no identity at `{provider}` is linked to your account"
            )));
        }
        if !has_password && identities.len() == 1 {
            return Err(ServiceError::Conflict(
                "this identity is your only way to sign in: set a password first".into(),
            ));
        }
        self.meta.unlink_identity(provider, user).await?;
        Ok(())
    }
}

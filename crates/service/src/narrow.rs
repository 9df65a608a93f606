//! Narrow tokens: personal tokens that reach only the owners, repositories
//! or packages they name, with the scopes they carry and an expiry no
//! later than the site allows; and organizations' robot tokens, which no
//! person holds, reach only the organization's packages, and outlive any
//! member leaving. Both are bounded by a `Grant`, which the one access
//! rule applies (`access.rs`).

use chrono::{TimeDelta, Utc};
use entrepot_core::trusted::{Grant, GrantedPackage};
use entrepot_core::{Account, AccountKind, Actor, OrgRole, PackageType, Scopes, token};
use entrepot_store::NewTokenRecord;

use crate::accounts::IssuedToken;
use crate::{Accounts, ServiceError, ServiceResult};

/// What a narrow token reaches, as its maker names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Every package of these users or organizations.
    pub owners: Vec<String>,
    /// Packages in or connected to these repositories, `OWNER/NAME`.
    pub repositories: Vec<String>,
    /// These packages, `TYPE/OWNER/NAME` (`npm/acme/widget`).
    pub packages: Vec<String>,
}

impl Reach {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty() && self.repositories.is_empty() && self.packages.is_empty()
    }
}

/// The longest a narrow token may live unless the operator says otherwise.
pub const DEFAULT_MAX_LIFETIME: TimeDelta = TimeDelta::days(366);

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

impl Accounts<'_> {
    /// Makes a narrow token for the user `login`, or a robot token for the
    /// organization `login`. `maker` is who asks (`None`: the operator on
    /// the command line): the user themself, or an owner of the
    /// organization.
    pub async fn create_bounded_token(
        self,
        maker: Option<&Actor>,
        login: &str,
        (scopes, lifetime): (Scopes, TimeDelta),
        note: Option<String>,
        reach: &Reach,
    ) -> ServiceResult<IssuedToken> {
        let account = self.account(login).await?;
        self.may_make_tokens_for(maker, &account).await?;
        let most = self.limits.max_token_lifetime;
        if lifetime <= TimeDelta::zero() || lifetime > most {
            return Err(invalid(format!(
                "a narrow or robot token expires within {} days",
                most.num_days()
            )));
        }
        let mut grant = self.resolve(reach).await?;
        match account.kind {
            AccountKind::Organization => {
                if grant.owners.is_empty()
                    && grant.repositories.is_empty()
                    && grant.packages.is_empty()
                {
                    grant.owners.push(account.id);
                }
                self.within_organization(&account, &grant).await?;
            }
            AccountKind::User if reach.is_empty() => {
                return Err(invalid(
                    "name the owners, repositories or packages the token reaches",
                ));
            }
            AccountKind::User => {}
            AccountKind::Upstream => {
                return Err(invalid(format!("`{login}` is an upstream registry")));
            }
        }
        let new = token::generate();
        let record = self
            .meta
            .create_token(NewTokenRecord {
                user_id: account.id,
                hash: new.hash,
                prefix: new.prefix,
                scopes,
                note,
                expires_at: Some(Utc::now() + lifetime),
                bound_to: Some(grant),
            })
            .await?;
        Ok(IssuedToken {
            record,
            secret: new.secret,
        })
    }

    /// The user makes their own tokens; an organization's owners make its
    /// robots' (and site administrators, and the operator, anyone's).
    async fn may_make_tokens_for(
        self,
        maker: Option<&Actor>,
        account: &Account,
    ) -> ServiceResult<()> {
        let Some(maker) = maker else {
            return Ok(());
        };
        let Some(id) = maker.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        if matches!(maker, Actor::User { grant: Some(_), .. }) {
            return Err(ServiceError::Forbidden(
                "a restricted token makes no tokens".into(),
            ));
        }
        let allowed = maker.is_site_admin()
            || id == account.id
            || (account.kind == AccountKind::Organization
                && self.meta.org_role(account.id, id).await? == Some(OrgRole::Owner));
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "only {} itself (an organization's owners) makes its tokens",
                account.login
            )))
        }
    }

    /// The grant `reach` names, each name looked up.
    async fn resolve(self, reach: &Reach) -> ServiceResult<Grant> {
        let mut grant = Grant {
            packages: Vec::new(),
            owners: Vec::new(),
            repositories: Vec::new(),
            via: String::new(),
        };
        for owner in &reach.owners {
            grant.owners.push(self.account(owner).await?.id);
        }
        for repository in &reach.repositories {
            grant
                .repositories
                .push(self.repository(repository).await?.id);
        }
        for package in &reach.packages {
            let mut parts = package.splitn(3, '/');
            let (Some(kind), Some(owner), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid(format!(
                    "`{package}` is not TYPE/OWNER/NAME, e.g. npm/acme/widget"
                )));
            };
            let package_type: PackageType = kind
                .parse()
                .map_err(|_| invalid(format!("`{kind}` is not a package type")))?;
            let owner = self.account(owner.trim_start_matches('@')).await?;
            grant.packages.push(GrantedPackage {
                owner_id: owner.id,
                package_type,
                name: self
                    .catalog()
                    .canonical_name(package_type, name.trim_start_matches('@')),
            });
        }
        Ok(grant)
    }

    /// A robot reaches its organization's packages only.
    async fn within_organization(self, org: &Account, grant: &Grant) -> ServiceResult<()> {
        let mut repositories_outside = false;
        for id in &grant.repositories {
            let repository = self.meta.repository_by_id(*id).await?;
            repositories_outside |= repository.is_none_or(|r| r.owner_id != org.id);
        }
        let outside = repositories_outside
            || grant.owners.iter().any(|o| *o != org.id)
            || grant.packages.iter().any(|p| p.owner_id != org.id);
        if outside {
            return Err(invalid(format!(
                "a robot token of {} reaches only {}'s packages",
                org.login, org.login
            )));
        }
        Ok(())
    }
}

//! Account administration: users, organizations, repositories, tokens, and
//! the first-start site administrator.

use chrono::{TimeDelta, Utc};
use entrepot_core::{
    Account, AccountKind, Actor, Id, OrgRole, Repository, Role, Scopes, TokenRecord, Visibility,
    names, token,
};
use entrepot_store::{NewRepository, NewTokenRecord, NewUser, StoreError};

use crate::auth::hash_password;
use crate::{Accounts, ServiceError, ServiceResult};

/// The login of the administrator created on the very first start.
pub const BOOTSTRAP_ADMIN: &str = "admin";

/// A token just created: its record and the secret, which is shown once.
pub struct IssuedToken {
    pub record: TokenRecord,
    pub secret: String,
}

/// Parses a lifetime such as `30d`, `12h`, `90m` or `2w`.
pub fn parse_lifetime(text: &str) -> ServiceResult<TimeDelta> {
    let text = text.trim();
    let invalid = || {
        ServiceError::Invalid(format!(
            "`{text}` is not a lifetime such as 30d, 12h, 90m or 2w"
        ))
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| invalid())?;
    let delta = match unit {
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        "w" => TimeDelta::try_weeks(n),
        _ => None,
    };
    delta.filter(|d| *d > TimeDelta::zero()).ok_or_else(invalid)
}

pub(crate) fn conflict_as(e: StoreError, message: String) -> ServiceError {
    match e {
        // A retired login says so: "taken" would send one looking for its owner.
        StoreError::Conflict(said) if said.contains("retired") => ServiceError::Conflict(said),
        StoreError::Conflict(_) => ServiceError::Conflict(message),
        other => other.into(),
    }
}

impl Accounts<'_> {
    pub async fn account(self, login: &str) -> ServiceResult<Account> {
        self.meta.account_by_login(login).await?.ok_or_else(|| {
            ServiceError::not_found(format!("no user or organization named `{login}`"))
        })
    }

    /// The user or organization named `login`, if there is one.
    pub async fn account_by_login(self, login: &str) -> ServiceResult<Option<Account>> {
        Ok(self.meta.account_by_login(login).await?)
    }

    pub async fn account_by_id(self, id: entrepot_core::Id) -> ServiceResult<Option<Account>> {
        Ok(self.meta.account_by_id(id).await?)
    }

    /// `user`'s role in the organization `org`, if a member.
    pub async fn org_role(
        self,
        org: entrepot_core::Id,
        user: entrepot_core::Id,
    ) -> ServiceResult<Option<OrgRole>> {
        Ok(self.meta.org_role(org, user).await?)
    }

    /// `owner`'s repository called `name`, if there is one.
    pub async fn repository_of(
        self,
        owner: entrepot_core::Id,
        name: &str,
    ) -> ServiceResult<Option<Repository>> {
        Ok(self.meta.repository(owner, name).await?)
    }

    pub async fn repository_by_id(
        self,
        id: entrepot_core::Id,
    ) -> ServiceResult<Option<Repository>> {
        Ok(self.meta.repository_by_id(id).await?)
    }

    pub(crate) async fn user(self, login: &str) -> ServiceResult<Account> {
        let account = self.account(login).await?;
        if account.kind != AccountKind::User {
            return Err(ServiceError::Invalid(format!(
                "`{login}` is an organization, not a user"
            )));
        }
        Ok(account)
    }

    pub(crate) async fn organization(self, login: &str) -> ServiceResult<Account> {
        let account = self.account(login).await?;
        if account.kind != AccountKind::Organization {
            return Err(ServiceError::Invalid(format!(
                "`{login}` is a user, not an organization"
            )));
        }
        Ok(account)
    }

    /// Refuses a login an upstream reserved, saying which and how to lift
    /// it: a name once served from an upstream is not taken silently.
    async fn refuse_reserved(self, login: &str) -> ServiceResult<()> {
        let Some(upstream) = self.meta.reservation(login).await? else {
            return Ok(());
        };
        let by = self.meta.account_by_id(upstream).await?.map_or_else(
            || "an upstream".to_owned(),
            |a| format!("the upstream `{}`", a.login),
        );
        Err(ServiceError::Conflict(format!(
            "the name `{login}` is reserved: packages under it are served from {by}; \
             a site administrator can release it with `entrepot admin upstream release {login}`"
        )))
    }

    /// Refuses a login a new user may not take: not a login at all, a path
    /// of the site's, or reserved by an upstream. (A taken one is refused
    /// as the store creates the user.)
    pub(crate) async fn refuse_new_login(self, login: &str) -> ServiceResult<()> {
        if !names::is_valid_login(login) {
            return Err(ServiceError::Invalid(format!(
                "`{login}` is not a valid login: use letters, digits and single hyphens, at most 39"
            )));
        }
        refuse_site_path(login)?;
        self.refuse_reserved(login).await
    }

    pub async fn create_user(
        self,
        login: &str,
        email: Option<String>,
        site_admin: bool,
        password: Option<String>,
    ) -> ServiceResult<Account> {
        self.refuse_new_login(login).await?;
        let password_hash = match password {
            Some(p) => Some(checked_hash(p).await?),
            None => None,
        };
        self.meta
            .create_user(NewUser {
                login: login.to_owned(),
                name: None,
                email,
                password_hash,
                site_admin,
            })
            .await
            .map_err(|e| conflict_as(e, format!("the login `{login}` is taken")))
    }

    /// Sets (or replaces) a user's password, for the web pages and `npm login`.
    pub async fn set_password(self, login: &str, password: String) -> ServiceResult<()> {
        let user = self.user(login).await?;
        let hash = checked_hash(password).await?;
        Ok(self.meta.set_password_hash(user.id, &hash).await?)
    }

    pub async fn create_org(self, login: &str, owner: &str) -> ServiceResult<Account> {
        if !names::is_valid_login(login) {
            return Err(ServiceError::Invalid(format!(
                "`{login}` is not a valid organization name"
            )));
        }
        refuse_site_path(login)?;
        self.refuse_reserved(login).await?;
        let owner = self.user(owner).await?;
        self.meta
            .create_org(login, owner.id)
            .await
            .map_err(|e| conflict_as(e, format!("the login `{login}` is taken")))
    }

    pub async fn add_org_member(self, org: &str, user: &str, role: OrgRole) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        let user = self.user(user).await?;
        Ok(self.meta.set_org_member(org.id, user.id, role).await?)
    }

    /// Creates a repository record from `OWNER/NAME`.
    pub async fn create_repository(
        self,
        full_name: &str,
        visibility: Visibility,
        description: Option<String>,
    ) -> ServiceResult<Repository> {
        let (owner, name) = split_full_name(full_name)?;
        let owner = self.account(owner).await?;
        if visibility == Visibility::Internal && owner.kind != AccountKind::Organization {
            return Err(ServiceError::Invalid(
                "only organizations have internal repositories".into(),
            ));
        }
        self.meta
            .create_repository(NewRepository {
                owner_id: owner.id,
                name: name.to_owned(),
                visibility,
                description,
                code_url: None,
            })
            .await
            .map_err(|e| conflict_as(e, format!("the repository `{full_name}` exists")))
    }

    pub async fn repository(self, full_name: &str) -> ServiceResult<Repository> {
        let (owner, name) = split_full_name(full_name)?;
        let owner = self.account(owner).await?;
        self.meta
            .repository(owner.id, name)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no repository `{full_name}`")))
    }

    pub async fn add_collaborator(
        self,
        full_name: &str,
        user: &str,
        role: Role,
    ) -> ServiceResult<()> {
        let repo = self.repository(full_name).await?;
        let user = self.user(user).await?;
        Ok(self.meta.set_collaborator(repo.id, user.id, role).await?)
    }

    pub async fn create_token(
        self,
        user: &str,
        scopes: Scopes,
        lifetime: Option<TimeDelta>,
        note: Option<String>,
    ) -> ServiceResult<IssuedToken> {
        let user = self.user(user).await?;
        let new = token::generate();
        let record = self
            .meta
            .create_token(NewTokenRecord {
                user_id: user.id,
                hash: new.hash,
                prefix: new.prefix,
                scopes,
                note,
                expires_at: lifetime.map(|l| Utc::now() + l),
                bound_to: None,
            })
            .await?;
        Ok(IssuedToken {
            record,
            secret: new.secret,
        })
    }

    /// Every token of the user `login`, oldest first, revoked ones too
    /// (`admin token list`).
    pub async fn tokens_of(self, login: &str) -> ServiceResult<Vec<TokenRecord>> {
        let account = self.account(login).await?;
        Ok(self.meta.list_tokens(account.id).await?)
    }

    pub async fn revoke_token(self, id: i64) -> ServiceResult<()> {
        if self.meta.revoke_token(id, Utc::now()).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "no active token with id {id}"
            )))
        }
    }

    /// On the very first start (no user at all), creates the site
    /// administrator and returns its token; `None` on every later start.
    pub async fn bootstrap_admin(self) -> ServiceResult<Option<IssuedToken>> {
        if self.meta.count_users().await? > 0 {
            return Ok(None);
        }
        match self.create_user(BOOTSTRAP_ADMIN, None, true, None).await {
            Ok(_) => {}
            // Another node won the race to create it.
            Err(ServiceError::Conflict(_)) => return Ok(None),
            Err(e) => return Err(e),
        }
        let issued = self
            .create_token(
                BOOTSTRAP_ADMIN,
                Scopes::ALL,
                None,
                Some("created on first start".into()),
            )
            .await?;
        Ok(Some(issued))
    }

    /// A signed-in user's own tokens, newest first.
    pub async fn own_tokens(self, actor: &Actor) -> ServiceResult<Vec<TokenRecord>> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let mut tokens = self.meta.list_tokens(user).await?;
        tokens.reverse();
        Ok(tokens)
    }

    /// Revokes one of the caller's own tokens; anyone else's is not found.
    pub async fn revoke_own_token(self, actor: &Actor, id: Id) -> ServiceResult<()> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        match self.meta.token_by_id(id).await? {
            Some(record) if record.user_id == user => self.revoke_token(id).await,
            _ => Err(ServiceError::not_found("Token not found")),
        }
    }
}

async fn checked_hash(password: String) -> ServiceResult<String> {
    if password.chars().count() < 8 {
        return Err(ServiceError::Invalid(
            "passwords need at least 8 characters".into(),
        ));
    }
    hash_password(password).await
}

/// Refuses a login the site's own paths use.
fn refuse_site_path(login: &str) -> ServiceResult<()> {
    if names::is_reserved_login(login) {
        Err(ServiceError::Invalid(format!(
            "`{login}` is a name the site's own pages use; choose another"
        )))
    } else {
        Ok(())
    }
}

/// Splits `OWNER/NAME`, validating both halves before any lookup.
pub fn split_full_name(full_name: &str) -> ServiceResult<(&str, &str)> {
    match full_name.split_once('/') {
        Some((owner, name)) if names::is_valid_login(owner) && names::is_valid_repo_name(name) => {
            Ok((owner, name))
        }
        _ => Err(ServiceError::Invalid(format!(
            "`{full_name}` is not of the form OWNER/REPOSITORY"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_in_minutes_hours_days_and_weeks() {
        assert_eq!(parse_lifetime("30d").unwrap(), TimeDelta::days(30));
        assert_eq!(parse_lifetime("12h").unwrap(), TimeDelta::hours(12));
        assert_eq!(parse_lifetime("2w").unwrap(), TimeDelta::weeks(2));
        for bad in ["", "d", "0d", "30", "30y", "-1d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn full_names_need_a_valid_owner_and_repository() {
        assert_eq!(
            split_full_name("alice/hello.js").unwrap(),
            ("alice", "hello.js")
        );
        for bad in ["alice", "/x", "alice/", "al ice/x", "alice/a/b"] {
            assert!(split_full_name(bad).is_err(), "{bad}");
        }
    }
}

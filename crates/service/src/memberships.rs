//! Organization membership as organizations run it: owners add members
//! (at once; Entrepot sends no invitations yet), change their roles and
//! remove them, never the last owner; a member may leave. Members are
//! listed to members, and to site administrators.

use entrepot_core::{Account, Actor, OrgRole, Scope};

use crate::{Accounts, ServiceError, ServiceResult};

impl Accounts<'_> {
    /// The caller's role in `org`, if a member; a stranger is told the
    /// organization has no such member list (404).
    async fn member_role(self, actor: &Actor, org: &Account) -> ServiceResult<Option<OrgRole>> {
        let Some(me) = actor.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        Ok(self.meta.org_role(org.id, me).await?)
    }

    /// Requires the caller to own `org` (or administer the site), with
    /// the `admin:org` scope, as GitHub asks.
    async fn require_org_owner(self, actor: &Actor, org: &Account) -> ServiceResult<()> {
        let role = self.member_role(actor, org).await?;
        let site_admin = matches!(
            actor,
            Actor::User {
                site_admin: true,
                ..
            }
        );
        if role == Some(OrgRole::Owner) || site_admin {
            if let Actor::User { scopes, .. } = actor
                && !scopes.contains(Scope::AdminOrg)
            {
                return Err(ServiceError::Forbidden(
                    "the token lacks the `admin:org` scope".into(),
                ));
            }
            Ok(())
        } else if role.is_some() {
            Err(ServiceError::Forbidden(format!(
                "only owners of `{}` manage its members",
                org.login
            )))
        } else {
            Err(ServiceError::not_found("Not Found"))
        }
    }

    /// The members of `org` with their roles, for its members.
    pub async fn members_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<Vec<(Account, OrgRole)>> {
        let org = self.organization(org).await?;
        let site_admin = matches!(
            actor,
            Actor::User {
                site_admin: true,
                ..
            }
        );
        if self.member_role(actor, &org).await?.is_none() && !site_admin {
            return Err(ServiceError::not_found("Not Found"));
        }
        let mut out = Vec::new();
        for (id, role) in self.meta.org_members(org.id).await? {
            if let Some(account) = self.meta.account_by_id(id).await? {
                out.push((account, role));
            }
        }
        Ok(out)
    }

    /// `login`'s membership of `org`, for the member and the org's members.
    pub async fn membership_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
    ) -> ServiceResult<(Account, OrgRole)> {
        self.members_as(actor, org)
            .await?
            .into_iter()
            .find(|(a, _)| a.login.eq_ignore_ascii_case(login))
            .ok_or_else(|| ServiceError::not_found(format!("`{login}` is not a member of `{org}`")))
    }

    /// Adds `login` to `org` with `role`, or changes their role; an owner
    /// cannot demote the last owner.
    pub async fn set_membership_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
        role: OrgRole,
    ) -> ServiceResult<(Account, OrgRole)> {
        let org_account = self.organization(org).await?;
        self.require_org_owner(actor, &org_account).await?;
        let user = self.user(login).await?;
        if role == OrgRole::Member {
            self.refuse_last_owner(&org_account, &user).await?;
        }
        self.meta
            .set_org_member(org_account.id, user.id, role)
            .await?;
        Ok((user, role))
    }

    /// Removes `login` from `org`: its owners may, and so may the member
    /// (leaving); never the last owner.
    pub async fn remove_membership_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
    ) -> ServiceResult<()> {
        let org_account = self.organization(org).await?;
        let leaving = actor
            .login()
            .is_some_and(|me| me.eq_ignore_ascii_case(login));
        if leaving {
            if self.member_role(actor, &org_account).await?.is_none() {
                return Err(ServiceError::not_found("Not Found"));
            }
        } else {
            self.require_org_owner(actor, &org_account).await?;
        }
        self.remove_org_member(org, login).await
    }
}

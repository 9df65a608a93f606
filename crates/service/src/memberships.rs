//! Organization membership as organizations run it: owners invite people
//! (who accept or decline; a mail tells them, where mail is set up),
//! change members' roles and remove them, never the last owner; a member
//! may leave. Members are listed to members, and to site administrators.

use entrepot_core::{Account, Actor, Id, OrgRole, Scope};
use entrepot_store::OrgInvitation;

/// Where a membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipState {
    Active,
    /// Invited, not accepted yet.
    Pending,
}

use crate::{Accounts, ServiceError, ServiceResult};

impl Accounts<'_> {
    /// The caller's role in `org`, if a member; a stranger is told the
    /// organization has no such member list (404).
    pub(crate) async fn member_role(
        self,
        actor: &Actor,
        org: &Account,
    ) -> ServiceResult<Option<OrgRole>> {
        let Some(me) = actor.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        Ok(self.meta.org_role(org.id, me).await?)
    }

    /// Requires the caller to own `org` (or administer the site), with
    /// the `admin:org` scope, as GitHub asks.
    pub(crate) async fn require_org_owner(self, actor: &Actor, org: &Account) -> ServiceResult<()> {
        let role = self.member_role(actor, org).await?;
        let site_admin = actor.is_site_admin();
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

    /// `org` and the caller's role in it, for its members and site
    /// administrators; anyone else is told there is no such thing (404).
    pub async fn org_role_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<(Account, Option<OrgRole>)> {
        let org = self.organization(org).await?;
        let role = self.member_role(actor, &org).await?;
        if role.is_none() && !actor.is_site_admin() {
            return Err(ServiceError::not_found("Not Found"));
        }
        Ok((org, role))
    }

    /// The members of `org` with their roles, for its members.
    pub async fn members_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<Vec<(Account, OrgRole)>> {
        let (org, _) = self.org_role_as(actor, org).await?;
        let mut out = Vec::new();
        for (id, role) in self.meta.org_members(org.id).await? {
            if let Some(account) = self.meta.account_by_id(id).await? {
                out.push((account, role));
            }
        }
        Ok(out)
    }

    /// `login`'s membership of `org`, for the member and the org's
    /// members: active, or pending (invited) for its owners and the
    /// invitee.
    pub async fn membership_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
    ) -> ServiceResult<(Account, OrgRole, MembershipState)> {
        let me = actor
            .login()
            .is_some_and(|me| me.eq_ignore_ascii_case(login));
        if me && let Ok(invitation) = self.my_invitation(actor, org).await {
            return Ok((
                self.user(login).await?,
                invitation.role,
                MembershipState::Pending,
            ));
        }
        let members = self.members_as(actor, org).await?;
        if let Some((account, role)) = members
            .into_iter()
            .find(|(a, _)| a.login.eq_ignore_ascii_case(login))
        {
            return Ok((account, role, MembershipState::Active));
        }
        if let Ok(pending) = self.invitations_as(actor, org).await
            && let Some((invitation, account, _)) = pending
                .into_iter()
                .find(|(_, a, _)| a.login.eq_ignore_ascii_case(login))
        {
            return Ok((account, invitation.role, MembershipState::Pending));
        }
        Err(ServiceError::not_found(format!(
            "`{login}` is not a member of `{org}`"
        )))
    }

    /// Changes a member's role, or invites someone who is not a member
    /// yet (their membership is pending until they accept); an owner
    /// cannot demote the last owner.
    pub async fn set_membership_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
        role: OrgRole,
    ) -> ServiceResult<(Account, OrgRole, MembershipState)> {
        let org_account = self.organization(org).await?;
        self.require_org_owner(actor, &org_account).await?;
        let user = self.user(login).await?;
        if self.meta.org_role(org_account.id, user.id).await?.is_some() {
            if role == OrgRole::Member {
                self.refuse_last_owner(&org_account, &user).await?;
            }
            self.meta
                .set_org_member(org_account.id, user.id, role)
                .await?;
            return Ok((user, role, MembershipState::Active));
        }
        let inviter = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        self.meta
            .invite_org_member(org_account.id, user.id, role, inviter, chrono::Utc::now())
            .await?;
        self.mail_invitation(&org_account, &user, actor.login().unwrap_or_default())
            .await;
        Ok((user, role, MembershipState::Pending))
    }

    /// Tells the invitee by mail, at their verified address, where mail
    /// is set up; a failure is logged (the invitation stands).
    async fn mail_invitation(self, org: &Account, user: &Account, inviter: &str) {
        let (Some(mailer), Some(to)) = (&self.mailer, &user.email) else {
            return;
        };
        if user.email_verified_at.is_none() {
            return;
        }
        let link = self
            .catalog()
            .url(&format!("/orgs/{}/invitation", org.login));
        let mail = crate::mail::Mail {
            to: to.clone(),
            subject: format!("{inviter} invited you to join {} on Entrepot", org.login),
            body: format!(
                "{inviter} invited you to join the organization {} on Entrepot.\n\n\
                 Accept or decline the invitation here:\n{link}\n",
                org.login
            ),
        };
        if let Err(e) = mailer.send(mail).await {
            tracing::warn!(error = %e, user = %user.login, org = %org.login, "could not send an invitation mail");
        }
    }

    /// The caller's pending invitation into `org`.
    pub async fn my_invitation(self, actor: &Actor, org: &str) -> ServiceResult<OrgInvitation> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let org_account = self.organization(org).await?;
        self.meta
            .org_invitations(Some(org_account.id), Some(me))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::not_found(format!("no invitation into `{org}`")))
    }

    /// Accepts the caller's invitation into `org`: they are a member now.
    pub async fn accept_invitation_as(self, actor: &Actor, org: &str) -> ServiceResult<OrgRole> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let org_account = self.organization(org).await?;
        self.meta
            .accept_org_invitation(org_account.id, me)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no invitation into `{org}`")))
    }

    /// Declines the caller's invitation into `org`.
    pub async fn decline_invitation_as(self, actor: &Actor, org: &str) -> ServiceResult<()> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let org_account = self.organization(org).await?;
        if self.meta.delete_org_invitation(org_account.id, me).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "no invitation into `{org}`"
            )))
        }
    }

    /// The pending invitations of `org`, with their invitees, for its
    /// owners.
    pub async fn invitations_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<Vec<(OrgInvitation, Account, Option<Account>)>> {
        let org_account = self.organization(org).await?;
        self.require_org_owner(actor, &org_account).await?;
        let mut out = Vec::new();
        for invitation in self
            .meta
            .org_invitations(Some(org_account.id), None)
            .await?
        {
            let Some(person) = self.meta.account_by_id(invitation.user_id).await? else {
                continue;
            };
            let inviter = match invitation.inviter_id {
                Some(id) => self.meta.account_by_id(id).await?,
                None => None,
            };
            out.push((invitation, person, inviter));
        }
        Ok(out)
    }

    /// Withdraws the invitation `id` of `org` (its owners).
    pub async fn cancel_invitation_as(self, actor: &Actor, org: &str, id: Id) -> ServiceResult<()> {
        let org_account = self.organization(org).await?;
        self.require_org_owner(actor, &org_account).await?;
        let found = self
            .meta
            .org_invitations(Some(org_account.id), None)
            .await?
            .into_iter()
            .find(|i| i.id == id)
            .ok_or_else(|| ServiceError::not_found("Not Found"))?;
        self.meta
            .delete_org_invitation(org_account.id, found.user_id)
            .await?;
        Ok(())
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
            // Someone invited, not yet a member: the invitation is withdrawn.
            let user = self.user(login).await?;
            if self.meta.org_role(org_account.id, user.id).await?.is_none()
                && self
                    .meta
                    .delete_org_invitation(org_account.id, user.id)
                    .await?
            {
                return Ok(());
            }
        }
        self.remove_org_member(org, login).await
    }
}

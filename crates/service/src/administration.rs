//! Site administration of people and repositories: listing, suspending,
//! promoting and deleting users, removing members, listing and deleting
//! repositories. Each use case comes twice: as the operator runs it from
//! `entrepot admin` (the server's own authority), and `_as` an actor, for
//! the REST API and the web pages, where only a site administrator acting
//! with the `site_admin` scope may (others are told there is nothing here).

use chrono::Utc;
use entrepot_core::{Account, AccountKind, Actor, Id, OrgRole, RegistryKind, Repository, Scope};
use entrepot_store::Footprint;

use crate::{Accounts, ServiceError, ServiceResult};

/// At most this many accounts in one page of a listing.
pub const MAX_PAGE: u32 = 100;

/// Lets a site administrator through; tells anyone else there is nothing
/// here, and a site administrator whose token lacks `site_admin` that it
/// does.
pub(crate) fn require_site_admin(actor: &Actor) -> ServiceResult<()> {
    match actor {
        Actor::User {
            site_admin: true,
            scopes,
            ..
        } => {
            if scopes.contains(Scope::SiteAdmin) {
                Ok(())
            } else {
                Err(ServiceError::Forbidden(
                    "the token lacks the `site_admin` scope".into(),
                ))
            }
        }
        Actor::User { .. } => Err(ServiceError::not_found("Not Found")),
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
    }
}

/// What deleting a user would take, said before it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionPlan {
    pub user: Account,
    pub footprint: Footprint,
}

impl DeletionPlan {
    /// One sentence: what goes with the account.
    #[must_use]
    pub fn describe(&self) -> String {
        let f = &self.footprint;
        format!(
            "Deleting `{}` deletes its {} package(s) ({} version(s)) and {} repository(ies), \
             its tokens, sessions and memberships; the login is retired for good",
            self.user.login, f.packages, f.versions, f.repositories
        )
    }
}

impl Accounts<'_> {
    /// Users (or organizations) with an id above `since`, by id.
    pub async fn list(
        self,
        kind: AccountKind,
        since: Id,
        per_page: u32,
    ) -> ServiceResult<Vec<Account>> {
        let limit = per_page.clamp(1, MAX_PAGE);
        Ok(self.meta.list_accounts(kind, since, limit).await?)
    }

    /// Suspends a user: every token and session of theirs stops working
    /// at once; their packages stay as they are.
    pub async fn suspend(self, login: &str) -> ServiceResult<Account> {
        let user = self.user(login).await?;
        if user.suspended_at.is_none() {
            self.meta.set_suspended(user.id, Some(Utc::now())).await?;
            tracing::info!(user = %user.login, "user suspended");
        }
        self.user(login).await
    }

    pub async fn unsuspend(self, login: &str) -> ServiceResult<Account> {
        let user = self.user(login).await?;
        self.meta.set_suspended(user.id, None).await?;
        self.user(login).await
    }

    /// Makes a user a site administrator (`admin`) or takes it away.
    pub async fn set_site_admin(self, login: &str, admin: bool) -> ServiceResult<Account> {
        let user = self.user(login).await?;
        self.meta.set_site_admin(user.id, admin).await?;
        self.user(login).await
    }

    /// What deleting `login` would take with it. A user who is the only
    /// owner of an organization cannot be deleted until it has another.
    pub async fn deletion_plan(self, login: &str) -> ServiceResult<DeletionPlan> {
        let user = self.user(login).await?;
        let footprint = self.meta.account_footprint(user.id).await?;
        if !footprint.sole_owner_of.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "`{}` is the only owner of {}: make someone else an owner first",
                user.login,
                footprint.sole_owner_of.join(", ")
            )));
        }
        Ok(DeletionPlan { user, footprint })
    }

    /// Deletes a user and everything they own, retiring the login.
    pub async fn delete_user(self, login: &str) -> ServiceResult<DeletionPlan> {
        let plan = self.deletion_plan(login).await?;
        self.meta.delete_account(plan.user.id, Utc::now()).await?;
        tracing::info!(user = %plan.user.login, packages = plan.footprint.packages, "user deleted");
        Ok(plan)
    }

    /// An organization's members and their roles, by user id.
    pub async fn members(self, org: &str) -> ServiceResult<Vec<(Id, OrgRole)>> {
        let org = self.organization(org).await?;
        Ok(self.meta.org_members(org.id).await?)
    }

    /// Refuses to leave `org` without an owner by taking `user` away.
    pub(crate) async fn refuse_last_owner(
        self,
        org: &Account,
        user: &Account,
    ) -> ServiceResult<()> {
        let owners: Vec<Id> = self
            .meta
            .org_members(org.id)
            .await?
            .into_iter()
            .filter(|(_, role)| *role == OrgRole::Owner)
            .map(|(id, _)| id)
            .collect();
        if owners == [user.id] {
            return Err(ServiceError::Conflict(format!(
                "`{}` is the last owner of `{}`: make someone else an owner first",
                user.login, org.login
            )));
        }
        Ok(())
    }

    /// Removes a member from an organization, never its last owner.
    pub async fn remove_org_member(self, org: &str, login: &str) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        let user = self.user(login).await?;
        self.refuse_last_owner(&org, &user).await?;
        if self.meta.remove_org_member(org.id, user.id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "`{}` is not a member of `{}`",
                user.login, org.login
            )))
        }
    }

    /// Every repository, or `owner`'s.
    pub async fn list_repositories(self, owner: Option<&str>) -> ServiceResult<Vec<Repository>> {
        let owner = match owner {
            Some(login) => Some(self.account(login).await?.id),
            None => None,
        };
        Ok(self.meta.list_repositories(owner).await?)
    }

    /// Deletes a repository record; the packages connected to it stay,
    /// connected to none. Answers how many there were.
    /// Refused while packages of a repository-scoped registry (Maven) live
    /// in it, since no URL would reach them afterwards.
    pub async fn delete_repository(self, full_name: &str) -> ServiceResult<u64> {
        let repository = self.repository(full_name).await?;
        let inside = self
            .meta
            .list_packages(entrepot_store::PackageFilter {
                repository_id: Some(repository.id),
                include_deleted: true,
                ..entrepot_store::PackageFilter::default()
            })
            .await?;
        let living_in_it: Vec<&str> = inside
            .iter()
            .filter(|p| p.package_type.registry_kind() == RegistryKind::RepositoryScoped)
            .map(|p| p.name.as_str())
            .collect();
        if !living_in_it.is_empty() {
            return Err(ServiceError::Conflict(format!(
                "`{full_name}` holds {} package(s) that live in it and no other URL reaches \
                 ({}): delete them first",
                living_in_it.len(),
                living_in_it.join(", ")
            )));
        }
        Ok(self.meta.delete_repository(repository.id).await?)
    }

    /// The accounts using the most storage, for a site administrator.
    pub async fn storage_as(
        self,
        actor: &Actor,
        limit: u64,
    ) -> ServiceResult<Vec<entrepot_store::OwnerUsage>> {
        require_site_admin(actor)?;
        Ok(self.meta.storage_by_owner(limit).await?)
    }

    /// Every repository (or `owner`'s) with how many live packages are
    /// connected to each, for a site administrator.
    pub async fn repositories_as(
        self,
        actor: &Actor,
        owner: Option<&str>,
    ) -> ServiceResult<Vec<Repository>> {
        require_site_admin(actor)?;
        self.list_repositories(owner).await
    }

    /// `list`, for a site administrator.
    pub async fn list_as(
        self,
        actor: &Actor,
        kind: AccountKind,
        since: Id,
        per_page: u32,
    ) -> ServiceResult<Vec<Account>> {
        require_site_admin(actor)?;
        self.list(kind, since, per_page).await
    }

    /// `suspend` or `unsuspend`, for a site administrator, who cannot
    /// suspend themselves.
    pub async fn set_suspended_as(
        self,
        actor: &Actor,
        login: &str,
        suspended: bool,
    ) -> ServiceResult<Account> {
        require_site_admin(actor)?;
        if suspended
            && actor
                .login()
                .is_some_and(|me| me.eq_ignore_ascii_case(login))
        {
            return Err(ServiceError::Forbidden(
                "a site administrator cannot suspend themselves".into(),
            ));
        }
        if suspended {
            self.suspend(login).await
        } else {
            self.unsuspend(login).await
        }
    }

    /// `set_site_admin`, for a site administrator, who cannot demote
    /// themselves (another administrator can).
    pub async fn set_site_admin_as(
        self,
        actor: &Actor,
        login: &str,
        admin: bool,
    ) -> ServiceResult<Account> {
        require_site_admin(actor)?;
        if !admin
            && actor
                .login()
                .is_some_and(|me| me.eq_ignore_ascii_case(login))
        {
            return Err(ServiceError::Forbidden(
                "a site administrator cannot demote themselves".into(),
            ));
        }
        self.set_site_admin(login, admin).await
    }

    /// `deletion_plan`, for a site administrator.
    pub async fn deletion_plan_as(self, actor: &Actor, login: &str) -> ServiceResult<DeletionPlan> {
        require_site_admin(actor)?;
        self.deletion_plan(login).await
    }

    /// `delete_user`, for a site administrator, who cannot delete
    /// themselves.
    pub async fn delete_user_as(self, actor: &Actor, login: &str) -> ServiceResult<DeletionPlan> {
        require_site_admin(actor)?;
        if actor
            .login()
            .is_some_and(|me| me.eq_ignore_ascii_case(login))
        {
            return Err(ServiceError::Forbidden(
                "a site administrator cannot delete themselves".into(),
            ));
        }
        self.delete_user(login).await
    }

    /// `create_user`, for a site administrator.
    pub async fn create_user_as(
        self,
        actor: &Actor,
        login: &str,
        email: Option<String>,
    ) -> ServiceResult<Account> {
        require_site_admin(actor)?;
        self.create_user(login, email, false, None).await
    }

    /// `create_org`, for a site administrator: `owner` becomes its owner.
    pub async fn create_org_as(
        self,
        actor: &Actor,
        login: &str,
        owner: &str,
    ) -> ServiceResult<Account> {
        require_site_admin(actor)?;
        self.create_org(login, owner).await
    }
}

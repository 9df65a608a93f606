//! Repositories as their owners run them: creating one under oneself or an
//! organization one belongs to, reading it as its visibility allows,
//! changing its description, visibility and the URL of its code on a
//! forge, managing collaborators, and deleting it. Writes want the `repo`
//! scope; a repository the caller may not see does not exist for them
//! (404), one they may see but not administer answers 403.

use entrepot_core::{AccountKind, Actor, OrgRole, Repository, Role, Scope, Visibility, names};
use entrepot_store::{NewRepository, RepositoryChanges};

use crate::accounts::{conflict_as, split_full_name};
use crate::{Accounts, ServiceError, ServiceResult};

/// What creating a repository takes.
#[derive(Debug, Clone, Default)]
pub struct RepositoryRequest {
    pub name: String,
    pub visibility: Option<Visibility>,
    pub description: Option<String>,
    pub code_url: Option<String>,
}

/// The longest description and code URL kept.
const MAX_DESCRIPTION: usize = 1024;
const MAX_URL: usize = 2048;

/// A forge URL: `http` or `https`, with a host, at most `MAX_URL` long.
pub fn checked_code_url(url: &str) -> ServiceResult<String> {
    let parsed = url::Url::parse(url.trim()).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && url.len() <= MAX_URL
    });
    parsed.map(String::from).ok_or_else(|| {
        ServiceError::Invalid(format!(
            "`{url}` is not an http(s) URL of at most {MAX_URL} characters"
        ))
    })
}

fn checked_description(text: Option<String>) -> ServiceResult<Option<String>> {
    match text {
        Some(t) if t.len() > MAX_DESCRIPTION => Err(ServiceError::Invalid(format!(
            "a description has at most {MAX_DESCRIPTION} bytes"
        ))),
        Some(t) if t.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn require_repo_scope(actor: &Actor) -> ServiceResult<()> {
    match actor {
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
        Actor::User { scopes, .. } if !scopes.contains(Scope::Repo) => Err(
            ServiceError::Forbidden("the token lacks the `repo` scope".into()),
        ),
        Actor::User { .. } => Ok(()),
    }
}

impl Accounts<'_> {
    /// Creates a repository under `owner` (the caller when `None`): one's
    /// own account, or an organization one is a member of.
    pub async fn create_repository_as(
        self,
        actor: &Actor,
        owner: Option<&str>,
        request: RepositoryRequest,
    ) -> ServiceResult<Repository> {
        require_repo_scope(actor)?;
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let owner = match owner {
            None => self
                .meta
                .account_by_id(me)
                .await?
                .ok_or(ServiceError::BadCredentials)?,
            Some(login) => {
                let org = self.organization(login).await?;
                if self.meta.org_role(org.id, me).await?.is_none() {
                    return Err(ServiceError::Forbidden(format!(
                        "only members of `{}` create repositories in it",
                        org.login
                    )));
                }
                org
            }
        };
        if !names::is_valid_repo_name(&request.name) {
            return Err(ServiceError::Invalid(format!(
                "`{}` is not a valid repository name: letters, digits, `.`, `-` and `_`",
                request.name
            )));
        }
        let visibility = request.visibility.unwrap_or(Visibility::Public);
        if visibility == Visibility::Internal && owner.kind != AccountKind::Organization {
            return Err(ServiceError::Invalid(
                "only organizations have internal repositories".into(),
            ));
        }
        let code_url = request
            .code_url
            .filter(|u| !u.trim().is_empty())
            .map(|u| checked_code_url(&u))
            .transpose()?;
        let full_name = format!("{}/{}", owner.login, request.name);
        self.meta
            .create_repository(NewRepository {
                owner_id: owner.id,
                name: request.name,
                visibility,
                description: checked_description(request.description)?,
                code_url,
            })
            .await
            .map_err(|e| conflict_as(e, format!("the repository `{full_name}` exists")))
    }

    /// The repository, if `actor` may see it: public ones to anyone,
    /// internal ones to every signed-in user, private ones to those with a
    /// role on it.
    pub async fn repository_as(self, actor: &Actor, full_name: &str) -> ServiceResult<Repository> {
        split_full_name(full_name).map_err(|_| ServiceError::not_found("Not Found"))?;
        let found = self.repository(full_name).await;
        let hidden = || ServiceError::unseen(actor, "Not Found");
        let Ok(repository) = found else {
            return Err(hidden());
        };
        let visible = match repository.visibility {
            Visibility::Public => true,
            Visibility::Internal => actor.user_id().is_some(),
            Visibility::Private => self.repository_role(actor, &repository).await?.is_some(),
        };
        if !visible {
            return Err(hidden());
        }
        // Only what anyone may read is outside an organization's sign-on.
        if repository.visibility != Visibility::Public {
            self.require_sso(actor, &self.account(&repository.owner_login).await?)
                .await?;
        }
        Ok(repository)
    }

    /// The repository, if `actor` may see it and administers it.
    async fn administered(self, actor: &Actor, full_name: &str) -> ServiceResult<Repository> {
        let repository = self.repository_as(actor, full_name).await?;
        require_repo_scope(actor)?;
        self.require_sso(actor, &self.account(&repository.owner_login).await?)
            .await?;
        if self.repository_role(actor, &repository).await? == Some(Role::Admin) {
            Ok(repository)
        } else {
            Err(ServiceError::Forbidden(format!(
                "administering `{full_name}` takes its admin role"
            )))
        }
    }

    /// Changes a repository's visibility, description or code URL.
    pub async fn update_repository_as(
        self,
        actor: &Actor,
        full_name: &str,
        mut changes: RepositoryChanges,
    ) -> ServiceResult<Repository> {
        let repository = self.administered(actor, full_name).await?;
        // Archived, it is read-only: only unarchiving changes it.
        if repository.archived_at.is_some() && changes.archived != Some(false) {
            return Err(ServiceError::Forbidden(format!(
                "`{full_name}` is archived, so it is read-only: unarchive it first"
            )));
        }
        if changes.visibility == Some(Visibility::Internal) {
            let owner = self.account(&repository.owner_login).await?;
            if owner.kind != AccountKind::Organization {
                return Err(ServiceError::Invalid(
                    "only organizations have internal repositories".into(),
                ));
            }
        }
        if let Some(description) = changes.description.take() {
            changes.description = Some(checked_description(description)?);
        }
        if let Some(Some(url)) = &changes.code_url {
            changes.code_url = Some(if url.trim().is_empty() {
                None
            } else {
                Some(checked_code_url(url)?)
            });
        }
        self.meta.update_repository(repository.id, changes).await?;
        self.repository(full_name).await
    }

    /// The repository and the packages connected to it (or, for Maven,
    /// living in it), for its admins: what deleting it would touch.
    pub async fn repository_packages_as(
        self,
        actor: &Actor,
        full_name: &str,
    ) -> ServiceResult<(Repository, Vec<entrepot_core::Package>)> {
        let repository = self.administered(actor, full_name).await?;
        let packages = self
            .meta
            .list_packages(entrepot_store::PackageFilter {
                repository_id: Some(repository.id),
                ..entrepot_store::PackageFilter::default()
            })
            .await?;
        Ok((repository, packages))
    }

    /// Deletes a repository its admin deletes (see `delete_repository`).
    pub async fn delete_repository_as(self, actor: &Actor, full_name: &str) -> ServiceResult<u64> {
        self.administered(actor, full_name).await?;
        self.delete_repository(full_name).await
    }

    /// The collaborators and their roles, for those who may write to it.
    pub async fn collaborators_as(
        self,
        actor: &Actor,
        full_name: &str,
    ) -> ServiceResult<Vec<(entrepot_core::Account, Role)>> {
        let repository = self.repository_as(actor, full_name).await?;
        if self.repository_role(actor, &repository).await? < Some(Role::Write) {
            return Err(ServiceError::Forbidden(format!(
                "listing the collaborators of `{full_name}` takes write access"
            )));
        }
        let mut out = Vec::new();
        for (id, role) in self.meta.collaborators(repository.id).await? {
            if let Some(account) = self.meta.account_by_id(id).await? {
                out.push((account, role));
            }
        }
        Ok(out)
    }

    /// Gives `login` `role` on the repository (or changes it).
    pub async fn set_collaborator_as(
        self,
        actor: &Actor,
        full_name: &str,
        login: &str,
        role: Role,
    ) -> ServiceResult<()> {
        let repository = self.administered(actor, full_name).await?;
        let user = self.user(login).await?;
        Ok(self
            .meta
            .set_collaborator(repository.id, user.id, role)
            .await?)
    }

    /// Removes a collaborator: the repository's admins may, and so may the
    /// collaborator themselves (leaving it).
    pub async fn remove_collaborator_as(
        self,
        actor: &Actor,
        full_name: &str,
        login: &str,
    ) -> ServiceResult<()> {
        let leaving = actor
            .login()
            .is_some_and(|me| me.eq_ignore_ascii_case(login));
        let repository = if leaving {
            require_repo_scope(actor)?;
            self.repository_as(actor, full_name).await?
        } else {
            self.administered(actor, full_name).await?
        };
        let user = self.user(login).await?;
        if self
            .meta
            .remove_collaborator(repository.id, user.id)
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "`{login}` is not a collaborator on `{full_name}`"
            )))
        }
    }

    /// Changes the caller's own name and email (`Some(None)` clears one).
    pub async fn update_profile_as(
        self,
        actor: &Actor,
        name: Option<Option<String>>,
        email: Option<Option<String>>,
    ) -> ServiceResult<entrepot_core::Account> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let bounded = |v: Option<Option<String>>, what: &str, max: usize| match v {
            Some(Some(t)) if t.len() > max => Err(ServiceError::Invalid(format!(
                "a {what} has at most {max} bytes"
            ))),
            Some(Some(t)) if t.trim().is_empty() => Ok(Some(None)),
            Some(Some(t)) if what == "email" && !t.contains('@') => Err(ServiceError::Invalid(
                format!("`{t}` is not an email address"),
            )),
            other => Ok(other),
        };
        let name = bounded(name, "name", 255)?;
        let email = bounded(email, "email", 320)?;
        let new_address = matches!(email, Some(Some(_)));
        self.meta.update_profile(me, name, email).await?;
        let account = self
            .meta
            .account_by_id(me)
            .await?
            .ok_or(ServiceError::BadCredentials)?;
        if new_address {
            self.sessions().send_email_verification(&account).await?;
        }
        Ok(account)
    }

    /// The organizations the caller belongs to, with their role.
    pub async fn my_orgs(
        self,
        actor: &Actor,
    ) -> ServiceResult<Vec<(entrepot_core::Account, OrgRole)>> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self.meta.user_orgs(me).await?)
    }

    /// The caller's role in an organization, for pages that offer
    /// creating repositories in it.
    pub async fn org_role_of(self, actor: &Actor, org: &str) -> ServiceResult<Option<OrgRole>> {
        let Some(me) = actor.user_id() else {
            return Ok(None);
        };
        let org = self.organization(org).await?;
        Ok(self.meta.org_role(org.id, me).await?)
    }
}

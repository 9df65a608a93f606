//! What a package's admins change after publication (who else may use it,
//! which repository it belongs to) and what users do with their own tokens.
//! Every change is authorised here and written to the audit log.

use entrepot_core::{Account, Action, Actor, Package, RegistryKind, Repository, Role};
use entrepot_store::PackageUpdate;

use crate::{Packages, ServiceError, ServiceResult};

/// One explicit grant on a package, for the settings page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub user: Account,
    pub role: Role,
}

impl Packages<'_> {
    fn require_granular(package: &Package) -> ServiceResult<()> {
        if package.package_type.registry_kind() == RegistryKind::Granular {
            Ok(())
        } else {
            Err(ServiceError::Invalid(
                "this registry's packages take their permissions from their repository".into(),
            ))
        }
    }

    /// The users given a role on the package itself.
    pub async fn package_grants(
        self,
        actor: &Actor,
        package: &Package,
    ) -> ServiceResult<Vec<Grant>> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        let mut grants = Vec::new();
        for (user_id, role) in self.meta.package_roles(package.id).await? {
            if let Some(user) = self.meta.account_by_id(user_id).await? {
                grants.push(Grant { user, role });
            }
        }
        Ok(grants)
    }

    /// Gives `login` a role on a package of a granular registry, or takes
    /// it away (`None`).
    pub async fn set_package_access(
        self,
        actor: &Actor,
        package: &Package,
        login: &str,
        role: Option<Role>,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        Self::require_granular(package)?;
        let user = self.accounts().user(login.trim()).await?;
        self.meta
            .set_package_role(package.id, user.id, role)
            .await?;
        let detail = format!("{}: {}", user.login, role.map_or("none", |r| r.as_str()));
        self.audit(
            actor,
            "package.access",
            Some(package.id),
            None,
            Some(detail),
        )
        .await
    }

    /// Whether the connected repository's roles apply to the package too.
    pub async fn set_inherit_access(
        self,
        actor: &Actor,
        package: &Package,
        inherit: bool,
    ) -> ServiceResult<Package> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        Self::require_granular(package)?;
        let update = PackageUpdate {
            inherit_access: Some(inherit),
            ..PackageUpdate::default()
        };
        self.update_audited(
            actor,
            package,
            update,
            "package.inherit_access",
            Some(inherit.to_string()),
        )
        .await
    }

    /// Connects a package to one of its owner's repositories, or
    /// disconnects it. Repository-scoped packages stay where they were
    /// published.
    pub async fn set_package_repository(
        self,
        actor: &Actor,
        package: &Package,
        repository: Option<&Repository>,
    ) -> ServiceResult<Package> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        Self::require_granular(package)?;
        if let Some(repo) = repository {
            if repo.owner_id != package.owner_id {
                return Err(ServiceError::Invalid(format!(
                    "{} belongs to another owner; a package connects to its owner's repositories",
                    repo.full_name()
                )));
            }
            // Connecting hands the repository's people access: only those
            // who administer the repository may do it.
            if self.repository_role(actor, repo).await? != Some(Role::Admin) {
                return Err(ServiceError::not_found("Repository not found"));
            }
        }
        let update = PackageUpdate {
            repository_id: Some(repository.map(|r| r.id)),
            ..PackageUpdate::default()
        };
        self.update_audited(
            actor,
            package,
            update,
            "package.repository",
            repository.map(Repository::full_name),
        )
        .await
    }
}

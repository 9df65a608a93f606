//! Packages where a format's URL puts them: an owner's registry of one
//! type (`/cargo/OWNER/`, one configuration for all of the owner's
//! packages), or one repository (`/maven/OWNER/REPO/`); and what such a
//! registry tells a caller about a package they may not see.

use entrepot_core::{Account, Actor, Package, PackageType, Repository, Visibility};
use entrepot_store::PackageFilter;

use crate::{Packages, ServiceError, ServiceResult};

impl Packages<'_> {
    /// The owner's live packages of `package_type`, in creation order,
    /// whether or not a caller may read them.
    pub async fn namespace_packages(
        self,
        owner: &Account,
        package_type: PackageType,
    ) -> ServiceResult<Vec<Package>> {
        Ok(self
            .meta
            .list_packages(namespace(owner, package_type))
            .await?)
    }

    /// The names of every package of `package_type` the owner has, deleted
    /// ones too, and those purged for good: what an upstream may never
    /// answer for in the owner's registry.
    pub async fn namespace_names(
        self,
        owner: &Account,
        package_type: PackageType,
    ) -> ServiceResult<Vec<String>> {
        let filter = PackageFilter {
            include_deleted: true,
            ..namespace(owner, package_type)
        };
        let mut names: Vec<String> = self
            .meta
            .list_packages(filter)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        names.extend(self.meta.purged_names(owner.id, package_type).await?);
        Ok(names)
    }

    /// The live package of `package_type` named `name` in `repository`,
    /// whether or not a caller may read it. A package of that name
    /// connected to another of the owner's repositories (or to none) is
    /// not in this one: formats scoped to a repository never reach across.
    pub async fn repository_package(
        self,
        repository: &Repository,
        package_type: PackageType,
        name: &str,
    ) -> ServiceResult<Option<Package>> {
        Ok(self
            .package_named(repository.owner_id, package_type, name, false)
            .await?
            .filter(|p| p.repository_id == Some(repository.id)))
    }

    /// Whether clients must send credentials with every read of the
    /// owner's registry of `package_type`: always, unless the owner has
    /// packages there and all of them are public. Clients such as cargo
    /// send a token with reads only when the registry's one configuration
    /// says so, so one private package makes the whole registry ask; an
    /// owner without packages asks too, since a first publish makes a
    /// private package; and every owner does where the instance requires
    /// sign-in for all reads.
    pub async fn namespace_requires_auth(
        self,
        owner: &Account,
        package_type: PackageType,
    ) -> ServiceResult<bool> {
        if self.policy.require_auth_for_reads {
            return Ok(true);
        }
        let all = self
            .meta
            .count_packages(namespace(owner, package_type))
            .await?;
        let public = self
            .meta
            .count_packages(PackageFilter {
                visibility: Some(Visibility::Public),
                ..namespace(owner, package_type)
            })
            .await?;
        Ok(all == 0 || public < all)
    }

    /// `candidate`, found in the owner's registry of `package_type`, if
    /// `actor` may read it. A package the caller may not read answers
    /// exactly like a missing one (`what`): `ServiceError::unseen`, except
    /// that an anonymous caller of a registry that needs no credentials
    /// (`namespace_requires_auth`) hears 404 rather than 401, so that a
    /// client's first publish to an all-public registry sees the name is
    /// new instead of being asked to sign in again.
    pub async fn readable_in_namespace(
        self,
        actor: &Actor,
        owner: &Account,
        package_type: PackageType,
        candidate: Option<Package>,
        what: String,
    ) -> ServiceResult<Package> {
        if let Some(package) = candidate {
            match self
                .authorize_package(actor, entrepot_core::Action::Read, &package)
                .await
            {
                Ok(()) => return Ok(package),
                // The organization's single sign-on says where to go.
                Err(e @ (ServiceError::SsoRequired { .. } | ServiceError::Internal(_))) => {
                    return Err(e);
                }
                Err(_) => {}
            }
        }
        if matches!(actor, Actor::Anonymous)
            && !self.namespace_requires_auth(owner, package_type).await?
        {
            return Err(ServiceError::NotFound(what));
        }
        Err(ServiceError::unseen(actor, what))
    }
}

/// The owner's live packages of one type.
fn namespace(owner: &Account, package_type: PackageType) -> PackageFilter {
    PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(package_type),
        ..PackageFilter::default()
    }
}

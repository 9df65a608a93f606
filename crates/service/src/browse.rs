//! Reading packages, versions, files and tags as they are stored, for the
//! formats, the REST API and the web pages, which hold no store handle.
//! These answer whatever is asked: the caller has already decided, through
//! `readable_package` or `authorize_package`, that its caller may see it.

use entrepot_core::{Account, Actor, Id, Package, PackageFile, PackageType, Role, Tag, Version};
use entrepot_store::PackageFilter;

use crate::{Packages, ServiceError, ServiceResult};

impl Packages<'_> {
    pub async fn package_by_id(self, id: Id) -> ServiceResult<Option<Package>> {
        Ok(self.meta.package_by_id(id).await?)
    }

    /// `owner`'s package of this type and name; a deleted one too when asked.
    pub async fn package_named(
        self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        include_deleted: bool,
    ) -> ServiceResult<Option<Package>> {
        Ok(self
            .meta
            .package(owner, package_type, name, include_deleted)
            .await?)
    }

    /// The owner's packages of one type that `actor` may read, for indexes
    /// and searches that span an owner. An anonymous caller who may read
    /// none of them, while there are some, is asked to sign in (401), so
    /// that clients retry with the credentials they hold; one who may read
    /// some sees those.
    pub async fn visible_packages(
        self,
        actor: &Actor,
        owner: &Account,
        package_type: PackageType,
    ) -> ServiceResult<Vec<Package>> {
        let packages = self
            .meta
            .list_packages(PackageFilter {
                owner_id: Some(owner.id),
                package_type: Some(package_type),
                ..PackageFilter::default()
            })
            .await?;
        let mut visible = Vec::new();
        let mut hidden = false;
        for package in packages {
            if self.can_read(actor, &package).await? {
                visible.push(package);
            } else {
                hidden = true;
            }
        }
        if hidden && visible.is_empty() && matches!(actor, Actor::Anonymous) {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(visible)
    }

    /// The packages `filter` selects, in its order and page.
    pub async fn list_packages(self, filter: PackageFilter) -> ServiceResult<Vec<Package>> {
        Ok(self.meta.list_packages(filter).await?)
    }

    pub async fn count_packages(self, filter: PackageFilter) -> ServiceResult<u64> {
        Ok(self.meta.count_packages(filter).await?)
    }

    /// The package's versions, newest first; deleted ones too when asked.
    pub async fn versions(self, package: Id, include_deleted: bool) -> ServiceResult<Vec<Version>> {
        Ok(self.meta.versions(package, include_deleted).await?)
    }

    /// A page of live versions, newest first, and how many there are.
    pub async fn versions_page(
        self,
        package: Id,
        limit: u32,
        offset: u64,
    ) -> ServiceResult<(Vec<Version>, u64)> {
        Ok(self.meta.versions_page(package, limit, offset).await?)
    }

    /// One version by its name, deleted or not (see its `deleted_at`).
    pub async fn version(self, package: Id, name: &str) -> ServiceResult<Option<Version>> {
        Ok(self.meta.version(package, name).await?)
    }

    pub async fn version_by_id(self, id: Id) -> ServiceResult<Option<Version>> {
        Ok(self.meta.version_by_id(id).await?)
    }

    /// The files of one version.
    pub async fn files(self, version: Id) -> ServiceResult<Vec<PackageFile>> {
        Ok(self.meta.files(version).await?)
    }

    /// The files of every version of a package.
    pub async fn package_files(self, package: Id) -> ServiceResult<Vec<PackageFile>> {
        Ok(self.meta.package_files(package).await?)
    }

    /// The package's tags (npm dist-tags, container tags, NuGet's latest).
    pub async fn tags(self, package: Id) -> ServiceResult<Vec<Tag>> {
        Ok(self.meta.tags(package).await?)
    }

    /// The tags with their versions' names, by tag name.
    pub async fn tagged_versions(self, package: Id) -> ServiceResult<Vec<(String, String)>> {
        Ok(self.meta.tagged_versions(package).await?)
    }

    /// Who holds a role on the package itself, beside its owner.
    pub async fn package_roles(self, package: Id) -> ServiceResult<Vec<(Id, Role)>> {
        Ok(self.meta.package_roles(package).await?)
    }
}

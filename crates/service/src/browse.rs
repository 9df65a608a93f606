//! Reading packages, versions, files and tags as they are stored, for the
//! formats, the REST API and the web pages, which hold no store handle.
//! These answer whatever is asked: the caller has already decided, through
//! `readable_package` or `authorize_package`, that its caller may see it.

use entrepot_core::{Id, Package, PackageFile, Role, Tag, Version};
use entrepot_store::PackageFilter;

use crate::{Registry, ServiceResult};

impl Registry {
    pub async fn package_by_id(&self, id: Id) -> ServiceResult<Option<Package>> {
        Ok(self.meta.package_by_id(id).await?)
    }

    /// The packages `filter` selects, in its order and page.
    pub async fn list_packages(&self, filter: PackageFilter) -> ServiceResult<Vec<Package>> {
        Ok(self.meta.list_packages(filter).await?)
    }

    pub async fn count_packages(&self, filter: PackageFilter) -> ServiceResult<u64> {
        Ok(self.meta.count_packages(filter).await?)
    }

    /// The package's versions, newest first; deleted ones too when asked.
    pub async fn versions(
        &self,
        package: Id,
        include_deleted: bool,
    ) -> ServiceResult<Vec<Version>> {
        Ok(self.meta.versions(package, include_deleted).await?)
    }

    /// One live version by its name.
    pub async fn version(&self, package: Id, name: &str) -> ServiceResult<Option<Version>> {
        Ok(self.meta.version(package, name).await?)
    }

    pub async fn version_by_id(&self, id: Id) -> ServiceResult<Option<Version>> {
        Ok(self.meta.version_by_id(id).await?)
    }

    /// The files of one version.
    pub async fn files(&self, version: Id) -> ServiceResult<Vec<PackageFile>> {
        Ok(self.meta.files(version).await?)
    }

    /// The files of every version of a package.
    pub async fn package_files(&self, package: Id) -> ServiceResult<Vec<PackageFile>> {
        Ok(self.meta.package_files(package).await?)
    }

    /// The package's tags (npm dist-tags, container tags, NuGet's latest).
    pub async fn tags(&self, package: Id) -> ServiceResult<Vec<Tag>> {
        Ok(self.meta.tags(package).await?)
    }

    /// Who holds a role on the package itself, beside its owner.
    pub async fn package_roles(&self, package: Id) -> ServiceResult<Vec<(Id, Role)>> {
        Ok(self.meta.package_roles(package).await?)
    }
}

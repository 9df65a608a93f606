//! A package's versions as its clients see and change them after
//! publication: the live version of a name, downloads per version, a file
//! joining a published version, and withdrawing a version, an admin's act
//! whether it flags the version (NuGet's unlist) or deletes it (RubyGems'
//! yank, which takes the gem with its last version).

use std::collections::HashMap;

use entrepot_core::{Action, Actor, Id, Package, Version};

use crate::files::AddedFile;
use crate::packages::{Publication, StagedFile};
use crate::{Packages, ServiceResult};

impl Packages<'_> {
    /// The version of `package` called `name`, unless it was deleted: a
    /// deleted version is gone for clients until it is restored.
    pub async fn live_version(
        self,
        package: &Package,
        name: &str,
    ) -> ServiceResult<Option<Version>> {
        Ok(self
            .meta
            .version(package.id, name)
            .await?
            .filter(|v| v.deleted_at.is_none()))
    }

    /// How often each version of `package` (deleted ones too) was
    /// downloaded, buffered counts included; versions never downloaded are
    /// absent. Summed in SQL, not read day by day.
    pub async fn downloads_by_version(self, package: &Package) -> ServiceResult<HashMap<Id, i64>> {
        let ids: Vec<Id> = self
            .meta
            .versions(package.id, true)
            .await?
            .iter()
            .map(|v| v.id)
            .collect();
        self.version_downloads(package, &ids).await
    }

    /// Adds one file to a version already published (NuGet's symbol
    /// package): the version keeps its metadata, and a name it already
    /// holds is a `Conflict`, since published files are immutable.
    pub async fn attach_file(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        file: StagedFile,
    ) -> ServiceResult<AddedFile> {
        self.publish_file(
            actor,
            Publication {
                owner: package.owner_login.clone(),
                package_type: package.package_type,
                name: package.name.clone(),
                version: version.name.clone(),
                metadata: version.metadata.clone(),
                files: vec![file],
                tags: Vec::new(),
                repository: None,
                description: None,
                readme: None,
            },
        )
        .await
    }

    /// The live version `name` of `package`, for a caller about to
    /// withdraw it from clients' view or bring it back (NuGet's unlist and
    /// relist, a yank that keeps the files): that is for those who may
    /// delete the package, and they are asked first, so that a caller who
    /// may not learns nothing about which versions exist.
    pub async fn withdrawable_version(
        self,
        actor: &Actor,
        package: &Package,
        name: &str,
    ) -> ServiceResult<Option<Version>> {
        self.authorize_package(actor, Action::Delete, package)
            .await?;
        self.live_version(package, name).await
    }

    /// Deletes the live version `name` of `package` (restorable for the
    /// retention period), or the whole package when it is the last live
    /// version, as clients that yank expect: a package is never left
    /// without versions. `None` when there is no such live version.
    pub async fn delete_version_or_package(
        self,
        actor: &Actor,
        package: &Package,
        name: &str,
    ) -> ServiceResult<Option<Version>> {
        let live = self.meta.versions(package.id, false).await?;
        let Some(version) = live.iter().find(|v| v.name == name) else {
            return Ok(None);
        };
        if live.len() == 1 {
            self.delete_package(actor, package).await?;
        } else {
            self.delete_version(actor, package, version).await?;
        }
        Ok(Some(version.clone()))
    }
}

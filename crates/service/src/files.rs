//! Publishing a version file by file, for formats whose clients upload each
//! file of a version in its own request (Maven). Every file name is written
//! once; the version appears with its first file.

use chrono::Utc;
use entrepot_core::{Action, Actor, Package, PackageFile, Version};
use entrepot_store::{NewFile, NewVersion, StoreError};

use crate::packages::Publication;
use crate::{Packages, ServiceError, ServiceResult};

/// What adding one file did.
#[derive(Debug, Clone)]
pub struct AddedFile {
    pub package: Package,
    pub version: Version,
    pub file: PackageFile,
}

impl Packages<'_> {
    /// Adds the one file of `p` to version `p.version`, creating the
    /// package and the version on their first file. A name already taken
    /// in the version is a `Conflict`: published files are immutable.
    pub async fn publish_file(self, actor: &Actor, p: Publication) -> ServiceResult<AddedFile> {
        let p = p.within_limits();
        let (user_id, owner, package) = self.package_to_publish(actor, &p).await?;
        if let (Some(repo), Some(home)) = (&p.repository, package.repository_id)
            && repo.id != home
        {
            return Err(ServiceError::Conflict(format!(
                "{} belongs to another repository of {}; publish it there",
                p.name, owner.login
            )));
        }
        let staged = p
            .files
            .first()
            .cloned()
            .ok_or_else(|| ServiceError::Invalid("no file to publish".into()))?;
        let new_file = staged.to_new_file();
        let at = Utc::now();
        let (version, file, created) = self.place_file(&package, &p, new_file, user_id, at).await?;
        let package = self
            .describe(package, &version, p.description, p.readme, at)
            .await?;
        self.stats.published(package.package_type);
        self.audit(
            actor,
            "file.publish",
            Some(package.id),
            Some(version.id),
            Some(file.name.clone()),
        )
        .await?;
        let action = if created { "published" } else { "updated" };
        self.webhooks()
            .emit_package_event(actor, &package, &version, action)
            .await;
        Ok(AddedFile {
            package,
            version,
            file,
        })
    }

    /// Puts a file into version `p.version` of `package`, creating the
    /// version with it when it is the first (then the flag is set).
    async fn place_file(
        self,
        package: &Package,
        p: &Publication,
        new_file: NewFile,
        user_id: entrepot_core::Id,
        at: chrono::DateTime<Utc>,
    ) -> ServiceResult<(Version, PackageFile, bool)> {
        let staged_name = new_file.name.clone();
        let taken = || {
            ServiceError::Conflict(format!(
                "{} of {} {} exists; published files cannot be replaced",
                staged_name, p.name, p.version
            ))
        };
        // Into an existing version: a name already there is a conflict.
        let add = |v: Version, file: NewFile| async move {
            match self.meta.add_file(v.id, file, at).await {
                Ok(f) => Ok((v, f, false)),
                Err(StoreError::Conflict(_)) => Err(taken()),
                Err(e) => Err(ServiceError::from(e)),
            }
        };
        let existing = self.meta.version(package.id, &p.version).await?;
        if existing.is_none() {
            self.governance().guard_tags(package, &p.tags, None).await?;
        }
        let placed = match existing {
            Some(v) if v.deleted_at.is_some() => {
                return Err(ServiceError::Conflict(format!(
                    "version {} of {} was deleted; restore it or publish another version",
                    p.version, p.name
                )));
            }
            Some(v) => add(v, new_file).await?,
            None => {
                let created = self
                    .meta
                    .publish_version(NewVersion {
                        package_id: package.id,
                        name: p.version.clone(),
                        metadata: p.metadata.clone(),
                        publisher_id: Some(user_id),
                        files: vec![new_file.clone()],
                        tags: p.tags.clone(),
                        at,
                    })
                    .await;
                match created {
                    Ok(v) => {
                        let file = self
                            .meta
                            .files(v.id)
                            .await?
                            .into_iter()
                            .find(|f| f.name == staged_name)
                            .ok_or_else(|| ServiceError::Internal("a new file vanished".into()))?;
                        (v, file, true)
                    }
                    // Another upload created the version a moment ago.
                    Err(StoreError::Conflict(_)) => {
                        let v = self
                            .meta
                            .version(package.id, &p.version)
                            .await?
                            .filter(|v| v.deleted_at.is_none())
                            .ok_or_else(taken)?;
                        add(v, new_file).await?
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        Ok(placed)
    }

    /// Replaces a version's format metadata on behalf of a publisher (a
    /// POM uploaded after the version's first file).
    pub async fn set_version_metadata(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        metadata: serde_json::Value,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Publish, package)
            .await?;
        Ok(self
            .meta
            .update_version_metadata(version.id, metadata, Utc::now())
            .await?)
    }

    /// Removes files of a version (old SNAPSHOT builds), for a publisher.
    pub async fn prune_files(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        names: &[String],
    ) -> ServiceResult<u64> {
        self.authorize_package(actor, Action::Publish, package)
            .await?;
        Ok(self.meta.remove_files(version.id, names).await?)
    }
}

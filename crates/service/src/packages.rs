//! The package use cases shared by every format: publish a version (blob
//! first, then metadata in one transaction), tag, delete, restore, and count
//! downloads, each checked by the one authorization rule and audited.

use chrono::Utc;
use entrepot_core::{
    Action, Actor, Digests, Id, Package, PackageType, Repository, Version, Visibility,
};
use entrepot_store::{BlobInfo, NewAuditEntry, NewFile, NewPackage, NewVersion, PackageUpdate};

use crate::{Packages, ServiceError, ServiceResult};

/// GitHub's answer when the last version of a package is deleted.
pub const LAST_VERSION_MESSAGE: &str =
    "You cannot delete the last version of a package. You must delete the package instead.";

/// A file whose blob is already stored, waiting for its version.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub name: String,
    pub blob: BlobInfo,
    pub content_type: Option<String>,
}

impl StagedFile {
    /// The file's row, as the store takes it.
    pub fn to_new_file(&self) -> NewFile {
        NewFile {
            name: self.name.clone(),
            size: self.blob.size,
            sha256: self.blob.sha256.clone(),
            digests: Digests {
                sha512: self.blob.sha512.clone(),
                sha1: self.blob.sha1.clone(),
                md5: self.blob.md5.clone(),
            },
            content_type: self.content_type.clone(),
        }
    }
}

/// Everything a format hands over to publish one version.
#[derive(Debug, Clone)]
pub struct Publication {
    pub owner: String,
    pub package_type: PackageType,
    pub name: String,
    pub version: String,
    pub metadata: serde_json::Value,
    pub files: Vec<StagedFile>,
    pub tags: Vec<String>,
    /// The repository to connect on first publish (granular), or the
    /// repository the package lives in (repository-scoped).
    pub repository: Option<Repository>,
    pub description: Option<String>,
    pub readme: Option<String>,
}

impl Publication {
    /// The publication with its description and README cut to the limits
    /// every format shares, whichever field carried them (formats read them
    /// through the same limits; this keeps any that did not from the store).
    pub(crate) fn within_limits(mut self) -> Self {
        use entrepot_core::limits::{MAX_DESCRIPTION_BYTES, MAX_README_BYTES, truncate};
        if let Some(d) = &mut self.description {
            truncate(d, MAX_DESCRIPTION_BYTES);
        }
        if let Some(r) = &mut self.readme {
            truncate(r, MAX_README_BYTES);
        }
        self
    }
}

impl Packages<'_> {
    /// Finds a live package by owner login, type and name, as `actor` may see
    /// it: a package the caller may not read is reported exactly like a
    /// missing one (401 to anonymous callers, 404 to signed-in ones).
    pub async fn readable_package(
        self,
        actor: &Actor,
        owner: &str,
        package_type: PackageType,
        name: &str,
    ) -> ServiceResult<Package> {
        let missing = || match actor {
            Actor::Anonymous => ServiceError::Unauthenticated,
            Actor::User { .. } => ServiceError::not_found("Package not found"),
        };
        let Some(owner) = self.meta.account_by_login(owner).await? else {
            return Err(missing());
        };
        let Some(package) = self
            .meta
            .package(owner.id, package_type, name, false)
            .await?
        else {
            return Err(missing());
        };
        match self.authorize_package(actor, Action::Read, &package).await {
            Ok(()) => Ok(package),
            Err(ServiceError::NotFound(_)) => Err(missing()),
            Err(e) => Err(e),
        }
    }

    /// Publishes a version, creating the package on its first publish.
    pub async fn publish(self, actor: &Actor, p: Publication) -> ServiceResult<(Package, Version)> {
        let p = p.within_limits();
        let (user_id, _, package) = self.package_to_publish(actor, &p).await?;
        if self.meta.version(package.id, &p.version).await?.is_some() {
            return Err(ServiceError::Conflict(format!(
                "Cannot publish over existing version {} of {}",
                p.version, p.name
            )));
        }
        self.governance()
            .guard_tags(&package, &p.tags, None)
            .await?;
        let at = Utc::now();
        let version = self
            .meta
            .publish_version(NewVersion {
                package_id: package.id,
                name: p.version.clone(),
                metadata: p.metadata,
                publisher_id: Some(user_id),
                files: p.files.iter().map(StagedFile::to_new_file).collect(),
                tags: p.tags,
                at,
            })
            .await
            .map_err(|e| match e {
                entrepot_store::StoreError::Conflict(_) => ServiceError::Conflict(format!(
                    "Cannot publish over existing version {} of {}",
                    p.version, p.name
                )),
                other => other.into(),
            })?;
        let package = self
            .describe(package, &version, p.description, p.readme, at)
            .await?;
        self.stats.published(package.package_type);
        // A version published by trusted publishing names its CI run.
        let detail = match actor {
            Actor::User {
                grant: Some(grant), ..
            } if grant.is_minted() => format!(
                "{}{}{}",
                version.name,
                crate::trusted::PUBLISHED_VIA,
                grant.via
            ),
            _ => version.name.clone(),
        };
        self.audit(
            actor,
            "version.publish",
            Some(package.id),
            Some(version.id),
            Some(detail),
        )
        .await?;
        self.webhooks()
            .emit_package_event(actor, &package, &version, "published")
            .await;
        Ok((package, version))
    }

    /// The publisher, the owner and the package `p` publishes into: the
    /// existing one if the actor may publish to it, else a new one if the
    /// actor may create it. The owner's quotas are checked once the actor
    /// is known to be allowed (a refusal says how much is used) and before
    /// a new package is created.
    pub(crate) async fn package_to_publish(
        self,
        actor: &Actor,
        p: &Publication,
    ) -> ServiceResult<(Id, entrepot_core::Account, Package)> {
        let Some(user_id) = actor.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        let owner = self.accounts().account(&p.owner).await?;
        let target = self
            .publish_target(
                actor,
                &owner,
                p.package_type,
                &p.name,
                p.repository.as_ref(),
            )
            .await?;
        let package = match target {
            crate::access::PublishTarget::Existing(existing) => existing,
            // Who may create names here but not see this package hears
            // what a new name would get: publishing does not tell them
            // that a private package exists.
            crate::access::PublishTarget::Hidden => {
                return Err(ServiceError::NotFound("Not Found".into()));
            }
            crate::access::PublishTarget::New => {
                self.check_publish_quota(&owner, p).await?;
                return Ok((
                    user_id,
                    owner.clone(),
                    self.create_package(actor, user_id, &owner, p).await?,
                ));
            }
        };
        self.check_publish_quota(&owner, p).await?;
        Ok((user_id, owner, package))
    }

    async fn check_publish_quota(
        self,
        owner: &entrepot_core::Account,
        p: &Publication,
    ) -> ServiceResult<()> {
        let bytes = p.files.iter().map(|f| f.blob.size).sum();
        self.governance()
            .check_quota_of(
                owner,
                (p.package_type, Some(&p.name), Some(&p.version)),
                bytes,
            )
            .await
    }

    /// Applies a settings change to a package and writes it to the audit log.
    pub(crate) async fn update_audited(
        self,
        actor: &Actor,
        package: &Package,
        update: PackageUpdate,
        action: &str,
        detail: Option<String>,
    ) -> ServiceResult<Package> {
        let updated = self
            .meta
            .update_package(package.id, update, Utc::now())
            .await?;
        self.audit(actor, action, Some(package.id), None, detail)
            .await?;
        Ok(updated)
    }

    /// Updates the package's description and README from a publication
    /// that carries them, and the keywords search finds it by from the
    /// version just published.
    pub(crate) async fn describe(
        self,
        package: Package,
        version: &entrepot_core::Version,
        description: Option<String>,
        readme: Option<String>,
        at: chrono::DateTime<Utc>,
    ) -> ServiceResult<Package> {
        // None where the format has none to give; cleared where the
        // version gives none.
        let keywords = self
            .catalog
            .format(package.package_type)
            .map(|f| f.details(version).bounded().keywords.join(" "))
            .map(|k| (!k.is_empty()).then_some(k));
        if description.is_none() && readme.is_none() && keywords.is_none() {
            return Ok(package);
        }
        let update = PackageUpdate {
            description: description.map(Some),
            readme: readme.map(Some),
            keywords,
            ..PackageUpdate::default()
        };
        Ok(self.meta.update_package(package.id, update, at).await?)
    }

    /// Creates the package `p` names; `publish_target` has found that the
    /// actor may.
    pub(crate) async fn create_package(
        self,
        actor: &Actor,
        user_id: Id,
        owner: &entrepot_core::Account,
        p: &Publication,
    ) -> ServiceResult<Package> {
        if let Some(old) = self
            .meta
            .package(owner.id, p.package_type, &p.name, true)
            .await?
            && old.deleted_at.is_some()
            && old.visibility == Visibility::Public
        {
            // GitHub's rule: a public package's name is never reused.
            return Err(ServiceError::Conflict(format!(
                "the name {} belonged to a deleted public package and cannot be reused",
                p.name
            )));
        }
        let created = self
            .meta
            .create_package(NewPackage {
                owner_id: owner.id,
                package_type: p.package_type,
                name: p.name.clone(),
                visibility: p.repository.as_ref().map_or(Visibility::Private, |r| {
                    match p.package_type.registry_kind() {
                        entrepot_core::RegistryKind::RepositoryScoped => r.visibility,
                        entrepot_core::RegistryKind::Granular => Visibility::Private,
                    }
                }),
                repository_id: p.repository.as_ref().map(|r| r.id),
                inherit_access: true,
                description: p.description.clone(),
                readme: p.readme.clone(),
            })
            .await;
        match created {
            Ok(package) => {
                if owner.id != user_id {
                    // The first publisher becomes the package's admin.
                    self.meta
                        .set_package_role(package.id, user_id, Some(entrepot_core::Role::Admin))
                        .await?;
                }
                self.audit(actor, "package.create", Some(package.id), None, None)
                    .await?;
                Ok(package)
            }
            // Someone created it a moment ago: publish into theirs if allowed.
            Err(entrepot_store::StoreError::Conflict(_)) => {
                let existing = self
                    .meta
                    .package(owner.id, p.package_type, &p.name, false)
                    .await?
                    .ok_or_else(|| ServiceError::Conflict("the package is being created".into()))?;
                self.authorize_package(actor, Action::Publish, &existing)
                    .await?;
                Ok(existing)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Points a tag at a live version.
    pub async fn set_tag(
        self,
        actor: &Actor,
        package: &Package,
        tag: &str,
        version: &Version,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Publish, package)
            .await?;
        if version.package_id != package.id || version.deleted_at.is_some() {
            return Err(ServiceError::not_found(format!(
                "no version {} to tag",
                version.name
            )));
        }
        self.governance()
            .guard_tags(package, &[tag.to_owned()], Some(version.id))
            .await?;
        self.meta
            .set_tag(package.id, tag, version.id, Utc::now())
            .await?;
        self.audit(
            actor,
            "tag.set",
            Some(package.id),
            Some(version.id),
            Some(tag.to_owned()),
        )
        .await
    }

    pub async fn remove_tag(
        self,
        actor: &Actor,
        package: &Package,
        tag: &str,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Publish, package)
            .await?;
        self.governance()
            .guard_tags(package, &[tag.to_owned()], None)
            .await?;
        if !self.meta.remove_tag(package.id, tag).await? {
            return Err(ServiceError::not_found(format!("no tag {tag}")));
        }
        self.audit(
            actor,
            "tag.remove",
            Some(package.id),
            None,
            Some(tag.to_owned()),
        )
        .await
    }

    /// Soft-deletes a version. The last live version cannot be deleted: the
    /// package is deleted instead, as GitHub advises.
    pub async fn delete_version(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
    ) -> ServiceResult<()> {
        self.delete_version_of(actor, package, version, false).await
    }

    /// Soft-deletes a version; protocols whose clients delete the last
    /// version themselves (OCI manifests) pass `allow_last`.
    pub async fn delete_version_of(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        allow_last: bool,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Delete, package)
            .await?;
        if version.package_id != package.id || version.deleted_at.is_some() {
            return Err(ServiceError::not_found("Package version not found"));
        }
        self.governance().guard_version(package, version).await?;
        if package.visibility == Visibility::Public
            && self
                .version_downloads(package, &[version.id])
                .await?
                .get(&version.id)
                .copied()
                .unwrap_or(0)
                > self.limits.delete_download_limit
        {
            return Err(ServiceError::Forbidden(format!(
                "Public package versions with more than {} downloads cannot be deleted. \
                 Contact your site administrator for help.",
                self.limits.delete_download_limit
            )));
        }
        // The store decides atomically, so that racing deletes neither both
        // succeed on one version nor remove the last two together.
        let deleted = if allow_last {
            self.meta
                .set_version_deleted(version.id, Some(Utc::now()))
                .await
        } else {
            self.meta
                .delete_version_keeping_one(version.id, Utc::now())
                .await
        };
        match deleted {
            Ok(()) => {}
            Err(entrepot_store::StoreError::NotFound) => {
                return Err(ServiceError::not_found("Package version not found"));
            }
            Err(entrepot_store::StoreError::Invalid(_)) => {
                return Err(ServiceError::Invalid(LAST_VERSION_MESSAGE.into()));
            }
            Err(e) => return Err(e.into()),
        }
        self.audit(
            actor,
            "version.delete",
            Some(package.id),
            Some(version.id),
            Some(version.name.clone()),
        )
        .await
    }

    pub async fn delete_package(self, actor: &Actor, package: &Package) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Delete, package)
            .await?;
        self.governance().guard_package(package).await?;
        if package.visibility == Visibility::Public
            && self
                .downloads_by_version(package)
                .await?
                .values()
                .any(|n| *n > self.limits.delete_download_limit)
        {
            return Err(ServiceError::Forbidden(format!(
                "Public packages with a version downloaded more than {} times cannot be deleted. \
                 Contact your site administrator for help.",
                self.limits.delete_download_limit
            )));
        }
        self.meta
            .set_package_deleted(package.id, Some(Utc::now()))
            .await?;
        self.audit(actor, "package.delete", Some(package.id), None, None)
            .await
    }

    /// Restores a deleted package within the window, while its name is free.
    pub async fn restore_package(self, actor: &Actor, package: &Package) -> ServiceResult<()> {
        let Some(deleted_at) = package.deleted_at else {
            return Err(ServiceError::not_found("Package not found"));
        };
        self.authorize_package(actor, Action::Restore, package)
            .await?;
        if Utc::now() - deleted_at > self.limits.retention {
            return Err(ServiceError::not_found(
                "the package was deleted too long ago to be restored",
            ));
        }
        if self
            .meta
            .package(package.owner_id, package.package_type, &package.name, false)
            .await?
            .is_some()
        {
            return Err(ServiceError::Conflict(format!(
                "a package named {} exists again; delete it before restoring this one",
                package.name
            )));
        }
        self.meta.set_package_deleted(package.id, None).await?;
        self.audit(actor, "package.restore", Some(package.id), None, None)
            .await
    }

    pub async fn restore_version(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
    ) -> ServiceResult<()> {
        let Some(deleted_at) = version
            .deleted_at
            .filter(|_| version.package_id == package.id)
        else {
            return Err(ServiceError::not_found("Package version not found"));
        };
        self.authorize_package(actor, Action::Restore, package)
            .await?;
        if Utc::now() - deleted_at > self.limits.retention {
            return Err(ServiceError::not_found(
                "the version was deleted too long ago to be restored",
            ));
        }
        match self.meta.set_version_deleted(version.id, None).await {
            Ok(()) => {}
            // Restored a moment ago by someone else.
            Err(entrepot_store::StoreError::NotFound) => {
                return Err(ServiceError::not_found("Package version not found"));
            }
            Err(e) => return Err(e.into()),
        }
        if package.deleted_at.is_some() {
            self.meta.set_package_deleted(package.id, None).await?;
        }
        self.audit(
            actor,
            "version.restore",
            Some(package.id),
            Some(version.id),
            Some(version.name.clone()),
        )
        .await
    }

    /// Replaces a version's format metadata where the format allows a change
    /// after publication (npm's `deprecated`); the format decides what may
    /// change, this checks who may change it.
    pub async fn update_version_metadata(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        metadata: serde_json::Value,
        what: &str,
    ) -> ServiceResult<()> {
        self.authorize_package(actor, Action::Publish, package)
            .await?;
        let at = Utc::now();
        self.meta
            .update_version_metadata(version.id, metadata, at)
            .await?;
        self.meta
            .update_package(package.id, PackageUpdate::default(), at)
            .await?;
        self.audit(
            actor,
            what,
            Some(package.id),
            Some(version.id),
            Some(version.name.clone()),
        )
        .await
    }

    /// Connects a package to a repository (for formats that declare one on
    /// every publish, the first declaration that matches wins).
    pub async fn connect_repository(
        self,
        package: &Package,
        repository: &Repository,
    ) -> ServiceResult<Package> {
        if package.repository_id.is_some() || repository.owner_id != package.owner_id {
            return Ok(package.clone());
        }
        let update = PackageUpdate {
            repository_id: Some(Some(repository.id)),
            ..PackageUpdate::default()
        };
        Ok(self
            .meta
            .update_package(package.id, update, Utc::now())
            .await?)
    }

    /// Changes a package's visibility. Once public, a package cannot be made
    /// private again (GitHub's rule); internal exists only in organizations.
    pub async fn set_visibility(
        self,
        actor: &Actor,
        package: &Package,
        visibility: Visibility,
    ) -> ServiceResult<Package> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        if package.visibility == Visibility::Public && visibility != Visibility::Public {
            return Err(ServiceError::Forbidden(
                "a public package cannot be made private or internal again".into(),
            ));
        }
        if visibility == Visibility::Internal
            && self
                .meta
                .account_by_id(package.owner_id)
                .await?
                .map(|a| a.kind)
                != Some(entrepot_core::AccountKind::Organization)
        {
            return Err(ServiceError::Invalid(
                "only organizations have internal packages".into(),
            ));
        }
        let update = PackageUpdate {
            visibility: Some(visibility),
            ..PackageUpdate::default()
        };
        self.update_audited(
            actor,
            package,
            update,
            "package.visibility",
            Some(visibility.to_string()),
        )
        .await
    }

    /// Counts one download of a version, for today.
    ///
    /// Counts are buffered in memory and written in batches (by
    /// `flush_downloads`, which the server calls every second and at
    /// shutdown); reads add the buffered counts to the stored ones. A
    /// download costs no database write, and a crash loses at most a
    /// second of counts.
    pub fn count_download(self, package_type: PackageType, version: &Version) {
        self.stats.downloaded(package_type);
        self.download_buffer.count(version, Utc::now().date_naive());
    }

    /// Writes buffered download counts to the store.
    pub async fn flush_downloads(self) -> ServiceResult<()> {
        Ok(self.download_buffer.flush(self.meta.as_ref()).await?)
    }

    /// A package's downloads per version and day, buffered counts included.
    pub async fn downloads(
        self,
        package: &Package,
    ) -> ServiceResult<Vec<entrepot_store::DownloadDay>> {
        let _reading = self.download_buffer.reading().await;
        let mut days = self.meta.downloads(package.id).await?;
        self.download_buffer.add_days(package.id, &mut days);
        Ok(days)
    }

    /// `package`'s downloads summed: in all, by day from `since` on, and
    /// for each of `versions` (the counts not yet written included).
    pub async fn download_summary(
        self,
        package: &Package,
        since: chrono::NaiveDate,
        versions: &[Id],
    ) -> ServiceResult<entrepot_store::DownloadSummary> {
        let _reading = self.download_buffer.reading().await;
        let mut summary = self
            .meta
            .download_summary(package.id, since, versions)
            .await?;
        self.download_buffer
            .add_summary(package.id, since, versions, &mut summary);
        Ok(summary)
    }

    /// How often each of `versions` of `package` was downloaded in all
    /// (the counts not yet written included); versions never downloaded
    /// are absent. Only those versions' rows are summed.
    pub async fn version_downloads(
        self,
        package: &Package,
        versions: &[Id],
    ) -> ServiceResult<std::collections::HashMap<Id, i64>> {
        // Days are kept as `YYYY-MM-DD` text: none is on or after the last
        // day of 9999, so the summary reads no days.
        let never = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");
        let summary = self.download_summary(package, never, versions).await?;
        Ok(summary.by_version.into_iter().collect())
    }

    /// Each package's live versions and downloads (the counts not yet
    /// written included), counted in SQL for a page of a list at once.
    pub async fn totals(
        self,
        packages: &[Id],
    ) -> ServiceResult<std::collections::HashMap<Id, entrepot_store::PackageTotals>> {
        let _reading = self.download_buffer.reading().await;
        let mut totals = self.meta.package_totals(packages).await?;
        for (package, count) in self.download_buffer.by_package(packages) {
            if let Some(t) = totals.get_mut(&package) {
                t.downloads += count;
            }
        }
        Ok(totals)
    }

    pub(crate) async fn audit(
        self,
        actor: &Actor,
        action: &str,
        package_id: Option<Id>,
        version_id: Option<Id>,
        detail: Option<String>,
    ) -> ServiceResult<()> {
        Ok(self
            .meta
            .audit(NewAuditEntry {
                actor_id: actor.user_id(),
                action: action.to_owned(),
                package_id,
                version_id,
                detail,
                at: Utc::now(),
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_core::limits::{MAX_DESCRIPTION_BYTES, MAX_README_BYTES};

    #[test]
    fn a_publication_keeps_its_readme_and_description_within_the_limits() {
        let p = Publication {
            owner: "alice".into(),
            package_type: PackageType::Npm,
            name: "hello".into(),
            version: "1.0.0".into(),
            metadata: serde_json::Value::Null,
            files: Vec::new(),
            tags: Vec::new(),
            repository: None,
            description: Some("d".repeat(MAX_DESCRIPTION_BYTES + 1)),
            readme: Some("r".repeat(MAX_README_BYTES + 1)),
        }
        .within_limits();
        assert_eq!(p.description.unwrap().len(), MAX_DESCRIPTION_BYTES);
        assert_eq!(p.readme.unwrap().len(), MAX_README_BYTES);
    }
}

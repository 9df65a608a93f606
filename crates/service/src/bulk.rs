//! Deleting or restoring many versions of one package at once, with a
//! dry run that names them first: all of them are checked before any is
//! touched (each must exist and be live, or deleted, as the action needs;
//! a deletion never takes every live version, nor one that is protected),
//! then each goes through the normal delete or restore.

use entrepot_core::{Action, Actor, Id, Package, Version, Visibility};

use crate::{Packages, ServiceError, ServiceResult};

/// What a bulk request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bulk {
    Delete,
    Restore,
}

impl Packages<'_> {
    /// Deletes (or restores) the versions `ids` of `package`; with
    /// `dry_run`, only says which it would. The versions, in the order
    /// asked.
    pub async fn bulk_versions(
        self,
        actor: &Actor,
        package: &Package,
        (bulk, ids): (Bulk, &[Id]),
        dry_run: bool,
    ) -> ServiceResult<Vec<Version>> {
        self.authorize_package(actor, Action::Delete, package)
            .await?;
        if ids.is_empty() {
            return Err(ServiceError::Invalid("name at least one version".into()));
        }
        let all = self.meta.versions(package.id, true).await?;
        let mut chosen = Vec::new();
        for id in ids {
            let version = all.iter().find(|v| v.id == *id).ok_or_else(|| {
                ServiceError::not_found(format!("no version {id} in {}", package.name))
            })?;
            let wrong = match bulk {
                Bulk::Delete => version.deleted_at.is_some(),
                Bulk::Restore => version.deleted_at.is_none(),
            };
            if wrong {
                return Err(ServiceError::Invalid(format!(
                    "version {} is {}",
                    version.name,
                    if bulk == Bulk::Delete {
                        "deleted already"
                    } else {
                        "not deleted"
                    }
                )));
            }
            if !chosen.iter().any(|v: &Version| v.id == version.id) {
                chosen.push(version.clone());
            }
        }
        if bulk == Bulk::Delete {
            self.check_deletable(package, &all, &chosen).await?;
        }
        if dry_run {
            return Ok(chosen);
        }
        for version in &chosen {
            match bulk {
                Bulk::Delete => self.delete_version(actor, package, version).await?,
                Bulk::Restore => self.restore_version(actor, package, version).await?,
            }
        }
        Ok(chosen)
    }

    /// Refuses a bulk deletion of `chosen` that would take every live
    /// version, or a protected one.
    async fn check_deletable(
        self,
        package: &Package,
        all: &[Version],
        chosen: &[Version],
    ) -> ServiceResult<()> {
        let live = all.iter().filter(|v| v.deleted_at.is_none()).count();
        if chosen.len() >= live {
            return Err(ServiceError::Invalid(
                "that is every live version: keep at least one, or delete the package".into(),
            ));
        }
        let ids: Vec<Id> = chosen.iter().map(|v| v.id).collect();
        let downloads = if package.visibility == Visibility::Public {
            self.version_downloads(package, &ids).await?
        } else {
            std::collections::HashMap::new()
        };
        for version in chosen {
            self.governance().guard_version(package, version).await?;
            if downloads.get(&version.id).copied().unwrap_or(0) > self.limits.delete_download_limit
            {
                return Err(ServiceError::Forbidden(format!(
                    "version {} is public and downloaded more than {} times: it cannot be deleted",
                    version.name, self.limits.delete_download_limit
                )));
            }
        }
        Ok(())
    }
}

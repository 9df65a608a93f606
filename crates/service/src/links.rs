//! Blobs a package name holds beside its versions (an image repository's
//! layers and configs, pushed before the manifest that names them): who
//! may act on such a name before any version exists, the links
//! themselves, and the collector that unlinks what no version names.

use std::collections::{HashMap, HashSet};

use entrepot_core::{Account, Action, Actor, Id, Package, PackageType, Version};
use entrepot_store::{BlobInfo, BlobLink};

use crate::{Blobs, ServiceError, ServiceResult};

/// A name a caller may act on, with its owner and its package if one
/// exists yet (`Registry::holder_access`).
#[derive(Debug, Clone)]
pub struct Holder {
    pub owner: Account,
    pub package: Option<Package>,
}

impl Blobs<'_> {
    /// Whether `actor` may do `action` (`Read`, `Publish` or `Delete`) on
    /// `owner`'s `name` of `package_type`, a name that holds blobs before
    /// any version names them. A name with a package is governed by the
    /// package's permissions; one without is its namespace's: those who
    /// may create packages there may read, publish and delete its blobs.
    /// An unknown owner, a package the caller may not see, and a read in a
    /// namespace the caller may not create in all answer as if the name
    /// were absent (`ServiceError::unseen` with `what`).
    pub async fn holder_access(
        self,
        actor: &Actor,
        owner: &str,
        package_type: PackageType,
        name: &str,
        action: Action,
        what: &str,
    ) -> ServiceResult<Holder> {
        let Some(owner) = self.meta.account_by_login(owner).await? else {
            return Err(ServiceError::unseen(actor, what));
        };
        let package = self
            .meta
            .package(owner.id, package_type, name, false)
            .await?;
        let result = match &package {
            Some(p) => self.authorize_package(actor, action, p).await,
            None => {
                self.authorize_namespace(actor, &owner, (package_type, name), None, Action::Create)
                    .await
            }
        };
        match result {
            Ok(()) => Ok(Holder { owner, package }),
            Err(ServiceError::NotFound(_)) => Err(ServiceError::unseen(actor, what)),
            Err(ServiceError::Forbidden(_)) if package.is_none() && action == Action::Read => {
                Err(ServiceError::unseen(actor, what))
            }
            Err(e) => Err(e),
        }
    }

    /// Links a stored blob to `owner`'s `name` under the digest clients
    /// name it by. Linking again refreshes the link's time, so a blob
    /// pushed anew is never collected under the push.
    pub async fn link_blob(
        self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        digest: &str,
        blob: &BlobInfo,
    ) -> ServiceResult<()> {
        // A new link adds to what the owner stores: its quotas first.
        if (!self.limits.default_quota.is_empty()
            || !self.meta.quotas(Some(owner)).await?.is_empty())
            && self
                .meta
                .blob_link(owner, package_type, name, digest)
                .await?
                .is_none()
            && let Some(account) = self.meta.account_by_id(owner).await?
        {
            self.governance()
                .check_quota_of(&account, (package_type, Some(name), None), blob.size)
                .await?;
        }
        let link = BlobLink {
            owner_id: owner,
            package_type,
            repository: name.to_owned(),
            digest: digest.to_owned(),
            sha256: blob.sha256.clone(),
            size: blob.size,
        };
        Ok(self.meta.link_blob(&link, chrono::Utc::now()).await?)
    }

    /// The blob `owner`'s `name` holds under `digest`, if any.
    pub async fn blob_link(
        self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        digest: &str,
    ) -> ServiceResult<Option<BlobLink>> {
        Ok(self
            .meta
            .blob_link(owner, package_type, name, digest)
            .await?)
    }

    /// Drops the link; true if there was one. The bytes stay until the
    /// blob collector finds nothing referencing them.
    pub async fn unlink_blob(
        self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        digest: &str,
    ) -> ServiceResult<bool> {
        Ok(self
            .meta
            .unlink_blob(owner, package_type, name, digest)
            .await?)
    }

    /// Every name that holds `digest`, whatever its type, each with its
    /// owner's login (for mounting a blob from another repository).
    pub async fn links_of(self, digest: &str) -> ServiceResult<Vec<(String, BlobLink)>> {
        let mut out = Vec::new();
        for link in self.meta.links_of(digest).await? {
            if let Some(owner) = self.meta.account_by_id(link.owner_id).await? {
                out.push((owner.login, link));
            }
        }
        Ok(out)
    }

    /// Unlinks every blob of `package_type` linked longer than `grace` ago
    /// that no version of its name names (live, or deleted but
    /// restorable); `names_of` is the format's word on what a version names. Returns each as
    /// `OWNER/NAME@DIGEST`; with `dry_run`, only reports.
    pub async fn collect_links(
        self,
        package_type: PackageType,
        grace: chrono::TimeDelta,
        names_of: &(dyn Fn(&Version) -> Vec<String> + Send + Sync),
        dry_run: bool,
    ) -> ServiceResult<Vec<String>> {
        let now = chrono::Utc::now();
        let mut named: HashMap<(Id, String), HashSet<String>> = HashMap::new();
        let mut collected = Vec::new();
        for link in self.meta.links_before(package_type, now - grace).await? {
            let key = (link.owner_id, link.repository.clone());
            if !named.contains_key(&key) {
                let mut digests = HashSet::new();
                if let Some(package) = self
                    .meta
                    .package(link.owner_id, package_type, &link.repository, true)
                    .await?
                {
                    for version in self.meta.versions(package.id, true).await? {
                        digests.extend(names_of(&version));
                    }
                }
                named.insert(key.clone(), digests);
            }
            if named[&key].contains(&link.digest) {
                continue;
            }
            let owner = self
                .meta
                .account_by_id(link.owner_id)
                .await?
                .map(|a| a.login)
                .unwrap_or_default();
            collected.push(format!("{owner}/{}@{}", link.repository, link.digest));
            if !dry_run {
                self.meta
                    .unlink_blob(link.owner_id, package_type, &link.repository, &link.digest)
                    .await?;
            }
        }
        Ok(collected)
    }
}

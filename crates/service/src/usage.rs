//! Storage usage: what each owner stores, each stored blob counted once
//! per owner (and once per format and per package within it), deleted
//! versions included until they are purged.

use entrepot_core::{Account, Actor};
use entrepot_store::Usage;

use crate::{Governance, ServiceResult};

impl Governance<'_> {
    /// `owner`'s usage, its packages named as their clients write them.
    pub async fn usage(self, owner: &Account) -> ServiceResult<Usage> {
        let mut usage = self.meta.usage(owner.id).await?;
        for package in &mut usage.packages {
            if let Some(format) = self.catalog.format(package.package_type) {
                let named = entrepot_core::Package {
                    id: package.package_id,
                    owner_id: owner.id,
                    owner_login: owner.login.clone(),
                    owner_is_upstream: false,
                    package_type: package.package_type,
                    name: package.name.clone(),
                    visibility: entrepot_core::Visibility::Private,
                    repository_id: None,
                    inherit_access: false,
                    description: None,
                    readme: None,
                    created_at: owner.created_at,
                    updated_at: owner.created_at,
                    deleted_at: None,
                };
                package.name = format.full_name(&named);
            }
        }
        Ok(usage)
    }

    /// What `package` stores, each blob once, deleted versions until
    /// they are purged (for its settings page: callers have checked that
    /// the caller administers it).
    pub async fn package_bytes(self, package: &entrepot_core::Package) -> ServiceResult<u64> {
        Ok(self
            .meta
            .stored_bytes(
                package.owner_id,
                Some(package.package_type),
                Some(&package.name),
            )
            .await?)
    }

    /// `usage` for `actor`: the owner itself, an organization's owners
    /// and site administrators (it names every package, private ones
    /// included).
    pub async fn usage_as(self, actor: &Actor, owner: &Account) -> ServiceResult<Usage> {
        self.may_manage_owner(actor, owner, true, "storage usage")
            .await?;
        self.usage(owner).await
    }

    /// Every owner of packages, and its usage.
    pub async fn usage_of_all(self) -> ServiceResult<Vec<(Account, Usage)>> {
        let mut all = Vec::new();
        for id in self.meta.package_owners().await? {
            if let Some(owner) = self.meta.account_by_id(id).await? {
                let usage = self.usage(&owner).await?;
                all.push((owner, usage));
            }
        }
        Ok(all)
    }
}

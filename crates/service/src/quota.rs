//! Quotas: site administrators set how much an owner may store (in all,
//! or of one format) and how many versions each of its packages may have;
//! a publish that would go over is refused before it is kept, saying
//! which quota and how much is used. The bytes of a refused publish, if
//! already stored, belong to nothing and go with the next collection.

use entrepot_core::quota::Quota;
use entrepot_core::{Account, Actor, PackageType};

use crate::{Governance, ServiceError, ServiceResult};

/// Bytes as people read them.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    #[expect(clippy::cast_precision_loss, reason = "a rounded figure for people")]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

impl Governance<'_> {
    /// Sets `owner`'s quota for `format` (all formats when none).
    pub async fn set_quota(
        self,
        owner: &Account,
        format: Option<PackageType>,
        bytes: Option<u64>,
        versions: Option<u64>,
    ) -> ServiceResult<Quota> {
        if bytes.is_none() && versions.is_none() {
            return Err(ServiceError::Invalid(
                "a quota limits bytes, versions or both".into(),
            ));
        }
        let quota = Quota {
            owner_id: owner.id,
            format,
            bytes,
            versions,
        };
        self.meta.set_quota(&quota).await?;
        tracing::info!(owner = %owner.login, ?format, ?bytes, ?versions, "quota set");
        Ok(quota)
    }

    /// `set_quota` for a site administrator.
    pub async fn set_quota_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: Option<PackageType>,
        limits: (Option<u64>, Option<u64>),
    ) -> ServiceResult<Quota> {
        crate::upstreams::site_admin(actor, true)?;
        self.set_quota(owner, format, limits.0, limits.1).await
    }

    pub async fn quotas(self, owner: &Account) -> ServiceResult<Vec<Quota>> {
        Ok(self.meta.quotas(Some(owner.id)).await?)
    }

    pub async fn remove_quota(
        self,
        owner: &Account,
        format: Option<PackageType>,
    ) -> ServiceResult<()> {
        if self.meta.remove_quota(owner.id, format).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "{} has no such quota",
                owner.login
            )))
        }
    }

    /// Refuses adding `bytes` (and, with `version`, that version if it is
    /// new) to `owner`'s package `name` of `package_type` when one of the
    /// owner's quotas would be exceeded. Callers check first that the
    /// caller may publish there: the refusal says how much is used.
    pub(crate) async fn check_quota_of(
        self,
        owner: &Account,
        (package_type, name, version): (PackageType, &str, Option<&str>),
        bytes: u64,
    ) -> ServiceResult<()> {
        let quotas: Vec<Quota> = self
            .meta
            .quotas(Some(owner.id))
            .await?
            .into_iter()
            .filter(|q| q.covers(package_type))
            .collect();
        if quotas.is_empty() {
            return Ok(());
        }
        if quotas.iter().any(|q| q.bytes.is_some()) {
            for quota in &quotas {
                let Some(limit) = quota.bytes else { continue };
                let used = self.meta.stored_bytes(owner.id, quota.format).await?;
                if used.saturating_add(bytes) > limit {
                    return Err(ServiceError::Forbidden(format!(
                        "quota exceeded: {} use {} of their {} quota, and this adds {} \
                         (deleted versions count until they are purged)",
                        quota.scope(&owner.login),
                        size_text(used),
                        size_text(limit),
                        size_text(bytes)
                    )));
                }
            }
        }
        if let Some(version) = version
            && let Some(limit) = quotas.iter().filter_map(|q| q.versions).min()
            && let Some(package) = self
                .meta
                .package(owner.id, package_type, name, false)
                .await?
        {
            let versions = self.meta.versions(package.id, true).await?;
            let count = versions.len() as u64;
            if count >= limit && !versions.iter().any(|v| v.name == version) {
                return Err(ServiceError::Forbidden(format!(
                    "quota exceeded: {name} has {count} versions, the most {} may have \
                     (deleted versions count until they are purged)",
                    quotas
                        .iter()
                        .find(|q| q.versions == Some(limit))
                        .map_or_else(|| owner.login.clone(), |q| q.scope(&owner.login))
                )));
            }
        }
        Ok(())
    }
}

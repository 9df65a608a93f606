//! Quotas: site administrators set how much an owner may store (in all,
//! or of one format), how much each of its packages may store and how
//! many versions each may have, over the instance's default;
//! a publish that would go over is refused before it is kept, saying
//! which quota and how much is used. Formats check before storing where
//! they can (`check_upload`); the bytes of a publish refused after they
//! were stored are dropped by the format, or else by the next collection.

use entrepot_core::quota::{Limits, Quota};
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

/// A size as people write it: `500`, `10KiB`, `2GB` (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("`{text}` is not a size"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => return Err(format!("unknown size unit `{other}` in `{text}`")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

impl Governance<'_> {
    /// Sets `owner`'s quota for `format` (all formats when none).
    pub async fn set_quota(
        self,
        owner: &Account,
        format: Option<PackageType>,
        limits: Limits,
    ) -> ServiceResult<Quota> {
        if limits.is_empty() {
            return Err(ServiceError::Invalid(
                "a quota limits bytes, bytes per package, versions per package, or more".into(),
            ));
        }
        let quota = Quota {
            owner_id: owner.id,
            format,
            limits,
        };
        self.meta.set_quota(&quota).await?;
        tracing::info!(owner = %owner.login, ?format, ?limits, "quota set");
        Ok(quota)
    }

    /// `set_quota` for a site administrator.
    pub async fn set_quota_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: Option<PackageType>,
        limits: Limits,
    ) -> ServiceResult<Quota> {
        self.may_set_quotas(actor, owner).await?;
        self.set_quota(owner, format, limits).await
    }

    /// Only site administrators set quotas; whoever may see `owner`'s
    /// quotas (and so learns they exist) hears so.
    async fn may_set_quotas(self, actor: &Actor, owner: &Account) -> ServiceResult<()> {
        if matches!(
            actor,
            Actor::User {
                site_admin: true,
                ..
            }
        ) {
            return crate::upstreams::site_admin(actor, true);
        }
        self.may_manage_owner(actor, owner, false, "quotas").await?;
        Err(ServiceError::Forbidden(
            "only site administrators set quotas".into(),
        ))
    }

    /// `quotas_in_force` for `actor`: the owner itself, an
    /// organization's members and site administrators.
    pub async fn quotas_as(self, actor: &Actor, owner: &Account) -> ServiceResult<Vec<Quota>> {
        self.may_manage_owner(actor, owner, false, "quotas").await?;
        self.quotas_in_force(owner).await
    }

    /// `owner`'s own quotas, without the instance's default.
    pub async fn quotas(self, owner: &Account) -> ServiceResult<Vec<Quota>> {
        Ok(self.meta.quotas(Some(owner.id)).await?)
    }

    /// The quotas that hold for `owner`: its own and the instance's
    /// default, when it has no quota of all formats of its own. An
    /// upstream's cache has no default: its size is the cache's own limit.
    pub async fn quotas_in_force(self, owner: &Account) -> ServiceResult<Vec<Quota>> {
        let default = if owner.kind == entrepot_core::AccountKind::Upstream {
            Limits::default()
        } else {
            self.limits.default_quota
        };
        Ok(Quota::effective(
            self.quotas(owner).await?,
            owner.id,
            default,
        ))
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

    /// `remove_quota` for a site administrator.
    pub async fn remove_quota_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: Option<PackageType>,
    ) -> ServiceResult<()> {
        self.may_set_quotas(actor, owner).await?;
        self.remove_quota(owner, format).await
    }

    /// Refuses, before the bytes are read, an upload of `bytes` (its
    /// declared length) to `owner` (its package `name` of `package_type`
    /// when known) that would go over a quota. Only for callers who may
    /// see the owner's usage (the owner, an organization's owners, site
    /// administrators), as the refusal says how much is used; others are
    /// checked once the publish is authorized.
    pub async fn check_upload(
        self,
        actor: &Actor,
        owner: &Account,
        (package_type, name): (PackageType, Option<&str>),
        bytes: u64,
    ) -> ServiceResult<()> {
        let quotas = self.covering(owner, package_type).await?;
        if quotas.is_empty() || !self.sees_usage(actor, owner).await {
            return Ok(());
        }
        self.refuse_bytes(owner, &quotas, (package_type, name), bytes)
            .await
    }

    /// How many more bytes `owner` (and its package `name` of
    /// `package_type`) may store before a quota is crossed: a store limit
    /// for an upload of unknown length, so that it stops as soon as the
    /// quota is crossed. `None` when no quota limits bytes, or the caller
    /// may not see the owner's usage (then checked after authorization).
    pub async fn room(
        self,
        actor: &Actor,
        owner: &Account,
        (package_type, name): (PackageType, &str),
    ) -> ServiceResult<Option<u64>> {
        let quotas = self.covering(owner, package_type).await?;
        if quotas.is_empty() || !self.sees_usage(actor, owner).await {
            return Ok(None);
        }
        let limits = self
            .byte_limits(owner, &quotas, (package_type, Some(name)))
            .await?;
        Ok(limits
            .iter()
            .map(|(_, used, limit)| limit.saturating_sub(*used))
            .min())
    }

    /// Refuses adding `bytes` (and, with `version`, that version if it is
    /// new) to `owner`'s package `name` (when known) of `package_type` when
    /// one of the owner's quotas would be exceeded. Callers check first that the
    /// caller may publish there: the refusal says how much is used.
    pub(crate) async fn check_quota_of(
        self,
        owner: &Account,
        (package_type, name, version): (PackageType, Option<&str>, Option<&str>),
        bytes: u64,
    ) -> ServiceResult<()> {
        let quotas = self.covering(owner, package_type).await?;
        if quotas.is_empty() {
            return Ok(());
        }
        self.refuse_bytes(owner, &quotas, (package_type, name), bytes)
            .await?;
        if let Some(name) = name
            && let Some(version) = version
            && let Some(limit) = quotas.iter().filter_map(|q| q.limits.versions).min()
        {
            self.check_versions(owner, (package_type, name, version), limit, &quotas)
                .await?;
        }
        Ok(())
    }

    /// The quotas in force for `owner` that cover `package_type`.
    async fn covering(
        self,
        owner: &Account,
        package_type: PackageType,
    ) -> ServiceResult<Vec<Quota>> {
        Ok(self
            .quotas_in_force(owner)
            .await?
            .into_iter()
            .filter(|q| q.covers(package_type))
            .collect())
    }

    /// Whether `actor` may see `owner`'s usage, which a refusal tells.
    async fn sees_usage(self, actor: &Actor, owner: &Account) -> bool {
        self.may_manage_owner(actor, owner, true, "storage usage")
            .await
            .is_ok()
    }

    /// Each byte limit of `quotas` on `owner` (and on its package `name`,
    /// when known): what it limits, in words, what is used, and the limit.
    async fn byte_limits(
        self,
        owner: &Account,
        quotas: &[Quota],
        (package_type, name): (PackageType, Option<&str>),
    ) -> ServiceResult<Vec<(String, u64, u64)>> {
        let mut limits = Vec::new();
        for quota in quotas {
            if let Some(limit) = quota.limits.bytes {
                let used = self.meta.stored_bytes(owner.id, quota.format, None).await?;
                limits.push((quota.scope(&owner.login), used, limit));
            }
        }
        if let Some(name) = name
            && let Some(limit) = quotas.iter().filter_map(|q| q.limits.package_bytes).min()
        {
            let used = self
                .meta
                .stored_bytes(owner.id, Some(package_type), Some(name))
                .await?;
            let what = format!("the {package_type} package {}/{name}", owner.login);
            limits.push((what, used, limit));
        }
        Ok(limits)
    }

    /// Refuses `bytes` more when they cross one of the byte limits.
    async fn refuse_bytes(
        self,
        owner: &Account,
        quotas: &[Quota],
        package: (PackageType, Option<&str>),
        bytes: u64,
    ) -> ServiceResult<()> {
        let limits = self.byte_limits(owner, quotas, package).await?;
        match limits
            .into_iter()
            .find(|(_, used, limit)| used.saturating_add(bytes) > *limit)
        {
            Some((what, used, limit)) => Err(ServiceError::Forbidden(format!(
                "quota exceeded: {what} use {} of their {} quota, and this adds {} \
                 (deleted versions count until they are purged)",
                size_text(used),
                size_text(limit),
                size_text(bytes)
            ))),
            None => Ok(()),
        }
    }

    /// Refuses a new version of a package that has `limit` versions.
    async fn check_versions(
        self,
        owner: &Account,
        (package_type, name, version): (PackageType, &str, &str),
        limit: u64,
        quotas: &[Quota],
    ) -> ServiceResult<()> {
        let Some(package) = self
            .meta
            .package(owner.id, package_type, name, false)
            .await?
        else {
            return Ok(());
        };
        let versions = self.meta.versions(package.id, true).await?;
        let count = versions.len() as u64;
        if count >= limit && !versions.iter().any(|v| v.name == version) {
            return Err(ServiceError::Forbidden(format!(
                "quota exceeded: {name} has {count} versions, the most {} may have \
                 (deleted versions count until they are purged)",
                quotas
                    .iter()
                    .find(|q| q.limits.versions == Some(limit))
                    .map_or_else(|| owner.login.clone(), |q| q.scope(&owner.login))
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_write_as_people_do() {
        assert_eq!(size_text(0), "0 B");
        assert_eq!(size_text(1023), "1023 B");
        assert_eq!(size_text(1536), "1.5 KiB");
        assert_eq!(size_text(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(parse_size("10"), Ok(10));
        assert_eq!(parse_size(" 2GiB "), Ok(2 << 30));
        assert_eq!(parse_size("1 tb"), Ok(1 << 40));
        assert!(parse_size("lots").unwrap_err().contains("not a size"));
        assert!(
            parse_size("3 parsecs")
                .unwrap_err()
                .contains("unknown size unit")
        );
        assert!(
            parse_size("99999999999999G")
                .unwrap_err()
                .contains("too large")
        );
    }
}

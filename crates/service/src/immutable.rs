//! Immutable tags: an owner's patterns (`admin immutable-tags add`, the
//! REST API) whose tags, once set, stay on their version. A publish or a
//! tag change that would move one, a removal of one and a deletion of the
//! version one names are refused, naming the rule; cleanup rules leave
//! such versions alone.

use chrono::Utc;
use entrepot_core::immutable::{ImmutableTag, check_pattern};
use entrepot_core::{Account, Actor, Id, Package, PackageType, Version};

use crate::{Governance, ServiceError, ServiceResult};

/// The most immutable-tag rules one owner has.
const MAX_RULES: usize = 50;

fn refusal(package: &Package, tag: &str, rule: &ImmutableTag) -> ServiceError {
    ServiceError::Forbidden(format!(
        "the tag `{tag}` of {} is immutable (rule {}: `{}`): it cannot be moved or removed, \
         nor its version deleted",
        package.name, rule.id, rule.pattern
    ))
}

impl Governance<'_> {
    pub async fn immutable_tags(self, owner: &Account) -> ServiceResult<Vec<ImmutableTag>> {
        Ok(self.meta.immutable_tags(Some(owner.id)).await?)
    }

    pub async fn immutable_tags_as(
        self,
        actor: &Actor,
        owner: &Account,
    ) -> ServiceResult<Vec<ImmutableTag>> {
        self.may_manage_owner(actor, owner, false, "immutable tags")
            .await?;
        self.immutable_tags(owner).await
    }

    /// Makes `owner`'s tags matching `pattern` (of `format`'s packages, or
    /// all) immutable from now on.
    pub async fn add_immutable_tag(
        self,
        owner: &Account,
        format: Option<PackageType>,
        pattern: &str,
    ) -> ServiceResult<ImmutableTag> {
        check_pattern(pattern).map_err(ServiceError::Invalid)?;
        if self.meta.immutable_tags(Some(owner.id)).await?.len() >= MAX_RULES {
            return Err(ServiceError::Invalid(format!(
                "{} has {MAX_RULES} immutable-tag rules already, the most one owner has",
                owner.login
            )));
        }
        let rule = self
            .meta
            .add_immutable_tag(owner.id, format, pattern, Utc::now())
            .await?;
        tracing::info!(owner = %owner.login, pattern, "immutable tags added");
        Ok(rule)
    }

    pub async fn add_immutable_tag_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: Option<PackageType>,
        pattern: &str,
    ) -> ServiceResult<ImmutableTag> {
        self.may_manage_owner(actor, owner, true, "immutable tags")
            .await?;
        self.add_immutable_tag(owner, format, pattern).await
    }

    pub async fn remove_immutable_tag(self, owner: &Account, id: Id) -> ServiceResult<()> {
        if self.meta.remove_immutable_tag(owner.id, id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "{} has no immutable-tag rule {id}",
                owner.login
            )))
        }
    }

    pub async fn remove_immutable_tag_as(
        self,
        actor: &Actor,
        owner: &Account,
        id: Id,
    ) -> ServiceResult<()> {
        self.may_manage_owner(actor, owner, true, "immutable tags")
            .await?;
        self.remove_immutable_tag(owner, id).await
    }

    /// Refuses to point any of `tags` of `package` at `to` (none: a version
    /// not published yet, or a removal) where an immutable tag is set
    /// elsewhere.
    pub(crate) async fn guard_tags(
        self,
        package: &Package,
        tags: &[String],
        to: Option<Id>,
    ) -> ServiceResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let rules = self.meta.immutable_tags(Some(package.owner_id)).await?;
        if rules.is_empty() {
            return Ok(());
        }
        for set in self.meta.tags(package.id).await? {
            if !tags.contains(&set.name) || Some(set.version_id) == to {
                continue;
            }
            if let Some(rule) = rules
                .iter()
                .find(|r| r.protects(package.package_type, &set.name))
            {
                return Err(refusal(package, &set.name, rule));
            }
        }
        Ok(())
    }

    /// Refuses to delete `version` while an immutable tag names it.
    pub(crate) async fn guard_version(
        self,
        package: &Package,
        version: &Version,
    ) -> ServiceResult<()> {
        if let Some((tag, rule)) = self.immutable_tag_of(package, version.id).await? {
            return Err(refusal(package, &tag, &rule));
        }
        Ok(())
    }

    /// Refuses to delete `package` while an immutable tag names any of
    /// its versions.
    pub(crate) async fn guard_package(self, package: &Package) -> ServiceResult<()> {
        let rules = self.meta.immutable_tags(Some(package.owner_id)).await?;
        if rules.is_empty() {
            return Ok(());
        }
        for set in self.meta.tags(package.id).await? {
            if let Some(rule) = rules
                .iter()
                .find(|r| r.protects(package.package_type, &set.name))
            {
                return Err(refusal(package, &set.name, rule));
            }
        }
        Ok(())
    }

    /// The immutable tag naming `version`, and its rule, if one does.
    pub(crate) async fn immutable_tag_of(
        self,
        package: &Package,
        version: Id,
    ) -> ServiceResult<Option<(String, ImmutableTag)>> {
        let rules = self.meta.immutable_tags(Some(package.owner_id)).await?;
        if rules.is_empty() {
            return Ok(None);
        }
        for set in self.meta.tags(package.id).await? {
            if set.version_id != version {
                continue;
            }
            if let Some(rule) = rules
                .iter()
                .find(|r| r.protects(package.package_type, &set.name))
            {
                return Ok(Some((set.name, rule.clone())));
            }
        }
        Ok(None)
    }
}

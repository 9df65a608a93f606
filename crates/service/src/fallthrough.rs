//! An owner's own say over its index's fall-through (REST and web): the
//! user themself, an organization's owners and site administrators may
//! turn it on or off and set the names it keeps; an organization's members
//! may see it. Site administrators alone register upstreams; an owner only
//! picks one of them.

use entrepot_core::{Account, Actor, PackageType};

use crate::upstreams::OwnerFallthrough;
use crate::{ServiceResult, Upstreams};

impl Upstreams<'_> {
    /// Whether `actor` may see (`change` false) or change `owner`'s
    /// fall-through settings.
    async fn may_manage(self, actor: &Actor, owner: &Account, change: bool) -> ServiceResult<()> {
        self.may_manage_owner(actor, owner, change, "fall-through")
            .await
    }

    /// Where `owner`'s index of `format` falls through to, as `actor` may
    /// see it.
    pub async fn fallthrough_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: PackageType,
    ) -> ServiceResult<Option<OwnerFallthrough>> {
        self.may_manage(actor, owner, false).await?;
        self.fallthrough_of(owner, format).await
    }

    /// `set_fallthrough` for `actor`, who must manage `owner`.
    pub async fn set_fallthrough_as(
        self,
        actor: &Actor,
        owner: &Account,
        format: &str,
        upstream: Option<&str>,
        reserved: &[String],
    ) -> ServiceResult<()> {
        self.may_manage(actor, owner, true).await?;
        self.set_fallthrough(&owner.login, format, upstream, reserved)
            .await?;
        tracing::info!(owner = %owner.login, format, upstream, "fall-through changed");
        Ok(())
    }

    /// The names of the upstreams an owner's index of `format` may fall
    /// through to (their names are public owners anyway).
    pub async fn fallthrough_choices(self, format: PackageType) -> ServiceResult<Vec<String>> {
        Ok(self
            .upstreams()
            .await?
            .into_iter()
            .filter(|u| u.format == format)
            .map(|u| u.name)
            .collect())
    }
}

//! An owner's own say over its index's fall-through (REST and web): the
//! user themself, an organization's owners and site administrators may
//! turn it on or off and set the names it keeps; an organization's members
//! may see it. Site administrators alone register upstreams; an owner only
//! picks one of them.

use entrepot_core::authz::OwnerRelation;
use entrepot_core::{Account, Actor, PackageType, Scope};

use crate::upstreams::OwnerFallthrough;
use crate::{ServiceError, ServiceResult, Upstreams};

impl Upstreams<'_> {
    /// Whether `actor` may see (`change` false) or change `owner`'s
    /// fall-through settings.
    async fn may_manage(self, actor: &Actor, owner: &Account, change: bool) -> ServiceResult<()> {
        let Actor::User {
            site_admin, scopes, ..
        } = actor
        else {
            return Err(ServiceError::Unauthenticated);
        };
        let scope = if change {
            Scope::WritePackages
        } else {
            Scope::ReadPackages
        };
        if !scopes.contains(scope) {
            return Err(entrepot_core::Denial::MissingScope(scope).into());
        }
        let relation = self.owner_relation(actor, owner.id, owner.kind).await?;
        let allowed = *site_admin
            || matches!(relation, OwnerRelation::IsOwner | OwnerRelation::OrgOwner)
            || (!change && relation == OwnerRelation::OrgMember);
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "only {} itself, its owners or a site administrator may {} its fall-through",
                owner.login,
                if change { "change" } else { "see" }
            )))
        }
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

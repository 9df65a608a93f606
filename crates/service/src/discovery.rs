//! Finding packages across owners (a client's search): only those the
//! caller may read are ever listed.

use entrepot_core::authz::OwnerRelation;
use entrepot_core::{Actor, OrgRole, ReadScope};
use entrepot_store::{PackageSearch, SearchPage};

use crate::{Packages, ServiceResult};

impl Packages<'_> {
    /// What `actor` may read, as relations a store can filter by: their
    /// organizations with their role and where each one's single sign-on
    /// stands for this credential.
    pub async fn read_scope(self, actor: &Actor) -> ServiceResult<ReadScope> {
        let mut orgs = Vec::new();
        if let Some(user) = actor.user_id() {
            for (org, role) in self.meta.user_orgs(user).await? {
                let relation = match role {
                    OrgRole::Owner => OwnerRelation::OrgOwner,
                    OrgRole::Member => OwnerRelation::OrgMember,
                };
                orgs.push((org.id, role, self.sso_gate(actor, org.id, relation).await?));
            }
        }
        Ok(ReadScope::of(&self.policy, actor, &orgs))
    }

    /// One page of the packages `actor` may read that `search` matches,
    /// found, ordered and paged in SQL (`search.readable` is set here).
    pub async fn search(
        self,
        actor: &Actor,
        mut search: PackageSearch,
    ) -> ServiceResult<SearchPage> {
        search.readable = self.read_scope(actor).await?;
        Ok(self.meta.search_packages(search).await?)
    }
}

//! Finding packages across owners (a client's search): only those the
//! caller may read are ever listed.

use entrepot_core::{Actor, Package};
use entrepot_store::PackageFilter;

use crate::{Packages, ServiceResult};

impl Packages<'_> {
    /// The packages `filter` selects that `actor` may read, in the filter's
    /// order; the others are left out without a word, as if absent.
    pub async fn packages_readable_by(
        self,
        actor: &Actor,
        filter: PackageFilter,
    ) -> ServiceResult<Vec<Package>> {
        let mut readable = Vec::new();
        for package in self.meta.list_packages(filter).await? {
            if self.can_read(actor, &package).await? {
                readable.push(package);
            }
        }
        Ok(readable)
    }
}

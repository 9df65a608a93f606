//! Quotas: how much an owner may store (in all, or of one format) and how
//! many versions each of its packages may have; set by site
//! administrators, checked before a publish is kept.

use serde::{Deserialize, Serialize};

use crate::{Id, PackageType};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub owner_id: Id,
    /// The format it limits, or all of the owner's packages.
    pub format: Option<PackageType>,
    /// The most bytes stored (each blob once, deleted versions until
    /// purged).
    pub bytes: Option<u64>,
    /// The most versions (deleted ones until purged) of each package.
    pub versions: Option<u64>,
}

impl Quota {
    /// Whether the quota covers packages of `package_type`.
    pub fn covers(&self, package_type: PackageType) -> bool {
        self.format.is_none_or(|f| f == package_type)
    }

    /// What it limits, in words: `acme's npm packages`.
    pub fn scope(&self, owner: &str) -> String {
        match self.format {
            Some(f) => format!("{owner}'s {f} packages"),
            None => format!("{owner}'s packages"),
        }
    }
}

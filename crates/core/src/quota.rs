//! Quotas: how much an owner may store (in all, or of one format), how
//! much each of its packages may store, and how many versions each may
//! have; set by site administrators (with defaults for the instance),
//! checked before a publish is kept.

use serde::{Deserialize, Serialize};

use crate::{Id, PackageType};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub owner_id: Id,
    /// The format it limits, or all of the owner's packages.
    pub format: Option<PackageType>,
    /// The limits themselves.
    #[serde(flatten)]
    pub limits: Limits,
}

/// What a quota limits; each figure counts each blob once and deleted
/// versions until they are purged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// The most bytes stored in all.
    pub bytes: Option<u64>,
    /// The most bytes any one package stores.
    pub package_bytes: Option<u64>,
    /// The most versions of each package.
    pub versions: Option<u64>,
}

impl Limits {
    /// Whether it limits nothing.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_none() && self.package_bytes.is_none() && self.versions.is_none()
    }
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

    /// The quotas that hold for an owner: its own, and the instance's
    /// `default` (of all formats) unless it has its own of all formats.
    pub fn effective(mut own: Vec<Quota>, owner_id: Id, default: Limits) -> Vec<Quota> {
        if !default.is_empty() && !own.iter().any(|q| q.format.is_none()) {
            own.insert(
                0,
                Quota {
                    owner_id,
                    format: None,
                    limits: default,
                },
            );
        }
        own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_holds_until_the_owner_has_its_own_of_all_formats() {
        let default = Limits {
            bytes: Some(100),
            ..Limits::default()
        };
        let npm = Quota {
            owner_id: 7,
            format: Some(PackageType::Npm),
            limits: Limits {
                versions: Some(3),
                ..Limits::default()
            },
        };
        let held = Quota::effective(vec![npm.clone()], 7, default);
        assert_eq!(held.len(), 2);
        assert_eq!(held[0].limits.bytes, Some(100));
        assert_eq!(held[0].format, None);
        let own = Quota {
            owner_id: 7,
            format: None,
            limits: Limits {
                bytes: Some(5),
                ..Limits::default()
            },
        };
        assert_eq!(
            Quota::effective(vec![own.clone(), npm.clone()], 7, default),
            vec![own, npm.clone()]
        );
        assert_eq!(
            Quota::effective(vec![npm.clone()], 7, Limits::default()),
            vec![npm]
        );
    }
}

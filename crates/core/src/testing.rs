//! Fixtures for the formats' unit tests: one package and one version built
//! the same way everywhere, so each test states only what it is about.
//! Compiled for this crate's tests and, through the `testing` feature, for
//! the format crates' tests (a dev-dependency); never into the server.

use crate::{Package, PackageType, Version, Visibility};

/// Alice's package `name` (id 1), neither in a repository nor cached from
/// an upstream, created now. Tests change a field where they need another.
#[must_use]
pub fn package(package_type: PackageType, name: &str, visibility: Visibility) -> Package {
    let now = chrono::Utc::now();
    Package {
        id: 1,
        owner_id: 1,
        owner_login: "alice".into(),
        owner_is_upstream: false,
        package_type,
        name: name.into(),
        visibility,
        repository_id: None,
        inherit_access: true,
        description: None,
        readme: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

/// Version `name` (id 1) of the package above, with the format's
/// `metadata`, created now.
#[must_use]
pub fn version(name: &str, metadata: serde_json::Value) -> Version {
    let now = chrono::Utc::now();
    Version {
        id: 1,
        package_id: 1,
        name: name.into(),
        metadata,
        publisher_id: None,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    }
}

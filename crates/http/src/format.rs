//! The one trait every package format implements. The server mounts each
//! format's router; the web pages and the REST API ask the format to describe
//! its packages and never `match` on a format.

use axum::Router;
use entrepot_core::{Package, PackageType, Version};
use entrepot_service::ServiceResult;
use futures::future::BoxFuture;

use crate::state::{AppState, HttpConfig};

/// One snippet of install instructions, as the package page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// What the snippet is for, e.g. "Install from the command line".
    pub title: String,
    /// Where it goes, e.g. `.npmrc`, `pom.xml`, or `shell`.
    pub language: String,
    pub body: String,
}

/// Why a version is not plainly available, for the package page: npm's
/// deprecation, a yank, an unlisting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStatus {
    /// A word for the badge, e.g. "yanked".
    pub label: &'static str,
    /// The reason, when the publisher gave one.
    pub detail: Option<String>,
}

pub trait PackageFormat: Send + Sync + 'static {
    /// GitHub's `package_type` this format serves.
    fn package_type(&self) -> PackageType;

    /// The human name of the format, e.g. "npm" or "Apache Maven".
    fn display_name(&self) -> &'static str;

    /// Routes, already under their mount point (e.g. `/npm/...`).
    fn router(&self) -> Router<AppState>;

    /// The name clients know the package by (npm: `@owner/name`).
    fn full_name(&self, package: &Package) -> String {
        package.name.clone()
    }

    /// Reads a name as a client writes it (in an advisory, say) back to the
    /// stored one; the inverse of `full_name` and `ecosystem_name`.
    fn stored_name(&self, package: &Package, client_name: &str) -> String {
        let _ = package;
        client_name.to_owned()
    }

    /// The name the package's ecosystem and OSV know it by, read from its
    /// newest version where the stored name loses something (Maven's
    /// `groupId:artifactId`).
    fn ecosystem_name(&self, package: &Package, newest: Option<&Version>) -> String {
        let _ = newest;
        self.full_name(package)
    }

    /// The key under which the REST API's `package-version.metadata` lists
    /// a version's tags, for formats whose GitHub schema has one
    /// (containers: `container`).
    fn rest_tags_key(&self) -> Option<&'static str> {
        None
    }

    /// The version's standing where it is not plainly available.
    fn version_status(&self, version: &Version) -> Option<VersionStatus> {
        let _ = version;
        None
    }

    /// `admin fsck`'s look at this format's indexes for one live package
    /// and its live versions: whatever a client would read that disagrees
    /// with the metadata, as sentences.
    fn check_indexes(
        &self,
        state: &AppState,
        package: &Package,
        versions: &[Version],
    ) -> BoxFuture<'static, ServiceResult<Vec<String>>> {
        let _ = (state, package, versions);
        Box::pin(std::future::ready(Ok(Vec::new())))
    }

    /// How to install `package` (at `version`, or the latest) from this server.
    fn install_instructions(
        &self,
        config: &HttpConfig,
        package: &Package,
        version: Option<&Version>,
    ) -> Vec<Snippet>;
}

//! A format's HTTP part: its routes and `admin fsck`'s look at what its
//! clients read. The part every layer reads (names, install snippets, where
//! a version stands) is `FormatSpec`, below HTTP in the service.

use axum::Router;
use entrepot_core::{Package, Version};
use entrepot_service::ServiceResult;
use futures::future::BoxFuture;

pub use entrepot_service::format::{
    Dependency, Details, FormatSpec, Section, Snippet, VersionView, Weight, human_size, person_name,
};

use crate::state::AppState;

/// Implemented by each format crate beside `FormatSpec`; the server
/// registers one value of it and mounts its router.
pub trait PackageFormat: FormatSpec {
    /// Routes, already under their mount point (e.g. `/npm/...`).
    fn router(&self) -> Router<AppState>;

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
}

//! The Cargo registry at `sparse+BASE/cargo/OWNER/index/`: the sparse
//! index (`config.json` and one file per crate, with `ETag` and
//! `Last-Modified`), and the web API under `BASE/cargo/OWNER/api/v1/`:
//! publish, yank and unyank, owners, search and downloads. Crates belong
//! to their owner (granular permissions, as on GitHub) and connect to the
//! repository their `repository` field names.

mod body;
mod details;
mod download;
mod endpoint;
mod fsck;
pub mod fuzzing;
mod index;
mod install;
mod metadata;
mod names;
mod namespace;
mod owners;
mod publish;
mod reply;
mod routes;
mod search;
mod sparse;
mod tarball;
mod trusted;
mod upstream;
mod yank;

use std::sync::Arc;

use axum::Router;
use entrepot_core::{Lifecycle, Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::owner::owner_routes;
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

/// The Cargo format, registered by the server binary.
pub struct CargoRegistry;

impl FormatSpec for CargoRegistry {
    fn package_type(&self) -> PackageType {
        PackageType::Cargo
    }

    fn display_name(&self) -> &'static str {
        "Cargo"
    }

    fn manifest_path(&self) -> &'static str {
        "Cargo.toml"
    }

    /// `Foo-Bar`, `foo_bar` and `FOO-BAR` are one crate.
    fn canonical_name(&self, name: &str) -> String {
        entrepot_core::names::crate_canonical(name)
    }

    /// Crates are stored as first published, not in the canonical form.
    fn home_of(&self, client_name: &str) -> Option<(Option<String>, String)> {
        Some((None, client_name.to_owned()))
    }

    fn lifecycle(&self, version: &Version) -> Lifecycle {
        metadata::VersionMetadata::lifecycle(version)
    }

    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: true,
            fallthrough_use: "registries.{owner}.index = \"sparse+{base}/cargo/{owner}/index/\"",
        }
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
    }

    /// A `.crate` holds the sources under `name-version/`.
    fn archive<'f>(
        &self,
        files: &'f [entrepot_core::PackageFile],
    ) -> Option<&'f entrepot_core::PackageFile> {
        files
            .iter()
            .find(|f| std::path::Path::new(&f.name).extension() == Some("crate".as_ref()))
    }

    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
        _tags: &[String],
    ) -> Vec<Snippet> {
        install::snippets(site, package, version)
    }
}

impl PackageFormat for CargoRegistry {
    fn router(&self) -> Router<AppState> {
        // One cache per router, which the server builds once.
        let cache = Arc::new(sparse::IndexCache::default());
        owner_routes("cargo", move |state, caller, request| {
            routes::handle(state, Arc::clone(&cache), caller, request)
        })
    }

    fn check_indexes(
        &self,
        state: &AppState,
        package: &Package,
        versions: &[Version],
    ) -> futures::future::BoxFuture<'static, entrepot_service::ServiceResult<Vec<String>>> {
        Box::pin(fsck::check(
            state.clone(),
            package.clone(),
            versions.to_vec(),
        ))
    }
}

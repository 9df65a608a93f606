//! The Python package index at `BASE/pypi/OWNER/`: twine uploads to it and
//! pip installs from `BASE/pypi/OWNER/simple/`. Projects belong to their
//! owner (granular) under their PEP 503 normalised name; a file name is
//! never reused; releases can be yanked with a reason.

mod details;
mod distribution;
mod endpoint;
mod error;
mod files;
mod form;
mod fsck;
pub mod fuzzing;
mod install;
mod metadata;
mod oidc;
mod pages;
mod pep440;
mod project_json;
mod releases;
mod router;
mod simple;
mod upload;
mod upstream;
mod yank;

use axum::Router;
use entrepot_core::{Lifecycle, Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::owner::owner_routes;
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

use crate::metadata::CoreMetadata;

pub use endpoint::Endpoint;

/// The PyPI format, registered by the server binary.
pub struct Pypi;

impl FormatSpec for Pypi {
    fn package_type(&self) -> PackageType {
        PackageType::Pypi
    }

    fn display_name(&self) -> &'static str {
        "PyPI"
    }

    fn manifest_path(&self) -> &'static str {
        "pyproject.toml"
    }

    /// PEP 503: `Tiny_Pkg` and `tiny-pkg` are one project.
    fn canonical_name(&self, name: &str) -> String {
        entrepot_core::names::pep503(name)
    }

    fn lifecycle(&self, version: &Version) -> Lifecycle {
        CoreMetadata::of(version).yanked.lifecycle()
    }

    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: true,
            fallthrough_use: "pip install --index-url {base}/pypi/{owner}/simple/ …",
        }
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
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

impl PackageFormat for Pypi {
    fn router(&self) -> Router<AppState> {
        // One cache of simple pages per router, which the server builds once.
        let pages = std::sync::Arc::new(pages::Pages::default());
        owner_routes("pypi", move |state, caller, request| {
            router::handle(state, std::sync::Arc::clone(&pages), caller, request)
        })
        .route("/_/oidc/audience", axum::routing::get(oidc::audience))
        .route("/_/oidc/mint-token", axum::routing::post(oidc::mint_token))
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

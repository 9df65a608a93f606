//! The NuGet feed at `BASE/nuget/OWNER/index.json`: the v3 protocol for
//! NuGet.exe and dotnet (push, flat container, registrations, search,
//! autocomplete, READMEs, symbol packages), unlist and relist, and a v2
//! `OData` feed for `NuGet` 2.x and `nuget list`. Packages belong to their
//! owner (granular, as on GitHub); ids are case-insensitive.

mod details;
mod dispatch;
mod documents;
mod endpoint;
mod fallthrough;
mod feed;
mod flatcontainer;
mod fsck;
pub mod fuzzing;
mod install;
mod metadata;
mod nuspec;
mod odata;
mod package;
mod push;
mod registration;
mod respond;
mod search;
mod trusted;
mod unlist;
mod upload;
mod upstream;
mod version;
mod view;

use axum::Router;
use entrepot_core::{Lifecycle, Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::owner::owner_routes;
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

use crate::metadata::VersionMetadata;

/// The NuGet format, registered by the server binary.
pub struct NuGet;

impl FormatSpec for NuGet {
    fn package_type(&self) -> PackageType {
        PackageType::Nuget
    }

    fn display_name(&self) -> &'static str {
        "NuGet"
    }

    fn manifest_path(&self) -> &'static str {
        "package.nuspec"
    }

    /// Package ids are case-insensitive (and kept lowercase).
    fn canonical_name(&self, name: &str) -> String {
        name.to_ascii_lowercase()
    }

    fn full_name(&self, package: &Package) -> String {
        package.name.clone()
    }

    /// The id with its author's case (stored names are lowercase).
    fn ecosystem_name(&self, package: &Package, newest: Option<&Version>) -> String {
        newest
            .and_then(VersionMetadata::of)
            .map(|m| m.nuspec.id)
            .filter(|id| id.eq_ignore_ascii_case(&package.name))
            .unwrap_or_else(|| package.name.clone())
    }

    /// Unlisted versions are left out of searches and of "latest".
    fn lifecycle(&self, version: &Version) -> Lifecycle {
        match VersionMetadata::of(version) {
            Some(m) if !m.listed => Lifecycle::Unlisted { reason: None },
            _ => Lifecycle::Available,
        }
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
    }

    /// `BASE/nuget/NAME/index.json` mirrors the upstream feed NAME, and an
    /// owner's feed may fall through to it for the ids it lacks.
    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: true,
            fallthrough_use: "dotnet nuget add source {base}/nuget/{owner}/index.json …",
        }
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

impl PackageFormat for NuGet {
    fn router(&self) -> Router<AppState> {
        // One cache of rendered documents per router, which the server
        // builds once.
        let documents = std::sync::Arc::new(documents::Documents::default());
        owner_routes("nuget", move |state, caller, request| {
            dispatch::handle(state, std::sync::Arc::clone(&documents), caller, request)
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

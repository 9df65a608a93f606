//! The npm registry at `BASE/npm/`: what the real npm CLI needs to publish,
//! install, tag, deprecate, unpublish, search and log in, with npm's JSON
//! errors. Packages are scoped by their owner, `@OWNER/NAME`.

mod audit;
mod cache;
mod details;
mod dist_tags;
mod document;
mod endpoint;
mod error;
mod fsck;
pub mod fuzzing;
mod install;
mod metadata;
mod name;
mod oidc;
mod packument;
mod publish;
mod reply;
mod router;
mod search;
mod tarball;
mod unpublish;
mod upstream;
mod user;
mod view;

use axum::Router;
use axum::routing::any;
use entrepot_core::{Lifecycle, Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

pub use endpoint::Endpoint;
pub use name::NpmName;

/// The npm format, registered by the server binary.
#[derive(Default)]
pub struct Npm {
    packuments: std::sync::Arc<cache::Packuments>,
}

/// The name npm's clients know a package by: `@OWNER/NAME` for a local
/// owner's, the upstream's own (`left-pad`, `@types/node`) for what was
/// cached from one.
pub(crate) fn client_name(package: &Package) -> String {
    if package.owner_is_upstream || package.name.starts_with('@') {
        return package.name.clone();
    }
    format!("@{}/{}", package.owner_login, package.name)
}

impl FormatSpec for Npm {
    fn package_type(&self) -> PackageType {
        PackageType::Npm
    }

    fn display_name(&self) -> &'static str {
        "npm"
    }

    fn manifest_path(&self) -> &'static str {
        "package.json"
    }

    fn full_name(&self, package: &Package) -> String {
        client_name(package)
    }

    fn stored_name(&self, package: &Package, client_name: &str) -> String {
        match client_name
            .strip_prefix('@')
            .and_then(|n| n.split_once('/'))
        {
            Some((scope, rest)) if scope.eq_ignore_ascii_case(&package.owner_login) => {
                rest.to_owned()
            }
            _ => client_name.to_owned(),
        }
    }

    /// A scope is its owner; an unscoped name is the public registry's.
    fn home_of(&self, client_name: &str) -> Option<(Option<String>, String)> {
        let (scope, rest) = client_name.strip_prefix('@')?.split_once('/')?;
        Some((Some(scope.to_owned()), rest.to_owned()))
    }

    fn lifecycle(&self, version: &Version) -> Lifecycle {
        metadata::Manifest::of(version).lifecycle()
    }

    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: true,
            owner_fallthrough: false,
            fallthrough_use: "",
        }
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
    }

    /// npm packs the package under `package/` in its tarball.
    fn archive<'f>(
        &self,
        files: &'f [entrepot_core::PackageFile],
    ) -> Option<&'f entrepot_core::PackageFile> {
        files
            .iter()
            .find(|f| std::path::Path::new(&f.name).extension() == Some("tgz".as_ref()))
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

impl PackageFormat for Npm {
    fn router(&self) -> Router<AppState> {
        let cache = std::sync::Arc::clone(&self.packuments);
        let dispatch = move |state, caller, request| {
            router::dispatch(std::sync::Arc::clone(&cache), state, caller, request)
        };
        Router::new()
            .route("/npm", any(dispatch.clone()))
            .route("/npm/", any(dispatch.clone()))
            .route("/npm/{*path}", any(dispatch))
            .route(
                "/-/npm/v1/oidc/token/exchange/package/{*name}",
                axum::routing::post(oidc::exchange),
            )
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

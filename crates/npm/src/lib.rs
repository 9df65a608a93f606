//! The npm registry at `BASE/npm/`: what the real npm CLI needs to publish,
//! install, tag, deprecate, unpublish, search and log in, with npm's JSON
//! errors. Packages are scoped by their owner, `@OWNER/NAME`.

mod audit;
mod cache;
mod endpoint;
mod error;
mod fsck;
pub mod fuzzing;
mod handlers;
mod packument;
mod publish;

use axum::Router;
use axum::routing::any;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{Snippet, VersionStatus};
use entrepot_http::state::HttpConfig;
use entrepot_http::{AppState, PackageFormat};

pub use endpoint::{Endpoint, NpmName};

/// The npm format, registered by the server binary.
#[derive(Default)]
pub struct Npm {
    packuments: std::sync::Arc<cache::Packuments>,
}

impl PackageFormat for Npm {
    fn package_type(&self) -> PackageType {
        PackageType::Npm
    }

    fn display_name(&self) -> &'static str {
        "npm"
    }

    fn router(&self) -> Router<AppState> {
        let cache = std::sync::Arc::clone(&self.packuments);
        let dispatch = move |state, caller, request| {
            handlers::dispatch(std::sync::Arc::clone(&cache), state, caller, request)
        };
        Router::new()
            .route("/npm", any(dispatch.clone()))
            .route("/npm/", any(dispatch.clone()))
            .route("/npm/{*path}", any(dispatch))
    }

    fn full_name(&self, package: &Package) -> String {
        format!("@{}/{}", package.owner_login, package.name)
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

    fn version_status(&self, version: &Version) -> Option<VersionStatus> {
        let message = version.metadata.get("deprecated")?.as_str()?;
        Some(VersionStatus {
            label: "deprecated",
            detail: Some(message.to_owned()),
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

    fn install_instructions(
        &self,
        config: &HttpConfig,
        package: &Package,
        version: Option<&Version>,
    ) -> Vec<Snippet> {
        let registry = config.url("/npm/");
        let host_path = registry
            .split_once("://")
            .map_or(registry.as_str(), |(_, r)| r);
        let spec = match version {
            Some(v) => format!("@{}/{}@{}", package.owner_login, package.name, v.name),
            None => format!("@{}/{}", package.owner_login, package.name),
        };
        vec![
            Snippet {
                title: "Add to .npmrc".into(),
                language: "ini".into(),
                body: format!(
                    "@{}:registry={registry}\n//{host_path}:_authToken=${{ENTREPOT_TOKEN}}",
                    package.owner_login
                ),
            },
            Snippet {
                title: "Install from the command line".into(),
                language: "shell".into(),
                body: format!("npm install {spec}"),
            },
        ]
    }
}

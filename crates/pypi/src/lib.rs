//! The Python package index at `BASE/pypi/OWNER/`: twine uploads to it and
//! pip installs from `BASE/pypi/OWNER/simple/`. Projects belong to their
//! owner (granular) under their PEP 503 normalised name; a file name is
//! never reused; releases can be yanked with a reason.

mod fsck;
pub mod fuzzing;
mod handlers;
mod pep440;

use axum::Router;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{Snippet, VersionStatus};
use entrepot_http::owner::owner_routes;
use entrepot_http::state::HttpConfig;
use entrepot_http::{AppState, PackageFormat};

/// The PyPI format, registered by the server binary.
pub struct Pypi;

impl PackageFormat for Pypi {
    fn package_type(&self) -> PackageType {
        PackageType::Pypi
    }

    fn display_name(&self) -> &'static str {
        "PyPI"
    }

    fn router(&self) -> Router<AppState> {
        owner_routes("pypi", handlers::handle)
    }

    fn version_status(&self, version: &Version) -> Option<VersionStatus> {
        match version.metadata.get("yanked")? {
            serde_json::Value::String(reason) => Some(VersionStatus {
                label: "yanked",
                detail: Some(reason.clone()).filter(|r| !r.is_empty()),
            }),
            serde_json::Value::Bool(true) => Some(VersionStatus {
                label: "yanked",
                detail: None,
            }),
            _ => None,
        }
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
        let index = config.url(&format!("/pypi/{}/simple/", package.owner_login));
        let display = version
            .and_then(|v| v.metadata.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or(&package.name)
            .to_owned();
        let pin = version.map_or(String::new(), |v| format!("=={}", v.name));
        let (scheme, rest) = index.split_once("://").unwrap_or(("https", &index));
        vec![
            Snippet {
                title: "Install with pip".into(),
                language: "shell".into(),
                body: format!(
                    "pip install --index-url {scheme}://USER:TOKEN@{rest} {display}{pin}"
                ),
            },
            Snippet {
                title: "Upload with twine".into(),
                language: "shell".into(),
                body: format!(
                    "twine upload --repository-url {} -u __token__ -p TOKEN dist/*",
                    config.url(&format!("/pypi/{}/", package.owner_login))
                ),
            },
        ]
    }
}

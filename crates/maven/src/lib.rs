//! The Apache Maven repository at `BASE/maven/OWNER/REPOSITORY/`, for mvn
//! and Gradle: files deployed one PUT at a time, releases immutable,
//! SNAPSHOT builds kept to the newest few, checksums computed at upload and
//! `maven-metadata.xml` generated from what is stored. Packages belong to
//! the repository in the URL and take its permissions, as on GitHub.

mod checksums;
mod deploy;
mod details;
mod endpoint;
mod error;
mod fsck;
pub mod fuzzing;
mod install;
mod maven_metadata;
mod metadata;
mod parents;
mod path;
mod pom_deps;
mod read;
mod routes;
mod stored;
mod target;
mod upstream;
mod xml;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method};
use axum::routing::any;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::{ApiError, AppState, Caller, PackageFormat};
use entrepot_service::site::Site;

use crate::metadata::VersionMetadata;

/// How many timestamped builds of each SNAPSHOT version are kept unless
/// configured otherwise.
pub const DEFAULT_SNAPSHOT_BUILDS: usize = 10;

/// The Maven format, registered by the server binary.
pub struct Maven {
    /// The newest builds of a SNAPSHOT version that are kept; older builds'
    /// files are removed when a new build arrives.
    pub snapshot_builds: usize,
}

impl Default for Maven {
    fn default() -> Self {
        Maven {
            snapshot_builds: DEFAULT_SNAPSHOT_BUILDS,
        }
    }
}

impl FormatSpec for Maven {
    fn package_type(&self) -> PackageType {
        PackageType::Maven
    }

    fn display_name(&self) -> &'static str {
        "Apache Maven"
    }

    fn manifest_path(&self) -> &'static str {
        "pom.xml"
    }

    /// GitHub's advisories write `groupId:artifactId`; the name is stored
    /// as `groupId.artifactId`.
    fn stored_name(&self, _package: &Package, client_name: &str) -> String {
        client_name.replace(':', ".")
    }

    fn home_of(&self, client_name: &str) -> Option<(Option<String>, String)> {
        Some((None, client_name.replace(':', ".")))
    }

    fn ecosystem_name(&self, package: &Package, newest: Option<&Version>) -> String {
        newest
            .and_then(VersionMetadata::of)
            .map_or_else(|| package.name.clone(), |m| m.coordinates())
    }

    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: true,
            fallthrough_use: "<mirror><id>entrepot</id><mirrorOf>*</mirrorOf><url>{base}/maven/{owner}/REPOSITORY/</url></mirror>",
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

impl PackageFormat for Maven {
    fn router(&self) -> Router<AppState> {
        let keep = self.snapshot_builds.max(1);
        Router::new().route(
            "/maven/{owner}/{repo}/{*path}",
            any(
                move |state: State<AppState>,
                      caller: Result<Caller, ApiError>,
                      method: Method,
                      path: Path<(String, String, String)>,
                      headers: HeaderMap,
                      body: Body| {
                    routes::handle(keep, state, caller, method, path, headers, body)
                },
            ),
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

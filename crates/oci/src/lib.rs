//! The container registry: the OCI distribution API at `BASE/v2/` (and
//! Docker's), with the Docker token flow at `BASE/token`. An image is a
//! package of type `container` named `OWNER/IMAGE`; its versions are its
//! manifests, by digest; tags are movable labels on them.

mod auth;
mod blobs;
mod caller;
mod catalog;
mod ctx;
mod details;
mod document;
mod endpoint;
mod error;
mod fsck;
pub mod fuzzing;
pub mod gc;
mod install;
mod kept;
mod labels;
mod manifests;
mod metadata;
mod name;
mod referrers;
mod response;
mod route;
mod sections;
mod signatures;
mod tags;
mod token;
mod uploads;
mod upstream;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::{any, get};
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet, VersionView};
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

use caller::SigningKey;
pub use endpoint::Endpoint;
pub use name::{Digest, RepoName};

/// The container format, registered by the server binary.
#[derive(Default)]
pub struct Containers {
    key: SigningKey,
    /// What images' pages show, read once per manifest.
    views: std::sync::Arc<sections::ViewCache>,
}

impl FormatSpec for Containers {
    fn package_type(&self) -> PackageType {
        PackageType::Container
    }

    fn display_name(&self) -> &'static str {
        "Container"
    }

    /// Repository names are lowercase.
    fn canonical_name(&self, name: &str) -> String {
        name.to_ascii_lowercase()
    }

    fn full_name(&self, package: &Package) -> String {
        format!("{}/{}", package.owner_login, package.name)
    }

    fn rest_tags_key(&self) -> Option<&'static str> {
        Some("container")
    }

    fn version_view(
        &self,
        registry: &entrepot_service::Registry,
        package: &Package,
        version: &Version,
    ) -> futures::future::BoxFuture<'static, entrepot_service::ServiceResult<VersionView>> {
        Box::pin(sections::view(
            std::sync::Arc::clone(&self.views),
            registry.clone(),
            package.clone(),
            version.clone(),
        ))
    }

    /// `HOST/NAME/IMAGE:TAG` pulls through the upstream named NAME; no
    /// owner falls through (an image name is its owner's).
    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: false,
            fallthrough_use: "",
        }
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
    }

    /// An index's platform manifests, and referrers (signatures, SBOMs)
    /// of a manifest still here.
    fn held_versions(&self, versions: &[Version]) -> Vec<(i64, String)> {
        let by_digest: std::collections::HashMap<&str, i64> =
            versions.iter().map(|v| (v.name.as_str(), v.id)).collect();
        let mut held = Vec::new();
        for version in versions {
            let metadata = metadata::ManifestMetadata::of(version);
            for child in &metadata.manifests {
                if let Some(id) = by_digest.get(child.as_str()) {
                    held.push((*id, format!("part of the image index {}", version.name)));
                }
            }
            if let Some(subject) = metadata.subject.as_deref()
                && by_digest.contains_key(subject)
            {
                held.push((version.id, format!("refers to {subject}")));
            }
        }
        held
    }

    fn links_blobs(&self) -> bool {
        true
    }

    /// Referrers name a subject; cosign's attachments are tagged after
    /// theirs (`sha256-<hex>.sig`, `.att`, `.sbom`).
    fn is_attachment(&self, version: &Version, tags: &[&str]) -> bool {
        metadata::ManifestMetadata::of(version).subject.is_some()
            || tags
                .iter()
                .any(|t| entrepot_core::image_signing::is_attachment_tag(t))
    }

    /// The layers of SBOM artifacts whose subject is the image or, for an
    /// index, one of its platforms.
    fn attached_sboms(&self, subject: &Version, versions: &[Version]) -> Vec<String> {
        /// SBOM layers read for one image.
        const MAX_SBOMS: usize = 4;
        let mut subjects = metadata::ManifestMetadata::of(subject).manifests;
        subjects.push(subject.name.clone());
        versions
            .iter()
            .map(metadata::ManifestMetadata::of)
            .filter(|m| {
                m.subject.as_ref().is_some_and(|s| subjects.contains(s))
                    && m.artifact_type
                        .as_deref()
                        .is_some_and(entrepot_core::sbom::is_sbom)
            })
            .flat_map(|m| m.layers)
            .filter_map(|layer| layer.strip_prefix("sha256:").map(str::to_owned))
            .take(MAX_SBOMS)
            .collect()
    }

    /// A manifest's config and layers (an index's children are versions
    /// of their own).
    fn linked_blobs(&self, version: &Version) -> Vec<String> {
        let metadata = metadata::ManifestMetadata::of(version);
        metadata.config.into_iter().chain(metadata.layers).collect()
    }

    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
        tags: &[String],
    ) -> Vec<Snippet> {
        install::snippets(site, package, version, tags)
    }
}

impl PackageFormat for Containers {
    fn router(&self) -> Router<AppState> {
        let token_key = self.key.clone();
        // One set of caches per router, which the server builds once.
        let shared = route::Shared {
            key: self.key.clone(),
            ..route::Shared::default()
        };
        let dispatch = move |state: State<AppState>, request: Request| {
            route::handle(state, shared.clone(), request)
        };
        let token = move |state: State<AppState>, request: Request| {
            token::token_endpoint(state, token_key.clone(), request)
        };
        Router::new()
            .route("/v2", any(dispatch.clone()))
            .route("/v2/", any(dispatch.clone()))
            .route("/v2/{*path}", any(dispatch.clone()))
            .route("/extensions/v2/{*path}", any(dispatch))
            .route(
                "/token",
                get(token).post(|| async { StatusCode::NOT_FOUND }),
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

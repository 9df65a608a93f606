//! The RubyGems registry at `BASE/rubygems/OWNER/`, for `gem` and Bundler:
//! push and yank, the compact index, the legacy Marshal indexes and quick
//! gemspecs, the dependency API and rubygems.org's JSON API. Gems belong to
//! their owner (granular permissions, as on GitHub) and connect to the
//! repository their `github_repo` metadata names.

mod api;
mod compact_index;
mod details;
mod dispatch;
mod download;
mod endpoint;
mod fallthrough;
mod fsck;
pub mod fuzzing;
mod gem;
mod index;
mod install;
mod legacy_index;
mod marshal;
mod metadata;
mod push;
mod respond;
mod spec;
mod trusted;
mod upstream;
mod version;
mod view;
mod yaml;
mod yank;

use std::sync::Arc;

use axum::Router;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::{Details, FormatSpec, Snippet};
use entrepot_http::owner::owner_routes;
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::site::Site;

/// The RubyGems format, registered by the server binary.
#[derive(Default)]
pub struct RubyGems {
    indexes: Arc<view::Indexes>,
    mirrored: Arc<upstream::Mirrored>,
}

impl FormatSpec for RubyGems {
    fn package_type(&self) -> PackageType {
        PackageType::Rubygems
    }

    fn display_name(&self) -> &'static str {
        "RubyGems"
    }

    fn manifest_path(&self) -> &'static str {
        "Gemfile"
    }

    fn details(&self, version: &Version) -> Details {
        details::of(version)
    }

    /// `BASE/rubygems/NAME/` mirrors the upstream NAME for Bundler and
    /// `gem` (the compact index and gems), and an owner's source may fall
    /// through to it for the gems it lacks.
    fn proxying(&self) -> entrepot_service::format::Proxying {
        entrepot_service::format::Proxying {
            upstreams: true,
            default_upstream: false,
            owner_fallthrough: true,
            fallthrough_use: "source \"{base}/rubygems/{owner}/\" (Gemfile)",
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

impl PackageFormat for RubyGems {
    fn router(&self) -> Router<AppState> {
        let indexes = Arc::clone(&self.indexes);
        let mirrored = Arc::clone(&self.mirrored);
        owner_routes("rubygems", move |state, caller, request| {
            let shared = (Arc::clone(&indexes), Arc::clone(&mirrored));
            dispatch::handle(state, shared, caller, request)
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

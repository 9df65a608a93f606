//! The Cargo registry at `sparse+BASE/cargo/OWNER/index/`.

use axum::Router;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::Snippet;
use entrepot_http::state::HttpConfig;
use entrepot_http::{AppState, PackageFormat};

/// The Cargo format, registered by the server binary.
pub struct CargoRegistry;

impl PackageFormat for CargoRegistry {
    fn package_type(&self) -> PackageType {
        PackageType::Cargo
    }

    fn display_name(&self) -> &'static str {
        "Cargo"
    }

    fn router(&self) -> Router<AppState> {
        Router::new()
    }

    fn install_instructions(
        &self,
        _config: &HttpConfig,
        _package: &Package,
        _version: Option<&Version>,
    ) -> Vec<Snippet> {
        Vec::new()
    }
}

//! The Cargo registry at `sparse+BASE/cargo/OWNER/index/`: the sparse
//! index (`config.json` and one file per crate, with `ETag` and
//! `Last-Modified`), and the web API under `BASE/cargo/OWNER/api/v1/`:
//! publish, yank and unyank, owners, search and downloads. Crates belong
//! to their owner (granular permissions, as on GitHub) and connect to the
//! repository their `repository` field names.

mod handlers;
mod index;
mod names;
mod tarball;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::any;
use entrepot_core::{Package, PackageType, Version};
use entrepot_http::format::Snippet;
use entrepot_http::state::HttpConfig;
use entrepot_http::{ApiError, AppState, Caller, PackageFormat};

/// The Cargo format, registered by the server binary.
pub struct CargoRegistry;

/// The name the snippets give the registry in cargo's configuration.
const ALIAS: &str = "entrepot";

impl PackageFormat for CargoRegistry {
    fn package_type(&self) -> PackageType {
        PackageType::Cargo
    }

    fn display_name(&self) -> &'static str {
        "Cargo"
    }

    fn router(&self) -> Router<AppState> {
        // One cache per router, which the server builds once.
        let cache = Arc::new(handlers::IndexCache::default());
        let dispatch = move |state: State<AppState>,
                             caller: Result<Caller, ApiError>,
                             method: Method,
                             Path((owner, path)): Path<(String, String)>,
                             uri: Uri,
                             headers: HeaderMap,
                             body: Body| {
            let request = handlers::Request {
                method,
                owner,
                path,
                query: uri.query().map(str::to_owned),
                headers,
                body,
            };
            handlers::handle(state.0, Arc::clone(&cache), caller, request)
        };
        Router::new().route("/cargo/{owner}/{*path}", any(dispatch))
    }

    fn install_instructions(
        &self,
        config: &HttpConfig,
        package: &Package,
        version: Option<&Version>,
    ) -> Vec<Snippet> {
        let index = config.url(&format!("/cargo/{}/index/", package.owner_login));
        let name = &package.name;
        let at = version.map_or(String::new(), |v| format!("@{}", v.name));
        let requirement = version.map_or("*", |v| v.name.as_str());
        vec![
            Snippet {
                title: "Add the registry to .cargo/config.toml".into(),
                language: "toml".into(),
                body: format!(
                    "[registries.{ALIAS}]\nindex = \"sparse+{index}\"\n\n[registry]\nglobal-credential-providers = [\"cargo:token\"]"
                ),
            },
            Snippet {
                title: "Install from the command line".into(),
                language: "shell".into(),
                body: format!("cargo add {name}{at} --registry {ALIAS}"),
            },
            Snippet {
                title: "Or add to Cargo.toml".into(),
                language: "toml".into(),
                body: format!(
                    "[dependencies]\n{name} = {{ version = \"{requirement}\", registry = \"{ALIAS}\" }}"
                ),
            },
            Snippet {
                title: "Credentials (a token with read:packages; write:packages to publish)".into(),
                language: "shell".into(),
                body: format!(
                    "cargo login --registry {ALIAS}\n# or: export CARGO_REGISTRIES_{}_TOKEN=TOKEN",
                    ALIAS.to_ascii_uppercase()
                ),
            },
        ]
    }
}

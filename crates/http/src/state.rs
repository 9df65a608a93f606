//! The state every handler receives.

use std::sync::Arc;

use entrepot_service::Registry;
use entrepot_service::format::FormatSpec;
use entrepot_service::site::Site;

use crate::metrics::Metrics;

/// Cloned for every request by each layer and extractor that takes it, so
/// one shared allocation: a clone is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What `AppState` shares.
pub struct Shared {
    pub registry: Registry,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<Metrics>,
    pub rate_limiter: Arc<crate::rate_limit::RateLimiter>,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The URL clients reach this server at; every URL we emit is built on it.
    pub site: Site,
    /// REST API requests per hour per token.
    pub api_rate_limit: u32,
    /// How long a request body may send nothing before the request fails
    /// with 408.
    pub upload_idle_timeout: std::time::Duration,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: entrepot_core::ranges::Ranges,
    /// Whether their `X-Forwarded-Proto` and `-Host` name the base URL
    /// (when `--base-url` was not given).
    pub forwarded_base: bool,
    /// The bearer token `/metrics` wants, if it wants one.
    pub metrics_token: Option<entrepot_core::Secret>,
}

impl HttpConfig {
    /// `base` joined with `path` (which starts with `/`), without doubling slashes.
    pub fn url(&self, path: &str) -> String {
        self.site.url(path)
    }

    /// The host (and port, if any) clients address, as container references use it.
    pub fn host(&self) -> String {
        self.site.host()
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// The format serving `package_type`, if this server has it.
    pub fn format(&self, package_type: entrepot_core::PackageType) -> Option<&dyn FormatSpec> {
        self.registry.catalog().format(package_type)
    }

    /// The state over `registry`, which already knows the formats served
    /// (`Registry::with_catalog`).
    pub fn new(registry: Registry, config: HttpConfig) -> Self {
        AppState(Arc::new(Shared {
            registry,
            rate_limiter: Arc::new(crate::rate_limit::RateLimiter::new(config.api_rate_limit)),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
        }))
    }
}

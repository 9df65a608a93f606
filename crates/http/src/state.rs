//! The state every handler receives.

use std::sync::Arc;

use entrepot_service::Registry;
use url::Url;

use crate::format::PackageFormat;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<Metrics>,
    pub rate_limiter: Arc<crate::rate_limit::RateLimiter>,
    /// Every package format, so that shared pages can ask each to describe itself.
    pub formats: Arc<Vec<Arc<dyn PackageFormat>>>,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The URL clients reach this server at; every URL we emit is built on it.
    pub base_url: Url,
    /// REST API requests per hour per token.
    pub api_rate_limit: u32,
    /// How long a request body may send nothing before the request fails
    /// with 408.
    pub upload_idle_timeout: std::time::Duration,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: entrepot_core::ranges::Ranges,
}

impl HttpConfig {
    /// `base` joined with `path` (which starts with `/`), without doubling slashes.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }

    /// The host (and port, if any) clients address, as container references use it.
    pub fn host(&self) -> String {
        let host = self.base_url.host_str().unwrap_or("localhost");
        match self.base_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }
}

impl AppState {
    /// The format serving `package_type`, if this server has it.
    pub fn format(&self, package_type: entrepot_core::PackageType) -> Option<&dyn PackageFormat> {
        self.formats
            .iter()
            .find(|f| f.package_type() == package_type)
            .map(AsRef::as_ref)
    }

    /// The state over `registry`; webhook payloads built from now on name
    /// packages as these formats do and link to `config.base_url`.
    pub fn new(
        registry: Registry,
        config: HttpConfig,
        formats: Vec<Arc<dyn PackageFormat>>,
    ) -> Self {
        let config = Arc::new(config);
        let formats = Arc::new(formats);
        registry.webhooks.set_links(Arc::new(FormatLinks {
            config: config.clone(),
            formats: formats.clone(),
        }));
        AppState {
            registry,
            rate_limiter: Arc::new(crate::rate_limit::RateLimiter::new(config.api_rate_limit)),
            config,
            metrics: Arc::new(Metrics::new()),
            formats,
        }
    }
}

/// The service's view of URLs and client names, answered by the formats.
struct FormatLinks {
    config: Arc<HttpConfig>,
    formats: Arc<Vec<Arc<dyn PackageFormat>>>,
}

impl FormatLinks {
    fn format(&self, package_type: entrepot_core::PackageType) -> Option<&dyn PackageFormat> {
        self.formats
            .iter()
            .find(|f| f.package_type() == package_type)
            .map(AsRef::as_ref)
    }
}

impl entrepot_service::webhooks::Links for FormatLinks {
    fn url(&self, path: &str) -> String {
        self.config.url(path)
    }

    fn client_name(&self, package: &entrepot_core::Package) -> String {
        self.format(package.package_type)
            .map_or_else(|| package.name.clone(), |f| f.full_name(package))
    }

    fn installation_command(
        &self,
        package: &entrepot_core::Package,
        version: &entrepot_core::Version,
    ) -> Option<String> {
        self.format(package.package_type)?
            .install_instructions(&self.config, package, Some(version))
            .into_iter()
            .find(|s| s.language == "shell")
            .map(|s| s.body)
    }
}

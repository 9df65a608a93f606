//! `entrepot serve`: opens the stores, creates the first administrator on
//! the very first start, and serves until SIGTERM or SIGINT.

use std::sync::Arc;

use anyhow::Context;
use entrepot_http::state::HttpConfig;
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::format::{Catalog, FormatSpec};
use entrepot_service::site::Site;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Tls};

fn init_logging(format: LogFormat) {
    // Entrepot's own lines at info (the access log among them); the
    // libraries' only from warnings up, unless RUST_LOG asks.
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,entrepot=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Every package format this binary serves; a new format is one line here.
fn formats(config: &Config) -> Vec<Arc<dyn PackageFormat>> {
    vec![
        Arc::new(entrepot_npm::Npm::default()),
        Arc::new(entrepot_oci::Containers::default()),
        Arc::new(entrepot_maven::Maven {
            snapshot_builds: config.maven_snapshot_builds,
        }),
        Arc::new(entrepot_rubygems::RubyGems::default()),
        Arc::new(entrepot_nuget::NuGet),
        Arc::new(entrepot_pypi::Pypi),
        Arc::new(entrepot_cargo::CargoRegistry),
        Arc::new(entrepot_generic::Generic),
    ]
}

/// What the service learns of the formats served and the public URL.
fn catalog_of(site: &Site, formats: &[Arc<dyn PackageFormat>]) -> Catalog {
    let specs = formats
        .iter()
        .map(|f| Arc::clone(f) as Arc<dyn FormatSpec>)
        .collect();
    Catalog::new(site.clone(), specs)
}

/// The registry `admin` commands work on: the one `serve` would run, with
/// its formats, without an application around it.
pub async fn admin_registry(config: &Config) -> anyhow::Result<entrepot_service::Registry> {
    let registry = config.open_registry(true).await?;
    let site = Site::new(config.base_url.clone());
    Ok(registry.with_catalog(catalog_of(&site, &formats(config))))
}

/// The application the binary serves: the state every handler shares and
/// the formats whose routes it mounts.
pub struct Application {
    pub state: AppState,
    pub formats: Vec<Arc<dyn PackageFormat>>,
}

impl Application {
    /// The application over `registry`, which learns here, once, the
    /// formats served and the public URL.
    pub fn new(config: &Config, registry: entrepot_service::Registry) -> Self {
        let formats = formats(config);
        let site = Site::new(config.base_url.clone());
        let registry = registry.with_catalog(catalog_of(&site, &formats));
        let state = AppState::new(
            registry,
            HttpConfig {
                site,
                api_rate_limit: config.api_rate_limit,
                upload_idle_timeout: config.upload_idle_timeout,
                trusted_proxies: config.trusted_proxies.clone(),
                forwarded_base: !config.base_url_given,
                metrics_token: config.metrics_token.clone(),
            },
        );
        Application { state, formats }
    }

    /// The HTTP part of the format serving `package_type`.
    pub fn format(&self, package_type: entrepot_core::PackageType) -> Option<&dyn PackageFormat> {
        self.formats
            .iter()
            .find(|f| f.package_type() == package_type)
            .map(AsRef::as_ref)
    }

    /// Every route: the formats', the REST API's, OSV's and the web pages'.
    pub fn router(&self) -> axum::Router {
        entrepot_http::build_app(
            self.state.clone(),
            &self.formats,
            vec![
                entrepot_api::router(&self.state),
                entrepot_api::osv::router(),
                entrepot_web::router(),
            ],
        )
    }
}

pub async fn run(config: Config, migrate: bool) -> anyhow::Result<()> {
    init_logging(config.log_format);
    config.require_reachable_base_url()?;
    let descriptors = crate::listener::raise_descriptor_limit();
    // Bound first: a start that fails (the port is taken) changes nothing,
    // and the first administrator's token is never shown for a server
    // that did not start.
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let files_tls = match &config.tls {
        Some(Tls::Files { cert, key }) => Some(crate::tls::acceptor(cert.clone(), key.clone())?),
        _ => None,
    };
    if config.uses_data_dir() {
        std::fs::create_dir_all(&config.data_dir)
            .with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let registry = config.open_registry(migrate).await?;
    let tls = match &config.tls {
        Some(Tls::Acme(acme)) => Some(crate::acme::acceptor(
            acme.clone(),
            config.data_dir.join("acme"),
            registry.outbound.upstream_client()?.clone(),
        )?),
        _ => files_tls,
    };
    let application = Application::new(&config, registry);
    let app = application.router();
    let state = application.state;
    if let Some(issued) = state.registry.accounts().bootstrap_admin().await? {
        eprintln!(
            "entrepot: first start: created the site administrator `{}`. Its access token, shown only this once:",
            entrepot_service::accounts::BOOTSTRAP_ADMIN
        );
        println!("{}", issued.secret);
    }
    let limits = config.connections.limits(descriptors);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        address = %listener.local_addr()?,
        base_url = %config.base_url,
        tls = match &config.tls {
            None => "off",
            Some(Tls::Files { .. }) => "files",
            Some(Tls::Acme(_)) => "acme",
        },
        database = %crate::config::redact(&config.database),
        blobs = %crate::config::redact(&config.blobs),
        data_dir = %config.data_dir.display(),
        open_files = descriptors,
        max_connections = limits.max_connections,
        max_connections_per_address = limits.max_connections_per_address,
        "entrepot is serving"
    );
    if limits.max_connections as u64
        > descriptors.saturating_sub(crate::listener::RESERVED_DESCRIPTORS)
    {
        tracing::warn!(
            max_connections = limits.max_connections,
            open_files = descriptors,
            "--max-connections is more than the open-file limit leaves room for; raise LimitNOFILE"
        );
    }
    tokio::spawn(purge_periodically(state.registry.clone()));
    tokio::spawn(flush_downloads_periodically(state.registry.clone()));
    tokio::spawn(index_dependencies_periodically(state.registry.clone()));
    // Webhook deliveries: sent in the background, never in a request.
    let worker = state.registry.clone();
    tokio::spawn(async move { worker.webhooks().run_webhook_worker().await });
    crate::listener::serve(listener, app, limits, tls, shutdown_signal()).await;
    if let Err(e) = state.registry.packages().flush_downloads().await {
        tracing::warn!(error = %e, "could not write the last download counts");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Writes buffered download counts every second.
async fn flush_downloads_periodically(registry: entrepot_service::Registry) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        every.tick().await;
        if let Err(e) = registry.packages().flush_downloads().await {
            tracing::warn!(error = %e, "could not write download counts; they stay buffered");
        }
    }
}

/// Reads the dependencies of packages changed since they were last read
/// (and, after an upgrade, of every package), a batch every few seconds.
/// Idempotent: nodes that run it at once only repeat each other.
async fn index_dependencies_periodically(registry: entrepot_service::Registry) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3));
    loop {
        every.tick().await;
        // A full batch means more wait: read on without waiting.
        loop {
            match registry.graph().index_changed(200).await {
                Ok(200) => {}
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read packages' dependencies; will retry");
                    break;
                }
            }
        }
    }
}

/// Runs the purge job hourly: deleted packages and versions past the
/// retention period, the upstream cache's evictions, blobs nothing
/// references, expired web sessions. However many nodes
/// share the store, the one that claims the hour runs it.
async fn purge_periodically(registry: entrepot_service::Registry) {
    let node = format!("{}-{:08x}", std::process::id(), rand_suffix());
    let mut every = tokio::time::interval(std::time::Duration::from_mins(5));
    loop {
        every.tick().await;
        match registry
            .maintenance()
            .claim_job("purge", &node, chrono::TimeDelta::minutes(55))
            .await
        {
            Ok(true) => {
                if let Err(e) =
                    entrepot_oci::gc::collect(&registry, entrepot_oci::gc::GRACE, false).await
                {
                    tracing::warn!(error = %e, "image collection failed; it will run again");
                }
                if !registry.limits.upstream_cache.is_unbounded()
                    && let Err(e) = registry.upstreams().prune_cache(None, false).await
                {
                    tracing::warn!(error = %e, "upstream cache eviction failed; it will run again");
                }
                if let Err(e) = registry
                    .maintenance()
                    .purge_expired(entrepot_service::blobs::BLOB_GRACE)
                    .await
                {
                    tracing::warn!(error = %e, "purge job failed; it will run again");
                }
                if let Err(e) = registry.sessions().prune_sessions().await {
                    tracing::warn!(error = %e, "could not prune web sessions; will retry");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not claim the purge job"),
        }
        clean_up_if_due(&registry, &node).await;
    }
}

/// Applies every owner's cleanup rules once a day, within half an hour of
/// the configured time, on the one node that claims the run.
async fn clean_up_if_due(registry: &entrepot_service::Registry, node: &str) {
    let now = chrono::Utc::now();
    let due = now
        .date_naive()
        .and_time(registry.limits.cleanup_at)
        .and_utc();
    if now < due || now - due > chrono::TimeDelta::minutes(30) {
        return;
    }
    match registry
        .maintenance()
        .claim_job("cleanup", node, chrono::TimeDelta::hours(2))
        .await
    {
        Ok(true) => {
            tracing::info!(node, "this node runs today's cleanup job");
            match registry.governance().run(None, None).await {
                Ok(report) => tracing::info!(
                    removed = report.removed.len(),
                    "the cleanup job applied every owner's rules"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "the cleanup job failed; it runs again tomorrow");
                }
            }
        }
        Ok(false) => tracing::info!(node, "today's cleanup job is already claimed"),
        Err(e) => tracing::warn!(error = %e, "could not claim the cleanup job"),
    }
}

fn rand_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    nanos ^ std::process::id().rotate_left(16)
}

async fn shutdown_signal() {
    let interrupt = async {
        tokio::signal::ctrl_c().await.ok();
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

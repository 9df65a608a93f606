//! `entrepot serve`: opens the stores, creates the first administrator on
//! the very first start, and serves until SIGTERM or SIGINT.

use std::sync::Arc;

use anyhow::Context;
use entrepot_http::state::HttpConfig;
use entrepot_http::{AppState, PackageFormat};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
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
fn formats() -> Vec<Arc<dyn PackageFormat>> {
    vec![Arc::new(entrepot_npm::Npm)]
}

pub async fn run(config: Config) -> anyhow::Result<()> {
    init_logging(config.log_format);
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    let registry = config.open_registry().await?;
    if let Some(issued) = registry.bootstrap_admin().await? {
        eprintln!(
            "entrepot: first start: created the site administrator `{}`. Its access token, shown only this once:",
            entrepot_service::accounts::BOOTSTRAP_ADMIN
        );
        println!("{}", issued.secret);
    }
    let state = AppState::new(
        registry,
        HttpConfig {
            base_url: config.base_url.clone(),
            staging_dir: config.data_dir.join("staging"),
            api_rate_limit: config.api_rate_limit,
        },
        formats(),
    );
    let app = entrepot_http::build_app(state.clone(), vec![entrepot_api::router(&state)]);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!(address = %listener.local_addr()?, base_url = %config.base_url, "entrepot is serving");
    tokio::spawn(purge_periodically(state.registry.clone()));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving")?;
    tracing::info!("stopped");
    Ok(())
}

/// Runs the purge job at start and then hourly: deleted packages and
/// versions past the retention period, and blobs nothing references.
async fn purge_periodically(registry: entrepot_service::Registry) {
    let mut every = tokio::time::interval(std::time::Duration::from_hours(1));
    loop {
        every.tick().await;
        if let Err(e) = registry
            .purge_expired(entrepot_service::packages::BLOB_GRACE)
            .await
        {
            tracing::warn!(error = %e, "purge job failed; it will run again");
        }
    }
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

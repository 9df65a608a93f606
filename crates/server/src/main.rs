//! The `entrepot` binary: reads the configuration, opens the stores, and
//! runs the server or an admin command. The only place that names concrete
//! backends and formats.

use clap::Parser;
use entrepot::{admin, cli, config, serve};

/// jemalloc returns freed memory to the system and fragments less under
/// many threads than the system allocator, which kept pages from earlier
/// bursts of work and held the resident size up. Its options (one arena)
/// are set where it is built: `.cargo/config.toml`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("entrepot: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: cli::Cli) -> anyhow::Result<()> {
    let config = config::Config::resolve(&cli.global)?;
    match cli.command {
        cli::Command::Serve { no_migrate } => serve::run(config, !no_migrate).await,
        cli::Command::Admin { command } => admin::run(config, command).await,
    }
}

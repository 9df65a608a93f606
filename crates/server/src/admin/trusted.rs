//! `entrepot admin trusted-publisher`: the CI runs that may publish a
//! package without a stored token (trusted publishing).

use clap::Subcommand;
use entrepot_core::trusted::{GITHUB_ISSUER, Publisher, PublisherSpec};
use entrepot_service::Registry;

#[derive(Debug, Subcommand)]
pub enum TrustedCommand {
    /// Let a CI run publish OWNER's package NAME of FORMAT (which need not
    /// exist yet), with no token: the CI provider's OIDC token is
    /// exchanged for one that lives minutes.
    Add {
        owner: String,
        #[arg(long)]
        format: String,
        #[arg(long)]
        package: String,
        /// The CI repository, OWNER/NAME (GitLab: the project's path).
        #[arg(long)]
        repository: String,
        /// The token issuer [default: GitHub Actions'].
        #[arg(long, default_value = GITHUB_ISSUER)]
        issuer: String,
        /// The workflow file, e.g. release.yml (any when left out).
        #[arg(long)]
        workflow: Option<String>,
        /// The Git ref, a glob such as refs/tags/v* (any when left out).
        #[arg(long = "ref")]
        git_ref: Option<String>,
        /// The deployment environment (any when left out).
        #[arg(long)]
        environment: Option<String>,
    },
    /// The trusted publishers of OWNER's package NAME of FORMAT.
    List {
        owner: String,
        #[arg(long)]
        format: String,
        #[arg(long)]
        package: String,
    },
    /// Remove trusted publisher ID of OWNER's package.
    Remove {
        owner: String,
        #[arg(long)]
        format: String,
        #[arg(long)]
        package: String,
        id: i64,
    },
}

pub async fn run(registry: &Registry, command: TrustedCommand) -> anyhow::Result<()> {
    let trusted = registry.trusted();
    match command {
        TrustedCommand::Add {
            owner,
            format,
            package,
            repository,
            issuer,
            workflow,
            git_ref,
            environment,
        } => {
            let spec = PublisherSpec {
                issuer,
                repository,
                workflow,
                git_ref,
                environment,
            };
            let added = trusted
                .add(None, &owner, format.parse()?, &package, spec)
                .await?;
            println!("{}", line(&added));
        }
        TrustedCommand::List {
            owner,
            format,
            package,
        } => {
            for p in trusted
                .list(None, &owner, format.parse()?, &package)
                .await?
            {
                println!("{}", line(&p));
            }
        }
        TrustedCommand::Remove {
            owner,
            format,
            package,
            id,
        } => {
            trusted
                .remove(None, &owner, format.parse()?, &package, id)
                .await?;
            eprintln!("removed trusted publisher {id} of {owner}'s {format} package {package}");
        }
    }
    Ok(())
}

fn line(p: &Publisher) -> String {
    let any = |v: &Option<String>| v.clone().unwrap_or_else(|| "*".into());
    format!(
        "{}\t{}\t{}\t{}\t{}\tworkflow={}\tref={}\tenvironment={}",
        p.id,
        p.package_type,
        p.name,
        p.spec.issuer,
        p.spec.repository,
        any(&p.spec.workflow),
        any(&p.spec.git_ref),
        any(&p.spec.environment)
    )
}

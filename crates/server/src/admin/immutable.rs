//! `entrepot admin immutable-tags`: an owner's tags that, once set, stay.

use clap::Subcommand;
use entrepot_service::Registry;

#[derive(Debug, Subcommand)]
pub enum ImmutableCommand {
    /// Make OWNER's tags matching PATTERN (a glob: `v*`, `release-*`)
    /// immutable: never moved to another version nor removed.
    Add {
        owner: String,
        pattern: String,
        /// Only this format's tags (container or npm; all when left out).
        #[arg(long)]
        format: Option<String>,
    },
    /// OWNER's immutable-tag rules.
    List { owner: String },
    /// Remove OWNER's rule ID: its tags may move again.
    Remove { owner: String, id: i64 },
}

pub async fn run(registry: &Registry, command: ImmutableCommand) -> anyhow::Result<()> {
    let governance = registry.governance();
    match command {
        ImmutableCommand::Add {
            owner,
            pattern,
            format,
        } => {
            let owner = registry.accounts().account(&owner).await?;
            let format = format.map(|f| f.parse()).transpose()?;
            let rule = governance
                .add_immutable_tag(&owner, format, &pattern)
                .await?;
            println!("{}", line(&owner.login, &rule));
        }
        ImmutableCommand::List { owner } => {
            let owner = registry.accounts().account(&owner).await?;
            for rule in governance.immutable_tags(&owner).await? {
                println!("{}", line(&owner.login, &rule));
            }
        }
        ImmutableCommand::Remove { owner, id } => {
            let owner = registry.accounts().account(&owner).await?;
            governance.remove_immutable_tag(&owner, id).await?;
            eprintln!("removed {}'s immutable-tag rule {id}", owner.login);
        }
    }
    Ok(())
}

fn line(owner: &str, rule: &entrepot_core::immutable::ImmutableTag) -> String {
    let format = rule
        .format
        .map_or("all", entrepot_core::PackageType::as_str);
    format!("{}\t{owner}\t{format}\t{}", rule.id, rule.pattern)
}

/// `entrepot admin quota`: how much an owner may store.
#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Set OWNER's quota (of one format, or of all its packages).
    Set {
        owner: String,
        /// Only this format's packages.
        #[arg(long)]
        format: Option<String>,
        /// The most bytes stored, e.g. 10GiB.
        #[arg(long, value_name = "SIZE")]
        bytes: Option<String>,
        /// The most versions each package has.
        #[arg(long, value_name = "N")]
        versions: Option<u64>,
    },
    /// OWNER's quotas.
    List { owner: String },
    /// Remove OWNER's quota (of one format, or of all its packages).
    Remove {
        owner: String,
        #[arg(long)]
        format: Option<String>,
    },
}

pub async fn quota(registry: &Registry, command: QuotaCommand) -> anyhow::Result<()> {
    let governance = registry.governance();
    let show = |owner: &str, q: &entrepot_core::quota::Quota| {
        let bytes = q
            .bytes
            .map_or("-".to_owned(), entrepot_service::quota::size_text);
        let versions = q.versions.map_or("-".to_owned(), |n| n.to_string());
        let format = q.format.map_or("all", entrepot_core::PackageType::as_str);
        format!("{owner}\t{format}\t{bytes}\t{versions} versions")
    };
    match command {
        QuotaCommand::Set {
            owner,
            format,
            bytes,
            versions,
        } => {
            let owner = registry.accounts().account(&owner).await?;
            let format = format.map(|f| f.parse()).transpose()?;
            let bytes = bytes.map(|b| crate::config::parse_size(&b)).transpose()?;
            let quota = governance
                .set_quota(&owner, format, bytes, versions)
                .await?;
            println!("{}", show(&owner.login, &quota));
        }
        QuotaCommand::List { owner } => {
            let owner = registry.accounts().account(&owner).await?;
            for quota in governance.quotas(&owner).await? {
                println!("{}", show(&owner.login, &quota));
            }
        }
        QuotaCommand::Remove { owner, format } => {
            let owner = registry.accounts().account(&owner).await?;
            let format = format.map(|f| f.parse()).transpose()?;
            governance.remove_quota(&owner, format).await?;
            eprintln!("removed the quota");
        }
    }
    Ok(())
}

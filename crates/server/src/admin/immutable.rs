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

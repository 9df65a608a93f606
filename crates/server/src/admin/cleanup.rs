//! `entrepot admin cleanup`: owners' cleanup rules, what they would
//! remove now, and removing it.

use clap::{Args, Subcommand};
use entrepot_core::cleanup::RuleSpec;
use entrepot_service::Registry;
use entrepot_service::accounts::parse_lifetime;
use entrepot_service::cleanup::Removal;

#[derive(Debug, Subcommand)]
pub enum CleanupCommand {
    /// An owner's cleanup rules.
    Rule {
        #[command(subcommand)]
        command: RuleCommand,
    },
    /// What OWNER's rules would remove now, rule by rule and together.
    Preview { owner: String },
    /// Remove what the rules remove now (OWNER's, or every owner's): soft
    /// deletes, restorable for the retention period.
    Run { owner: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum RuleCommand {
    /// Add a rule to OWNER's.
    Add {
        owner: String,
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// OWNER's rules, or every owner's.
    List { owner: Option<String> },
    /// Remove OWNER's rule ID.
    Remove { owner: String, id: i64 },
}

/// What a rule selects, keeps and removes.
#[derive(Debug, Args)]
pub struct RuleArgs {
    /// Only packages of this format.
    #[arg(long)]
    format: Option<String>,
    /// Only packages whose whole name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pattern: Option<String>,
    /// Keep each package's N newest versions.
    #[arg(long, value_name = "N")]
    keep_newest: Option<u32>,
    /// Keep versions whose whole name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    keep_pattern: Option<String>,
    /// Remove only versions published longer ago than this (30d, 12h).
    #[arg(long, value_name = "D")]
    older_than: Option<String>,
    /// Remove only versions not downloaded for this long.
    #[arg(long, value_name = "D")]
    not_downloaded_for: Option<String>,
    /// Remove only untagged versions (container manifests) older than this.
    #[arg(long, value_name = "D")]
    untagged_older_than: Option<String>,
    /// Keep the N newest builds of each Maven SNAPSHOT version.
    #[arg(long, value_name = "N")]
    keep_snapshot_builds: Option<u32>,
}

impl RuleArgs {
    fn spec(self) -> anyhow::Result<RuleSpec> {
        let seconds = |d: Option<String>| -> anyhow::Result<Option<i64>> {
            Ok(match d {
                Some(d) => Some(parse_lifetime(&d)?.num_seconds()),
                None => None,
            })
        };
        Ok(RuleSpec {
            format: self.format.map(|f| f.parse()).transpose()?,
            pattern: self.pattern,
            keep_newest: self.keep_newest,
            keep_pattern: self.keep_pattern,
            older_than: seconds(self.older_than)?,
            not_downloaded_for: seconds(self.not_downloaded_for)?,
            untagged_older_than: seconds(self.untagged_older_than)?,
            keep_snapshot_builds: self.keep_snapshot_builds,
        })
    }
}

fn line(removal: &Removal) -> String {
    format!(
        "{} {} {}",
        removal.package_type, removal.package, removal.version
    )
}

pub async fn run(registry: &Registry, command: CleanupCommand) -> anyhow::Result<()> {
    let account = |login: String| async move {
        registry
            .accounts()
            .account(&login)
            .await
            .map_err(anyhow::Error::from)
    };
    let governance = registry.governance();
    match command {
        CleanupCommand::Rule {
            command: RuleCommand::Add { owner, rule },
        } => {
            let owner = account(owner).await?;
            let rule = governance.add_cleanup_rule(&owner, rule.spec()?).await?;
            println!("{}\t{}\t{}", rule.id, owner.login, rule.spec);
        }
        CleanupCommand::Rule {
            command: RuleCommand::List { owner },
        } => {
            let owners = match owner {
                Some(owner) => vec![account(owner).await?],
                None => governance.owners_with_rules().await?,
            };
            for owner in owners {
                for rule in governance.cleanup_rules(&owner).await? {
                    println!("{}\t{}\t{}", rule.id, owner.login, rule.spec);
                }
            }
        }
        CleanupCommand::Rule {
            command: RuleCommand::Remove { owner, id },
        } => {
            let owner = account(owner).await?;
            governance.remove_cleanup_rule(&owner, id).await?;
            eprintln!("removed {}'s cleanup rule {id}", owner.login);
        }
        CleanupCommand::Preview { owner } => {
            let owner = account(owner).await?;
            let preview = governance.preview(&owner, None).await?;
            for (rule, removals) in &preview.rules {
                println!("rule {}: {}", rule.id, rule.spec);
                for removal in removals {
                    println!("  {}", line(removal));
                }
            }
            println!("all rules together remove {}:", preview.all.len());
            for removal in &preview.all {
                println!("  {}", line(removal));
            }
        }
        CleanupCommand::Run { owner } => {
            let owner = match owner {
                Some(owner) => Some(account(owner).await?),
                None => None,
            };
            let report = governance.run(owner.as_ref(), None).await?;
            for (owner, removal) in &report.removed {
                println!("removed {owner} {}", line(removal));
            }
            eprintln!(
                "removed {} versions (restorable for the retention period)",
                report.removed.len()
            );
        }
    }
    Ok(())
}

/// `entrepot admin usage [OWNER]`: OWNER's storage by format and package,
/// or every owner's total.
pub async fn usage(registry: &Registry, owner: Option<String>) -> anyhow::Result<()> {
    let governance = registry.governance();
    let Some(owner) = owner else {
        for (owner, usage) in governance.usage_of_all().await? {
            let versions: u64 = usage.packages.iter().map(|p| p.versions).sum();
            println!(
                "{}\t{}\t{versions} versions",
                owner.login,
                size(usage.bytes)
            );
        }
        return Ok(());
    };
    let owner = registry.accounts().account(&owner).await?;
    let usage = governance.usage(&owner).await?;
    let versions: u64 = usage.packages.iter().map(|p| p.versions).sum();
    println!(
        "{}\t{}\t{versions} versions",
        owner.login,
        size(usage.bytes)
    );
    for (format, bytes) in &usage.by_format {
        println!("  {format}\t{}", size(*bytes));
    }
    for p in &usage.packages {
        let deleted = if p.deleted {
            " (deleted, counts until purged)".to_owned()
        } else if p.deleted_versions > 0 {
            format!(" ({} deleted, counting until purged)", p.deleted_versions)
        } else {
            String::new()
        };
        println!(
            "  {} {}\t{}\t{} versions{deleted}",
            p.package_type,
            p.name,
            size(p.bytes),
            p.versions
        );
    }
    Ok(())
}

/// Bytes as people read them, with the exact count.
fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!(
            "{} ({bytes} bytes)",
            entrepot_service::quota::size_text(bytes)
        )
    }
}

//! `entrepot admin quota`: how much an owner may store, set by a site
//! administrator over the instance's default (`--default-quota-*`).

use clap::Subcommand;
use entrepot_core::quota::{Limits, Quota};
use entrepot_service::Registry;
use entrepot_service::quota::size_text;

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
        /// The most bytes each package stores, e.g. 1GiB.
        #[arg(long, value_name = "SIZE")]
        package_bytes: Option<String>,
        /// The most versions each package has.
        #[arg(long, value_name = "N")]
        versions: Option<u64>,
    },
    /// OWNER's quotas, the instance's default among them when it holds.
    List { owner: String },
    /// Remove OWNER's quota (of one format, or of all its packages).
    Remove {
        owner: String,
        #[arg(long)]
        format: Option<String>,
    },
}

/// One quota as a line: owner, format, bytes, bytes per package, versions.
fn show(owner: &str, q: &Quota) -> String {
    let size = |n: Option<u64>| n.map_or("-".to_owned(), size_text);
    let versions = q.limits.versions.map_or("-".to_owned(), |n| n.to_string());
    let format = q.format.map_or("all", entrepot_core::PackageType::as_str);
    format!(
        "{owner}\t{format}\t{}\t{} per package\t{versions} versions",
        size(q.limits.bytes),
        size(q.limits.package_bytes)
    )
}

pub async fn quota(registry: &Registry, command: QuotaCommand) -> anyhow::Result<()> {
    let governance = registry.governance();
    match command {
        QuotaCommand::Set {
            owner,
            format,
            bytes,
            package_bytes,
            versions,
        } => {
            let owner = registry.accounts().account(&owner).await?;
            let format = format.map(|f| f.parse()).transpose()?;
            let size = |s: Option<String>| s.map(|s| crate::config::parse_size(&s)).transpose();
            let limits = Limits {
                bytes: size(bytes)?,
                package_bytes: size(package_bytes)?,
                versions,
            };
            let quota = governance.set_quota(&owner, format, limits).await?;
            println!("{}", show(&owner.login, &quota));
        }
        QuotaCommand::List { owner } => {
            let owner = registry.accounts().account(&owner).await?;
            let own = governance.quotas(&owner).await?;
            for quota in governance.quotas_in_force(&owner).await? {
                let default = if own.contains(&quota) {
                    ""
                } else {
                    "\t(default)"
                };
                println!("{}{default}", show(&owner.login, &quota));
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

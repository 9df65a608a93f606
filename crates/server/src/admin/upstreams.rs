//! `entrepot admin upstream`: registering, listing and removing the
//! upstream registries Entrepot proxies.

use entrepot_service::Registry;
use entrepot_service::upstreams::UpstreamRequest;

use super::password_from_stdin;
use crate::cli::{OwnerCommand, UpstreamCommand};

pub async fn run(registry: &Registry, command: UpstreamCommand) -> anyhow::Result<()> {
    let upstreams = registry.upstreams();
    match command {
        UpstreamCommand::Add {
            name,
            format,
            url,
            username,
            password_stdin,
            metadata_ttl,
            default,
        } => {
            let password = if password_stdin {
                Some(password_from_stdin()?)
            } else {
                None
            };
            let upstream = upstreams
                .add_upstream(UpstreamRequest {
                    name,
                    format,
                    url,
                    username,
                    password,
                    metadata_ttl,
                    is_default: default,
                })
                .await?;
            eprintln!(
                "added {} upstream {} at {}{}; metadata is revalidated after {} s",
                upstream.format,
                upstream.name,
                upstream.url,
                if upstream.is_default {
                    " (the default)"
                } else {
                    ""
                },
                upstream.metadata_ttl_seconds,
            );
        }
        UpstreamCommand::List => {
            for u in upstreams.upstreams().await? {
                println!(
                    "{}\t{}\t{}\tttl={}s\t{}\t{}",
                    u.name,
                    u.format,
                    u.url,
                    u.metadata_ttl_seconds,
                    if u.is_default { "default" } else { "-" },
                    u.username
                        .map_or_else(|| "-".to_owned(), |n| format!("user={n}")),
                );
            }
        }
        UpstreamCommand::Release { name } => {
            upstreams.release_name(&name).await?;
            eprintln!("released {name}: a local user or organization may take it now");
        }
        UpstreamCommand::Prune {
            max_age,
            max_size,
            dry_run,
        } => prune(registry, max_age, max_size, dry_run).await?,
        UpstreamCommand::Remove { name } => {
            let removed = upstreams.remove_upstream(&name).await?;
            eprintln!(
                "removed upstream {} and what was cached from it (its blobs go at the next gc)",
                removed.name
            );
        }
    }
    Ok(())
}

/// `entrepot admin upstream prune`: prints each version evicted (or, dry,
/// that would be), then the totals.
async fn prune(
    registry: &Registry,
    max_age: Option<String>,
    max_size: Option<String>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let mut policy = registry.limits.upstream_cache;
    if let Some(age) = max_age {
        policy.max_age = Some(entrepot_service::accounts::parse_lifetime(&age)?);
    }
    if let Some(size) = max_size {
        policy.max_bytes = Some(crate::config::parse_size(&size)?);
    }
    if policy.is_unbounded() {
        anyhow::bail!(
            "no limit is set: give --max-age or --max-size, or configure \
             --upstream-cache-max-age / --upstream-cache-max-size"
        );
    }
    let report = registry
        .upstreams()
        .prune_cache(Some(policy), dry_run)
        .await?;
    for v in &report.evicted {
        println!(
            "{}\t{}\t{}\t{}\t{}\tlast used {}",
            v.upstream,
            v.package_type,
            v.package,
            v.version,
            v.bytes,
            v.last_used.format("%Y-%m-%d")
        );
    }
    let verb = if dry_run { "would evict" } else { "evicted" };
    eprintln!(
        "{verb} {} cached versions ({} bytes) and {} documents ({} bytes); {} versions ({} bytes) stay",
        report.evicted.len(),
        report.evicted_bytes,
        report.documents,
        report.document_bytes,
        report.kept_versions,
        report.kept_bytes
    );
    Ok(())
}

/// `entrepot admin owner fallthrough OWNER --format F --upstream NAME|--off`
/// and `admin owner release OWNER NAME --format F`.
pub async fn owner(registry: &Registry, command: OwnerCommand) -> anyhow::Result<()> {
    let (owner, format, upstream, off, reserve) = match command {
        OwnerCommand::Fallthrough {
            owner,
            format,
            upstream,
            off,
            reserve,
        } => (owner, format, upstream, off, reserve),
        OwnerCommand::Release {
            owner,
            name,
            format,
        } => {
            registry
                .upstreams()
                .release_owner_name(&owner, &format, &name)
                .await?;
            eprintln!("released {name}: {owner} may publish a local {format} package of that name");
            return Ok(());
        }
    };
    let upstream = if off { None } else { upstream };
    registry
        .upstreams()
        .set_fallthrough(&owner, &format, upstream.as_deref(), &reserve)
        .await?;
    match upstream {
        Some(name) => eprintln!(
            "{owner}'s {format} index now serves {name}'s packages for names {owner} does not have"
        ),
        None => eprintln!("{owner}'s {format} index serves only {owner}'s own packages"),
    }
    Ok(())
}

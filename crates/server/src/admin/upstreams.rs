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

/// `entrepot admin owner fallthrough OWNER --format F --upstream NAME|--off`.
pub async fn owner(registry: &Registry, command: OwnerCommand) -> anyhow::Result<()> {
    let OwnerCommand::Fallthrough {
        owner,
        format,
        upstream,
        off,
        reserve,
    } = command;
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

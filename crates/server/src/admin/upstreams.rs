//! `entrepot admin upstream`: registering, listing and removing the
//! upstream registries Entrepot proxies.

use entrepot_service::Registry;
use entrepot_service::upstreams::UpstreamRequest;

use super::password_from_stdin;
use crate::cli::UpstreamCommand;

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

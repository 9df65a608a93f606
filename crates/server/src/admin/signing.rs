//! `entrepot admin signing-key`: the registry's keys that sign every npm
//! version (`dist.signatures`, listed at `/npm/-/npm/v1/keys`).

use clap::Subcommand;
use entrepot_service::Registry;

#[derive(Debug, Subcommand)]
pub enum SigningCommand {
    /// Every key: its id, when it was made and, once rotated out, when it
    /// expired.
    List,
    /// Retire the current key (signatures of versions published before
    /// now stay verifiable) and sign with a new one.
    Rotate,
}

pub async fn run(registry: &Registry, command: SigningCommand) -> anyhow::Result<()> {
    match command {
        SigningCommand::List => {
            for key in registry.signing_keys().await?.public() {
                let expires = key
                    .expires
                    .map_or_else(|| "current".to_owned(), |e| format!("expired {e}"));
                println!("{}\tcreated {}\t{expires}", key.keyid, key.created);
            }
        }
        SigningCommand::Rotate => {
            let key = registry.rotate_signing_key().await?;
            println!("{}", key.keyid);
            eprintln!("signing with the new key; the old one stays listed with its expiry");
        }
    }
    Ok(())
}

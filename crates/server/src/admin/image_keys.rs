//! `entrepot admin image-key`: the keys a container package's images must
//! be signed with before the registry serves them.

use clap::Subcommand;
use entrepot_core::image_signing::RequiredKey;
use entrepot_service::Registry;

#[derive(Debug, Subcommand)]
pub enum ImageKeyCommand {
    /// Require that OWNER/IMAGE's images be signed with the key in FILE
    /// (an armored OpenPGP public key, or cosign's PEM public key) or
    /// another required one; unsigned images are then not served.
    Add {
        /// `OWNER/IMAGE`.
        image: String,
        file: std::path::PathBuf,
        #[arg(long)]
        note: Option<String>,
    },
    /// The keys OWNER/IMAGE requires.
    List { image: String },
    /// No longer require key ID of OWNER/IMAGE.
    Remove { image: String, id: i64 },
}

pub async fn run(registry: &Registry, command: ImageKeyCommand) -> anyhow::Result<()> {
    let signing = registry.image_signing();
    match command {
        ImageKeyCommand::Add { image, file, note } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let key = signing.add_key(None, split(&image)?, &text, note).await?;
            println!("{}", line(&key));
        }
        ImageKeyCommand::List { image } => {
            for key in signing.keys(None, split(&image)?).await? {
                println!("{}", line(&key));
            }
        }
        ImageKeyCommand::Remove { image, id } => {
            signing.remove_key(None, split(&image)?, id).await?;
            eprintln!("{image} no longer requires key {id}");
        }
    }
    Ok(())
}

fn split(image: &str) -> anyhow::Result<(&str, &str)> {
    image
        .split_once('/')
        .filter(|(owner, name)| !owner.is_empty() && !name.is_empty())
        .ok_or_else(|| anyhow::anyhow!("name the image as OWNER/IMAGE, not {image:?}"))
}

fn line(k: &RequiredKey) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        k.id,
        k.kind.as_str(),
        k.fingerprint,
        k.note.as_deref().unwrap_or("")
    )
}

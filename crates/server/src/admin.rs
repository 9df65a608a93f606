//! The admin commands. They work on the stores directly, whether or not a
//! server is running, and never need a token.

use anyhow::Context;
use entrepot_core::{OrgRole, Role, Scopes, Visibility};
use entrepot_service::accounts::parse_lifetime;

use crate::cli::{AdminCommand, OrgCommand, RepoCommand, TokenCommand, UserCommand};

pub(crate) mod cleanup;
pub(crate) mod image_keys;
pub(crate) mod immutable;
mod people;
pub(crate) mod quota;
pub(crate) mod signing;
pub(crate) mod trusted;
mod upstreams;
use crate::config::Config;

#[expect(
    clippy::too_many_lines,
    reason = "a flat dispatch over every admin command"
)]
pub async fn run(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Migrate => {
            Config::open_metadata(&config.database, true).await?;
            eprintln!(
                "the schema of {} is up to date",
                crate::config::redact(&config.database)
            );
            return Ok(());
        }
        AdminCommand::Copy {
            to_database,
            to_blobs,
        } => return copy(&config, &to_database, &to_blobs).await,
        AdminCommand::Gc { dry_run } => return gc(&config, dry_run).await,
        AdminCommand::Fsck {
            repair,
            skip_digests,
            upload_age,
        } => {
            let upload_age = crate::config::parse_delay(&upload_age)?;
            return fsck(&config, repair, skip_digests, upload_age).await;
        }
        _ => {}
    }
    config.require_existing_database()?;
    let registry = crate::serve::admin_registry(&config).await?;
    match command {
        AdminCommand::Upstream { command } => upstreams::run(&registry, command).await?,
        AdminCommand::Cleanup { command } => cleanup::run(&registry, command).await?,
        AdminCommand::ImmutableTags { command } => immutable::run(&registry, command).await?,
        AdminCommand::TrustedPublisher { command } => trusted::run(&registry, command).await?,
        AdminCommand::SigningKey { command } => signing::run(&registry, command).await?,
        AdminCommand::ImageKey { command } => image_keys::run(&registry, command).await?,
        AdminCommand::Usage { owner } => cleanup::usage(&registry, owner).await?,
        AdminCommand::Quota { command } => quota::quota(&registry, command).await?,
        AdminCommand::Owner { command } => upstreams::owner(&registry, command).await?,
        AdminCommand::User {
            command:
                command @ (UserCommand::List
                | UserCommand::Suspend { .. }
                | UserCommand::Unsuspend { .. }
                | UserCommand::Delete { .. }
                | UserCommand::Promote { .. }
                | UserCommand::Demote { .. }),
        } => people::user(&registry, command).await?,
        AdminCommand::Org {
            command: command @ (OrgCommand::List | OrgCommand::RemoveMember { .. }),
        } => people::org(&registry, command).await?,
        AdminCommand::Repo {
            command: command @ (RepoCommand::List { .. } | RepoCommand::Delete { .. }),
        } => people::repo(&registry, command).await?,
        AdminCommand::User {
            command:
                UserCommand::Create {
                    name,
                    email,
                    site_admin,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                Some(password_from_stdin()?)
            } else {
                None
            };
            let user = registry
                .accounts()
                .create_user(&name, email, site_admin, password)
                .await?;
            eprintln!("created user {} (id {})", user.login, user.id);
        }
        AdminCommand::User {
            command: UserCommand::SetPassword { name },
        } => {
            registry
                .accounts()
                .set_password(&name, password_from_stdin()?)
                .await?;
            eprintln!("set the password of {name}");
        }
        AdminCommand::User {
            command: UserCommand::Unlock { name },
        } => {
            if registry.sessions().unlock_user(&name).await? {
                eprintln!("lifted the sign-in lock on {name}");
            } else {
                eprintln!("{name} had no failed sign-ins to forget");
            }
        }
        AdminCommand::Org {
            command: OrgCommand::Create { org, owner },
        } => {
            let org = registry.accounts().create_org(&org, &owner).await?;
            eprintln!(
                "created organization {} (id {}) owned by {owner}",
                org.login, org.id
            );
        }
        AdminCommand::Org {
            command: OrgCommand::AddMember { org, user, role },
        } => {
            let role: OrgRole = role.parse()?;
            registry
                .accounts()
                .add_org_member(&org, &user, role)
                .await?;
            eprintln!("{user} is now {role} of {org}");
        }
        AdminCommand::Repo {
            command:
                RepoCommand::Create {
                    repo,
                    private,
                    internal,
                    description,
                },
        } => {
            let visibility = if private {
                Visibility::Private
            } else if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            };
            let created = registry
                .accounts()
                .create_repository(&repo, visibility, description)
                .await?;
            eprintln!(
                "created {} repository {}",
                created.visibility,
                created.full_name()
            );
        }
        AdminCommand::Repo {
            command:
                RepoCommand::AddCollaborator {
                    repo,
                    user,
                    permission,
                },
        } => {
            let role: Role = permission.parse()?;
            registry
                .accounts()
                .add_collaborator(&repo, &user, role)
                .await?;
            eprintln!("{user} has {role} on {repo}");
        }
        AdminCommand::Token {
            command:
                TokenCommand::Create {
                    user,
                    scopes,
                    expires_in,
                    note,
                    owners,
                    repositories,
                    packages,
                },
        } => {
            let scopes = Scopes::parse_list(&scopes)?;
            let lifetime = expires_in.as_deref().map(parse_lifetime).transpose()?;
            let reach = entrepot_service::narrow::Reach {
                owners,
                repositories,
                packages,
            };
            let accounts = registry.accounts();
            let robot =
                accounts.account(&user).await?.kind == entrepot_core::AccountKind::Organization;
            let issued = if robot || !reach.is_empty() {
                let lifetime = lifetime
                    .ok_or_else(|| anyhow::anyhow!("a narrow or robot token needs --expires-in"))?;
                accounts
                    .create_bounded_token(None, &user, (scopes, lifetime), note, &reach)
                    .await?
            } else {
                accounts.create_token(&user, scopes, lifetime, note).await?
            };
            // The token alone on stdout, so that scripts can capture it.
            println!("{}", issued.secret);
            eprintln!(
                "created token {} for {user} with scopes {}",
                issued.record.id, issued.record.scopes
            );
        }
        AdminCommand::Token {
            command: TokenCommand::Revoke { token_id },
        } => {
            registry.accounts().revoke_token(token_id).await?;
            eprintln!("revoked token {token_id}");
        }
        AdminCommand::Migrate
        | AdminCommand::Copy { .. }
        | AdminCommand::Gc { .. }
        | AdminCommand::Fsck { .. } => {
            unreachable!("handled above")
        }
        AdminCommand::Token {
            command: TokenCommand::List { user },
        } => {
            for t in registry.accounts().tokens_of(&user).await? {
                let state = if t.revoked_at.is_some() {
                    "revoked".to_owned()
                } else {
                    t.expires_at.map_or_else(
                        || "active".to_owned(),
                        |e| format!("expires {}", e.to_rfc3339()),
                    )
                };
                println!(
                    "{}\t{}…\t{}\t{}\t{}",
                    t.id,
                    t.prefix,
                    t.scopes,
                    state,
                    t.note.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

/// Copies the configured install into an empty database and blob store:
/// metadata first (one transaction), then every blob, digest-verified.
async fn copy(config: &Config, to_database: &str, to_blobs: &str) -> anyhow::Result<()> {
    config.require_existing_database()?;
    let from_meta = Config::open_metadata(&config.database, true).await?;
    let from_blobs = Config::open_blobs(&config.blobs).await?;
    let to_meta = Config::open_metadata(to_database, true).await?;
    let to_blob_store = Config::open_blobs(to_blobs).await?;
    let progress = crate::progress::Reporter::new();
    let rows = entrepot_store::copy::copy_metadata(&from_meta, &to_meta, &progress).await?;
    progress.finish();
    eprintln!(
        "copied {rows} rows to {}",
        crate::config::redact(to_database)
    );
    let started = std::time::Instant::now();
    let (copied, present) =
        entrepot_store::copy::copy_blobs(from_blobs.as_ref(), to_blob_store.as_ref(), &progress)
            .await?;
    progress.finish();
    eprintln!("blobs copied in {:.1} s", started.elapsed().as_secs_f64());
    eprintln!(
        "copied {copied} blobs to {to_blobs} ({present} were already there), every digest verified"
    );
    Ok(())
}

/// `admin gc`: one collection now, or with `--dry-run` the list of what
/// would go, one line each on standard output.
async fn gc(config: &Config, dry_run: bool) -> anyhow::Result<()> {
    config.require_existing_database()?;
    let registry = config.open_registry(true).await?;
    let images = entrepot_oci::gc::collect(&registry, entrepot_oci::gc::GRACE, dry_run).await?;
    for blob in &images.blobs {
        println!("image-blob\t{blob}");
    }
    for upload in &images.uploads {
        println!("upload\t{upload}");
    }
    let progress = crate::progress::Reporter::new();
    let started = std::time::Instant::now();
    if dry_run {
        let collectable = registry
            .blobs()
            .collectable_blobs_watched(entrepot_service::blobs::BLOB_GRACE, &progress)
            .await?;
        progress.finish();
        for digest in collectable {
            println!("blob\tsha256:{digest}");
        }
        eprintln!(
            "dry run: nothing was removed ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    } else {
        let report = registry
            .maintenance()
            .purge_expired_watched(entrepot_service::blobs::BLOB_GRACE, &progress)
            .await;
        progress.finish();
        let report = report?;
        eprintln!("collected in {:.1} s", started.elapsed().as_secs_f64());
        eprintln!(
            "removed {} image blob links, {} uploads, {} packages, {} versions and {} blobs",
            images.blobs.len(),
            images.uploads.len(),
            report.packages,
            report.versions,
            report.blobs
        );
    }
    Ok(())
}

/// `admin fsck`: one line per fault on standard output (`fault`, or
/// `repaired`, then the kind, the subject and the detail, tab-separated)
/// and one per orphan blob; a summary on standard error; exit status 1
/// while any fault is left.
async fn fsck(
    config: &Config,
    repair: bool,
    skip_digests: bool,
    upload_age: std::time::Duration,
) -> anyhow::Result<()> {
    config.require_existing_database()?;
    let registry = config.open_registry(true).await?;
    let application = crate::serve::Application::new(config, registry);
    let registry = application.state.registry.clone();
    let check =
        |package: &entrepot_core::Package, versions: &[entrepot_core::Version]| match application
            .format(package.package_type)
        {
            Some(format) => format.check_indexes(&application.state, package, versions),
            None => Box::pin(std::future::ready(Ok(Vec::new())))
                as futures::future::BoxFuture<'static, _>,
        };
    let options = entrepot_service::fsck::FsckOptions {
        repair,
        verify_digests: !skip_digests,
        upload_age,
        ..entrepot_service::fsck::FsckOptions::default()
    };
    let progress = crate::progress::Reporter::new();
    let report = registry
        .maintenance()
        .fsck(options, &check, &progress)
        .await?;
    progress.finish();
    for fault in &report.faults {
        let state = if fault.repaired { "repaired" } else { "fault" };
        println!(
            "{state}\t{}\t{}\t{}",
            fault.kind, fault.subject, fault.detail
        );
    }
    for digest in &report.orphan_blobs {
        println!("orphan-blob\tsha256:{digest}");
    }
    let left = report.unrepaired();
    eprintln!(
        "checked {} packages, {} versions and {} files: {} faults ({} left), {} orphan blobs ({} collected)",
        report.packages,
        report.versions,
        report.files,
        report.faults.len(),
        left,
        report.orphan_blobs.len(),
        report.collected
    );
    if left > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// One line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

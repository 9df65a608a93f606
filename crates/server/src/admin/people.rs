//! `entrepot admin user|org|repo` for administering people and
//! repositories: lists on standard output, one a line, tab-separated;
//! what was done on standard error.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;
use entrepot_core::AccountKind;
use entrepot_service::Registry;

use crate::cli::{OrgCommand, RepoCommand, UserCommand};

/// Every account of `kind`, page after page.
async fn all(
    registry: &Registry,
    kind: AccountKind,
) -> anyhow::Result<Vec<entrepot_core::Account>> {
    let page = entrepot_service::administration::MAX_PAGE;
    let mut out = Vec::new();
    loop {
        let since = out.last().map_or(0, |a: &entrepot_core::Account| a.id);
        let next = registry.accounts().list(kind, since, page).await?;
        let done = next.len() < page as usize;
        out.extend(next);
        if done {
            return Ok(out);
        }
    }
}

pub async fn user(registry: &Registry, command: UserCommand) -> anyhow::Result<()> {
    let accounts = registry.accounts();
    match command {
        UserCommand::List => {
            for user in all(registry, AccountKind::User).await? {
                let mut line = format!("{}\t{}", user.login, user.id);
                if user.site_admin {
                    line.push_str("\tsite-admin");
                }
                if user.suspended_at.is_some() {
                    line.push_str("\tsuspended");
                }
                println!("{line}");
            }
        }
        UserCommand::Suspend { name } => {
            accounts.suspend(&name).await?;
            eprintln!("suspended {name}: their tokens and sessions no longer work");
        }
        UserCommand::Unsuspend { name } => {
            accounts.unsuspend(&name).await?;
            eprintln!("{name} is no longer suspended");
        }
        UserCommand::Promote { name } => {
            accounts.set_site_admin(&name, true).await?;
            eprintln!("{name} is now a site administrator");
        }
        UserCommand::Demote { name } => {
            accounts.set_site_admin(&name, false).await?;
            eprintln!("{name} is no longer a site administrator");
        }
        UserCommand::Delete { name, yes } => {
            let plan = accounts.deletion_plan(&name).await?;
            eprintln!("{}", plan.describe());
            if !yes {
                confirm(&plan.user.login)?;
            }
            accounts.delete_user(&name).await?;
            eprintln!("deleted {name}");
        }
        UserCommand::Create { .. }
        | UserCommand::SetPassword { .. }
        | UserCommand::Unlock { .. } => {
            unreachable!("handled by admin::run")
        }
    }
    Ok(())
}

/// Asks for the login (or `yes`) on a terminal, or reads it from standard
/// input when that is a pipe (`echo alice | entrepot admin user delete
/// alice`); anything else leaves the account as it is.
fn confirm(login: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("type `{login}` (or yes) to delete it: ");
        std::io::stderr().flush()?;
    }
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    let answer = answer.trim();
    if answer == login || answer.eq_ignore_ascii_case("yes") || answer.eq_ignore_ascii_case("y") {
        return Ok(());
    }
    if answer.is_empty() && !stdin.is_terminal() {
        bail!("not deleted: confirm with --yes, or give `{login}` on standard input");
    }
    bail!("not deleted: the answer was not `{login}` or yes")
}

pub async fn org(registry: &Registry, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::List => {
            for org in all(registry, AccountKind::Organization).await? {
                let members = registry.accounts().members(&org.login).await?;
                println!("{}\t{}\t{} member(s)", org.login, org.id, members.len());
            }
        }
        OrgCommand::RemoveMember { org, user } => {
            registry.accounts().remove_org_member(&org, &user).await?;
            eprintln!("{user} is no longer a member of {org}");
        }
        OrgCommand::Create { .. } | OrgCommand::AddMember { .. } => {
            unreachable!("handled by admin::run")
        }
    }
    Ok(())
}

pub async fn repo(registry: &Registry, command: RepoCommand) -> anyhow::Result<()> {
    match command {
        RepoCommand::List { owner } => {
            for repo in registry
                .accounts()
                .list_repositories(owner.as_deref())
                .await?
            {
                println!("{}\t{}", repo.full_name(), repo.visibility);
            }
        }
        RepoCommand::Delete { repo } => {
            let packages = registry.accounts().delete_repository(&repo).await?;
            eprintln!("deleted {repo}; its {packages} package(s) stay, connected to no repository");
        }
        RepoCommand::Create { .. } | RepoCommand::AddCollaborator { .. } => {
            unreachable!("handled by admin::run")
        }
    }
    Ok(())
}

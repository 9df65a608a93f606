//! Connecting a package to a repository from a URL a client declared
//! (`repository` in package.json, `github_repo`, `RepositoryUrl`, an image
//! label), matched by owner and name as GitHub does.

use entrepot_core::Repository;
use entrepot_service::ServiceResult;

use crate::state::AppState;

/// Extracts `(owner, repo)` from the URL forms clients write: this server's
/// `BASE/OWNER/REPO`, `https://github.com/OWNER/REPO(.git)`,
/// `git+https://…`, `git@github.com:OWNER/REPO.git`, `github:OWNER/REPO`.
pub fn parse_repository_url(url: &str, base_host: &str) -> Option<(String, String)> {
    let url = url.trim();
    let rest = if let Some(r) = url.strip_prefix("github:") {
        r.to_owned()
    } else if let Some(r) = url.strip_prefix("git@github.com:") {
        r.to_owned()
    } else {
        let no_scheme = url.split_once("://").map(|(_, r)| r)?;
        let no_user = no_scheme.rsplit_once('@').map_or(no_scheme, |(_, r)| r);
        let (host, path) = no_user.split_once('/')?;
        let host = host.to_ascii_lowercase();
        if host != "github.com"
            && host != "www.github.com"
            && host != base_host.to_ascii_lowercase()
        {
            return None;
        }
        path.to_owned()
    };
    let mut parts = rest.trim_matches('/').split('/');
    let owner = parts.next()?.to_owned();
    let repo = parts.next()?.trim_end_matches(".git").to_owned();
    (!owner.is_empty() && !repo.is_empty()).then_some((owner, repo))
}

/// The repository record `url` names, if it belongs to `owner_login`.
pub async fn resolve(
    state: &AppState,
    url: &str,
    owner_login: &str,
) -> ServiceResult<Option<Repository>> {
    let Some((owner, name)) = parse_repository_url(url, &state.config.host()) else {
        return Ok(None);
    };
    if !owner.eq_ignore_ascii_case(owner_login) {
        return Ok(None);
    }
    let Some(account) = state.registry.accounts().account_by_login(&owner).await? else {
        return Ok(None);
    };
    state
        .registry
        .accounts()
        .repository_of(account.id, &name)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_urls_in_every_common_form_are_understood() {
        let host = "registry.example:8080";
        let want = Some(("alice".to_owned(), "hello".to_owned()));
        for url in [
            "https://github.com/alice/hello",
            "https://github.com/alice/hello.git",
            "git+https://github.com/alice/hello.git",
            "git+ssh://git@github.com/alice/hello.git",
            "git@github.com:alice/hello.git",
            "github:alice/hello",
            "http://registry.example:8080/alice/hello",
        ] {
            assert_eq!(parse_repository_url(url, host), want, "{url}");
        }
        assert_eq!(
            parse_repository_url("https://gitlab.com/alice/hello", host),
            None
        );
        assert_eq!(parse_repository_url("https://github.com/alice", host), None);
    }
}

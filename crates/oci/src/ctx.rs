//! What a handler knows about its request (the registry, the caller, the
//! headers and the query) and the one access check every operation on a
//! repository passes, which the token endpoint asks too.

use std::fmt::Write as _;

use axum::http::{HeaderMap, StatusCode};
use entrepot_core::{Action, Actor, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::links::Holder;

use crate::auth::Access;
use crate::error::{Code, NAME_UNKNOWN, OciError, OciResult};
use crate::name::RepoName;

/// What an operation on a repository needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    Pull,
    Push,
    Delete,
}

impl Act {
    /// The action's name in a token scope.
    pub fn scope(self) -> &'static str {
        match self {
            Act::Pull => "pull",
            Act::Push => "push",
            Act::Delete => "delete",
        }
    }

    fn action(self) -> Action {
        match self {
            Act::Pull => Action::Read,
            Act::Push => Action::Publish,
            Act::Delete => Action::Delete,
        }
    }
}

/// Everything a handler needs about the request.
pub struct Ctx {
    pub state: AppState,
    pub access: Access,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    /// Manifests kept for pulls, shared by every request.
    pub manifests: std::sync::Arc<crate::kept::Manifests>,
    /// Whether a manifest may be pulled under its package's signing keys.
    pub verdicts: std::sync::Arc<crate::signatures::Verdicts>,
}

impl Ctx {
    /// The first value of a query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter, in order.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn challenge(&self, scope: Option<&str>) -> String {
        challenge(&self.state, scope)
    }

    fn unauthorized(&self, repo: &RepoName, act: Act) -> OciError {
        let actions = if act == Act::Push {
            "pull,push"
        } else {
            act.scope()
        };
        OciError::unauthorized(
            self.challenge(Some(&format!("repository:{}:{actions}", repo.full()))),
        )
    }

    /// Checks that the caller may `act` on `repo` (and that their
    /// registry token, if they came with one, grants it), returning its
    /// owner and its package if it exists yet. Unknown and invisible
    /// repositories look alike; `not_found` is the code a 404 carries.
    pub async fn check(&self, repo: &RepoName, act: Act, not_found: Code) -> OciResult<Holder> {
        if let Some(claims) = &self.access.claims
            && !claims.allows("repository", &repo.full(), act.scope())
        {
            // Not granted because the organization's sign-on stands in the
            // way: say so (docker shows `denied` with where to go), rather
            // than ask for a token that would be refused again.
            if let Err(e @ ServiceError::SsoRequired { .. }) =
                repo_access(&self.state, &self.access.actor, repo, act).await
            {
                return Err(OciError::from_service(&e, not_found));
            }
            return Err(self.unauthorized(repo, act));
        }
        match repo_access(&self.state, &self.access.actor, repo, act).await {
            Ok(holder) => Ok(holder),
            Err(ServiceError::Unauthenticated | ServiceError::BadCredentials) => {
                Err(self.unauthorized(repo, act))
            }
            Err(ServiceError::Forbidden(m)) => {
                Err(OciError::new(StatusCode::FORBIDDEN, Code::Denied, m))
            }
            Err(e) => Err(OciError::from_service(&e, not_found)),
        }
    }
}

/// A request's query parameters, decoded, in order.
pub fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The `WWW-Authenticate` challenge that sends clients to the token
/// endpoint, for `scope` if one is named.
pub fn challenge(state: &AppState, scope: Option<&str>) -> String {
    let mut c = format!(
        "Bearer realm=\"{}\",service=\"{}\"",
        state.config.url("/token"),
        state.config.host()
    );
    if let Some(scope) = scope {
        let _ = write!(c, ",scope=\"{scope}\"");
    }
    c
}

/// The one access rule for repositories, used by requests and by the token
/// endpoint alike: the service's rule for a name that holds blobs before
/// any manifest names them (an image's package's permissions once it
/// exists, the right to create images in the owner's namespace before).
pub async fn repo_access(
    state: &AppState,
    actor: &Actor,
    repo: &RepoName,
    act: Act,
) -> Result<Holder, ServiceError> {
    if let Some(upstream) = crate::upstream::of(state, &repo.owner).await? {
        return crate::upstream::access(state, actor, &upstream, repo, act).await;
    }
    state
        .registry
        .blobs()
        .holder_access(
            actor,
            &repo.owner,
            PackageType::Container,
            &repo.image,
            act.action(),
            NAME_UNKNOWN,
        )
        .await
}

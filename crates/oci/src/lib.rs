//! The container registry: the OCI distribution API at `BASE/v2/` (and
//! Docker's), with the Docker token flow at `BASE/token`. An image is a
//! package of type `container` named `OWNER/IMAGE`; its versions are its
//! manifests, by digest; tags are movable labels on them.

mod auth;
mod blobs;
mod endpoint;
mod error;
mod fsck;
pub mod fuzzing;
pub mod gc;
mod manifests;
mod name;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use entrepot_core::{Action, Actor, Package, PackageType, Version, authorize};
use entrepot_http::format::{FormatSpec, Snippet};
use entrepot_http::{AppState, PackageFormat};
use entrepot_service::ServiceError;
use entrepot_service::site::Site;
use tokio::sync::OnceCell;

pub use endpoint::Endpoint;
use error::{Code, OciError, OciResult};
pub use name::{Digest, RepoName};

/// The container format, registered by the server binary.
#[derive(Default)]
pub struct Containers {
    key: Arc<OnceCell<Vec<u8>>>,
}

impl FormatSpec for Containers {
    fn package_type(&self) -> PackageType {
        PackageType::Container
    }

    fn display_name(&self) -> &'static str {
        "Container"
    }

    fn full_name(&self, package: &Package) -> String {
        format!("{}/{}", package.owner_login, package.name)
    }

    fn rest_tags_key(&self) -> Option<&'static str> {
        Some("container")
    }

    fn install_instructions(
        &self,
        site: &Site,
        package: &Package,
        version: Option<&Version>,
    ) -> Vec<Snippet> {
        let reference = match version {
            Some(v) => format!("@{}", v.name),
            None => ":latest".to_owned(),
        };
        vec![Snippet {
            title: "Install from the command line".into(),
            language: "shell".into(),
            body: format!(
                "docker pull {}/{}/{}{reference}",
                site.host(),
                package.owner_login,
                package.name
            ),
        }]
    }
}

impl PackageFormat for Containers {
    fn router(&self) -> Router<AppState> {
        let key = Arc::clone(&self.key);
        let token_key = Arc::clone(&self.key);
        let dispatch = move |state: State<AppState>, request: Request| {
            let key = Arc::clone(&key);
            async move { handle(state, key, request).await }
        };
        let token = move |state: State<AppState>, request: Request| {
            let key = Arc::clone(&token_key);
            async move { token_endpoint(state, key, request).await }
        };
        Router::new()
            .route("/v2", any(dispatch.clone()))
            .route("/v2/", any(dispatch.clone()))
            .route("/v2/{*path}", any(dispatch))
            .route(
                "/token",
                get(token).post(|| async { StatusCode::NOT_FOUND }),
            )
    }

    fn check_indexes(
        &self,
        state: &AppState,
        package: &Package,
        versions: &[Version],
    ) -> futures::future::BoxFuture<'static, entrepot_service::ServiceResult<Vec<String>>> {
        Box::pin(fsck::check(
            state.clone(),
            package.clone(),
            versions.to_vec(),
        ))
    }
}

/// What an operation on a repository needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Act {
    Pull,
    Push,
    Delete,
}

impl Act {
    fn scope(self) -> &'static str {
        match self {
            Act::Pull => "pull",
            Act::Push => "push",
            Act::Delete => "delete",
        }
    }
}

/// Everything a handler needs about the request.
pub(crate) struct Ctx {
    pub state: AppState,
    pub access: auth::Access,
    pub headers: HeaderMap,
    pub method: Method,
    pub query: Vec<(String, String)>,
}

impl Ctx {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn challenge(&self, scope: Option<String>) -> String {
        let mut c = format!(
            "Bearer realm=\"{}\",service=\"{}\"",
            self.state.config.url("/token"),
            self.state.config.host()
        );
        if let Some(scope) = scope {
            let _ = write!(c, ",scope=\"{scope}\"");
        }
        c
    }

    fn unauthorized(&self, repo: &RepoName, act: Act) -> OciError {
        let actions = if act == Act::Push {
            "pull,push".to_owned()
        } else {
            act.scope().to_owned()
        };
        OciError::unauthorized(
            self.challenge(Some(format!("repository:{}:{actions}", repo.full()))),
        )
    }

    /// Checks that the caller may `act` on `repo`, returning its package if
    /// it exists yet. Unknown and invisible repositories look alike.
    pub async fn check(
        &self,
        repo: &RepoName,
        act: Act,
        not_found: Code,
    ) -> OciResult<Option<Package>> {
        if let Some(claims) = &self.access.claims
            && !claims.allows("repository", &repo.full(), act.scope())
        {
            return Err(self.unauthorized(repo, act));
        }
        match repo_access(&self.state, &self.access.actor, repo, act).await {
            Ok(p) => Ok(p),
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

/// The one access rule for repositories, used by requests and by the token
/// endpoint alike: existing images by their package's permissions, new ones
/// by the right to create packages in the owner's namespace.
pub(crate) async fn repo_access(
    state: &AppState,
    actor: &Actor,
    repo: &RepoName,
    act: Act,
) -> Result<Option<Package>, ServiceError> {
    let hidden = || match actor {
        Actor::Anonymous => ServiceError::Unauthenticated,
        Actor::User { .. } => ServiceError::not_found("repository name not known to registry"),
    };
    let registry = &state.registry;
    let Some(owner) = registry.meta.account_by_login(&repo.owner).await? else {
        return Err(hidden());
    };
    let package = registry
        .meta
        .package(owner.id, PackageType::Container, &repo.image, false)
        .await?;
    let action = match (act, &package) {
        (Act::Pull, Some(_)) => Action::Read,
        (Act::Push, Some(_)) => Action::Publish,
        (Act::Delete, Some(_)) => Action::Delete,
        // A repository without manifests yet is its namespace's: those who
        // may create images there may push, pull and delete its blobs.
        (Act::Pull | Act::Push | Act::Delete, None) => Action::Create,
    };
    let result = if let Some(p) = &package {
        registry.authorize_package(actor, action, p).await
    } else {
        {
            let facts = registry
                .namespace_facts(actor, &owner, PackageType::Container, None)
                .await?;
            authorize(&registry.policy, actor, action, &facts).map_err(ServiceError::from)
        }
    };
    match result {
        Ok(()) => Ok(package),
        Err(ServiceError::NotFound(_)) => Err(hidden()),
        // Pulling from a namespace one may not push to: as if it were absent.
        Err(ServiceError::Forbidden(_)) if package.is_none() && act == Act::Pull => Err(hidden()),
        Err(e) => Err(e),
    }
}

async fn signing_key(state: &AppState, key: &OnceCell<Vec<u8>>) -> Result<Vec<u8>, ServiceError> {
    key.get_or_try_init(|| async {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let value = state
            .registry
            .meta
            .setting_or_init("registry_token_key", &fresh)
            .await?;
        hex::decode(value).map_err(|e| ServiceError::Internal(e.to_string()))
    })
    .await
    .cloned()
}

/// Who is calling: a registry token, a personal access token in any form,
/// or nobody.
async fn access_of(
    state: &AppState,
    key: &OnceCell<Vec<u8>>,
    headers: &HeaderMap,
) -> Result<auth::Access, ServiceError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if let Some(token) = bearer.filter(|t| auth::is_registry_token(t)) {
        let key = signing_key(state, key).await?;
        let claims = auth::verify(&key, token, chrono::Utc::now().timestamp())
            .ok_or(ServiceError::BadCredentials)?;
        let actor = match claims.sub {
            None => Actor::Anonymous,
            Some(id) => {
                if let Some(token_id) = claims.tok {
                    let usable = state
                        .registry
                        .meta
                        .token_by_id(token_id)
                        .await?
                        .is_some_and(|t| t.is_usable_at(chrono::Utc::now()));
                    if !usable {
                        return Err(ServiceError::BadCredentials);
                    }
                }
                let account = state
                    .registry
                    .meta
                    .account_by_id(id)
                    .await?
                    .ok_or(ServiceError::BadCredentials)?;
                Actor::User {
                    id,
                    login: account.login,
                    site_admin: account.site_admin,
                    scopes: entrepot_core::Scopes::parse_list(&claims.scp).unwrap_or_default(),
                    token_id: claims.tok,
                }
            }
        };
        return Ok(auth::Access {
            actor,
            claims: Some(claims),
        });
    }
    let mut parts = Request::builder()
        .body(())
        .expect("empty request")
        .into_parts()
        .0;
    parts.headers = headers.clone();
    let actor = match entrepot_http::auth::credential_of(&parts)? {
        None => Actor::Anonymous,
        Some(credential) => state.registry.authenticate(&credential).await?,
    };
    Ok(auth::Access {
        actor,
        claims: None,
    })
}

fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    uri.query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

async fn handle(
    State(state): State<AppState>,
    key: Arc<OnceCell<Vec<u8>>>,
    request: Request,
) -> Response {
    let path = request.uri().path().trim_start_matches("/v2").to_owned();
    let endpoint = Endpoint::parse(request.method(), &path);
    let query = query_pairs(request.uri());
    let headers = request.headers().clone();
    let method = request.method().clone();
    let body = request.into_body();
    let Ok(access) = access_of(&state, &key, &headers).await else {
        {
            let challenge = format!(
                "Bearer realm=\"{}\",service=\"{}\"",
                state.config.url("/token"),
                state.config.host()
            );
            return with_version(OciError::unauthorized(challenge).into_response());
        }
    };
    let ctx = Ctx {
        state,
        access,
        headers,
        method,
        query,
    };
    let result = route(&ctx, endpoint, body).await;
    with_version(result.unwrap_or_else(IntoResponse::into_response))
}

fn with_version(mut response: Response) -> Response {
    response.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    response
}

async fn route(ctx: &Ctx, endpoint: Endpoint, body: axum::body::Body) -> OciResult<Response> {
    let repo = match endpoint.name() {
        Some(name) => Some(RepoName::parse(name).ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::NameInvalid,
                format!("invalid repository name: {name}"),
            )
        })?),
        None => None,
    };
    match (endpoint, repo) {
        (Endpoint::Base, _) => match ctx.access.actor {
            Actor::Anonymous if ctx.access.claims.is_none() => {
                Err(OciError::unauthorized(ctx.challenge(None)))
            }
            _ => Ok((StatusCode::OK, axum::Json(serde_json::json!({}))).into_response()),
        },
        (Endpoint::Catalog, _) => manifests::catalog(ctx).await,
        (Endpoint::Blob { digest, .. }, Some(repo)) => blobs::blob(ctx, &repo, &digest).await,
        (Endpoint::StartUpload { .. }, Some(repo)) => blobs::start_upload(ctx, &repo, body).await,
        (Endpoint::Upload { id, .. }, Some(repo)) => blobs::upload(ctx, &repo, &id, body).await,
        (Endpoint::Manifest { reference, .. }, Some(repo)) => {
            manifests::manifest(ctx, &repo, &reference, body).await
        }
        (Endpoint::Tags { .. }, Some(repo)) => manifests::tags(ctx, &repo).await,
        (Endpoint::Referrers { digest, .. }, Some(repo)) => {
            manifests::referrers(ctx, &repo, &digest).await
        }
        (Endpoint::MethodNotAllowed, _) => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unsupported,
            "the operation is unsupported",
        )),
        _ => Err(OciError::new(
            StatusCode::NOT_FOUND,
            Code::NameUnknown,
            "no such endpoint",
        )),
    }
}

/// `GET /token`: grants the intersection of the requested and the allowed
/// actions; a partial grant is not an error, bad credentials are.
async fn token_endpoint(
    State(state): State<AppState>,
    key: Arc<OnceCell<Vec<u8>>>,
    request: Request,
) -> Response {
    let query = query_pairs(request.uri());
    let (parts, _) = request.into_parts();
    let actor = match entrepot_http::auth::credential_of(&parts) {
        Ok(None) => Actor::Anonymous,
        Ok(Some(credential)) => match state.registry.authenticate(&credential).await {
            Ok(actor) => actor,
            Err(e) => return OciError::from_service(&e, Code::Unauthorized).into_response(),
        },
        Err(e) => return OciError::from_service(&e, Code::Unauthorized).into_response(),
    };
    let mut grants: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (_, scope) in query.iter().filter(|(k, _)| k == "scope") {
        for one in scope.split(' ') {
            let Some((resource_type, name, actions)) = auth::parse_scope(one) else {
                continue;
            };
            let granted = grant(&state, &actor, &resource_type, &name, &actions).await;
            if !granted.is_empty() {
                grants
                    .entry((resource_type, name))
                    .or_default()
                    .extend(granted);
            }
        }
    }
    let now = chrono::Utc::now();
    let claims = auth::Claims {
        sub: actor.user_id(),
        tok: match &actor {
            Actor::User { token_id, .. } => *token_id,
            Actor::Anonymous => None,
        },
        scp: actor.scopes().to_string(),
        acc: grants
            .into_iter()
            .map(|((resource_type, name), actions)| auth::Grant {
                resource_type,
                name,
                actions,
            })
            .collect(),
        iat: now.timestamp(),
        exp: now.timestamp() + auth::TOKEN_LIFETIME,
    };
    let key = match signing_key(&state, &key).await {
        Ok(k) => k,
        Err(e) => return OciError::from(e).into_response(),
    };
    let token = auth::issue(&key, &claims);
    axum::Json(serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": auth::TOKEN_LIFETIME,
        "issued_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
    .into_response()
}

async fn grant(
    state: &AppState,
    actor: &Actor,
    resource_type: &str,
    name: &str,
    actions: &[String],
) -> Vec<String> {
    if resource_type == "registry" && name == "catalog" {
        return match actor {
            Actor::User {
                site_admin: true, ..
            } => actions.to_vec(),
            _ => Vec::new(),
        };
    }
    if resource_type != "repository" {
        return Vec::new();
    }
    // Clients may prefix the registry host; the name is what follows it.
    let name = name
        .split_once('/')
        .filter(|(h, _)| h.contains(':') || h.contains('.'))
        .map_or(name, |(_, n)| n);
    let Some(repo) = RepoName::parse(name) else {
        return Vec::new();
    };
    let mut granted = Vec::new();
    for action in actions {
        let acts: &[Act] = match action.as_str() {
            "pull" => &[Act::Pull],
            "push" => &[Act::Push],
            "delete" => &[Act::Delete],
            "*" => &[Act::Pull, Act::Push, Act::Delete],
            _ => &[],
        };
        for act in acts {
            if repo_access(state, actor, &repo, *act).await.is_ok() {
                granted.push(act.scope().to_owned());
            }
        }
    }
    granted
}

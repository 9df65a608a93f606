//! The 27 package operations of GitHub's REST API: list, get, delete and
//! restore packages and versions for `/user`, `/users/{username}` and
//! `/orgs/{org}`, and the docker-conflicts lists, in GitHub's shapes.

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entrepot_core::{
    Account, AccountKind, Actor, Package, PackageType, Scope, Version, Visibility,
};
use entrepot_http::pagination::{Page, PageQuery};
use entrepot_http::state::HttpConfig;
use entrepot_http::{ApiError, AppState, Caller, PackageFormat};
use entrepot_service::ServiceError;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::users::simple_user;

/// Characters escaped in a package name inside a URL path; `/` becomes
/// `%2F` as GitHub writes container image names.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Which account a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerRoute {
    /// `/user/...`: the authenticated user.
    Me,
    /// `/users/{username}/...`
    User,
    /// `/orgs/{org}/...`
    Org,
}

/// The routes under one owner prefix.
pub fn owner_routes(route: OwnerRoute) -> Router<AppState> {
    Router::new()
        .route("/packages", get(list_packages))
        .route(
            "/packages/{package_type}/{package_name}",
            get(get_package).delete(delete_package).patch(patch_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/restore",
            post(restore_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions",
            get(list_versions),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions/{package_version_id}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/packages/{package_type}/{package_name}/versions/{package_version_id}/restore",
            post(restore_version),
        )
        .route(
            "/packages/{package_type}/{package_name}/security-advisories",
            get(crate::advisories::list_for_package).post(crate::advisories::create_for_package),
        )
        .route(
            "/packages/{package_type}/{package_name}/security-advisories/{ghsa_id}",
            get(crate::advisories::get_for_package).patch(crate::advisories::patch_for_package),
        )
        .route("/docker/conflicts", get(docker_conflicts))
        .merge(crate::hooks::owner_routes())
        .layer(axum::middleware::from_fn(accepted_scopes))
        .layer(Extension(route))
}

/// Tells clients which scopes an endpoint accepts, as GitHub does.
async fn accepted_scopes(request: axum::extract::Request, next: Next) -> Response {
    let accepted = match *request.method() {
        Method::DELETE => "delete:packages, read:packages",
        Method::POST => "read:packages, write:packages",
        Method::PATCH => "write:packages",
        _ => "read:packages",
    };
    let mut response = next.run(request).await;
    response.headers_mut().insert(
        "x-accepted-oauth-scopes",
        HeaderValue::from_static(accepted),
    );
    response
}

pub(crate) type Params = Path<HashMap<String, String>>;

pub(crate) fn param<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ApiError(ServiceError::not_found("Not Found")))
}

/// Reads of the packages API need `read:packages`, as on GitHub; anonymous
/// callers may still read public packages (beyond GitHub).
fn require_scope(actor: &Actor, scope: Scope) -> Result<(), ApiError> {
    match actor {
        Actor::User { scopes, .. } if !scopes.contains(scope) => {
            Err(ApiError(ServiceError::Forbidden(format!(
                "This endpoint requires the `{scope}` scope; the token has: {}",
                if scopes.to_header().is_empty() {
                    "none".to_owned()
                } else {
                    scopes.to_header()
                }
            ))))
        }
        _ => Ok(()),
    }
}

async fn resolve_owner(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<Account, ApiError> {
    let not_found = || ApiError(ServiceError::not_found("Not Found"));
    let (login, kind) = match route {
        OwnerRoute::Me => {
            let Actor::User { id, .. } = actor else {
                return Err(ApiError(ServiceError::Unauthenticated));
            };
            let account = state
                .registry
                .meta
                .account_by_id(*id)
                .await?
                .ok_or_else(not_found)?;
            return Ok(account);
        }
        OwnerRoute::User => (param(params, "username")?, AccountKind::User),
        OwnerRoute::Org => (param(params, "org")?, AccountKind::Organization),
    };
    if !entrepot_core::names::is_valid_login(login) {
        return Err(not_found());
    }
    let account = state
        .registry
        .meta
        .account_by_login(login)
        .await?
        .ok_or_else(not_found)?;
    // GitHub serves organizations' packages under /orgs only, users' under /users only.
    if account.kind != kind {
        return Err(not_found());
    }
    Ok(account)
}

pub(crate) fn package_type_of(text: &str) -> Result<PackageType, ApiError> {
    text.parse()
        .map_err(|_| ApiError(ServiceError::not_found("Not Found")))
}

fn owner_segment(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::User => "users",
        AccountKind::Organization => "orgs",
    }
}

fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) struct Urls {
    pub(crate) api: String,
    pub(crate) html: String,
}

pub(crate) fn package_urls(config: &HttpConfig, owner: &Account, package: &Package) -> Urls {
    let name = utf8_percent_encode(&package.name, PATH_SEGMENT).to_string();
    let segment = owner_segment(owner.kind);
    Urls {
        api: config.url(&format!(
            "/api/v3/{segment}/{}/packages/{}/{name}",
            owner.login, package.package_type
        )),
        html: config.url(&format!(
            "/{segment}/{}/packages/{}/package/{name}",
            owner.login, package.package_type
        )),
    }
}

/// GitHub's `minimal-repository` for a connected repository record.
fn minimal_repository(
    config: &HttpConfig,
    repo: &entrepot_core::Repository,
    owner: &Account,
) -> Value {
    let api = config.url(&format!("/api/v3/repos/{}", repo.full_name()));
    let html = config.url(&format!("/{}", repo.full_name()));
    let mut v = json!({
        "id": repo.id,
        "node_id": format!("R_{}", repo.id),
        "name": repo.name,
        "full_name": repo.full_name(),
        "owner": simple_user(config, owner),
        "private": repo.visibility != Visibility::Public,
        "visibility": repo.visibility.as_str(),
        "html_url": html,
        "description": repo.description,
        "fork": false,
        "url": api,
        "created_at": iso(&repo.created_at),
        "updated_at": iso(&repo.updated_at),
    });
    for (field, suffix) in [
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("hooks_url", "/hooks"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
    ] {
        v[field] = json!(format!("{api}{suffix}"));
    }
    v
}

async fn download_totals(
    state: &AppState,
    package: &Package,
) -> Result<HashMap<i64, i64>, ApiError> {
    let mut totals = HashMap::new();
    for day in state.registry.downloads(package).await? {
        *totals.entry(day.version_id).or_insert(0) += day.count;
    }
    Ok(totals)
}

/// GitHub's `package` shape, plus a total `download_count`.
async fn package_json(
    state: &AppState,
    owner: &Account,
    package: &Package,
) -> Result<Value, ApiError> {
    let meta = &state.registry.meta;
    let config = &state.config;
    let urls = package_urls(config, owner, package);
    let version_count = meta.versions(package.id, false).await?.len();
    let downloads: i64 = download_totals(state, package).await?.values().sum();
    let repository = match package.repository_id {
        Some(id) => match meta.repository_by_id(id).await? {
            Some(repo) => match meta.account_by_id(repo.owner_id).await? {
                Some(repo_owner) => minimal_repository(config, &repo, &repo_owner),
                None => Value::Null,
            },
            None => Value::Null,
        },
        None => Value::Null,
    };
    Ok(json!({
        "id": package.id,
        "name": package.name,
        "package_type": package.package_type.as_str(),
        "owner": simple_user(config, owner),
        "version_count": version_count,
        "visibility": package.visibility.as_str(),
        "url": urls.api,
        "html_url": urls.html,
        "repository": repository,
        "created_at": iso(&package.created_at),
        "updated_at": iso(&package.updated_at),
        "download_count": downloads,
    }))
}

/// GitHub's `package-version` shape, plus `download_count`.
async fn version_json(
    state: &AppState,
    owner: &Account,
    package: &Package,
    version: &Version,
    downloads: i64,
) -> Result<Value, ApiError> {
    let urls = package_urls(&state.config, owner, package);
    let mut metadata = json!({ "package_type": package.package_type.as_str() });
    if let Some(key) = state
        .format(package.package_type)
        .and_then(PackageFormat::rest_tags_key)
    {
        let tags: Vec<String> = state
            .registry
            .meta
            .tags(package.id)
            .await?
            .into_iter()
            .filter(|t| t.version_id == version.id)
            .map(|t| t.name)
            .collect();
        metadata[key] = json!({ "tags": tags });
    }
    let version_query = utf8_percent_encode(&version.name, PATH_SEGMENT).to_string();
    let mut v = json!({
        "id": version.id,
        "name": version.name,
        "url": format!("{}/versions/{}", urls.api, version.id),
        "package_html_url": urls.html,
        "html_url": format!("{}?version={version_query}", urls.html),
        "created_at": iso(&version.created_at),
        "updated_at": iso(&version.updated_at),
        "metadata": metadata,
        "download_count": downloads,
    });
    if let Some(license) = version.metadata.get("license").and_then(Value::as_str) {
        v["license"] = json!(license);
    }
    if let Some(description) = &package.description {
        v["description"] = json!(description);
    }
    if let Some(deleted) = &version.deleted_at {
        v["deleted_at"] = json!(iso(deleted));
    }
    Ok(v)
}

fn json_ok(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

/// One page of a list of `total` items, with GitHub's `Link` header.
fn paginated(page_items: Vec<Value>, total: usize, page: Page, url: &str) -> Response {
    let mut response = json_ok(StatusCode::OK, Value::Array(page_items));
    if let Some(link) = page.link_header(url, total)
        && let Ok(v) = HeaderValue::from_str(&link)
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

/// Reads `page` and `per_page`; a malformed number is GitHub's 400.
pub(crate) fn page_of(query: &HashMap<String, String>) -> Result<Page, ApiError> {
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        query
            .get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError(ServiceError::Invalid(format!(
                        "`{name}` must be a positive whole number."
                    )))
                })
            })
            .transpose()
    };
    let page = Page::from(PageQuery {
        page: number("page")?,
        per_page: number("per_page")?,
    });
    if !page.within_limit() {
        return Err(ApiError(ServiceError::Invalid(
            "The value of `per_page` multiplied by `page` cannot be greater than 10000.".into(),
        )));
    }
    Ok(page)
}

async fn list_packages(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type: PackageType = match query.get("package_type").map(String::as_str) {
        None => {
            return Err(ApiError(ServiceError::Invalid(
                "The `package_type` parameter is required: one of npm, maven, rubygems, docker, nuget, container, pypi, cargo.".into(),
            )));
        }
        Some(t) => t.parse().map_err(|_| {
            ApiError(ServiceError::Invalid(format!(
                "`{t}` is not a valid package_type: use one of npm, maven, rubygems, docker, nuget, container, pypi, cargo."
            )))
        })?,
    };
    let visibility: Option<Visibility> = match query.get("visibility").map(String::as_str) {
        None => None,
        Some(v) => Some(v.parse().map_err(|_| {
            ApiError(ServiceError::Invalid(format!(
                "`{v}` is not a valid visibility: use public, private or internal."
            )))
        })?),
    };
    let page = page_of(&query)?;
    let filter = entrepot_store::PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(package_type),
        visibility,
        ..Default::default()
    };
    let meta = &state.registry.meta;
    let (page_items, total) = if sees_everything(&state, &actor, &owner, package_type).await? {
        // The owner (or an admin of it) may read every package: page in SQL.
        let total = meta.count_packages(filter.clone()).await?;
        let items = meta
            .list_packages(entrepot_store::PackageFilter {
                offset: Some(((page.page - 1) * page.per_page) as u64),
                limit: Some(page.per_page as u64),
                ..filter
            })
            .await?;
        (items, usize::try_from(total).unwrap_or(usize::MAX))
    } else {
        let mut readable = Vec::new();
        for package in meta.list_packages(filter).await? {
            if state.registry.can_read(&actor, &package).await? {
                readable.push(package);
            }
        }
        let total = readable.len();
        (page.slice(&readable).to_vec(), total)
    };
    // Only the page's packages are rendered; the rest are only counted.
    let mut rendered = Vec::with_capacity(page.per_page);
    for package in &page_items {
        rendered.push(package_json(&state, &owner, package).await?);
    }
    let mut url = list_url(&state, route, &owner);
    url = format!("{url}?package_type={package_type}");
    if let Some(v) = visibility {
        url = format!("{url}&visibility={v}");
    }
    Ok(paginated(rendered, total, page, &url))
}

/// Whether `actor` may read every package `owner` has: the owner, a site
/// administrator, or an owner of the organization.
async fn sees_everything(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    package_type: PackageType,
) -> Result<bool, ApiError> {
    let Actor::User {
        id,
        site_admin,
        scopes,
        ..
    } = actor
    else {
        return Ok(false);
    };
    let repo_scoped = package_type.registry_kind() == entrepot_core::RegistryKind::RepositoryScoped;
    if !scopes.contains(Scope::ReadPackages) || (repo_scoped && !scopes.contains(Scope::Repo)) {
        return Ok(false);
    }
    if *site_admin || *id == owner.id {
        return Ok(true);
    }
    Ok(owner.kind == AccountKind::Organization
        && state.registry.meta.org_role(owner.id, *id).await?
            == Some(entrepot_core::OrgRole::Owner))
}

fn list_url(state: &AppState, route: OwnerRoute, owner: &Account) -> String {
    match route {
        OwnerRoute::Me => state.config.url("/api/v3/user/packages"),
        _ => state.config.url(&format!(
            "/api/v3/{}/{}/packages",
            owner_segment(owner.kind),
            owner.login
        )),
    }
}

/// Finds the live package a path names, as the caller may see it.
pub(crate) async fn live_package(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<(Account, Package), ApiError> {
    let owner = resolve_owner(state, actor, route, params).await?;
    let package_type = package_type_of(param(params, "package_type")?)?;
    let name = param(params, "package_name")?;
    let package = state
        .registry
        .readable_package(actor, &owner.login, package_type, name)
        .await?;
    Ok((owner, package))
}

async fn get_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    Ok(json_ok(
        StatusCode::OK,
        package_json(&state, &owner, &package).await?,
    ))
}

async fn delete_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    state.registry.delete_package(&actor, &package).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize)]
struct PatchBody {
    visibility: Option<String>,
}

/// Beyond GitHub: `PATCH {"visibility": …}` changes a package's visibility.
async fn patch_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let patch: PatchBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError(ServiceError::Invalid(format!("Problems parsing JSON: {e}"))))?;
    let Some(visibility) = patch.visibility else {
        return Err(ApiError(ServiceError::Invalid(
            "Only `visibility` can be changed.".into(),
        )));
    };
    let visibility: Visibility = visibility.parse().map_err(|_| {
        ApiError(ServiceError::Invalid(format!(
            "`{visibility}` is not a valid visibility."
        )))
    })?;
    let updated = state
        .registry
        .set_visibility(&actor, &package, visibility)
        .await?;
    Ok(json_ok(
        StatusCode::OK,
        package_json(&state, &owner, &updated).await?,
    ))
}

async fn restore_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let package_type = package_type_of(param(&params, "package_type")?)?;
    let name = param(&params, "package_name")?;
    let filter = entrepot_store::PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(package_type),
        include_deleted: true,
        ..Default::default()
    };
    let deleted = state
        .registry
        .meta
        .list_packages(filter)
        .await?
        .into_iter()
        .filter(|p| p.name == name && p.deleted_at.is_some())
        .max_by_key(|p| p.deleted_at);
    let missing = || match actor {
        Actor::Anonymous => ApiError(ServiceError::Unauthenticated),
        Actor::User { .. } => ApiError(ServiceError::not_found("Not Found")),
    };
    let Some(package) = deleted else {
        return Err(missing());
    };
    match state.registry.restore_package(&actor, &package).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(ServiceError::NotFound(_)) => Err(missing()),
        Err(e) => Err(ApiError(e)),
    }
}

async fn list_versions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let deleted = match query.get("state").map(String::as_str) {
        None | Some("active") => false,
        Some("deleted") => true,
        Some(other) => {
            return Err(ApiError(ServiceError::Invalid(format!(
                "`{other}` is not a valid state: use active or deleted."
            ))));
        }
    };
    let page = page_of(&query)?;
    let mut versions: Vec<Version> = state
        .registry
        .meta
        .versions(package.id, true)
        .await?
        .into_iter()
        .filter(|v| v.deleted_at.is_some() == deleted)
        .collect();
    // Newest first, as GitHub lists them.
    versions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let downloads = download_totals(&state, &package).await?;
    let mut items = Vec::with_capacity(page.per_page);
    for v in page.slice(&versions) {
        let count = downloads.get(&v.id).copied().unwrap_or(0);
        items.push(version_json(&state, &owner, &package, v, count).await?);
    }
    let mut url = format!(
        "{}/versions",
        package_urls(&state.config, &owner, &package).api
    );
    if deleted {
        url.push_str("?state=deleted");
    }
    Ok(paginated(items, versions.len(), page, &url))
}

async fn find_version(
    state: &AppState,
    package: &Package,
    params: &HashMap<String, String>,
) -> Result<Version, ApiError> {
    let id: i64 = param(params, "package_version_id")?
        .parse()
        .map_err(|_| ApiError(ServiceError::not_found("Not Found")))?;
    state
        .registry
        .meta
        .version_by_id(id)
        .await?
        .filter(|v| v.package_id == package.id)
        .ok_or_else(|| ApiError(ServiceError::not_found("Not Found")))
}

async fn get_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    let downloads = download_totals(&state, &package)
        .await?
        .get(&version.id)
        .copied()
        .unwrap_or(0);
    Ok(json_ok(
        StatusCode::OK,
        version_json(&state, &owner, &package, &version, downloads).await?,
    ))
}

async fn delete_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    state
        .registry
        .delete_version(&actor, &package, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn restore_version(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response, ApiError> {
    let (_, package) = live_package(&state, &actor, route, &params).await?;
    let version = find_version(&state, &package, &params).await?;
    state
        .registry
        .restore_version(&actor, &package, &version)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Entrepot never migrated images from a legacy Docker registry, so there
/// are no conflicts to list.
async fn docker_conflicts(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    _headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    resolve_owner(&state, &actor, route, &params).await?;
    Ok(json_ok(StatusCode::OK, json!([])))
}

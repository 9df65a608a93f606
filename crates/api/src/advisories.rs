//! Security advisories in GitHub's shapes: the global advisories
//! (`/advisories`, GitHub's `global-advisory`), repository advisories for
//! packages connected to a repository (`/repos/{owner}/{repo}/security-advisories`,
//! `repository-advisory`), and, beyond GitHub, the same for any package
//! under its own path (`/{user|users/{u}|orgs/{o}}/packages/{type}/{name}/security-advisories`).
//!
//! States: Entrepot's `draft`, `published` and `withdrawn` are GitHub's
//! states of the same names. GitHub's `triage` reads as `draft` (there is
//! no private reporting yet) and `closed` as `withdrawn` when asked for in
//! a `PATCH`; the state filter of the lists accepts all five and matches
//! nothing for `triage` and `closed`.

use std::collections::HashMap;

use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use entrepot_core::{
    Account, Actor, Advisory, AdvisoryPackage, AdvisoryState, Credit, Ecosystem, Package, Severity,
    Vulnerability,
};
use entrepot_http::pagination::Page;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::advisories::{AdvisoryChanges, AdvisoryQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::packages::{OwnerRoute, live_package, page_of};
use crate::users::simple_user;

/// A service error as the advisory endpoints answer it: validation errors
/// are GitHub's 422 there; everything else as elsewhere.
pub struct AdvisoryError(ServiceError);

impl<E: Into<ApiError>> From<E> for AdvisoryError {
    fn from(e: E) -> Self {
        AdvisoryError(e.into().0)
    }
}

impl IntoResponse for AdvisoryError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Invalid(message) => {
                let mut response = (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "message": message,
                        "documentation_url": entrepot_http::error::DOCUMENTATION_URL,
                    })),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                response
            }
            other => ApiError(other).into_response(),
        }
    }
}

type Result<T> = std::result::Result<T, AdvisoryError>;

fn invalid(message: impl Into<String>) -> AdvisoryError {
    AdvisoryError(ServiceError::Invalid(message.into()))
}

fn not_found() -> AdvisoryError {
    AdvisoryError(ServiceError::not_found("Not Found"))
}

/// `/advisories` and `/advisories/{ghsa_id}`.
pub fn global_routes() -> Router<AppState> {
    Router::new()
        .route("/advisories", get(list_global))
        .route("/advisories/{ghsa_id}", get(get_global))
}

/// `/repos/{owner}/{repo}/security-advisories[/{ghsa_id}]`.
pub fn repository_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/repos/{owner}/{repo}/security-advisories",
            get(list_for_repository).post(create_for_repository),
        )
        .route(
            "/repos/{owner}/{repo}/security-advisories/{ghsa_id}",
            get(get_for_repository).patch(patch_for_repository),
        )
}

fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The name clients know a package by (npm: `@owner/name`).
fn client_name(state: &AppState, package: &Package) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| package.name.clone(), |f| f.full_name(package))
}

/// Reads a client's package name back to the stored one.
fn stored_name(state: &AppState, package: &Package, name: &str) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| name.to_owned(), |f| f.stored_name(package, name))
}

/// What the renderers need beside the advisory.
struct Context<'a> {
    state: &'a AppState,
    package: &'a Package,
}

impl Context<'_> {
    fn identifiers(advisory: &Advisory) -> Value {
        let mut ids = vec![json!({"type": "GHSA", "value": advisory.ghsa_id})];
        if let Some(cve) = &advisory.cve_id {
            ids.push(json!({"type": "CVE", "value": cve}));
        }
        Value::Array(ids)
    }

    fn package_json(&self, v: &Vulnerability) -> Value {
        json!({
            "ecosystem": v.package.ecosystem.as_str(),
            "name": if v.package.name == self.package.name {
                client_name(self.state, self.package)
            } else {
                v.package.name.clone()
            },
        })
    }

    fn cvss(advisory: &Advisory) -> Value {
        // No score is computed from a vector (see docs/advisories.md).
        json!({"vector_string": advisory.cvss_vector, "score": null})
    }

    fn cwes(advisory: &Advisory) -> Value {
        // CWE names are not looked up; the id stands in for the name.
        advisory
            .cwe_ids
            .iter()
            .map(|id| json!({"cwe_id": id, "name": id}))
            .collect()
    }

    async fn user(&self, id: Option<i64>) -> Result<Value> {
        Ok(match id {
            Some(id) => match self.state.registry.meta.account_by_id(id).await? {
                Some(a) => simple_user(&self.state.config, &a),
                None => Value::Null,
            },
            None => Value::Null,
        })
    }

    async fn credit_users(&self, advisory: &Advisory) -> Result<Vec<(Account, String)>> {
        let mut out = Vec::new();
        for credit in &advisory.credits {
            if let Some(a) = self
                .state
                .registry
                .meta
                .account_by_login(&credit.login)
                .await?
            {
                out.push((a, credit.credit_type.clone()));
            }
        }
        Ok(out)
    }

    async fn repository_path(&self) -> Result<Option<String>> {
        Ok(match self.package.repository_id {
            Some(id) => self
                .state
                .registry
                .meta
                .repository_by_id(id)
                .await?
                .map(|r| r.full_name()),
            None => None,
        })
    }

    /// GitHub's `global-advisory`.
    async fn global(&self, advisory: &Advisory) -> Result<Value> {
        let config = &self.state.config;
        let repo = self.repository_path().await?;
        let credits: Vec<Value> = self
            .credit_users(advisory)
            .await?
            .iter()
            .map(|(a, t)| json!({"user": simple_user(config, a), "type": t}))
            .collect();
        let vulnerabilities: Vec<Value> = advisory
            .vulnerabilities
            .iter()
            .map(|v| {
                json!({
                    "package": self.package_json(v),
                    "vulnerable_version_range": v.vulnerable_version_range,
                    "first_patched_version": v.first_patched_version(),
                    "vulnerable_functions": v.vulnerable_functions,
                })
            })
            .collect();
        let published = advisory.published_at.unwrap_or(advisory.created_at);
        Ok(json!({
            "ghsa_id": advisory.ghsa_id,
            "cve_id": advisory.cve_id,
            "url": config.url(&format!("/api/v3/advisories/{}", advisory.ghsa_id)),
            "html_url": config.url(&format!("/advisories/{}", advisory.ghsa_id)),
            "repository_advisory_url": repo.as_ref().map(|r| config.url(
                &format!("/api/v3/repos/{r}/security-advisories/{}", advisory.ghsa_id)
            )),
            "summary": advisory.summary,
            "description": advisory.description,
            "type": "reviewed",
            "severity": advisory.severity.map_or("unknown", Severity::as_str),
            "source_code_location": repo.as_ref().map(|r| config.url(&format!("/{r}"))),
            "identifiers": Self::identifiers(advisory),
            "references": [],
            "published_at": iso(&published),
            "updated_at": iso(&advisory.updated_at),
            "github_reviewed_at": advisory.published_at.as_ref().map(iso),
            "nvd_published_at": null,
            "withdrawn_at": advisory.withdrawn_at.as_ref().map(iso),
            "vulnerabilities": vulnerabilities,
            "cvss": Self::cvss(advisory),
            "cwes": Self::cwes(advisory),
            "credits": credits,
        }))
    }

    /// GitHub's `repository-advisory`; `base` is the API URL of the list
    /// it belongs to.
    async fn repository(&self, advisory: &Advisory, base: &str) -> Result<Value> {
        let config = &self.state.config;
        let credit_users = self.credit_users(advisory).await?;
        let vulnerabilities: Vec<Value> = advisory
            .vulnerabilities
            .iter()
            .map(|v| {
                json!({
                    "package": self.package_json(v),
                    "vulnerable_version_range": v.vulnerable_version_range,
                    "patched_versions": v.patched_versions,
                    "vulnerable_functions": v.vulnerable_functions,
                })
            })
            .collect();
        Ok(json!({
            "ghsa_id": advisory.ghsa_id,
            "cve_id": advisory.cve_id,
            "url": format!("{base}/{}", advisory.ghsa_id),
            "html_url": config.url(&format!("/advisories/{}", advisory.ghsa_id)),
            "summary": advisory.summary,
            "description": advisory.description,
            "severity": advisory.severity.map(Severity::as_str),
            "author": self.user(advisory.author_id).await?,
            "publisher": self.user(advisory.publisher_id).await?,
            "identifiers": Self::identifiers(advisory),
            "state": advisory.state.as_str(),
            "created_at": iso(&advisory.created_at),
            "updated_at": iso(&advisory.updated_at),
            "published_at": advisory.published_at.as_ref().map(iso),
            "closed_at": null,
            "withdrawn_at": advisory.withdrawn_at.as_ref().map(iso),
            "submission": null,
            "vulnerabilities": vulnerabilities,
            "cvss": Self::cvss(advisory),
            "cwes": Self::cwes(advisory),
            "cwe_ids": advisory.cwe_ids,
            "credits": advisory.credits.iter().map(|c| json!({"login": c.login, "type": c.credit_type})).collect::<Vec<_>>(),
            "credits_detailed": credit_users.iter().map(|(a, t)| json!({
                "user": simple_user(config, a),
                "type": t,
                "state": "accepted",
            })).collect::<Vec<_>>(),
            "collaborating_users": [],
            "collaborating_teams": [],
            "private_fork": null,
        }))
    }
}

/// The package an advisory is on (live; the service checked who may see it).
async fn package_of(state: &AppState, advisory: &Advisory) -> Result<Package> {
    state
        .registry
        .meta
        .package_by_id(advisory.package_id)
        .await?
        .ok_or_else(not_found)
}

fn with_link(mut response: Response, page: Page, url: &str, total: usize) -> Response {
    if let Some(link) = page.link_header(url, total)
        && let Ok(v) = HeaderValue::from_str(&link)
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

fn query_url(base: &str, query: &HashMap<String, String>, keys: &[&str]) -> String {
    let mut url = base.to_owned();
    let mut sep = '?';
    for key in keys {
        if let Some(v) = query.get(*key) {
            url.push(sep);
            url.push_str(key);
            url.push('=');
            url.push_str(
                &percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            sep = '&';
        }
    }
    url
}

async fn list_global(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let page = page_of(&query).map_err(|e| AdvisoryError(e.0))?;
    let ecosystem = match query.get("ecosystem") {
        Some(e) => Some(
            e.parse::<Ecosystem>()
                .map_err(|_| invalid(format!("`{e}` is not an ecosystem Entrepot serves")))?,
        ),
        None => None,
    };
    let severity = match query.get("severity").map(String::as_str) {
        None | Some("unknown") => None,
        Some(s) => Some(
            s.parse::<Severity>()
                .map_err(|_| invalid(format!("`{s}` is not a severity")))?,
        ),
    };
    let base = AdvisoryQuery {
        ghsa_id: query.get("ghsa_id").cloned(),
        cve_id: query.get("cve_id").cloned(),
        ecosystem,
        severity,
        affects: None,
    };
    let mut advisories: Vec<Advisory> = Vec::new();
    match query.get("affects").filter(|a| !a.trim().is_empty()) {
        None => advisories = state.registry.list_advisories(&actor, &base).await?,
        Some(affects) => {
            for item in affects.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, version) = AdvisoryQuery::parse_affects(item);
                // npm's `@scope/name` is the package `name` of the account `scope`.
                let (scope, stored) = match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                    Some((scope, rest)) => (Some(scope.to_owned()), rest.to_owned()),
                    None => (None, name.clone()),
                };
                let q = AdvisoryQuery {
                    affects: Some((stored, version)),
                    ..base.clone()
                };
                for a in state.registry.list_advisories(&actor, &q).await? {
                    if let Some(scope) = &scope {
                        let package = package_of(&state, &a).await?;
                        if a.ecosystem != Ecosystem::Npm
                            || !package.owner_login.eq_ignore_ascii_case(scope)
                        {
                            continue;
                        }
                    }
                    if !advisories.iter().any(|b| b.id == a.id) {
                        advisories.push(a);
                    }
                }
            }
        }
    }
    advisories.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    let mut items = Vec::new();
    for advisory in page.slice(&advisories) {
        let package = package_of(&state, advisory).await?;
        let context = Context {
            state: &state,
            package: &package,
        };
        items.push(context.global(advisory).await?);
    }
    let url = query_url(
        &state.config.url("/api/v3/advisories"),
        &query,
        &["ghsa_id", "cve_id", "ecosystem", "severity", "affects"],
    );
    Ok(with_link(
        (StatusCode::OK, Json(Value::Array(items))).into_response(),
        page,
        &url,
        advisories.len(),
    ))
}

async fn get_global(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(ghsa_id): Path<String>,
) -> Result<Response> {
    let (advisory, package) = state.registry.advisory(&actor, &ghsa_id).await?;
    // Drafts are not global advisories.
    if advisory.state == AdvisoryState::Draft {
        return Err(not_found());
    }
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.global(&advisory).await?).into_response())
}

/// The bodies of `POST` and `PATCH`, as GitHub's
/// `repository-advisory-create` and `repository-advisory-update`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    clippy::option_option,
    reason = "absent leaves a field alone, null clears it, as the service reads them"
)]
pub struct AdvisoryBody {
    summary: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "some")]
    cve_id: Option<Option<String>>,
    vulnerabilities: Option<Vec<VulnerabilityBody>>,
    cwe_ids: Option<Vec<String>>,
    credits: Option<Vec<Credit>>,
    #[serde(default, deserialize_with = "some")]
    severity: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    cvss_vector_string: Option<Option<String>>,
    state: Option<String>,
    /// GitHub's; accepted and ignored.
    start_private_fork: Option<bool>,
    collaborating_users: Option<Vec<String>>,
    collaborating_teams: Option<Vec<String>>,
}

/// A present field, even `null`, is `Some`.
fn some<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
struct VulnerabilityBody {
    package: PackageBody,
    vulnerable_version_range: Option<String>,
    patched_versions: Option<String>,
    #[serde(default)]
    vulnerable_functions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct PackageBody {
    ecosystem: String,
    name: Option<String>,
}

fn parse_body(body: &[u8]) -> Result<AdvisoryBody> {
    serde_json::from_slice(body).map_err(|e| invalid(format!("Problems parsing JSON: {e}")))
}

fn state_of(text: &str) -> Result<AdvisoryState> {
    Ok(match text {
        "draft" | "triage" => AdvisoryState::Draft,
        "published" => AdvisoryState::Published,
        "withdrawn" | "closed" => AdvisoryState::Withdrawn,
        other => {
            return Err(invalid(format!(
                "`{other}` is not a state: use draft, published or withdrawn (closed reads as withdrawn)"
            )));
        }
    })
}

impl AdvisoryBody {
    /// The changes the body asks for on `package`.
    fn changes(self, state: &AppState, package: &Package) -> Result<AdvisoryChanges> {
        let _ = (
            self.start_private_fork,
            self.collaborating_users,
            self.collaborating_teams,
        );
        let vulnerabilities = match self.vulnerabilities {
            None => None,
            Some(list) => {
                let mut out = Vec::new();
                for v in list {
                    let ecosystem: Ecosystem = v.package.ecosystem.parse().map_err(|_| {
                        invalid(format!(
                            "`{}` is not an ecosystem Entrepot serves",
                            v.package.ecosystem
                        ))
                    })?;
                    out.push(Vulnerability {
                        package: AdvisoryPackage {
                            ecosystem,
                            name: stored_name(
                                state,
                                package,
                                v.package.name.as_deref().unwrap_or(""),
                            ),
                        },
                        vulnerable_version_range: v.vulnerable_version_range,
                        patched_versions: v.patched_versions,
                        vulnerable_functions: v.vulnerable_functions.unwrap_or_default(),
                    });
                }
                Some(out)
            }
        };
        let severity = match self.severity {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) => Some(Some(
                s.parse::<Severity>()
                    .map_err(|_| invalid(format!("`{s}` is not a severity")))?,
            )),
        };
        Ok(AdvisoryChanges {
            summary: self.summary,
            description: self.description,
            cve_id: self.cve_id,
            vulnerabilities,
            cwe_ids: self.cwe_ids,
            credits: self.credits,
            severity,
            cvss_vector_string: self.cvss_vector_string,
            state: self.state.as_deref().map(state_of).transpose()?,
        })
    }
}

/// Which states a list's `state` parameter keeps.
fn state_filter(query: &HashMap<String, String>) -> Result<Option<Vec<AdvisoryState>>> {
    match query.get("state").map(String::as_str) {
        None => Ok(None),
        Some("triage" | "closed") => Ok(Some(Vec::new())),
        Some(s) => Ok(Some(vec![
            s.parse()
                .map_err(|_| invalid(format!("`{s}` is not a state")))?,
        ])),
    }
}

/// Lists one package's advisories as `repository-advisory`, paginated.
async fn list_package_advisories(
    state: &AppState,
    actor: &Actor,
    packages: &[Package],
    query: &HashMap<String, String>,
    base: &str,
) -> Result<Response> {
    let page = page_of(query).map_err(|e| AdvisoryError(e.0))?;
    let states = state_filter(query)?;
    let mut all: Vec<(Advisory, &Package)> = Vec::new();
    for package in packages {
        for a in state
            .registry
            .advisories_for_package(actor, package)
            .await?
        {
            if states.as_ref().is_none_or(|s| s.contains(&a.state)) {
                all.push((a, package));
            }
        }
    }
    all.sort_by(|a, b| {
        b.0.created_at
            .cmp(&a.0.created_at)
            .then(b.0.id.cmp(&a.0.id))
    });
    let mut items = Vec::new();
    for (advisory, package) in page.slice(&all) {
        let context = Context { state, package };
        items.push(context.repository(advisory, base).await?);
    }
    let url = query_url(base, query, &["state"]);
    Ok(with_link(
        (StatusCode::OK, Json(Value::Array(items))).into_response(),
        page,
        &url,
        all.len(),
    ))
}

fn package_base(state: &AppState, route: OwnerRoute, package: &Package, owner: &Account) -> String {
    let name =
        percent_encoding::utf8_percent_encode(&package.name, percent_encoding::NON_ALPHANUMERIC);
    let prefix = match route {
        OwnerRoute::Me => "/api/v3/user".to_owned(),
        _ => format!(
            "/api/v3/{}/{}",
            match owner.kind {
                entrepot_core::AccountKind::User => "users",
                entrepot_core::AccountKind::Organization => "orgs",
            },
            owner.login
        ),
    };
    state.config.url(&format!(
        "{prefix}/packages/{}/{name}/security-advisories",
        package.package_type
    ))
}

type Params = Path<HashMap<String, String>>;

/// `GET …/packages/{type}/{name}/security-advisories` (Entrepot's).
pub async fn list_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    list_package_advisories(
        &state,
        &actor,
        std::slice::from_ref(&package),
        &query,
        &base,
    )
    .await
}

/// `POST …/packages/{type}/{name}/security-advisories` (Entrepot's).
pub async fn create_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response> {
    let (owner, package) = live_package(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    create(&state, &actor, &package, &body, &base).await
}

async fn create(
    state: &AppState,
    actor: &Actor,
    package: &Package,
    body: &[u8],
    base: &str,
) -> Result<Response> {
    let changes = parse_body(body)?.changes(state, package)?;
    let advisory = state
        .registry
        .create_advisory(actor, package, changes)
        .await?;
    let context = Context { state, package };
    Ok((
        StatusCode::CREATED,
        Json(context.repository(&advisory, base).await?),
    )
        .into_response())
}

/// The repository a path names and its connected live packages, as the
/// caller may see them (a repository without packages the caller may read
/// is missing).
async fn repository_packages(
    state: &AppState,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<(String, Vec<Package>)> {
    let owner = params.get("owner").ok_or_else(not_found)?;
    let repo = params.get("repo").ok_or_else(not_found)?;
    let missing = || match actor {
        Actor::Anonymous => AdvisoryError(ServiceError::Unauthenticated),
        Actor::User { .. } => not_found(),
    };
    let Some(account) = state.registry.meta.account_by_login(owner).await? else {
        return Err(missing());
    };
    let Some(repository) = state.registry.meta.repository(account.id, repo).await? else {
        return Err(missing());
    };
    let mut packages = Vec::new();
    for package in state
        .registry
        .meta
        .list_packages(entrepot_store::PackageFilter {
            repository_id: Some(repository.id),
            ..Default::default()
        })
        .await?
    {
        if state.registry.can_read(actor, &package).await? {
            packages.push(package);
        }
    }
    if packages.is_empty() {
        return Err(missing());
    }
    let base = state.config.url(&format!(
        "/api/v3/repos/{}/security-advisories",
        repository.full_name()
    ));
    Ok((base, packages))
}

async fn list_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let (base, packages) = repository_packages(&state, &actor, &params).await?;
    list_package_advisories(&state, &actor, &packages, &query, &base).await
}

async fn create_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response> {
    let (base, packages) = repository_packages(&state, &actor, &params).await?;
    let parsed = parse_body(&body)?;
    let Some(first) = parsed.vulnerabilities.as_ref().and_then(|v| v.first()) else {
        return Err(invalid(
            "`vulnerabilities` is required: its first entry's `package` names the package",
        ));
    };
    let wanted = first.package.name.clone().unwrap_or_default();
    let ecosystem = first.package.ecosystem.clone();
    let Some(package) = packages.iter().find(|p| {
        Ecosystem::of(p.package_type).is_some_and(|e| e.as_str() == ecosystem)
            && (client_name(&state, p) == wanted || p.name == wanted)
    }) else {
        return Err(invalid(format!(
            "no {ecosystem} package `{wanted}` is connected to this repository"
        )));
    };
    let changes = parsed.changes(&state, package)?;
    let advisory = state
        .registry
        .create_advisory(&actor, package, changes)
        .await?;
    let context = Context {
        state: &state,
        package,
    };
    Ok((
        StatusCode::CREATED,
        Json(context.repository(&advisory, &base).await?),
    )
        .into_response())
}

/// An advisory named under a repository: it must be on one of its packages.
async fn repository_advisory(
    state: &AppState,
    actor: &Actor,
    params: &HashMap<String, String>,
) -> Result<(String, Advisory, Package)> {
    let (base, packages) = repository_packages(state, actor, params).await?;
    let ghsa_id = params.get("ghsa_id").ok_or_else(not_found)?;
    let (advisory, package) = state.registry.advisory(actor, ghsa_id).await?;
    if !packages.iter().any(|p| p.id == package.id) {
        return Err(not_found());
    }
    Ok((base, advisory, package))
}

async fn get_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
) -> Result<Response> {
    let (base, advisory, package) = repository_advisory(&state, &actor, &params).await?;
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&advisory, &base).await?).into_response())
}

async fn patch_for_repository(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response> {
    let (base, advisory, package) = repository_advisory(&state, &actor, &params).await?;
    let changes = parse_body(&body)?.changes(&state, &package)?;
    let updated = state
        .registry
        .update_advisory(&actor, &advisory.ghsa_id, changes)
        .await?;
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&updated, &base).await?).into_response())
}

/// `GET …/packages/{type}/{name}/security-advisories/{ghsa_id}` (Entrepot's).
pub async fn get_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response> {
    let (owner, package, advisory) = package_advisory(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&advisory, &base).await?).into_response())
}

/// `PATCH …/packages/{type}/{name}/security-advisories/{ghsa_id}` (Entrepot's).
pub async fn patch_for_package(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response> {
    let (owner, package, advisory) = package_advisory(&state, &actor, route, &params).await?;
    let base = package_base(&state, route, &package, &owner);
    let changes = parse_body(&body)?.changes(&state, &package)?;
    let updated = state
        .registry
        .update_advisory(&actor, &advisory.ghsa_id, changes)
        .await?;
    let context = Context {
        state: &state,
        package: &package,
    };
    Ok(Json(context.repository(&updated, &base).await?).into_response())
}

async fn package_advisory(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<(Account, Package, Advisory)> {
    let (owner, package) = live_package(state, actor, route, params).await?;
    let ghsa_id = params.get("ghsa_id").ok_or_else(not_found)?;
    let (advisory, on) = state.registry.advisory(actor, ghsa_id).await?;
    if on.id != package.id {
        return Err(not_found());
    }
    Ok((owner, package, advisory))
}

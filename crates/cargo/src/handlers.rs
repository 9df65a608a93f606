//! The Cargo endpoints under `BASE/cargo/OWNER/`: the sparse index at
//! `index/` and the web API at `api/v1/`. Errors are cargo's JSON
//! (`{"errors":[{"detail"}]}`), which cargo prints as it is; a 401 carries
//! the `Cargo login_url` challenge of RFC 3139, on which cargo retries
//! `config.json` with its token.

use std::sync::Arc;

use axum::body::{Body, BodyDataStream};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use entrepot_core::{Account, Action, Actor, Package, PackageType, Repository, Role};
use entrepot_http::owner::{OwnerRequest, form_fields};
use entrepot_http::state::HttpConfig;
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{ByteStream, Expected, PackageFilter};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use sha2::Digest;

use crate::index::{self, IndexDependency, NewCrate, Stored};
use crate::names;
use crate::tarball;

/// The largest JSON part of a publish body. Cargo puts the README's text
/// in it, so it is roomier than the metadata alone would need.
const MAX_METADATA: u32 = 4 * 1024 * 1024;
/// The largest owners request (a list of logins).
const MAX_OWNERS_BODY: usize = 64 * 1024;
const MAX_CACHED_FILES: usize = 4096;

/// An error as cargo shows it: a status and one line of detail.
#[derive(Debug)]
pub struct CargoError {
    status: StatusCode,
    detail: String,
}

impl CargoError {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        CargoError {
            status,
            detail: detail.into(),
        }
    }

    /// The line of detail cargo would print.
    pub(crate) fn detail(&self) -> &str {
        &self.detail
    }

    fn bad(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::BAD_REQUEST, detail)
    }

    fn not_found(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::NOT_FOUND, detail)
    }

    /// The response, with the challenge's `login_url` (where tokens are
    /// made) built on the server's base URL.
    pub fn respond(self, config: &HttpConfig) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({ "errors": [{ "detail": self.detail }] })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Cargo login_url=\"{}\"", config.url("/settings/tokens"));
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

impl From<ServiceError> for CargoError {
    fn from(e: ServiceError) -> Self {
        let detail = match &e {
            ServiceError::Unauthenticated => {
                "this registry requires a token: `cargo login --registry NAME` \
                 with a personal access token (read:packages; write:packages to publish)"
                    .to_owned()
            }
            _ => entrepot_http::error::public_message(&e),
        };
        CargoError::new(entrepot_http::error::status_of(&e), detail)
    }
}

impl From<entrepot_store::StoreError> for CargoError {
    fn from(e: entrepot_store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<entrepot_core::Denial> for CargoError {
    fn from(d: entrepot_core::Denial) -> Self {
        ServiceError::from(d).into()
    }
}

type Result<T> = std::result::Result<T, CargoError>;

fn internal(e: impl std::fmt::Display) -> CargoError {
    ServiceError::Internal(e.to_string()).into()
}

/// One rendered index file and its validators.
pub struct IndexFile {
    body: Bytes,
    etag: String,
    last_modified: DateTime<Utc>,
}

/// Rendered index files by package and the package's last change (see
/// `entrepot_http::cache`).
pub type IndexCache =
    entrepot_http::cache::Renderings<(i64, i64), Arc<IndexFile>, MAX_CACHED_FILES>;

impl IndexFile {
    /// The file as served.
    pub(crate) fn body(&self) -> &Bytes {
        &self.body
    }
}

pub async fn handle(
    state: AppState,
    cache: Arc<IndexCache>,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let result = match caller {
        Ok(Caller(actor)) => route(&state, &cache, &actor, request).await,
        Err(e) => Err(e.0.into()),
    };
    result.unwrap_or_else(|e| e.respond(&state.config))
}

async fn route(
    state: &AppState,
    cache: &IndexCache,
    actor: &Actor,
    request: OwnerRequest,
) -> Result<Response> {
    let OwnerRequest {
        method,
        owner,
        path,
        query,
        headers,
        body,
        ..
    } = request;
    let head = method == Method::HEAD;
    let read = method == Method::GET || head;
    let segments: Vec<&str> = path.split('/').collect();
    match segments.as_slice() {
        ["index", "config.json"] if read => config_json(state, actor, &owner, head).await,
        ["index", ..] if read => {
            let file = &path["index/".len()..];
            index_file(state, cache, actor, &owner, file, &headers, head).await
        }
        ["api", "v1", "crates", "new"] if method == Method::PUT => {
            publish(state, actor, &owner, body).await
        }
        ["api", "v1", "crates"] if read => search(state, actor, &owner, query.as_deref()).await,
        ["api", "v1", "crates", name, version, "download"] if read => {
            download(state, actor, &owner, name, version, &headers, head).await
        }
        ["api", "v1", "crates", name, version, "yank"] if method == Method::DELETE => {
            set_yanked(state, actor, &owner, name, version, true).await
        }
        ["api", "v1", "crates", name, version, "unyank"] if method == Method::PUT => {
            set_yanked(state, actor, &owner, name, version, false).await
        }
        ["api", "v1", "crates", name, "owners"] if method == Method::GET => {
            list_owners(state, actor, &owner, name).await
        }
        ["api", "v1", "crates", name, "owners"]
            if method == Method::PUT || method == Method::DELETE =>
        {
            change_owners(state, actor, &owner, name, body, method == Method::PUT).await
        }
        _ => Err(CargoError::not_found("Not Found")),
    }
}

/// The owner named in the URL; an unknown one is reported like a hidden
/// one (401 to anonymous callers, so that cargo sends its token).
async fn owner_account(state: &AppState, actor: &Actor, login: &str) -> Result<Account> {
    match state.registry.meta.account_by_login(login).await? {
        Some(account) => Ok(account),
        None => Err(match actor {
            Actor::Anonymous => ServiceError::Unauthenticated.into(),
            Actor::User { .. } => {
                CargoError::not_found(format!("no user or organization named `{login}`"))
            }
        }),
    }
}

/// The owner's live crates.
async fn crates_of(state: &AppState, owner: &Account) -> Result<Vec<Package>> {
    Ok(state
        .registry
        .meta
        .list_packages(PackageFilter {
            owner_id: Some(owner.id),
            package_type: Some(PackageType::Cargo),
            ..PackageFilter::default()
        })
        .await?)
}

/// Whether cargo must send its token everywhere in `owner`'s registry:
/// always, unless the owner has crates and all of them are public. Cargo
/// sends a token with index reads and downloads only when `config.json`
/// says `auth-required`, and `config.json` is one per registry, so one
/// private crate makes the whole registry ask. An owner without crates
/// asks too, since a crate's first publish makes it private; and every
/// owner does where the instance requires sign-in for all reads.
async fn auth_required(state: &AppState, owner: &Account) -> Result<bool> {
    if state.registry.policy.require_auth_for_reads {
        return Ok(true);
    }
    let filter = PackageFilter {
        owner_id: Some(owner.id),
        package_type: Some(PackageType::Cargo),
        ..PackageFilter::default()
    };
    let all = state.registry.meta.count_packages(filter.clone()).await?;
    let public = state
        .registry
        .meta
        .count_packages(PackageFilter {
            visibility: Some(entrepot_core::Visibility::Public),
            ..filter
        })
        .await?;
    Ok(all == 0 || public < all)
}

/// The live crate `name` names, matched as the index matches names
/// (case-insensitively, since index files are lowercase), whether or not
/// the caller may read it.
async fn find_crate(state: &AppState, owner: &Account, name: &str) -> Result<Option<Package>> {
    if let Some(package) = state
        .registry
        .meta
        .package(owner.id, PackageType::Cargo, name, false)
        .await?
    {
        return Ok(Some(package));
    }
    let lower = name.to_ascii_lowercase();
    Ok(crates_of(state, owner)
        .await?
        .into_iter()
        .find(|p| p.name.to_ascii_lowercase() == lower))
}

/// The crate `name`, if `actor` may read it. A crate the caller may not
/// read is reported exactly like a missing one: 404 to signed-in callers;
/// to anonymous ones 401 where the registry requires auth (so cargo
/// retries with its token), else 404 (so that a first `cargo publish`
/// to an all-public registry sees the crate is new).
async fn readable_crate(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    name: &str,
) -> Result<Package> {
    if let Some(package) = find_crate(state, owner, name).await?
        && state.registry.can_read(actor, &package).await?
    {
        return Ok(package);
    }
    if matches!(actor, Actor::Anonymous) && auth_required(state, owner).await? {
        return Err(ServiceError::Unauthenticated.into());
    }
    Err(CargoError::not_found(format!(
        "crate `{name}` does not exist in {}'s registry",
        owner.login
    )))
}

fn json_response(status: StatusCode, value: &Value, head: bool) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(serde_json::to_vec(value).expect("JSON renders"))
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// The URL of `owner`'s registry (`BASE/cargo/OWNER`).
fn registry_url(state: &AppState, owner: &Account) -> String {
    state.config.url(&format!("/cargo/{}", owner.login))
}

/// `index/config.json`: where crates download from and where the API is.
async fn config_json(state: &AppState, actor: &Actor, login: &str, head: bool) -> Result<Response> {
    let owner = owner_account(state, actor, login).await?;
    let auth_required = auth_required(state, &owner).await?;
    if auth_required && matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::Unauthenticated.into());
    }
    let api = registry_url(state, &owner);
    let config = json!({
        "dl": format!("{api}/api/v1/crates"),
        "api": api,
        "auth-required": auth_required,
    });
    Ok(json_response(StatusCode::OK, &config, head))
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the client's copy (by `If-None-Match`, else `If-Modified-Since`)
/// is current.
fn not_modified(headers: &HeaderMap, file: &IndexFile) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return tags.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == file.etag
        });
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| file.last_modified.timestamp() <= since.timestamp())
}

/// An index file: one JSON line per live version, yanked ones included
/// (lockfiles still resolve them).
async fn index_file(
    state: &AppState,
    cache: &IndexCache,
    actor: &Actor,
    login: &str,
    path: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let owner = owner_account(state, actor, login).await?;
    let Some(name) = names::from_index_path(path) else {
        return Err(CargoError::not_found("Not Found"));
    };
    let package = readable_crate(state, actor, &owner, name).await?;
    let key = (package.id, package.updated_at.timestamp_micros());
    let file = if let Some(file) = cache.get(&key) {
        file
    } else {
        let file = Arc::new(render(state, &package).await?);
        cache.put(key, Arc::clone(&file));
        file
    };
    if file.body.is_empty() {
        return Err(CargoError::not_found(format!(
            "crate `{name}` has no versions"
        )));
    }
    let mut response = if not_modified(headers, &file) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = if head {
            Body::empty()
        } else {
            Body::from(file.body.clone())
        };
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if head {
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(file.body.len()));
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(file.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

pub(crate) async fn render(state: &AppState, package: &Package) -> Result<IndexFile> {
    let mut versions = state.registry.meta.versions(package.id, false).await?;
    versions.sort_by_key(|v| (v.created_at, v.id));
    let mut body = String::new();
    for v in versions {
        let Ok(stored) = serde_json::from_value::<Stored>(v.metadata) else {
            tracing::warn!(
                version = v.id,
                "a crate version without a readable index line"
            );
            continue;
        };
        let mut line = stored.line;
        line.pubtime = Some(v.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        body.push_str(&serde_json::to_string(&line).map_err(internal)?);
        body.push('\n');
    }
    let digest = sha2::Sha256::digest(body.as_bytes());
    Ok(IndexFile {
        etag: format!("\"{}\"", hex::encode(&digest[..16])),
        body: body.into(),
        last_modified: package.updated_at,
    })
}

/// `GET api/v1/crates/NAME/VERSION/download`: the `.crate`, yanked or
/// not (lockfiles keep building); each full download is counted.
async fn download(
    state: &AppState,
    actor: &Actor,
    login: &str,
    name: &str,
    version: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let owner = owner_account(state, actor, login).await?;
    let package = readable_crate(state, actor, &owner, name).await?;
    let no_version = || {
        CargoError::not_found(format!(
            "crate `{}` does not have a version `{version}`",
            package.name
        ))
    };
    let v = state
        .registry
        .meta
        .version(package.id, version)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(no_version)?;
    let file = state
        .registry
        .meta
        .files(v.id)
        .await?
        .into_iter()
        .find(|f| {
            std::path::Path::new(&f.name)
                .extension()
                .is_some_and(|e| e == "crate")
        })
        .ok_or_else(no_version)?;
    let response = match entrepot_http::download::serve_blob(
        state,
        &file.sha256,
        headers,
        "application/gzip",
        head,
    )
    .await
    {
        Ok(r) => r,
        Err(ServiceError::RangeNotSatisfiable { size }) => {
            return Ok(entrepot_http::download::range_not_satisfiable(size));
        }
        Err(e) => return Err(e.into()),
    };
    if response.status() == StatusCode::OK && !head {
        state.registry.count_download(&v);
    }
    Ok(response)
}

/// Reads a publish body's length-prefixed parts off the stream, keeping in
/// memory only what is asked for.
pub(crate) struct BodyReader {
    stream: BodyDataStream,
    buffer: BytesMut,
}

impl BodyReader {
    pub(crate) fn new(body: Body) -> Self {
        BodyReader {
            stream: body.into_data_stream(),
            buffer: BytesMut::new(),
        }
    }

    async fn fill(&mut self, n: usize) -> Result<()> {
        while self.buffer.len() < n {
            match self.stream.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => return Err(CargoError::bad(format!("cannot read the body: {e}"))),
                None => {
                    return Err(CargoError::bad(
                        "the body ends before the length it declares",
                    ));
                }
            }
        }
        Ok(())
    }

    async fn u32(&mut self) -> Result<u32> {
        self.fill(4).await?;
        let bytes = self.buffer.split_to(4);
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    async fn bytes(&mut self, n: usize) -> Result<Bytes> {
        self.fill(n).await?;
        Ok(self.buffer.split_to(n).freeze())
    }

    /// The publish metadata and the declared length of the `.crate` after it.
    pub(crate) async fn head(&mut self) -> Result<(NewCrate, u32)> {
        let json_len = self.u32().await?;
        if json_len > MAX_METADATA {
            return Err(CargoError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the publish metadata is larger than {MAX_METADATA} bytes"),
            ));
        }
        let metadata = self.bytes(json_len as usize).await?;
        let krate: NewCrate = serde_json::from_slice(&metadata)
            .map_err(|e| CargoError::bad(format!("the publish metadata is not valid: {e}")))?;
        let crate_len = self.u32().await?;
        Ok((krate, crate_len))
    }

    /// The rest of the body: what is buffered, then the stream.
    pub(crate) fn into_stream(self) -> ByteStream {
        let head = self.buffer.freeze();
        let head = futures::stream::iter((!head.is_empty()).then_some(Ok(head)));
        Box::pin(head.chain(self.stream.map_err(std::io::Error::other)))
    }
}

/// The URLs by which cargo may name this registry's own index in a
/// dependency (which the index then writes as "this registry").
fn own_index_urls(state: &AppState, owner: &Account, login: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for who in [owner.login.as_str(), login] {
        let index = state.config.url(&format!("/cargo/{who}/index/"));
        urls.push(format!("sparse+{index}"));
        urls.push(index);
    }
    urls
}

/// What publishing needs decided before the `.crate` is stored.
struct Plan {
    deps: Vec<IndexDependency>,
    repository: Option<Repository>,
    /// Why the declared repository is not connected, for cargo to show.
    unconnected: Option<String>,
}

/// `PUT api/v1/crates/new`: the JSON part is read and checked first (name,
/// version, permission, twins, reuse of a version, dependencies), then the
/// `.crate` is streamed into the blob store, read back once, and the
/// version published; a refused crate leaves nothing behind.
async fn publish(state: &AppState, actor: &Actor, login: &str, body: Body) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = state.registry.account(login).await?;
    let mut reader = BodyReader::new(body);
    let (krate, crate_len) = reader.head().await?;
    let plan = prepare(state, actor, &owner, login, &krate).await?;
    let blob = state
        .registry
        .store_blob(
            reader.into_stream(),
            Expected {
                size: Some(u64::from(crate_len)),
                ..Expected::default()
            },
        )
        .await
        .map_err(|e| match e {
            ServiceError::Invalid(m) if m.starts_with("size mismatch") => CargoError::bad(format!(
                "the .crate is not the {crate_len} bytes the body declares"
            )),
            other => other.into(),
        })?;
    let result = publish_crate(state, actor, &owner, krate, plan, &blob).await;
    if result.is_err() {
        let _ = state.registry.discard_upload(&blob.sha256).await;
    }
    result
}

/// The checks that need no `.crate`, in the order cargo users hit them.
async fn prepare(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    login: &str,
    krate: &NewCrate,
) -> Result<Plan> {
    if let Some(problem) = names::name_problem(&krate.name) {
        return Err(CargoError::bad(problem));
    }
    let version = semver::Version::parse(&krate.vers).map_err(|e| {
        CargoError::bad(format!(
            "invalid version `{}`: {e}; versions are SemVer 2.0 (1.2.3)",
            krate.vers
        ))
    })?;
    let (repository, unconnected) = declared_repository(state, owner, krate).await?;
    let crates = crates_of(state, owner).await?;
    let canonical = names::canonical(&krate.name);
    match crates
        .iter()
        .find(|p| names::canonical(&p.name) == canonical)
    {
        Some(existing) if existing.name != krate.name => {
            // A twin the caller may not see is named only to those who
            // could create crates here, who would collide with it anyway;
            // everyone else gets what a new name would get.
            if let Err(ServiceError::NotFound(_)) = state
                .registry
                .authorize_package(actor, Action::Read, existing)
                .await
            {
                may_create(state, actor, owner, repository.as_ref()).await?;
            }
            return Err(CargoError::bad(format!(
                "crate `{}` already exists as `{}`: names that differ only in case, `-` or `_` \
                 are the same crate; publish it as `{}`",
                krate.name, existing.name, existing.name
            )));
        }
        Some(existing) => {
            may_publish(state, actor, owner, existing, krate, repository.as_ref()).await?;
            // Deleted versions count: a version is never reused.
            for v in state.registry.meta.versions(existing.id, true).await? {
                if semver::Version::parse(&v.name).is_ok_and(|v| same_release(&v, &version)) {
                    return Err(CargoError::new(
                        StatusCode::CONFLICT,
                        format!("crate version `{}` is already uploaded", krate.vers),
                    ));
                }
            }
        }
        None => may_create(state, actor, owner, repository.as_ref()).await?,
    }
    let own = own_index_urls(state, owner, login);
    let mut deps = Vec::new();
    for dep in &krate.deps {
        let translated = index::dependency(dep, &own).map_err(CargoError::bad)?;
        // Cargo finds a dependency by its lowercase name: it must be there.
        let here = dep.name.to_ascii_lowercase();
        if translated.registry.is_none()
            && names::canonical(&dep.name) != canonical
            && !crates.iter().any(|p| p.name.to_ascii_lowercase() == here)
        {
            return Err(CargoError::bad(format!(
                "dependency `{}` is not in {}'s registry; publish it first",
                dep.name, owner.login
            )));
        }
        deps.push(translated);
    }
    Ok(Plan {
        deps,
        repository,
        unconnected,
    })
}

/// Whether two versions are one in the index's eyes: build metadata
/// does not tell versions apart.
fn same_release(a: &semver::Version, b: &semver::Version) -> bool {
    (a.major, a.minor, a.patch, &a.pre) == (b.major, b.minor, b.patch, &b.pre)
}

/// The repository the crate's `repository` field names, if it is one of
/// the owner's, and why not otherwise (for cargo to show).
async fn declared_repository(
    state: &AppState,
    owner: &Account,
    krate: &NewCrate,
) -> Result<(Option<Repository>, Option<String>)> {
    Ok(match krate.repository.as_deref() {
        Some(url) => {
            let found = entrepot_http::repo_link::resolve(state, url, &owner.login).await?;
            let why = found.is_none().then(|| {
                format!(
                    "`repository` ({url}) names no repository of {} on this server; \
                     the crate is not connected to one",
                    owner.login
                )
            });
            (found, why)
        }
        // GitHub's default: the owner's repository named like the crate.
        None => (
            state
                .registry
                .meta
                .repository(owner.id, &krate.name)
                .await?,
            None,
        ),
    })
}

/// Whether `actor` may publish a new version of `existing`. A crate the
/// caller may not see is answered as a new name would be, so that its
/// existence is not given away, unless the caller could create crates here.
async fn may_publish(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    existing: &Package,
    krate: &NewCrate,
    repository: Option<&Repository>,
) -> Result<()> {
    match state
        .registry
        .authorize_package(actor, Action::Publish, existing)
        .await
    {
        Ok(()) => Ok(()),
        Err(ServiceError::NotFound(_)) => {
            may_create(state, actor, owner, repository).await?;
            Err(CargoError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "the name `{}` belongs to a crate of {}'s that you may not publish to",
                    krate.name, owner.login
                ),
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The check `publish` makes when it creates a crate, made before the
/// upload is stored.
async fn may_create(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    repository: Option<&Repository>,
) -> Result<()> {
    let facts = state
        .registry
        .namespace_facts(actor, owner, PackageType::Cargo, repository)
        .await?;
    Ok(entrepot_core::authorize(
        &state.registry.policy,
        actor,
        Action::Create,
        &facts,
    )?)
}

async fn publish_crate(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    krate: NewCrate,
    plan: Plan,
    blob: &entrepot_store::BlobInfo,
) -> Result<Response> {
    let read = state.registry.blobs.get(&blob.sha256, None).await?;
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(read.stream),
        tokio::runtime::Handle::current(),
    );
    let (name, vers, readme_file) = (
        krate.name.clone(),
        krate.vers.clone(),
        krate.readme_file.clone(),
    );
    let contents = tokio::task::spawn_blocking(move || {
        tarball::read_crate(
            std::io::BufReader::new(reader),
            &name,
            &vers,
            readme_file.as_deref(),
        )
    })
    .await
    .map_err(internal)?
    .map_err(|m| CargoError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let rust_version = contents
        .rust_version
        .clone()
        .or_else(|| krate.rust_version.clone());
    let line = index::line(&krate, plan.deps, &blob.sha256, rust_version);
    let readme = contents
        .readme
        .or_else(|| krate.readme.clone())
        .filter(|r| !r.trim().is_empty());
    let description = krate
        .description
        .clone()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    let stored = Stored {
        line,
        authors: krate.authors,
        description: description.clone(),
        documentation: krate.documentation,
        homepage: krate.homepage,
        repository: krate.repository,
        license: krate.license,
        license_file: krate.license_file,
        keywords: krate.keywords,
        categories: krate.categories,
    };
    let published = state
        .registry
        .publish(
            actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Cargo,
                name: krate.name.clone(),
                version: krate.vers.clone(),
                metadata: serde_json::to_value(&stored).map_err(internal)?,
                files: vec![StagedFile {
                    name: format!("{}-{}.crate", krate.name, krate.vers),
                    blob: blob.clone(),
                    content_type: Some("application/gzip".into()),
                }],
                tags: Vec::new(),
                repository: plan.repository.clone(),
                description,
                readme,
            },
        )
        .await;
    let (package, _) = match published {
        Ok(p) => p,
        Err(ServiceError::Conflict(_)) => {
            return Err(CargoError::new(
                StatusCode::CONFLICT,
                format!("crate version `{}` is already uploaded", krate.vers),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut other = Vec::new();
    match plan.repository {
        Some(repo) => {
            state.registry.connect_repository(&package, &repo).await?;
        }
        None if package.repository_id.is_none() => other.extend(plan.unconnected),
        None => {}
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "warnings": { "invalid_categories": [], "invalid_badges": [], "other": other } }),
        false,
    ))
}

/// `cargo yank` and `cargo yank --undo`: a flag on the version, which
/// stays downloadable; new resolutions skip it. Admins only (`Delete`, as
/// NuGet's unlist), with `delete:packages`.
async fn set_yanked(
    state: &AppState,
    actor: &Actor,
    login: &str,
    name: &str,
    version: &str,
    yanked: bool,
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = owner_account(state, actor, login).await?;
    let package = readable_crate(state, actor, &owner, name).await?;
    state
        .registry
        .authorize_package(actor, Action::Delete, &package)
        .await?;
    let v = state
        .registry
        .meta
        .version(package.id, version)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| {
            CargoError::not_found(format!(
                "crate `{}` does not have a version `{version}`",
                package.name
            ))
        })?;
    let mut stored: Stored = serde_json::from_value(v.metadata.clone()).map_err(internal)?;
    if stored.line.yanked != yanked {
        stored.line.yanked = yanked;
        state
            .registry
            .update_version_metadata(
                actor,
                &package,
                &v,
                serde_json::to_value(&stored).map_err(internal)?,
                if yanked {
                    "version.yank"
                } else {
                    "version.unyank"
                },
            )
            .await?;
    }
    Ok(json_response(StatusCode::OK, &json!({ "ok": true }), false))
}

fn user_json(account: &Account) -> Value {
    json!({ "id": account.id, "login": account.login, "name": account.name })
}

/// `cargo owner --list`: the crate's admins, the owning account first,
/// then everyone granted admin on the crate.
async fn list_owners(state: &AppState, actor: &Actor, login: &str, name: &str) -> Result<Response> {
    let owner = owner_account(state, actor, login).await?;
    let package = readable_crate(state, actor, &owner, name).await?;
    let mut users = vec![user_json(&owner)];
    for (user_id, role) in state.registry.meta.package_roles(package.id).await? {
        if role == Role::Admin
            && user_id != owner.id
            && let Some(account) = state.registry.meta.account_by_id(user_id).await?
        {
            users.push(user_json(&account));
        }
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "users": users }),
        false,
    ))
}

#[derive(serde::Deserialize)]
struct OwnersRequest {
    users: Vec<String>,
}

/// `cargo owner --add` and `--remove`: grants or takes back admin on the
/// crate (the package settings' access list). The owning account is an
/// owner by ownership and cannot be removed.
async fn change_owners(
    state: &AppState,
    actor: &Actor,
    login: &str,
    name: &str,
    body: Body,
    add: bool,
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = owner_account(state, actor, login).await?;
    let package = readable_crate(state, actor, &owner, name).await?;
    let bytes = axum::body::to_bytes(body, MAX_OWNERS_BODY)
        .await
        .map_err(|_| CargoError::bad("the owners request is too large"))?;
    let request: OwnersRequest = serde_json::from_slice(&bytes)
        .map_err(|e| CargoError::bad(format!("the owners request is not valid: {e}")))?;
    if request.users.is_empty() {
        return Err(CargoError::bad("no users named"));
    }
    for user in &request.users {
        if user.eq_ignore_ascii_case(&owner.login) {
            if add {
                continue;
            }
            return Err(CargoError::bad(format!(
                "`{}` owns the registry `{}` and stays an owner of its crates",
                owner.login, owner.login
            )));
        }
        state
            .registry
            .set_package_access(actor, &package, user, add.then_some(Role::Admin))
            .await?;
    }
    // Cargo prints the message after "Owner".
    let msg = format!(
        "{} {} crate `{}` (admin on the package)",
        request.users.join(", "),
        if add { "added to" } else { "removed from" },
        package.name
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({ "ok": true, "msg": msg }),
        false,
    ))
}

/// The version `cargo search` shows: the newest release not yanked, else
/// the newest prerelease not yanked, else the newest.
fn max_version(versions: &[entrepot_core::Version]) -> Option<String> {
    let parsed: Vec<(semver::Version, bool)> = versions
        .iter()
        .filter_map(|v| {
            let yanked = v
                .metadata
                .get("yanked")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            semver::Version::parse(&v.name).ok().map(|s| (s, yanked))
        })
        .collect();
    let newest = |keep: &dyn Fn(&(semver::Version, bool)) -> bool| {
        parsed
            .iter()
            .filter(|p| keep(p))
            .map(|(v, _)| v)
            .max()
            .map(ToString::to_string)
    };
    newest(&|(v, y)| !y && v.pre.is_empty())
        .or_else(|| newest(&|(_, y)| !y))
        .or_else(|| newest(&|_| true))
}

/// `cargo search`: the owner's crates the caller may read whose name or
/// description contains the query, exact names first.
async fn search(
    state: &AppState,
    actor: &Actor,
    login: &str,
    query: Option<&str>,
) -> Result<Response> {
    let owner = owner_account(state, actor, login).await?;
    let fields = form_fields(query.unwrap_or(""));
    let q = fields
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    let per_page: usize = fields
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let page: usize = fields
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let canonical_q = names::canonical(&q);
    let mut hits = Vec::new();
    for package in crates_of(state, &owner).await? {
        let matches = q.is_empty()
            || names::canonical(&package.name).contains(&canonical_q)
            || package
                .description
                .as_deref()
                .is_some_and(|d| d.to_lowercase().contains(&q));
        if !matches || !state.registry.can_read(actor, &package).await? {
            continue;
        }
        let versions = state.registry.meta.versions(package.id, false).await?;
        if let Some(max) = max_version(&versions) {
            let exact = names::canonical(&package.name) == canonical_q;
            hits.push((!exact, package.name, max, package.description));
        }
    }
    hits.sort();
    let total = hits.len();
    let crates: Vec<Value> = hits
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|(_, name, max_version, description)| {
            json!({ "name": name, "max_version": max_version, "description": description })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "crates": crates, "meta": { "total": total } }),
        false,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, yanked: bool) -> entrepot_core::Version {
        let t = Utc::now();
        entrepot_core::Version {
            id: 1,
            package_id: 1,
            name: name.into(),
            metadata: json!({ "yanked": yanked }),
            publisher_id: None,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        }
    }

    #[test]
    fn search_shows_the_newest_release_not_yanked() {
        let vs = [
            version("1.0.0", false),
            version("1.2.0", true),
            version("1.1.0", false),
            version("2.0.0-rc.1", false),
        ];
        assert_eq!(max_version(&vs).as_deref(), Some("1.1.0"));
        assert_eq!(
            max_version(&[version("2.0.0-rc.1", false)]).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(
            max_version(&[version("1.0.0", true)]).as_deref(),
            Some("1.0.0")
        );
    }

    #[test]
    fn validators_answer_conditional_requests() {
        let file = IndexFile {
            body: Bytes::from_static(b"{}\n"),
            etag: "\"abc\"".into(),
            last_modified: DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678Z")
                .unwrap()
                .with_timezone(&Utc),
        };
        let headers = |k: header::HeaderName, v: &str| {
            let mut h = HeaderMap::new();
            h.insert(k, HeaderValue::from_str(v).unwrap());
            h
        };
        assert!(not_modified(
            &headers(header::IF_NONE_MATCH, "\"abc\""),
            &file
        ));
        assert!(!not_modified(
            &headers(header::IF_NONE_MATCH, "\"abd\""),
            &file
        ));
        let date = http_date(file.last_modified);
        assert_eq!(date, "Fri, 02 Jan 2026 03:04:05 GMT");
        assert!(not_modified(
            &headers(header::IF_MODIFIED_SINCE, &date),
            &file
        ));
        assert!(!not_modified(
            &headers(header::IF_MODIFIED_SINCE, "Fri, 02 Jan 2026 03:04:04 GMT"),
            &file
        ));
    }
}

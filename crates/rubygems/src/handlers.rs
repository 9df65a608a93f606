//! The RubyGems endpoints under `BASE/rubygems/OWNER/`, with plain-text
//! errors (what `gem` prints) and a `Basic` challenge when credentials are
//! missing, since gem and Bundler send them only once asked.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use entrepot_core::{Actor, Package, PackageType, Scopes};
use entrepot_http::error::{Challenge, PlainError};
use entrepot_http::owner::{OwnerRequest, form_fields, unseen, visible_packages};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;
use futures::TryStreamExt;
use serde_json::{Value, json};
use sha2::Digest;

use crate::gem::read_gem;
use crate::index::{self, Entry, Index};
use crate::spec::{GemSpec, requirement_text};
use crate::version::{compare, is_prerelease};

/// How gem and Bundler are asked for credentials.
#[derive(Debug)]
pub struct GemChallenge;

impl Challenge for GemChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot RubyGems\"";
}

/// An error as gem and Bundler show it: the status and a line of text.
pub type GemError = PlainError<GemChallenge>;

type Result<T> = std::result::Result<T, GemError>;

/// An owner's index as one caller may see it, with its renderings made
/// once on first use.
#[derive(Default)]
pub struct Rendered {
    index: Index,
    versions: OnceLock<Bytes>,
    names: OnceLock<Bytes>,
    specs: [OnceLock<Bytes>; 3],
    infos: Mutex<HashMap<String, Bytes>>,
}

/// Rendered indexes by owner and by the exact set of packages (and their
/// last change) the caller may see: a publish, yank or permission change
/// makes a new key, so nothing stale is ever served.
pub type Indexes = entrepot_http::cache::Renderings<(i64, u64), Arc<Rendered>, MAX_CACHED_INDEXES>;

const MAX_CACHED_INDEXES: usize = 512;

pub async fn handle(
    state: AppState,
    indexes: Arc<Indexes>,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    // `gem signin` sends a password, which is not a token.
    if request.path == "api/v1/api_key" {
        return api_key(&state, &request.headers, request.client)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    let actor = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return GemError::from(e.0).into_response(),
    };
    route(&state, &indexes, &actor, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn route(
    state: &AppState,
    indexes: &Indexes,
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
    let read = method == Method::GET || method == Method::HEAD;
    let head = method == Method::HEAD;
    let params = form_fields(query.as_deref().unwrap_or(""));
    match path.as_str() {
        "" if read => {
            // `gem` probes the source root and uses the compact index when it answers.
            state.registry.account(&owner).await?;
            Ok(text_response(head, "Entrepot RubyGems source\n".into()))
        }
        "api/v1/gems" if method == Method::POST => push(state, actor, &owner, body).await,
        "api/v1/gems/yank" if method == Method::DELETE => {
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .map_err(|_| GemError::new(StatusCode::BAD_REQUEST, "the form is too large"))?;
            let mut fields = params;
            fields.extend(form_fields(&String::from_utf8_lossy(&bytes)));
            yank(state, actor, &owner, &fields).await
        }
        _ if !read => Err(GemError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed",
        )),
        _ => {
            read_route(
                state, indexes, actor, &owner, &path, &params, &headers, head,
            )
            .await
        }
    }
}

/// The reads; paths are matched case-sensitively, as the protocol's are.
#[allow(
    clippy::case_sensitive_file_extension_comparisons,
    clippy::too_many_arguments
)]
async fn read_route(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
    path: &str,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let owner = owner.to_owned();
    match path {
        "versions" | "names" => {
            let rendered = rendered(state, indexes, actor, &owner).await?;
            let body = if path == "versions" {
                rendered
                    .versions
                    .get_or_init(|| rendered.index.versions().into())
            } else {
                rendered.names.get_or_init(|| rendered.index.names().into())
            };
            Ok(compact(body, headers, head))
        }
        p if p.starts_with("info/") => {
            let name = &p["info/".len()..];
            let rendered = rendered(state, indexes, actor, &owner).await?;
            let cached = rendered
                .infos
                .lock()
                .expect("info cache")
                .get(name)
                .cloned();
            let body = if let Some(b) = cached {
                b
            } else {
                let b: Bytes = rendered
                    .index
                    .info(name)
                    .ok_or_else(|| missing(actor, name))?
                    .into();
                let mut infos = rendered.infos.lock().expect("info cache");
                infos.insert(name.to_owned(), b.clone());
                b
            };
            Ok(compact(&body, headers, head))
        }
        "specs.4.8.gz" | "latest_specs.4.8.gz" | "prerelease_specs.4.8.gz" => {
            let rendered = rendered(state, indexes, actor, &owner).await?;
            let (slot, prerelease, latest) = match path {
                "specs.4.8.gz" => (0, false, false),
                "latest_specs.4.8.gz" => (1, false, true),
                _ => (2, true, false),
            };
            let body = rendered.specs[slot]
                .get_or_init(|| rendered.index.specs(prerelease, latest).into())
                .clone();
            Ok(binary(head, "application/octet-stream", body))
        }
        p if p.starts_with("quick/Marshal.4.8/") && p.ends_with(".gemspec.rz") => {
            let stem = &p["quick/Marshal.4.8/".len()..p.len() - ".gemspec.rz".len()];
            let rendered = rendered(state, indexes, actor, &owner).await?;
            let entry = rendered
                .index
                .find(stem)
                .ok_or_else(|| missing(actor, stem))?;
            Ok(binary(
                head,
                "application/octet-stream",
                index::quick_spec(&entry.spec).into(),
            ))
        }
        p if p.starts_with("gems/") && p.ends_with(".gem") => {
            let stem = &p["gems/".len()..p.len() - ".gem".len()];
            download(state, indexes, actor, &owner, stem, headers, head).await
        }
        p if p.starts_with("api/v1/") => {
            api_read(state, indexes, actor, &owner, p, params, head).await
        }
        _ => Err(GemError::not_found("Not Found")),
    }
}

/// rubygems.org's API: the dependency API and the JSON documents.
#[allow(clippy::case_sensitive_file_extension_comparisons)]
async fn api_read(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
    path: &str,
    params: &HashMap<String, String>,
    head: bool,
) -> Result<Response> {
    let owner = owner.to_owned();
    match path {
        "api/v1/dependencies" | "api/v1/dependencies.json" => {
            let names: Vec<&str> = params
                .get("gems")
                .map(|g| g.split(',').filter(|n| !n.is_empty()).take(200).collect())
                .unwrap_or_default();
            if names.is_empty() {
                // Bundler asks without names to learn whether the API exists.
                return Ok(binary(head, "application/octet-stream", Bytes::new()));
            }
            let rendered = rendered(state, indexes, actor, &owner).await?;
            let deps = rendered.index.dependencies(&names);
            if path.ends_with(".json") {
                let list: Vec<Value> = deps
                    .iter()
                    .map(|(s, d)| {
                        json!({ "name": s.name, "number": s.version, "platform": s.platform, "dependencies": d })
                    })
                    .collect();
                Ok(axum::Json(list).into_response())
            } else {
                Ok(binary(
                    head,
                    "application/octet-stream",
                    index::dependencies_marshal(&deps).into(),
                ))
            }
        }
        p if p.starts_with("api/v1/gems/") && p.ends_with(".json") => {
            let name = &p["api/v1/gems/".len()..p.len() - ".json".len()];
            gem_json(state, indexes, actor, &owner, name).await
        }
        p if p.starts_with("api/v1/versions/") && p.ends_with(".json") => {
            let name = &p["api/v1/versions/".len()..p.len() - ".json".len()];
            if let Some(name) = name.strip_suffix("/latest") {
                let rendered = rendered(state, indexes, actor, &owner).await?;
                let latest = latest(rendered.index.gems.get(name).map_or(&[][..], Vec::as_slice));
                return Ok(axum::Json(
                    json!({ "version": latest.map_or("unknown".to_owned(), |e| e.spec.version.clone()) }),
                )
                .into_response());
            }
            versions_json(state, indexes, actor, &owner, name).await
        }
        _ => Err(GemError::not_found("Not Found")),
    }
}

/// A gem the caller cannot see: 401 asks anonymous callers to sign in, as
/// for a private gem; signed-in ones get 404.
fn missing(actor: &Actor, what: &str) -> GemError {
    unseen(actor, format!("Could not find {what}")).into()
}

fn text_response(head: bool, body: String) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn binary(head: bool, content_type: &'static str, body: Bytes) -> Response {
    let length = body.len();
    let mut response = if head {
        Body::empty().into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// A compact index file: `ETag` is the quoted MD5 of the whole file (what
/// Bundler checks after appending a range), `Range: bytes=N-` gets the
/// tail, and `Repr-Digest` names the whole file's SHA-256.
fn compact(body: &Bytes, headers: &HeaderMap, head: bool) -> Response {
    let etag = format!("\"{}\"", index::md5_hex(body));
    let len = body.len();
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let start = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match start {
            Some(s) if s >= len => {
                let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                r.headers_mut().insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{len}")).expect("digits"),
                );
                return r;
            }
            Some(s) if s > 0 => {
                let mut r = binary(head, "text/plain; charset=utf-8", body.slice(s..));
                *r.status_mut() = StatusCode::PARTIAL_CONTENT;
                r.headers_mut().insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes {s}-{}/{len}", len - 1)).expect("digits"),
                );
                r
            }
            _ => binary(head, "text/plain; charset=utf-8", body.clone()),
        }
    };
    let sha256 = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(body));
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{sha256}:")) {
        h.insert("repr-digest", v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256={sha256}")) {
        h.insert("digest", v);
    }
    response
}

/// The owner's index as `actor` may see it. An anonymous caller who may
/// see none of the owner's gems is asked to sign in, so that gem and
/// Bundler retry with the credentials they hold; one who may see some gets
/// those (and 401 for any other gem it names).
async fn rendered(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
) -> Result<Arc<Rendered>> {
    let registry = &state.registry;
    let Some(account) = registry.meta.account_by_login(owner).await? else {
        return Err(missing(actor, owner));
    };
    let visible = visible_packages(state, actor, &account, PackageType::Rubygems).await?;
    let mut hasher = std::hash::DefaultHasher::new();
    for p in &visible {
        std::hash::Hash::hash(&(p.id, p.updated_at.timestamp_micros()), &mut hasher);
    }
    let key = (account.id, std::hash::Hasher::finish(&hasher));
    if let Some(hit) = indexes.get(&key) {
        return Ok(hit);
    }
    let mut index = Index {
        since: Some(account.created_at),
        gems: std::collections::BTreeMap::new(),
    };
    for package in &visible {
        let (entries, unreadable) = entries_of(registry, package).await?;
        for v in unreadable {
            tracing::warn!(version = v.id, "a gem version without a readable spec");
        }
        index.gems.insert(package.name.clone(), entries);
    }
    let rendered = Arc::new(Rendered {
        index,
        ..Rendered::default()
    });
    indexes.put(key, Arc::clone(&rendered));
    Ok(rendered)
}

/// A gem's versions, yanked ones included, as the indexes show them; and
/// those left out because their spec cannot be read.
pub(crate) async fn entries_of(
    registry: &entrepot_service::Registry,
    package: &Package,
) -> entrepot_service::ServiceResult<(Vec<Entry>, Vec<entrepot_core::Version>)> {
    let mut entries = Vec::new();
    let mut unreadable = Vec::new();
    for v in registry.meta.versions(package.id, true).await? {
        match serde_json::from_value::<GemSpec>(v.metadata.clone()) {
            Ok(spec) => entries.push(Entry {
                spec,
                id: v.id,
                published_at: v.created_at,
                yanked_at: v.deleted_at,
            }),
            Err(_) => unreadable.push(v),
        }
    }
    Ok((entries, unreadable))
}

async fn download(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
    stem: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let rendered = rendered(state, indexes, actor, owner).await?;
    let entry = rendered
        .index
        .find(stem)
        .ok_or_else(|| missing(actor, stem))?;
    let response = match entrepot_http::download::serve_blob(
        state,
        &entry.spec.sha256,
        headers,
        "application/octet-stream",
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
    if response.status() == StatusCode::OK
        && !head
        && let Some(version) = state.registry.meta.version_by_id(entry.id).await?
    {
        state.registry.count_download(&version);
    }
    Ok(response)
}

/// `gem push`: the `.gem` is streamed into the blob store, read back once
/// to load its gemspec and check its checksums, then published; a refused
/// gem leaves nothing behind.
async fn push(state: &AppState, actor: &Actor, owner: &str, body: Body) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner_account = state.registry.account(owner).await?;
    let stream = Box::pin(
        body.into_data_stream()
            .map_err(|e| std::io::Error::other(e.to_string())),
    );
    let blob = state
        .registry
        .store_blob(stream, Expected::default())
        .await?;
    let result = publish_gem(state, actor, &owner_account, &blob).await;
    if result.is_err() {
        let _ = state.registry.discard_upload(&blob.sha256).await;
    }
    result
}

async fn publish_gem(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    blob: &entrepot_store::BlobInfo,
) -> Result<Response> {
    let read = state.registry.blobs.get(&blob.sha256, None).await?;
    let handle = tokio::runtime::Handle::current();
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(read.stream),
        handle,
    );
    let contents = tokio::task::spawn_blocking(move || read_gem(std::io::BufReader::new(reader)))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|m| GemError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let mut spec = contents.spec;
    spec.sha256.clone_from(&blob.sha256);
    let repository = match spec.metadata.get("github_repo") {
        Some(url) => entrepot_http::repo_link::resolve(state, url, &owner.login).await?,
        // GitHub's default: the owner's repository named like the gem.
        None => state.registry.meta.repository(owner.id, &spec.name).await?,
    };
    let description = spec.summary.clone().or_else(|| spec.description.clone());
    let readme = contents.readme.or_else(|| spec.description.clone());
    let metadata =
        serde_json::to_value(&spec).map_err(|e| ServiceError::Internal(e.to_string()))?;
    let published = state
        .registry
        .publish(
            actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Rubygems,
                name: spec.name.clone(),
                version: spec.full_version(),
                metadata,
                files: vec![StagedFile {
                    name: format!("{}.gem", spec.full_name()),
                    blob: blob.clone(),
                    content_type: Some("application/octet-stream".into()),
                }],
                tags: Vec::new(),
                repository: repository.clone(),
                description,
                readme,
            },
        )
        .await;
    let (package, _) = match published {
        Ok(p) => p,
        Err(ServiceError::Conflict(_)) => {
            return Err(GemError::new(
                StatusCode::CONFLICT,
                format!(
                    "Repushing of gem versions is not allowed: {} exists.\nPlease bump the version number and push a new release.",
                    spec.full_name()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(repo) = repository {
        state.registry.connect_repository(&package, &repo).await?;
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "Successfully registered gem: {} ({})",
            spec.name,
            spec.full_version()
        ),
    )
        .into_response())
}

/// `gem yank`: the version is deleted (restorable for the retention
/// period); yanking the last one deletes the gem.
async fn yank(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    fields: &HashMap<String, String>,
) -> Result<Response> {
    let field = |k: &str| fields.get(k).map_or("", String::as_str);
    let (name, number, platform) = (field("gem_name"), field("version"), field("platform"));
    if name.is_empty() || number.is_empty() {
        return Err(GemError::new(
            StatusCode::BAD_REQUEST,
            "gem_name and version are required",
        ));
    }
    let package: Package = state
        .registry
        .readable_package(actor, owner, PackageType::Rubygems, name)
        .await?;
    let full = if platform.is_empty() || platform == "ruby" {
        number.to_owned()
    } else {
        format!("{number}-{platform}")
    };
    let live = state.registry.meta.versions(package.id, false).await?;
    let Some(version) = live.iter().find(|v| v.name == full) else {
        return Err(GemError::not_found(format!(
            "The version {full} does not exist for {name}."
        )));
    };
    if live.len() == 1 {
        state.registry.delete_package(actor, &package).await?;
    } else {
        state
            .registry
            .delete_version(actor, &package, version)
            .await?;
    }
    Ok(text_response(
        false,
        format!("Successfully deleted gem: {name} ({full})"),
    ))
}

/// `gem signin`: a user name and password (HTTP Basic) buy a new key with
/// the package scopes, as `npm login` does.
async fn api_key(
    state: &AppState,
    headers: &HeaderMap,
    from: Option<std::net::IpAddr>,
) -> Result<Response> {
    let decoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(ServiceError::Unauthenticated.into());
    };
    let scopes =
        Scopes::parse_list("read:packages,write:packages,delete:packages").expect("known scopes");
    let actor = state
        .registry
        .check_password(login, password, from, scopes)
        .await?;
    let login = actor.login().unwrap_or(login).to_owned();
    let issued = state
        .registry
        .create_token(&login, scopes, None, Some("gem signin".into()))
        .await?;
    Ok(text_response(false, issued.secret))
}

/// The newest live release, or the newest prerelease when there is none.
fn latest(entries: &[Entry]) -> Option<&Entry> {
    let newest = |pre: bool| {
        entries
            .iter()
            .filter(|e| e.live() && is_prerelease(&e.spec.version) == pre)
            .max_by(|a, b| compare(&a.spec.version, &b.spec.version).then(a.id.cmp(&b.id)))
    };
    newest(false).or_else(|| newest(true))
}

async fn downloads_by_version(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    name: &str,
) -> Result<(Package, HashMap<i64, i64>)> {
    let package = state
        .registry
        .readable_package(actor, owner, PackageType::Rubygems, name)
        .await?;
    let mut counts = HashMap::new();
    for day in state.registry.downloads(&package).await? {
        *counts.entry(day.version_id).or_insert(0) += day.count;
    }
    Ok((package, counts))
}

fn requirements_json(spec: &GemSpec, kind: &str) -> Vec<Value> {
    spec.dependencies
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| json!({ "name": d.name, "requirements": requirement_text(&d.requirements, ", ") }))
        .collect()
}

/// `/api/v1/gems/NAME.json`, shaped like rubygems.org's.
async fn gem_json(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
    name: &str,
) -> Result<Response> {
    let (package, counts) = downloads_by_version(state, actor, owner, name).await?;
    let rendered = rendered(state, indexes, actor, owner).await?;
    let entries = rendered.index.gems.get(name).map_or(&[][..], Vec::as_slice);
    let entry = latest(entries).ok_or_else(|| missing(actor, name))?;
    let spec = &entry.spec;
    let meta = |k: &str| spec.metadata.get(k);
    let segment = match state.registry.account(owner).await?.kind {
        entrepot_core::AccountKind::Organization => "orgs",
        entrepot_core::AccountKind::User => "users",
    };
    let source = format!(
        "/rubygems/{}/gems/{}.gem",
        package.owner_login,
        spec.full_name()
    );
    Ok(axum::Json(json!({
        "name": spec.name,
        "downloads": counts.values().sum::<i64>(),
        "version": spec.version,
        "version_created_at": entry.published_at,
        "version_downloads": counts.get(&entry.id).copied().unwrap_or(0),
        "platform": spec.platform,
        "authors": spec.authors.join(", "),
        "info": spec.description.clone().or_else(|| spec.summary.clone()),
        "licenses": spec.licenses,
        "metadata": spec.metadata,
        "yanked": false,
        "sha": spec.sha256,
        "project_uri": state.config.url(&format!("/{segment}/{}/packages/rubygems/package/{}", package.owner_login, package.name)),
        "gem_uri": state.config.url(&source),
        "homepage_uri": spec.homepage,
        "wiki_uri": meta("wiki_uri"),
        "documentation_uri": meta("documentation_uri"),
        "mailing_list_uri": meta("mailing_list_uri"),
        "source_code_uri": meta("source_code_uri"),
        "bug_tracker_uri": meta("bug_tracker_uri"),
        "changelog_uri": meta("changelog_uri"),
        "funding_uri": meta("funding_uri"),
        "dependencies": {
            "development": requirements_json(spec, "development"),
            "runtime": requirements_json(spec, "runtime"),
        },
    }))
    .into_response())
}

/// `/api/v1/versions/NAME.json`: every live version, newest first.
async fn versions_json(
    state: &AppState,
    indexes: &Indexes,
    actor: &Actor,
    owner: &str,
    name: &str,
) -> Result<Response> {
    let (_, counts) = downloads_by_version(state, actor, owner, name).await?;
    let rendered = rendered(state, indexes, actor, owner).await?;
    let mut entries: Vec<&Entry> = rendered
        .index
        .gems
        .get(name)
        .map(|e| e.iter().filter(|e| e.live()).collect())
        .unwrap_or_default();
    entries.sort_by(|a, b| compare(&b.spec.version, &a.spec.version).then(b.id.cmp(&a.id)));
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let s = &e.spec;
            json!({
                "authors": s.authors.join(", "),
                "built_at": s.date,
                "created_at": e.published_at,
                "description": s.description,
                "downloads_count": counts.get(&e.id).copied().unwrap_or(0),
                "metadata": s.metadata,
                "number": s.version,
                "summary": s.summary,
                "platform": s.platform,
                "rubygems_version": requirement_text(&s.required_rubygems_version, ", "),
                "ruby_version": requirement_text(&s.required_ruby_version, ", "),
                "prerelease": is_prerelease(&s.version),
                "licenses": s.licenses,
                "requirements": [],
                "sha": s.sha256,
            })
        })
        .collect();
    Ok(axum::Json(list).into_response())
}

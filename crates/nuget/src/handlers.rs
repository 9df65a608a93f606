//! The NuGet endpoints under `BASE/nuget/OWNER/`: the v3 resources, push,
//! unlist and relist, symbol packages, and the v2 feed. Errors are plain
//! text with the status NuGet prints; a missing credential gets a `Basic`
//! challenge, since NuGet sends `nuget.config` credentials only after one.

use std::collections::HashMap;
use std::io::{Seek, SeekFrom, Write};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Action, Actor, Package, PackageType};
use entrepot_http::error::{Challenge, PlainError};
use entrepot_http::owner::{OwnerRequest, form_fields, unseen, visible_packages};
use entrepot_http::spool::{store_spooled, temp_file};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::auth::Credential;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::feed::{self, Hive, Item, Stored, Urls};
use crate::odata;
use crate::package::{self, Contents};
use crate::version::NuGetVersion;

/// How NuGet is asked for the credentials of its `nuget.config`.
#[derive(Debug)]
pub struct NuGetChallenge;

impl Challenge for NuGetChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot NuGet\"";
}

/// An error as NuGet prints it: the status and a line of text.
pub type NuGetError = PlainError<NuGetChallenge>;

pub type Result<T> = std::result::Result<T, NuGetError>;

/// Who is calling: the `Authorization` header, else the push key NuGet
/// sends in `X-NuGet-ApiKey` (alone, or beside empty Basic credentials).
async fn actor_of(
    state: &AppState,
    caller: std::result::Result<Caller, ApiError>,
    headers: &HeaderMap,
) -> Result<Actor> {
    let key = headers
        .get("x-nuget-apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    match (caller, key) {
        (Ok(Caller(actor @ Actor::User { .. })), _) | (Ok(Caller(actor)), None) => Ok(actor),
        (_, Some(key)) => Ok(state
            .registry
            .authenticate(&Credential::Token(key.to_owned()))
            .await?),
        (Err(e), None) => Err(e.0.into()),
    }
}

pub async fn handle(
    state: AppState,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let actor = match actor_of(&state, caller, &request.headers).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    route(&state, &actor, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

pub fn urls(state: &AppState, owner: &entrepot_core::Account) -> Urls {
    let segment = match owner.kind {
        entrepot_core::AccountKind::Organization => "orgs",
        entrepot_core::AccountKind::User => "users",
    };
    Urls {
        feed: state.config.url(&format!("/nuget/{}", owner.login)),
        page: state.config.url(&format!(
            "/{segment}/{}/packages/nuget/package/PACKAGE_ID",
            owner.login
        )),
    }
}

async fn route(state: &AppState, actor: &Actor, request: OwnerRequest) -> Result<Response> {
    let OwnerRequest {
        method,
        owner,
        path,
        query,
        headers,
        body,
        ..
    } = request;
    let Some(account) = state.registry.meta.account_by_login(&owner).await? else {
        return Err(missing(actor));
    };
    let urls = urls(state, &account);
    let fields = form_fields(query.as_deref().unwrap_or(""));
    let head = method == Method::HEAD;
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method.clone(), segments.as_slice()) {
        (Method::GET | Method::HEAD, ["index.json"]) => {
            Ok(json_response(&feed::service_index(&urls), false, &headers))
        }
        (Method::PUT, ["api", "v2", "package"]) => {
            push(state, actor, &account, &headers, body, false).await
        }
        (Method::PUT, ["api", "v2", "symbolpackage"]) => {
            push(state, actor, &account, &headers, body, true).await
        }
        (Method::DELETE, ["api", "v2", "package", id, version]) => {
            set_listed(state, actor, &owner, id, version, false).await
        }
        (Method::POST, ["api", "v2", "package", id, version]) => {
            set_listed(state, actor, &owner, id, version, true).await
        }
        (Method::GET | Method::HEAD, ["api", "v2", "package", id, version]) => {
            let lid = id.to_ascii_lowercase();
            let lver = NuGetVersion::parse(version)
                .map(|v| v.key())
                .ok_or_else(|| NuGetError::not_found("no such version"))?;
            let name = format!("{lid}.{lver}.nupkg");
            flat_file(state, actor, &owner, &lid, &lver, &name, &headers, head).await
        }
        (Method::GET | Method::HEAD, ["api", "v2", rest @ ..]) => {
            odata::handle(state, actor, &account, &urls, rest, &fields).await
        }
        (Method::GET | Method::HEAD, ["v3", "flat", id, "index.json"]) => {
            let lid = id.to_ascii_lowercase();
            let (_, items) = load(state, actor, &owner, &lid).await?;
            let versions: Vec<String> = items.iter().map(Item::lower_version).collect();
            Ok(json_response(
                &json!({ "versions": versions }),
                false,
                &headers,
            ))
        }
        (Method::GET | Method::HEAD, ["v3", "flat", id, version, file]) => {
            let lid = id.to_ascii_lowercase();
            let lver = version.to_ascii_lowercase();
            flat_file(state, actor, &owner, &lid, &lver, file, &headers, head).await
        }
        (Method::GET | Method::HEAD, ["v3", hive, id, rest @ ..])
            if Hive::from_path(hive).is_some() =>
        {
            let hive = Hive::from_path(hive).expect("checked");
            registration(state, actor, &owner, &urls, hive, id, rest, &headers).await
        }
        (Method::GET | Method::HEAD, ["v3", "catalog", id, leaf]) => {
            let lid = id.to_ascii_lowercase();
            let lver = leaf
                .strip_suffix(".json")
                .unwrap_or(leaf)
                .to_ascii_lowercase();
            let (_, items) = load(state, actor, &owner, &lid).await?;
            let item = items
                .iter()
                .find(|i| i.lower_version() == lver)
                .ok_or_else(|| NuGetError::not_found("no such version"))?;
            let entry = feed::catalog_entry(&urls, Hive::SemVer2, &lid, item);
            Ok(json_response(&entry, false, &headers))
        }
        (Method::GET | Method::HEAD, ["v3", "readme", id, version]) => {
            let lid = id.to_ascii_lowercase();
            let lver = version.to_ascii_lowercase();
            flat_file(state, actor, &owner, &lid, &lver, "readme", &headers, head).await
        }
        (Method::GET | Method::HEAD, ["v3", "query"]) => {
            search(state, actor, &account, &urls, &fields, &headers).await
        }
        (Method::GET | Method::HEAD, ["v3", "autocomplete"]) => {
            autocomplete(state, actor, &account, &fields, &headers).await
        }
        _ => Err(NuGetError::not_found("Not Found")),
    }
}

/// 401 for anonymous callers (NuGet then sends its credentials), 404 for
/// signed-in ones.
pub fn missing(actor: &Actor) -> NuGetError {
    unseen(actor, "Not Found").into()
}

/// A JSON body, gzip-compressed when `gzip` and the client accepts it.
pub fn json_response(value: &Value, gzip: bool, headers: &HeaderMap) -> Response {
    let body = serde_json::to_vec(value).expect("JSON renders");
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut response = if gzip && accepts_gzip {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).expect("memory");
        let mut r = z.finish().expect("memory").into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        body.into_response()
    };
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

/// A package and its live versions (ascending), as `actor` may see them.
pub async fn load(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    lid: &str,
) -> Result<(Package, Vec<Item>)> {
    let package = state
        .registry
        .readable_package(actor, owner, PackageType::Nuget, lid)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => NuGetError::not_found(format!("{lid} was not found")),
            other => other.into(),
        })?;
    let items = items_of(state, &package).await?;
    Ok((package, items))
}

pub async fn items_of(state: &AppState, package: &Package) -> Result<Vec<Item>> {
    let mut downloads: HashMap<i64, i64> = HashMap::new();
    for day in state.registry.downloads(package).await? {
        *downloads.entry(day.version_id).or_insert(0) += day.count;
    }
    let mut items: Vec<Item> = state
        .registry
        .meta
        .versions(package.id, false)
        .await?
        .into_iter()
        .filter_map(|v| {
            let stored: Stored = serde_json::from_value(v.metadata).ok()?;
            let parsed = NuGetVersion::parse(&stored.nuspec.version)?;
            Some(Item {
                id: v.id,
                parsed,
                stored,
                published: v.created_at,
                downloads: downloads.get(&v.id).copied().unwrap_or(0),
            })
        })
        .collect();
    items.sort_by(|a, b| a.parsed.cmp(&b.parsed));
    Ok(items)
}

#[allow(clippy::too_many_arguments)]
async fn flat_file(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    lid: &str,
    lver: &str,
    file: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let package = state
        .registry
        .readable_package(actor, owner, PackageType::Nuget, lid)
        .await?;
    let version = state
        .registry
        .meta
        .version(package.id, lver)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let files = state.registry.meta.files(version.id).await?;
    let nupkg = format!("{lid}.{lver}.nupkg");
    let (stored, content_type) = match file {
        f if f == nupkg => (
            files.iter().find(|x| x.name == nupkg),
            "application/octet-stream",
        ),
        f if f == format!("{lid}.{lver}.snupkg") => (
            files.iter().find(|x| x.name == f),
            "application/octet-stream",
        ),
        f if f == format!("{lid}.nuspec") => {
            (files.iter().find(|x| x.name == f), "application/xml")
        }
        "icon" => (
            files.iter().find(|x| x.name.starts_with("icon/")),
            "application/octet-stream",
        ),
        "readme" => (
            files.iter().find(|x| x.name.starts_with("readme/")),
            "text/markdown; charset=utf-8",
        ),
        _ => (None, ""),
    };
    let stored = stored.ok_or_else(|| NuGetError::not_found(format!("{file} was not found")))?;
    let content_type = if file == "icon" {
        icon_type(&stored.name)
    } else {
        content_type
    };
    let response = match entrepot_http::download::serve_blob(
        state,
        &stored.sha256,
        headers,
        content_type,
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
    if file == nupkg && !head && response.status() == StatusCode::OK {
        state.registry.count_download(&version);
    }
    Ok(response)
}

#[allow(clippy::case_sensitive_file_extension_comparisons)] // lowercased first
fn icon_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "application/octet-stream"
    }
}

#[allow(clippy::too_many_arguments)]
async fn registration(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    urls: &Urls,
    hive: Hive,
    id: &str,
    rest: &[&str],
    headers: &HeaderMap,
) -> Result<Response> {
    let lid = id.to_ascii_lowercase();
    let (_, items) = load(state, actor, owner, &lid).await?;
    let shown: Vec<&Item> = items.iter().filter(|i| hive.includes(&i.parsed)).collect();
    if shown.is_empty() {
        return Err(NuGetError::not_found(format!("{lid} was not found")));
    }
    let gzip = hive != Hive::Plain;
    let doc = match rest {
        ["index.json"] => feed::registration_index(urls, hive, &lid, &shown),
        ["page", lower, upper] => {
            let upper = upper.strip_suffix(".json").unwrap_or(upper);
            feed::registration_page(urls, hive, &lid, &shown, lower, upper)
                .ok_or_else(|| NuGetError::not_found("no such page"))?
        }
        [leaf] => {
            let lver = leaf
                .strip_suffix(".json")
                .unwrap_or(leaf)
                .to_ascii_lowercase();
            let item = shown
                .iter()
                .find(|i| i.lower_version() == lver)
                .ok_or_else(|| NuGetError::not_found("no such version"))?;
            feed::registration_leaf(urls, hive, &lid, item)
        }
        _ => return Err(NuGetError::not_found("Not Found")),
    };
    Ok(json_response(&doc, gzip, headers))
}

/// The owner's NuGet packages `actor` may read.
pub async fn visible(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
) -> Result<Vec<Package>> {
    Ok(visible_packages(state, actor, owner, PackageType::Nuget).await?)
}

/// Whether a search or list shows `item`: listed, and within the
/// prerelease and SemVer level asked for.
pub fn shown(item: &Item, prerelease: bool, semver2: bool) -> bool {
    item.stored.listed
        && (prerelease || !item.parsed.is_prerelease())
        && (semver2 || !item.parsed.is_semver2())
}

fn flag(fields: &HashMap<String, String>, name: &str) -> bool {
    fields
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

fn matches_query(package: &Package, items: &[&Item], q: &str) -> bool {
    let Some(latest) = items.last() else {
        return false;
    };
    let n = &latest.stored.nuspec;
    let haystack = format!(
        "{} {} {} {} {}",
        n.id,
        n.title.clone().unwrap_or_default(),
        n.description,
        n.tags.join(" "),
        package.name
    )
    .to_ascii_lowercase();
    q.split_whitespace().all(|term| {
        let term = term.to_ascii_lowercase();
        let term = term
            .strip_prefix("id:")
            .or_else(|| term.strip_prefix("packageid:"))
            .unwrap_or(&term);
        haystack.contains(term)
    })
}

async fn search(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    urls: &Urls,
    fields: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response> {
    let q = fields.get("q").map_or("", String::as_str);
    let skip: usize = fields.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let take: usize = fields
        .get("take")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .min(1000);
    let prerelease = flag(fields, "prerelease");
    let semver2 = fields
        .get("semVerLevel")
        .is_some_and(|v| v.starts_with('2'));
    let mut hits = Vec::new();
    for package in visible(state, actor, owner).await? {
        let items = items_of(state, &package).await?;
        let shown_items: Vec<&Item> = items
            .iter()
            .filter(|i| shown(i, prerelease, semver2))
            .collect();
        if matches_query(&package, &shown_items, q)
            && let Some(hit) = feed::search_hit(urls, &package, &shown_items)
        {
            hits.push(hit);
        }
    }
    let total = hits.len();
    let data: Vec<Value> = hits.into_iter().skip(skip).take(take).collect();
    Ok(json_response(
        &json!({ "totalHits": total, "data": data }),
        false,
        headers,
    ))
}

async fn autocomplete(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    fields: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Response> {
    let prerelease = flag(fields, "prerelease");
    let semver2 = fields
        .get("semVerLevel")
        .is_some_and(|v| v.starts_with('2'));
    if let Some(id) = fields.get("id") {
        let (_, items) = load(state, actor, &owner.login, &id.to_ascii_lowercase()).await?;
        let versions: Vec<&str> = items
            .iter()
            .filter(|i| shown(i, prerelease, semver2))
            .map(|i| i.stored.nuspec.version.as_str())
            .collect();
        return Ok(json_response(
            &json!({ "totalHits": versions.len(), "data": versions }),
            false,
            headers,
        ));
    }
    let q = fields
        .get("q")
        .map(|q| q.to_ascii_lowercase())
        .unwrap_or_default();
    let skip: usize = fields.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let take: usize = fields
        .get("take")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .min(1000);
    let mut ids = Vec::new();
    for package in visible(state, actor, owner).await? {
        let items = items_of(state, &package).await?;
        if let Some(latest) = items.iter().rev().find(|i| shown(i, prerelease, semver2))
            && latest.stored.nuspec.id.to_ascii_lowercase().contains(&q)
        {
            ids.push(latest.stored.nuspec.id.clone());
        }
    }
    let total = ids.len();
    let data: Vec<String> = ids.into_iter().skip(skip).take(take).collect();
    Ok(json_response(
        &json!({ "totalHits": total, "data": data }),
        false,
        headers,
    ))
}

/// The `.nupkg` from a push body: the first part of a multipart form, or
/// the raw body, in a temporary file under the upload limit. The form is
/// cut out by hand because NuGet 2.x ends its part with a bare `\n` before
/// the closing boundary, which strict multipart parsers refuse.
async fn spool(headers: &HeaderMap, body: Body, limit: u64) -> Result<std::fs::File> {
    let internal = |e: std::io::Error| NuGetError::from(ServiceError::from(e));
    let (raw, mut out) = temp_file().await?;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    // The form's own bytes come on top of the package's.
    let allowed = limit + 64 * 1024;
    let mut written = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| NuGetError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        written += chunk.len() as u64;
        if written > allowed {
            return Err(NuGetError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the package exceeds the limit of {limit} bytes"),
            ));
        }
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .map_err(internal)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut out)
        .await
        .map_err(internal)?;
    let too_large = || {
        NuGetError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the package exceeds the limit of {limit} bytes"),
        )
    };
    let Some(boundary) = boundary else {
        return if written > limit {
            Err(too_large())
        } else {
            Ok(raw)
        };
    };
    let package = tokio::task::spawn_blocking(move || first_part(raw, &boundary, written))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|m| NuGetError::new(StatusCode::BAD_REQUEST, m))?;
    // The slack above was for the form; the package itself keeps the limit.
    let size = package.metadata().map_err(internal)?.len();
    if size > limit {
        return Err(too_large());
    }
    Ok(package)
}

/// Copies the body of a form's first part out of `raw` (`len` bytes).
fn first_part(
    mut raw: std::fs::File,
    boundary: &str,
    len: u64,
) -> std::result::Result<std::fs::File, String> {
    use std::io::Read as _;
    let io = |e: std::io::Error| format!("cannot read the upload: {e}");
    let delimiter = format!("--{boundary}");
    let mut head = vec![0u8; len.min(64 * 1024) as usize];
    raw.seek(SeekFrom::Start(0)).map_err(io)?;
    raw.read_exact(&mut head).map_err(io)?;
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let open = find(&head, delimiter.as_bytes()).ok_or("the form has no part")?;
    let rest = &head[open..];
    let headers_end = find(rest, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(rest, b"\n\n").map(|i| i + 2))
        .ok_or("the form's part has no end of headers")?;
    let start = (open + headers_end) as u64;
    let tail_len = len.saturating_sub(start).min(u64::from(u16::MAX));
    let mut tail = vec![0u8; tail_len as usize];
    raw.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    raw.read_exact(&mut tail).map_err(io)?;
    let close = tail
        .windows(delimiter.len())
        .rposition(|w| w == delimiter.as_bytes())
        .ok_or("the form is not closed")?;
    let mut end = len - tail_len + close as u64;
    for byte in [b'\n', b'\r'] {
        if end > start && tail.get((end - (len - tail_len)) as usize - 1) == Some(&byte) {
            end -= 1;
        }
    }
    if end <= start {
        return Err("the form's part is empty".into());
    }
    let mut part = tempfile::tempfile().map_err(io)?;
    raw.seek(SeekFrom::Start(start)).map_err(io)?;
    std::io::copy(&mut (&mut raw).take(end - start), &mut part).map_err(io)?;
    Ok(part)
}

async fn store_bytes(state: &AppState, bytes: Vec<u8>) -> Result<entrepot_store::BlobInfo> {
    Ok(state
        .registry
        .store_blob(entrepot_store::blob::stream_of(bytes), Expected::default())
        .await?)
}

/// `nuget push` (and symbol packages): spooled, read and checked, then the
/// package, its nuspec, README and icon are stored and the version
/// published; a refused package leaves nothing.
async fn push(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    headers: &HeaderMap,
    body: Body,
    symbols: bool,
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let mut file = spool(headers, body, state.registry.limits.max_upload_bytes).await?;
    let (file, contents) = tokio::task::spawn_blocking(move || {
        file.seek(SeekFrom::Start(0))?;
        let contents = package::read(&mut file);
        file.seek(SeekFrom::Start(0))?;
        Ok::<_, std::io::Error>((file, contents))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let contents = contents.map_err(|m| NuGetError::new(StatusCode::BAD_REQUEST, m))?;
    let blob = store_spooled(
        &state.registry,
        file,
        Expected {
            want_sha512: true,
            ..Expected::default()
        },
    )
    .await?;
    let mut stored = Vec::new();
    let result = if symbols {
        push_symbols(state, actor, owner, &contents, &blob).await
    } else {
        publish(state, actor, owner, contents, &blob, &mut stored).await
    };
    if result.is_err() {
        for sha in std::iter::once(&blob.sha256).chain(&stored) {
            let _ = state.registry.discard_upload(sha).await;
        }
    }
    result
}

async fn publish(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    contents: Contents,
    blob: &entrepot_store::BlobInfo,
    stored: &mut Vec<String>,
) -> Result<Response> {
    let n = contents.nuspec.clone();
    if n.package_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case("SymbolsPackage"))
    {
        return Err(NuGetError::new(
            StatusCode::BAD_REQUEST,
            "a symbol package is pushed to the symbol package resource",
        ));
    }
    let version = n.parsed_version();
    let lid = n.id.to_ascii_lowercase();
    let lver = version.key();
    let mut files = vec![StagedFile {
        name: format!("{lid}.{lver}.nupkg"),
        blob: blob.clone(),
        content_type: Some("application/octet-stream".into()),
    }];
    let (icon_file, readme_file) = stage_extras(state, &lid, &contents, &mut files, stored).await?;
    let repository = match &n.repository_url {
        Some(url) => entrepot_http::repo_link::resolve(state, url, &owner.login).await?,
        None => None,
    };
    let description =
        Some(n.summary.clone().unwrap_or_else(|| n.description.clone())).filter(|d| !d.is_empty());
    let readme = contents.readme.or_else(|| Some(n.description.clone()));
    let meta = Stored {
        listed: true,
        size: blob.size,
        sha512: blob.sha512.clone().unwrap_or_default(),
        icon_file,
        readme_file,
        nuspec: n.clone(),
    };
    let published = state
        .registry
        .publish(
            actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Nuget,
                name: lid.clone(),
                version: lver.clone(),
                metadata: serde_json::to_value(&meta)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
                files,
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
            return Err(NuGetError::new(
                StatusCode::CONFLICT,
                format!(
                    "Conflict: {} {} already exists and cannot be modified.",
                    n.id,
                    version.normalized()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(repo) = repository {
        state.registry.connect_repository(&package, &repo).await?;
    }
    Ok((StatusCode::CREATED, "Created").into_response())
}

/// Stores the nuspec, icon and README beside the package, as files of the
/// version; returns the icon's and README's file names.
async fn stage_extras(
    state: &AppState,
    lid: &str,
    contents: &Contents,
    files: &mut Vec<StagedFile>,
    stored: &mut Vec<String>,
) -> Result<(Option<String>, Option<String>)> {
    let nuspec_blob = store_bytes(state, contents.nuspec_bytes.clone()).await?;
    stored.push(nuspec_blob.sha256.clone());
    files.push(StagedFile {
        name: format!("{lid}.nuspec"),
        blob: nuspec_blob,
        content_type: Some("application/xml".into()),
    });
    let mut icon_file = None;
    if let Some((name, bytes)) = &contents.icon {
        let b = store_bytes(state, bytes.clone()).await?;
        stored.push(b.sha256.clone());
        icon_file = Some(format!("icon/{name}"));
        files.push(StagedFile {
            name: format!("icon/{name}"),
            blob: b,
            content_type: Some(icon_type(name).into()),
        });
    }
    let mut readme_file = None;
    if let Some(text) = &contents.readme {
        let b = store_bytes(state, text.clone().into_bytes()).await?;
        stored.push(b.sha256.clone());
        readme_file = Some("readme/README.md".to_owned());
        files.push(StagedFile {
            name: "readme/README.md".into(),
            blob: b,
            content_type: Some("text/markdown".into()),
        });
    }
    Ok((icon_file, readme_file))
}

async fn push_symbols(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    contents: &Contents,
    blob: &entrepot_store::BlobInfo,
) -> Result<Response> {
    let n = &contents.nuspec;
    let lid = n.id.to_ascii_lowercase();
    let lver = n.parsed_version().key();
    let package = state
        .registry
        .readable_package(actor, &owner.login, PackageType::Nuget, &lid)
        .await?;
    let exists = state
        .registry
        .meta
        .version(package.id, &lver)
        .await?
        .is_some_and(|v| v.deleted_at.is_none());
    if !exists {
        return Err(NuGetError::not_found(format!(
            "{} {} must be pushed before its symbols",
            n.id, lver
        )));
    }
    let metadata = state
        .registry
        .meta
        .version(package.id, &lver)
        .await?
        .map(|v| v.metadata)
        .unwrap_or_default();
    let added = state
        .registry
        .publish_file(
            actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Nuget,
                name: lid.clone(),
                version: lver.clone(),
                metadata,
                files: vec![StagedFile {
                    name: format!("{lid}.{lver}.snupkg"),
                    blob: blob.clone(),
                    content_type: Some("application/octet-stream".into()),
                }],
                tags: Vec::new(),
                repository: None,
                description: None,
                readme: None,
            },
        )
        .await;
    match added {
        Ok(_) => Ok((StatusCode::CREATED, "Created").into_response()),
        Err(ServiceError::Conflict(_)) => Err(NuGetError::new(
            StatusCode::CONFLICT,
            format!("Conflict: the symbols of {} {lver} already exist.", n.id),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `nuget delete` unlists (the version stays installable by its exact
/// number, as on nuget.org); a `POST` to the same URL lists it again.
async fn set_listed(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    id: &str,
    version: &str,
    listed: bool,
) -> Result<Response> {
    let lid = id.to_ascii_lowercase();
    let lver = NuGetVersion::parse(version)
        .map(|v| v.key())
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let package = state
        .registry
        .readable_package(actor, owner, PackageType::Nuget, &lid)
        .await?;
    state
        .registry
        .authorize_package(actor, Action::Delete, &package)
        .await?;
    let v = state
        .registry
        .meta
        .version(package.id, &lver)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let mut metadata = v.metadata.clone();
    metadata["listed"] = json!(listed);
    state
        .registry
        .update_version_metadata(
            actor,
            &package,
            &v,
            metadata,
            if listed {
                "version.relist"
            } else {
                "version.unlist"
            },
        )
        .await?;
    Ok(if listed {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    })
}

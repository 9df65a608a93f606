//! One handler per npm endpoint, behind a dispatcher that parses the path.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Actor, PackageType, Scopes, Visibility};
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use serde_json::{Value, json};
use sha2::Digest;

use crate::endpoint::{Endpoint, NpmName};
use crate::error::{NpmError, NpmResult, invalid};
use crate::packument::{self, View};
use crate::publish;

const CORGI: &str = "application/vnd.npm.install-v1+json";

pub async fn dispatch(
    cache: std::sync::Arc<crate::cache::Packuments>,
    State(state): State<AppState>,
    caller: Result<Caller, entrepot_http::ApiError>,
    request: Request,
) -> Response {
    let caller = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return NpmError(e.0).into_response(),
    };
    let path = request
        .uri()
        .path()
        .trim_start_matches("/npm")
        .trim_start_matches('/')
        .to_owned();
    let endpoint = Endpoint::parse(request.method(), &path);
    let query: HashMap<String, String> = Query::try_from_uri(request.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let result = route(&state, &cache, &caller, endpoint, request, &query).await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn route(
    state: &AppState,
    cache: &crate::cache::Packuments,
    actor: &Actor,
    endpoint: Endpoint,
    request: Request,
    query: &HashMap<String, String>,
) -> NpmResult<Response> {
    let headers = request.headers().clone();
    match endpoint {
        Endpoint::Ping => Ok(axum::Json(json!({})).into_response()),
        Endpoint::Whoami => whoami(actor),
        Endpoint::Login { user } => {
            let from = entrepot_http::auth::client_address(request.extensions());
            login(state, &user, from, request.into_body()).await
        }
        Endpoint::Logout { token } => logout(state, actor, &token).await,
        Endpoint::Search => search(state, actor, query).await,
        Endpoint::Packument { name } => {
            packument(state, cache, actor, &name, &headers, request.method()).await
        }
        Endpoint::VersionDoc { name, version } => version_doc(state, actor, &name, &version).await,
        Endpoint::Tarball { name, file } => tarball(state, actor, &name, &file, &headers).await,
        Endpoint::Publish { name } => {
            put_document(state, actor, &name, request.into_body(), false).await
        }
        Endpoint::UnpublishVersions { name } => {
            put_document(state, actor, &name, request.into_body(), true).await
        }
        Endpoint::UnpublishAll { name } => unpublish_all(state, actor, &name).await,
        Endpoint::DeleteTarball { .. } => Ok(ok_json(StatusCode::OK, json!({ "ok": true }))),
        Endpoint::DistTags { name } => dist_tags(state, actor, &name).await,
        Endpoint::SetDistTag { name, tag } => {
            set_dist_tag(state, actor, &name, &tag, request.into_body()).await
        }
        Endpoint::RemoveDistTag { name, tag } => remove_dist_tag(state, actor, &name, &tag).await,
        Endpoint::SetAccess { name } => set_access(state, actor, &name, request.into_body()).await,
        Endpoint::Visibility { name } => visibility(state, actor, &name).await,
        Endpoint::AuditBulk => {
            crate::audit::bulk(state, actor, &headers, request.into_body()).await
        }
        Endpoint::AuditQuick => {
            crate::audit::quick(state, actor, &headers, request.into_body()).await
        }
        Endpoint::NotFound => Err(NpmError(ServiceError::not_found("not found"))),
    }
}

fn ok_json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn parse_name(name: &str) -> NpmResult<NpmName> {
    NpmName::parse(name).map_err(|m| NpmError(ServiceError::NotFound(m)))
}

fn whoami(actor: &Actor) -> NpmResult<Response> {
    match actor.login() {
        Some(login) => Ok(ok_json(StatusCode::OK, json!({ "username": login }))),
        None => Err(NpmError(ServiceError::Unauthenticated)),
    }
}

/// `npm login --auth-type=legacy` / `npm adduser`: user name and password in,
/// a new `read:packages,write:packages` token out. No self-registration.
async fn login(
    state: &AppState,
    user: &str,
    from: Option<std::net::IpAddr>,
    body: Body,
) -> NpmResult<Response> {
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map_err(|_| invalid("login body too large"))?;
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("invalid login document: {e}")))?;
    let password = doc
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = doc.get("name").and_then(Value::as_str).unwrap_or(user);
    let scopes = Scopes::parse_list("read:packages,write:packages").expect("known scopes");
    let actor = state
        .registry
        .check_password(name, password, from, scopes)
        .await?;
    let login = actor.login().unwrap_or(name).to_owned();
    let issued = state
        .registry
        .create_token(&login, scopes, None, Some("npm login".into()))
        .await?;
    Ok(ok_json(
        StatusCode::CREATED,
        json!({ "ok": true, "id": format!("org.couchdb.user:{login}"), "rev": "_we_dont_use_revs_any_more", "token": issued.secret }),
    ))
}

/// `npm logout`: revokes the token it names, if it is the caller's own.
async fn logout(state: &AppState, actor: &Actor, token: &str) -> NpmResult<Response> {
    let Some(user) = actor.user_id() else {
        return Err(NpmError(ServiceError::Unauthenticated));
    };
    let hash = entrepot_core::token::hash(token);
    match state.registry.meta.token_by_hash(&hash).await? {
        Some((record, _)) if record.user_id == user => {
            state.registry.revoke_token(record.id).await?;
            Ok(ok_json(StatusCode::OK, json!({ "ok": true })))
        }
        _ => Err(NpmError(ServiceError::not_found("no such token"))),
    }
}

async fn load_view(state: &AppState, actor: &Actor, name: &NpmName) -> NpmResult<View> {
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    view_of(state, package).await
}

/// Everything a packument shows, in a fixed number of queries.
pub(crate) async fn view_of(state: &AppState, package: entrepot_core::Package) -> NpmResult<View> {
    let meta = &state.registry.meta;
    let mut files_by_version: HashMap<i64, Vec<entrepot_core::PackageFile>> = HashMap::new();
    for file in meta.package_files(package.id).await? {
        files_by_version
            .entry(file.version_id)
            .or_default()
            .push(file);
    }
    let mut versions = Vec::new();
    let mut publishers = HashMap::new();
    for v in meta.versions(package.id, false).await? {
        if let Some(p) = v.publisher_id
            && !publishers.contains_key(&p)
            && let Some(account) = meta.account_by_id(p).await?
        {
            publishers.insert(p, account.login);
        }
        let files = files_by_version.remove(&v.id).unwrap_or_default();
        versions.push((v, files));
    }
    let tags = meta.tags(package.id).await?;
    Ok(View {
        package,
        versions,
        tags,
        publishers,
    })
}

fn http_date(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

async fn packument(
    state: &AppState,
    cache: &crate::cache::Packuments,
    actor: &Actor,
    name: &str,
    headers: &HeaderMap,
    method: &Method,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let abbreviated = accept.contains(CORGI) && !accept.starts_with("application/json");
    let content_type = if abbreviated {
        CORGI
    } else {
        "application/json"
    };
    let key = (package.id, abbreviated, package.updated_at);
    let rendered = if let Some(hit) = cache.get(&key) {
        hit
    } else {
        let view = view_of(state, package).await?;
        let base = state.config.site.base_url().as_str();
        let doc = if abbreviated {
            view.abbreviated(base, &name)
        } else {
            view.full(base, &name)
        };
        let body = serde_json::to_vec(&doc)
            .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?;
        let etag = format!("\"{}\"", &hex::encode(sha2::Sha256::digest(&body))[..32]);
        let rendered = crate::cache::Rendered {
            body: body.into(),
            etag,
            last_modified: http_date(&view.last_modified()),
        };
        cache.put(key, rendered.clone());
        rendered
    };
    let etag = rendered.etag.clone();
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if method == Method::HEAD {
        (StatusCode::OK, Body::empty()).into_response()
    } else {
        (StatusCode::OK, rendered.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&rendered.last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    Ok(response)
}

async fn version_doc(
    state: &AppState,
    actor: &Actor,
    name: &str,
    wanted: &str,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let view = load_view(state, actor, &name).await?;
    let tags = view.dist_tags();
    let version_name = tags.get(wanted).and_then(Value::as_str).unwrap_or(wanted);
    let (v, files) = view
        .versions
        .iter()
        .find(|(v, _)| v.name == version_name)
        .ok_or_else(|| {
            NpmError(ServiceError::not_found(format!(
                "version not found: {wanted}"
            )))
        })?;
    Ok(ok_json(
        StatusCode::OK,
        view.manifest(state.config.site.base_url().as_str(), &name, v, files),
    ))
}

async fn tarball(
    state: &AppState,
    actor: &Actor,
    name: &str,
    file: &str,
    headers: &HeaderMap,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    let missing = || NpmError(ServiceError::not_found(format!("no tarball {file}")));
    let version_name = file
        .strip_prefix(&format!("{}-", name.name))
        .and_then(|r| r.strip_suffix(".tgz"))
        .ok_or_else(missing)?;
    let meta = &state.registry.meta;
    let version = meta
        .version(package.id, version_name)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(missing)?;
    let files = meta.files(version.id).await?;
    let stored = files.first().ok_or_else(missing)?;
    let response = match entrepot_http::download::serve_file(
        state,
        stored,
        headers,
        "application/octet-stream",
    )
    .await
    {
        Ok(r) => r,
        Err(ServiceError::RangeNotSatisfiable { size }) => {
            return Ok(entrepot_http::download::range_not_satisfiable(size));
        }
        Err(e) => return Err(e.into()),
    };
    if response.status() == StatusCode::OK {
        state.registry.count_download(&version);
    }
    Ok(response)
}

fn versions_of(doc: &serde_json::Map<String, Value>) -> serde_json::Map<String, Value> {
    match doc.get("versions") {
        Some(Value::Object(v)) => v.clone(),
        _ => serde_json::Map::new(),
    }
}

/// `PUT /NAME` (publish, or deprecate when no tarball is attached) and
/// `PUT /NAME/-rev/REV` (unpublish the versions the document leaves out).
async fn put_document(
    state: &AppState,
    actor: &Actor,
    name: &str,
    body: Body,
    unpublish: bool,
) -> NpmResult<Response> {
    let name = NpmName::parse(name).map_err(invalid)?;
    if actor.user_id().is_none() {
        return Err(NpmError(ServiceError::Unauthenticated));
    }
    let max_file = state.registry.limits.max_upload_bytes;
    let max_body = max_file.saturating_mul(4) / 3 + 1024 * 1024;
    let parsed = publish::read(body, state.registry.clone(), max_body)
        .await
        .map_err(|e| match e {
            NpmError(ServiceError::TooLarge { .. }) => {
                NpmError(ServiceError::TooLarge { limit: max_file })
            }
            other => other,
        })?;
    let blobs: Vec<_> = parsed.attachments.iter().map(|a| a.blob.clone()).collect();
    let result = match () {
        () if parsed
            .doc
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n != name.full()) =>
        {
            Err(invalid("the document's name does not match the URL"))
        }
        () if unpublish && parsed.attachments.is_empty() => {
            unpublish_missing(state, actor, &name, &parsed.doc).await
        }
        () if parsed.attachments.is_empty() => {
            update_metadata(state, actor, &name, &parsed.doc).await
        }
        () if unpublish => Err(invalid("an unpublish carries no tarball")),
        () => publish_version(state, actor, &name, parsed).await,
    };
    if result.is_err() {
        // Nothing half-written: blobs of a refused publish go again.
        for blob in &blobs {
            publish::discard(&state.registry, blob).await;
        }
    }
    result
}

/// A publish document that passed every check.
struct ValidPublish {
    version: String,
    manifest: Value,
    attachment: publish::StoredAttachment,
}

/// Checks that a publish document carries one well-formed version with its
/// tarball, and that the stored tarball has the digests the version names.
fn validate_publish(
    name: &NpmName,
    doc: &serde_json::Map<String, Value>,
    attachments: Vec<publish::StoredAttachment>,
) -> NpmResult<ValidPublish> {
    let versions = versions_of(doc);
    let (version, manifest) = match (versions.len(), attachments.len()) {
        (1, 1) => versions.into_iter().next().expect("one version"),
        _ => {
            return Err(invalid(
                "a publish carries exactly one version and one tarball",
            ));
        }
    };
    if semver::Version::parse(&version).is_err() {
        return Err(invalid(format!("invalid version: {version} is not semver")));
    }
    if manifest.get("version").and_then(Value::as_str) != Some(version.as_str())
        || manifest.get("name").and_then(Value::as_str) != Some(name.full().as_str())
    {
        return Err(invalid(
            "the version's name and version do not match the document",
        ));
    }
    let attachment = attachments.into_iter().next().expect("one attachment");
    if !attachment.filename.ends_with(&format!("-{version}.tgz")) {
        return Err(invalid(format!(
            "the tarball {} does not belong to version {version}",
            attachment.filename
        )));
    }
    if attachment
        .declared_length
        .is_some_and(|l| l != attachment.blob.size)
    {
        return Err(invalid(
            "the tarball's length does not match its declared length",
        ));
    }
    let dist = manifest.get("dist").cloned().unwrap_or(Value::Null);
    let sha512 = dist
        .get("integrity")
        .and_then(Value::as_str)
        .and_then(publish::sha512_of_integrity);
    let sha1 = dist
        .get("shasum")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    if sha512.is_none() && sha1.is_none() {
        return Err(invalid(
            "dist.integrity (sha512) or dist.shasum is required",
        ));
    }
    // Normally the blob store already refused a mismatch; this covers a
    // document whose tarball came before its version.
    if sha512.is_some_and(|d| Some(d) != attachment.blob.sha512)
        || sha1.is_some_and(|d| Some(d) != attachment.blob.sha1)
    {
        return Err(invalid(
            "the tarball does not match dist.integrity / dist.shasum",
        ));
    }
    Ok(ValidPublish {
        version,
        manifest,
        attachment,
    })
}

async fn publish_version(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    parsed: publish::PublishBody,
) -> NpmResult<Response> {
    let ValidPublish {
        version,
        manifest,
        attachment,
    } = validate_publish(name, &parsed.doc, parsed.attachments)?;
    let repository = connected_repository(state, &manifest, &name.scope).await?;
    let tags = tags_for(state, &parsed.doc, name, &version).await?;
    let metadata = stored_metadata(&manifest);
    let readme = match publish::readme_of(&state.registry, &attachment.blob).await {
        Some(readme) => Some(readme),
        None => manifest
            .get("readme")
            .and_then(Value::as_str)
            .map(str::to_owned),
    };
    let (package, _) = state
        .registry
        .publish(
            actor,
            Publication {
                owner: name.scope.clone(),
                package_type: PackageType::Npm,
                name: name.name.clone(),
                version: version.clone(),
                metadata,
                files: vec![StagedFile {
                    name: format!("{}-{version}.tgz", name.name),
                    blob: attachment.blob,
                    content_type: Some("application/octet-stream".into()),
                }],
                tags,
                repository: repository.clone(),
                description: manifest
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                readme,
            },
        )
        .await?;
    if let Some(repo) = repository {
        state.registry.connect_repository(&package, &repo).await?;
    }
    Ok(ok_json(
        StatusCode::CREATED,
        json!({ "ok": true, "id": name.full(), "success": true }),
    ))
}

/// The repository record `repository` in package.json names, if it is the owner's.
async fn connected_repository(
    state: &AppState,
    manifest: &Value,
    scope: &str,
) -> NpmResult<Option<entrepot_core::Repository>> {
    let url = match manifest.get("repository") {
        Some(Value::String(url)) => Some(url.clone()),
        Some(Value::Object(r)) => r.get("url").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    Ok(match url {
        Some(url) => entrepot_http::repo_link::resolve(state, &url, scope).await?,
        None => None,
    })
}

/// The dist-tags the document points at this version, plus `latest` when
/// the package has none yet (npm requires one).
async fn tags_for(
    state: &AppState,
    doc: &serde_json::Map<String, Value>,
    name: &NpmName,
    version: &str,
) -> NpmResult<Vec<String>> {
    let mut tags: Vec<String> = match doc.get("dist-tags") {
        Some(Value::Object(t)) => t
            .iter()
            .filter(|(_, v)| v.as_str() == Some(version))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    };
    let meta = &state.registry.meta;
    let mut has_latest = false;
    if let Some(owner) = meta.account_by_login(&name.scope).await?
        && let Some(p) = meta
            .package(owner.id, PackageType::Npm, &name.name, false)
            .await?
    {
        has_latest = meta.tags(p.id).await?.iter().any(|t| t.name == "latest");
    }
    if !has_latest && !tags.iter().any(|t| t == "latest") {
        tags.push("latest".into());
    }
    Ok(tags)
}

/// The manifest as stored: without what is rebuilt on read (the tarball
/// URL) or kept at package level (the README).
fn stored_metadata(manifest: &Value) -> Value {
    let mut metadata = manifest.clone();
    if let Some(m) = metadata.as_object_mut() {
        for transient in ["readme", "readmeFilename", "_attachments"] {
            m.remove(transient);
        }
        if let Some(Value::Object(d)) = m.get_mut("dist") {
            d.remove("tarball");
        }
    }
    metadata
}

/// A PUT without a tarball: only `deprecated` may change, nothing else
/// that was published.
async fn update_metadata(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    doc: &serde_json::Map<String, Value>,
) -> NpmResult<Response> {
    let view = load_view(state, actor, name).await?;
    for (version, manifest) in versions_of(doc) {
        let Some((stored, _)) = view.versions.iter().find(|(v, _)| v.name == version) else {
            return Err(invalid(format!(
                "version {version} has no tarball attached"
            )));
        };
        let wanted = manifest
            .get("deprecated")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty());
        let current = stored.metadata.get("deprecated").and_then(Value::as_str);
        if wanted == current {
            continue;
        }
        let mut metadata = stored.metadata.clone();
        if let Some(m) = metadata.as_object_mut() {
            match wanted {
                Some(message) => m.insert("deprecated".into(), json!(message)),
                None => m.remove("deprecated"),
            };
        }
        state
            .registry
            .update_version_metadata(actor, &view.package, stored, metadata, "version.deprecate")
            .await?;
    }
    Ok(ok_json(
        StatusCode::OK,
        json!({ "ok": true, "id": name.full() }),
    ))
}

/// `npm unpublish NAME@VERSION`: every live version the document omits is
/// deleted; `latest` moves to the highest remaining version.
async fn unpublish_missing(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    doc: &serde_json::Map<String, Value>,
) -> NpmResult<Response> {
    let view = load_view(state, actor, name).await?;
    let kept = versions_of(doc);
    let removed: Vec<_> = view
        .versions
        .iter()
        .filter(|(v, _)| !kept.contains_key(&v.name))
        .collect();
    for (version, _) in &removed {
        state
            .registry
            .delete_version(actor, &view.package, version)
            .await?;
    }
    let remaining: Vec<_> = view
        .versions
        .iter()
        .filter(|(v, _)| kept.contains_key(&v.name))
        .collect();
    let tags = state.registry.meta.tags(view.package.id).await?;
    if !remaining.is_empty()
        && !tags.iter().any(|t| t.name == "latest")
        && let Some(latest) = packument::highest(remaining.iter().map(|(v, _)| v.name.as_str()))
        && let Some((v, _)) = remaining.iter().find(|(v, _)| v.name == latest)
    {
        state
            .registry
            .set_tag(actor, &view.package, "latest", v)
            .await?;
    }
    Ok(ok_json(
        StatusCode::OK,
        json!({ "ok": true, "id": name.full() }),
    ))
}

async fn unpublish_all(state: &AppState, actor: &Actor, name: &str) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    state.registry.delete_package(actor, &package).await?;
    Ok(ok_json(
        StatusCode::OK,
        json!({ "ok": true, "id": name.full() }),
    ))
}

async fn dist_tags(state: &AppState, actor: &Actor, name: &str) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let view = load_view(state, actor, &name).await?;
    Ok(ok_json(StatusCode::OK, Value::Object(view.dist_tags())))
}

async fn set_dist_tag(
    state: &AppState,
    actor: &Actor,
    name: &str,
    tag: &str,
    body: Body,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    if semver::Version::parse(tag).is_ok() || tag.is_empty() {
        return Err(invalid(format!("tag names cannot be versions: {tag}")));
    }
    let bytes = axum::body::to_bytes(body, 4096)
        .await
        .map_err(|_| invalid("tag body too large"))?;
    let version: String = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("the body must be a JSON string naming a version"))?;
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    let v = state
        .registry
        .meta
        .version(package.id, &version)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| {
            NpmError(ServiceError::not_found(format!(
                "version not found: {version}"
            )))
        })?;
    state.registry.set_tag(actor, &package, tag, &v).await?;
    Ok(ok_json(StatusCode::CREATED, json!({ "ok": true })))
}

async fn remove_dist_tag(
    state: &AppState,
    actor: &Actor,
    name: &str,
    tag: &str,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    if tag == "latest" {
        return Err(invalid("the latest tag cannot be removed"));
    }
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    state.registry.remove_tag(actor, &package, tag).await?;
    Ok(ok_json(StatusCode::OK, json!({ "ok": true })))
}

/// `npm access set status=public|private`: `public` or `restricted`.
async fn set_access(
    state: &AppState,
    actor: &Actor,
    name: &str,
    body: Body,
) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let bytes = axum::body::to_bytes(body, 4096)
        .await
        .map_err(|_| invalid("access body too large"))?;
    let doc: Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid("the body must be {\"access\": …}"))?;
    let visibility = match doc.get("access").and_then(Value::as_str) {
        Some("public") => Visibility::Public,
        Some("restricted" | "private") => Visibility::Private,
        _ => return Err(invalid("access must be public or restricted")),
    };
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    state
        .registry
        .set_visibility(actor, &package, visibility)
        .await?;
    Ok(ok_json(StatusCode::OK, json!({ "ok": true })))
}

async fn visibility(state: &AppState, actor: &Actor, name: &str) -> NpmResult<Response> {
    let name = parse_name(name)?;
    let package = state
        .registry
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await?;
    Ok(ok_json(
        StatusCode::OK,
        json!({ "public": package.visibility == Visibility::Public }),
    ))
}

/// `npm search`: the npm packages the caller may see whose name,
/// description or keywords contain every search term.
async fn search(
    state: &AppState,
    actor: &Actor,
    query: &HashMap<String, String>,
) -> NpmResult<Response> {
    let text = query
        .get("text")
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_default();
    let size: usize = query
        .get("size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .clamp(1, 250);
    let from: usize = query.get("from").and_then(|s| s.parse().ok()).unwrap_or(0);
    let terms: Vec<&str> = text.split_whitespace().collect();
    let filter = entrepot_store::PackageFilter {
        package_type: Some(PackageType::Npm),
        ..Default::default()
    };
    let mut hits = Vec::new();
    for package in state.registry.meta.list_packages(filter).await? {
        if !state.registry.can_read(actor, &package).await? {
            continue;
        }
        let full = format!("@{}/{}", package.owner_login, package.name);
        let haystack = format!(
            "{} {}",
            full,
            package.description.clone().unwrap_or_default()
        )
        .to_ascii_lowercase();
        if terms.iter().all(|t| haystack.contains(t)) {
            hits.push((full, package));
        }
    }
    let total = hits.len();
    let mut objects = Vec::new();
    for (full, package) in hits.into_iter().skip(from).take(size) {
        let versions = state.registry.meta.versions(package.id, false).await?;
        let latest = packument::highest(versions.iter().map(|v| v.name.as_str()))
            .unwrap_or_default()
            .to_owned();
        objects.push(json!({
            "package": {
                "name": full,
                "scope": package.owner_login,
                "version": latest,
                "description": package.description,
                "date": package.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "links": { "npm": state.config.url(&format!("/{}/{}/packages", package.owner_login, package.name)) },
                "publisher": { "username": package.owner_login },
                "maintainers": [{ "username": package.owner_login }],
                "visibility": match package.visibility { Visibility::Public => "public", _ => "private" },
            },
            "score": { "final": 1.0, "detail": { "quality": 1.0, "popularity": 1.0, "maintenance": 1.0 } },
            "searchScore": 1.0,
        }));
    }
    Ok(ok_json(
        StatusCode::OK,
        json!({ "objects": objects, "total": total, "time": chrono::Utc::now().to_rfc3339() }),
    ))
}

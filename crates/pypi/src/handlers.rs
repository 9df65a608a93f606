//! The PyPI endpoints under `BASE/pypi/OWNER/`: twine's legacy upload, the
//! simple index in HTML (PEP 503) and JSON (PEP 691), files with their core
//! metadata (PEP 658/714), and yanking (PEP 592).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{Read, Seek, SeekFrom};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use blake2::Digest as _;
use bytes::Bytes;
use entrepot_core::{Action, Actor, Package, PackageType};
use entrepot_http::error::{Challenge, PlainError};
use entrepot_http::owner::{OwnerRequest, form_fields, unseen, visible_packages};
use entrepot_http::spool::{store_spooled, temp_file};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;
use quick_xml::escape::escape;
use serde_json::{Value, json};

use crate::pep440::{Version, is_valid_name, normalize_name};

/// How pip and twine are asked for credentials.
#[derive(Debug)]
pub struct PypiChallenge;

impl Challenge for PypiChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot PyPI\"";
}

/// An error as twine and pip show it: the status and a line of text.
pub type PypiError = PlainError<PypiChallenge>;

type Result<T> = std::result::Result<T, PypiError>;

pub async fn handle(
    state: AppState,
    caller: std::result::Result<Caller, ApiError>,
    request: OwnerRequest,
) -> Response {
    let actor = match caller {
        Ok(Caller(actor)) => actor,
        Err(e) => return PypiError::from(e.0).into_response(),
    };
    route(&state, &actor, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
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
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let query = form_fields(query.as_deref().unwrap_or(""));
    let head = method == Method::HEAD;
    match (method.clone(), segments.as_slice()) {
        (Method::POST, [] | ["legacy"]) => upload(state, actor, &owner, &headers, body).await,
        (Method::GET | Method::HEAD, ["simple"]) => {
            projects(state, actor, &owner, &headers, &query, head).await
        }
        (Method::GET | Method::HEAD, ["simple", project]) => {
            files_page(state, actor, &owner, project, &headers, &query, head).await
        }
        (Method::GET | Method::HEAD, ["files", project, version, filename]) => {
            download(
                state, actor, &owner, project, version, filename, &headers, head,
            )
            .await
        }
        (Method::GET | Method::HEAD, ["pypi", project, "json"]) => {
            project_json(state, actor, &owner, project).await
        }
        (Method::POST, [project, version, action @ ("yank" | "unyank")]) => {
            let bytes = axum::body::to_bytes(body, 64 * 1024)
                .await
                .map_err(|_| PypiError::bad_request("the form is too large"))?;
            let form = form_fields(&String::from_utf8_lossy(&bytes));
            let reason = form.get("reason").cloned().unwrap_or_default();
            yank(
                state,
                actor,
                &owner,
                project,
                version,
                *action == "yank",
                &reason,
            )
            .await
        }
        _ => Err(PypiError::new(StatusCode::NOT_FOUND, "Not Found")),
    }
}

fn missing(actor: &Actor) -> PypiError {
    unseen(actor, "Not Found").into()
}

// ---- upload -------------------------------------------------------------

/// The file part of an upload, spooled to a temporary file.
pub(crate) struct Spooled {
    pub(crate) file: std::fs::File,
    filename: String,
    blake2_256: String,
}

/// The longest text field of an upload form: a long description (the
/// README) fits, anything longer is refused while it is read.
const MAX_FIELD_BYTES: usize = 1 << 20;
/// All text fields of one form together.
const MAX_FORM_TEXT_BYTES: usize = 4 << 20;
/// Fields in one form (twine sends a few dozen, more with many classifiers).
const MAX_FORM_PARTS: usize = 2000;

/// Reads twine's form: text fields (repeatable) and the `content` file.
pub(crate) async fn read_form(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
) -> Result<(HashMap<String, Vec<String>>, Spooled)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| PypiError::bad_request("an upload is a multipart/form-data form"))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields: HashMap<String, Vec<String>> = HashMap::new();
    let mut text_bytes = 0usize;
    let mut spooled = None;
    let bad_form = |e: multer::Error| PypiError::bad_request(format!("bad multipart form: {e}"));
    let mut parts = 0usize;
    while let Some(mut field) = form.next_field().await.map_err(bad_form)? {
        parts += 1;
        if parts > MAX_FORM_PARTS {
            return Err(PypiError::bad_request(format!(
                "the form has more than {MAX_FORM_PARTS} fields"
            )));
        }
        let name = field.name().unwrap_or_default().to_owned();
        if name == "content" {
            let filename = field
                .file_name()
                .ok_or_else(|| PypiError::bad_request("the content part has no file name"))?
                .to_owned();
            let (file, mut out) = temp_file().await?;
            let mut hasher = blake2::Blake2b::<blake2::digest::consts::U32>::new();
            let mut written = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                written += chunk.len() as u64;
                if written > limit {
                    return Err(PypiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("the file exceeds the limit of {limit} bytes"),
                    ));
                }
                hasher.update(&chunk);
                tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
                    .await
                    .map_err(ServiceError::from)?;
            }
            tokio::io::AsyncWriteExt::flush(&mut out)
                .await
                .map_err(ServiceError::from)?;
            spooled = Some(Spooled {
                file,
                filename,
                blake2_256: hex::encode(hasher.finalize()),
            });
        } else {
            // Each field is bounded as it arrives: a huge `summary` is
            // refused at its first megabyte, never read whole.
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
                text_bytes += chunk.len();
                if text.len() + chunk.len() > MAX_FIELD_BYTES {
                    return Err(PypiError::bad_request(format!(
                        "the form field {name:?} is longer than {MAX_FIELD_BYTES} bytes"
                    )));
                }
                if text_bytes > MAX_FORM_TEXT_BYTES {
                    return Err(PypiError::bad_request("the form's metadata is too large"));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text).map_err(|_| {
                PypiError::bad_request(format!("the form field {name:?} is not UTF-8"))
            })?;
            fields.entry(name).or_default().push(text);
        }
    }
    let spooled =
        spooled.ok_or_else(|| PypiError::bad_request("the upload has no content file"))?;
    Ok((fields, spooled))
}

fn first<'a>(fields: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    fields
        .get(name)
        .and_then(|v| v.first())
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Checks a distribution's file name against the project and version it
/// claims (wheels: `NAME-VERSION-…whl`; sdists: `NAME-VERSION.tar.gz`/`.zip`).
pub(crate) fn check_filename(
    filename: &str,
    project: &str,
    version: &Version,
    filetype: &str,
) -> Result<()> {
    if filename.contains(['/', '\\']) || filename.starts_with('.') || filename.len() > 255 {
        return Err(PypiError::bad_request(format!(
            "invalid file name {filename:?}"
        )));
    }
    let lower = filename.to_ascii_lowercase();
    let stem = match filetype {
        "bdist_wheel" => lower.strip_suffix(".whl").map(|s| {
            let parts: Vec<&str> = s.split('-').collect();
            (parts.len() >= 5).then(|| format!("{}-{}", parts[0], parts[1]))
        }),
        "sdist" => lower
            .strip_suffix(".tar.gz")
            .or_else(|| lower.strip_suffix(".zip"))
            .map(|s| Some(s.to_owned())),
        other => {
            return Err(PypiError::bad_request(format!(
                "unsupported filetype {other:?}"
            )));
        }
    }
    .flatten()
    .ok_or_else(|| {
        PypiError::bad_request(format!("{filename} is not a valid {filetype} file name"))
    })?;
    let matches = stem.rsplit_once('-').is_some_and(|(name, v)| {
        normalize_name(name) == normalize_name(project)
            && Version::parse(v).is_some_and(|v| v == *version)
    });
    if !matches {
        return Err(PypiError::bad_request(format!(
            "{filename} does not belong to {project} {}",
            version.normalized()
        )));
    }
    Ok(())
}

/// A wheel's `*.dist-info/METADATA`, for PEP 658.
pub(crate) fn wheel_metadata(
    file: &mut std::fs::File,
) -> std::result::Result<Option<Vec<u8>>, String> {
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(&mut *file)
        .map_err(|e| format!("the wheel is not a valid zip: {e}"))?;
    let index = (0..zip.len()).find(|&i| {
        zip.name_for_index(i).is_some_and(|n| {
            n.as_ref().is_ok_and(|n| {
                let parts: Vec<&str> = n.split('/').collect();
                parts.len() == 2 && parts[0].ends_with(".dist-info") && parts[1] == "METADATA"
            })
        })
    });
    let Some(index) = index else {
        return Err("the wheel has no .dist-info/METADATA".into());
    };
    let entry = zip.by_index(index).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    entry
        .take((1 << 20) + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() > 1 << 20 {
        return Err("the wheel's METADATA is too large".into());
    }
    Ok(Some(bytes))
}

/// The version's metadata as the index and pages use it.
fn core_metadata(fields: &HashMap<String, Vec<String>>, name: &str, version: &Version) -> Value {
    let all = |k: &str| fields.get(k).cloned().unwrap_or_default();
    json!({
        "name": name,
        "version": version.normalized(),
        "summary": first(fields, "summary"),
        "description_content_type": first(fields, "description_content_type"),
        "author": first(fields, "author"),
        "author_email": first(fields, "author_email"),
        "license": first(fields, "license"),
        "keywords": first(fields, "keywords"),
        "home_page": first(fields, "home_page"),
        "requires_python": first(fields, "requires_python"),
        "requires_dist": all("requires_dist"),
        "project_urls": all("project_urls"),
        "classifiers": all("classifiers"),
        "yanked": false,
    })
}

/// The repository `project_urls` (`Label, URL`) or the home page name,
/// preferring a source link.
async fn repository(
    state: &AppState,
    fields: &HashMap<String, Vec<String>>,
    owner: &str,
) -> Result<Option<entrepot_core::Repository>> {
    let mut urls: Vec<(bool, String)> = fields
        .get("project_urls")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let (label, url) = entry.split_once(',')?;
            let label = label.trim().to_ascii_lowercase();
            let source = ["source", "repository", "code", "source code"].contains(&label.as_str());
            Some((source, url.trim().to_owned()))
        })
        .collect();
    if let Some(home) = first(fields, "home_page") {
        urls.push((false, home.to_owned()));
    }
    urls.sort_by_key(|(source, _)| !source);
    for (_, url) in urls {
        if let Some(repo) = entrepot_http::repo_link::resolve(state, &url, owner).await? {
            return Ok(Some(repo));
        }
    }
    Ok(None)
}

async fn upload(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = state.registry.account(owner).await?;
    let (fields, spooled) =
        read_form(headers, body, state.registry.limits.max_upload_bytes).await?;
    match first(&fields, ":action") {
        Some("file_upload") | None => {}
        Some(other) => {
            return Err(PypiError::bad_request(format!(
                "unsupported :action {other}"
            )));
        }
    }
    let name = first(&fields, "name").ok_or_else(|| PypiError::bad_request("name is required"))?;
    if !is_valid_name(name) {
        return Err(PypiError::bad_request(format!(
            "invalid project name {name:?}"
        )));
    }
    let raw_version =
        first(&fields, "version").ok_or_else(|| PypiError::bad_request("version is required"))?;
    let version = Version::parse(raw_version).ok_or_else(|| {
        PypiError::bad_request(format!("invalid version {raw_version:?} (PEP 440)"))
    })?;
    let filetype = first(&fields, "filetype").unwrap_or("");
    check_filename(&spooled.filename, name, &version, filetype)?;
    if let Some(want) = first(&fields, "blake2_256_digest")
        && !want.eq_ignore_ascii_case(&spooled.blake2_256)
    {
        return Err(PypiError::bad_request(
            "the file does not match its blake2_256_digest",
        ));
    }
    let sha256 = first(&fields, "sha256_digest").map(str::to_ascii_lowercase);
    let md5 = first(&fields, "md5_digest")
        .filter(|m| m.len() == 32 && m.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase);
    let metadata_file = if filetype == "bdist_wheel" {
        let file = spooled
            .file
            .try_clone()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let mut file = file;
            wheel_metadata(&mut file)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(PypiError::bad_request)?
    } else {
        None
    };
    let blob = store_spooled(
        &state.registry,
        spooled.file,
        Expected {
            sha256,
            md5,
            ..Expected::default()
        },
    )
    .await
    .map_err(|e| match e {
        ServiceError::DigestMismatch(_) => {
            PypiError::bad_request("the file does not match its sha256_digest or md5_digest")
        }
        other => other.into(),
    })?;
    let mut stored = vec![blob.sha256.clone()];
    let result = publish(
        state,
        actor,
        &owner,
        &fields,
        name,
        &version,
        StagedFile {
            name: spooled.filename.clone(),
            blob,
            content_type: Some("application/octet-stream".into()),
        },
        metadata_file,
        &mut stored,
    )
    .await;
    if result.is_err() {
        for sha in &stored {
            let _ = state.registry.discard_upload(sha).await;
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn publish(
    state: &AppState,
    actor: &Actor,
    owner: &entrepot_core::Account,
    fields: &HashMap<String, Vec<String>>,
    name: &str,
    version: &Version,
    dist: StagedFile,
    metadata_file: Option<Vec<u8>>,
    stored: &mut Vec<String>,
) -> Result<Response> {
    let project = normalize_name(name);
    let repository = repository(state, fields, &owner.login).await?;
    let description = first(fields, "description").map(str::to_owned);
    let publication = |file: StagedFile| Publication {
        owner: owner.login.clone(),
        package_type: PackageType::Pypi,
        name: project.clone(),
        version: version.normalized(),
        metadata: core_metadata(fields, name, version),
        files: vec![file],
        tags: Vec::new(),
        repository: repository.clone(),
        description: first(fields, "summary").map(str::to_owned),
        readme: description.clone(),
    };
    let filename = dist.name.clone();
    let added = state
        .registry
        .publish_file(actor, publication(dist))
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(_) => PypiError::new(
                StatusCode::CONFLICT,
                format!("File already exists: {filename}. A file name is never reused; publish a new version."),
            ),
            other => other.into(),
        })?;
    if let Some(bytes) = metadata_file {
        let blob = state
            .registry
            .store_blob(entrepot_store::blob::stream_of(bytes), Expected::default())
            .await?;
        stored.push(blob.sha256.clone());
        // Without its metadata file the wheel is still served, just without
        // `core-metadata`: never a state the index cannot describe.
        if let Err(e) = state
            .registry
            .publish_file(
                actor,
                publication(StagedFile {
                    name: format!("{filename}.metadata"),
                    blob,
                    content_type: Some("text/plain".into()),
                }),
            )
            .await
        {
            tracing::warn!(error = %e, file = %filename, "core metadata not stored");
        }
    }
    if let Some(repo) = repository {
        state
            .registry
            .connect_repository(&added.package, &repo)
            .await?;
    }
    Ok((StatusCode::OK, "OK\n").into_response())
}

// ---- reading ------------------------------------------------------------

/// One distribution file as the index lists it.
pub(crate) struct Dist {
    pub(crate) filename: String,
    pub(crate) url: String,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    pub(crate) uploaded: chrono::DateTime<chrono::Utc>,
    pub(crate) requires_python: Option<String>,
    pub(crate) metadata_sha256: Option<String>,
    pub(crate) yanked: Option<String>,
}

/// A project's live versions (ascending) and their files.
pub(crate) async fn project_files(
    state: &AppState,
    package: &Package,
) -> Result<Vec<(Version, Value, Vec<Dist>)>> {
    let meta = &state.registry.meta;
    let mut files_by_version: HashMap<i64, Vec<entrepot_core::PackageFile>> = HashMap::new();
    for f in meta.package_files(package.id).await? {
        files_by_version.entry(f.version_id).or_default().push(f);
    }
    let mut out = Vec::new();
    for v in meta.versions(package.id, false).await? {
        let Some(parsed) = Version::parse(&v.name) else {
            continue;
        };
        let files = files_by_version.remove(&v.id).unwrap_or_default();
        let yanked = match v.metadata.get("yanked") {
            Some(Value::String(reason)) => Some(reason.clone()),
            Some(Value::Bool(true)) => Some(String::new()),
            _ => None,
        };
        let requires_python = v
            .metadata
            .get("requires_python")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut dists = Vec::new();
        for f in files.iter().filter(|f| !f.name.ends_with(".metadata")) {
            let metadata_sha256 = files
                .iter()
                .find(|m| m.name == format!("{}.metadata", f.name))
                .map(|m| m.sha256.clone());
            dists.push(Dist {
                url: state.config.url(&format!(
                    "/pypi/{}/files/{}/{}/{}",
                    package.owner_login, package.name, v.name, f.name
                )),
                filename: f.name.clone(),
                sha256: f.sha256.clone(),
                size: f.size,
                uploaded: f.created_at,
                requires_python: requires_python.clone(),
                metadata_sha256,
                yanked: yanked.clone(),
            });
        }
        dists.sort_by(|a, b| a.filename.cmp(&b.filename));
        out.push((parsed, v.metadata, dists));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// PEP 691 content negotiation: JSON, the versioned HTML, or plain HTML;
/// `?format=` wins over `Accept`.
fn wants_json(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<&'static str>> {
    if let Some(format) = query.get("format") {
        return match format.as_str() {
            JSON_TYPE => Ok(Some(JSON_TYPE)),
            HTML_TYPE => Ok(Some(HTML_TYPE)),
            "text/html" => Ok(Some("text/html")),
            _ => Err(PypiError::new(
                StatusCode::NOT_ACCEPTABLE,
                "unsupported format",
            )),
        };
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if accept.trim().is_empty() {
        return Ok(None);
    }
    let mut best: Option<(f32, &'static str)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim();
        let q: f32 = pieces
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
            .unwrap_or(1.0);
        let kind = match media {
            JSON_TYPE => JSON_TYPE,
            HTML_TYPE => HTML_TYPE,
            "text/html" | "*/*" => "text/html",
            _ => continue,
        };
        if best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, kind));
        }
    }
    match best {
        Some((_, kind)) => Ok(Some(kind)),
        None => Err(PypiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "the simple index is served as JSON or HTML",
        )),
    }
}

fn negotiated(kind: Option<&'static str>, html: String, json_body: &Value, head: bool) -> Response {
    let (content_type, body) = match kind {
        Some(JSON_TYPE) => (
            JSON_TYPE,
            serde_json::to_vec(json_body).expect("JSON renders"),
        ),
        Some(HTML_TYPE) => (HTML_TYPE, html.into_bytes()),
        _ => ("text/html; charset=utf-8", html.into_bytes()),
    };
    let length = body.len();
    let mut response = if head {
        Body::empty().into_response()
    } else {
        Bytes::from(body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

async fn projects(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    head: bool,
) -> Result<Response> {
    let kind = wants_json(headers, query)?;
    let Some(account) = state.registry.meta.account_by_login(owner).await? else {
        return Err(missing(actor));
    };
    let mut names: Vec<String> = visible_packages(state, actor, &account, PackageType::Pypi)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    names.sort();
    let mut html = String::from(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Simple index</title></head><body>\n",
    );
    for n in &names {
        let _ = writeln!(html, "<a href=\"{n}/\">{n}</a><br>");
    }
    html.push_str("</body></html>\n");
    let doc = json!({
        "meta": { "api-version": "1.1" },
        "projects": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
    });
    Ok(negotiated(kind, html, &doc, head))
}

async fn readable(state: &AppState, actor: &Actor, owner: &str, project: &str) -> Result<Package> {
    Ok(state
        .registry
        .readable_package(actor, owner, PackageType::Pypi, &normalize_name(project))
        .await?)
}

async fn files_page(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    head: bool,
) -> Result<Response> {
    if !is_valid_name(project) {
        // Also what keeps a CR or LF out of the `Location` below.
        return Err(PypiError::bad_request(format!(
            "{project:?} is not a valid project name"
        )));
    }
    let normalized = normalize_name(project);
    if normalized != project {
        // PEP 503: the normalised name is the project's one URL.
        let location = state
            .config
            .url(&format!("/pypi/{owner}/simple/{normalized}/"));
        let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
        r.headers_mut().insert(
            header::LOCATION,
            // The owner came from the URL too: bytes no header may carry
            // are the client's mistake.
            HeaderValue::from_str(&location)
                .map_err(|_| PypiError::bad_request("the URL names no valid owner"))?,
        );
        return Ok(r);
    }
    let kind = wants_json(headers, query)?;
    let package = readable(state, actor, owner, project).await?;
    let releases = project_files(state, &package).await?;
    let display = releases
        .last()
        .and_then(|(_, m, _)| m.get("name").and_then(Value::as_str))
        .unwrap_or(&package.name)
        .to_owned();
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>Links for {0}</title></head><body><h1>Links for {0}</h1>\n",
        escape(display.as_str())
    );
    let mut files = Vec::new();
    for (_, _, dists) in &releases {
        for d in dists {
            let mut attrs = String::new();
            if let Some(rp) = &d.requires_python {
                let _ = write!(attrs, " data-requires-python=\"{}\"", escape(rp.as_str()));
            }
            if let Some(m) = &d.metadata_sha256 {
                let _ = write!(
                    attrs,
                    " data-dist-info-metadata=\"sha256={m}\" data-core-metadata=\"sha256={m}\""
                );
            }
            if let Some(reason) = &d.yanked {
                let _ = write!(attrs, " data-yanked=\"{}\"", escape(reason.as_str()));
            }
            let _ = writeln!(
                html,
                "<a href=\"{}#sha256={}\"{attrs}>{}</a><br>",
                escape(d.url.as_str()),
                d.sha256,
                escape(d.filename.as_str())
            );
            let metadata = d
                .metadata_sha256
                .as_ref()
                .map_or(json!(false), |m| json!({ "sha256": m }));
            files.push(json!({
                "filename": d.filename,
                "url": d.url,
                "hashes": { "sha256": d.sha256 },
                "requires-python": d.requires_python,
                "dist-info-metadata": metadata,
                "core-metadata": metadata,
                "yanked": d.yanked.as_ref().map_or(json!(false), |r| if r.is_empty() { json!(true) } else { json!(r) }),
                "size": d.size,
                "upload-time": d.uploaded.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            }));
        }
    }
    html.push_str("</body></html>\n");
    let doc = json!({
        "meta": { "api-version": "1.1" },
        "name": package.name,
        "versions": releases.iter().map(|(v, _, _)| v.normalized()).collect::<Vec<_>>(),
        "files": files,
    });
    Ok(negotiated(kind, html, &doc, head))
}

#[allow(clippy::too_many_arguments)]
async fn download(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
    version: &str,
    filename: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let package = readable(state, actor, owner, project).await?;
    let not_found = || PypiError::new(StatusCode::NOT_FOUND, format!("{filename} was not found"));
    let v = state
        .registry
        .meta
        .version(package.id, version)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(not_found)?;
    let files = state.registry.meta.files(v.id).await?;
    let file = files
        .iter()
        .find(|f| f.name == filename)
        .ok_or_else(not_found)?;
    let metadata = filename.ends_with(".metadata");
    let content_type = if metadata {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    };
    let response =
        match entrepot_http::download::serve_blob(state, &file.sha256, headers, content_type, head)
            .await
        {
            Ok(r) => r,
            Err(ServiceError::RangeNotSatisfiable { size }) => {
                return Ok(entrepot_http::download::range_not_satisfiable(size));
            }
            Err(e) => return Err(e.into()),
        };
    if !metadata && !head && response.status() == StatusCode::OK {
        state.registry.count_download(&v);
    }
    Ok(response)
}

/// `pypi/NAME/json`, shaped like PyPI's JSON API (the parts tools read).
async fn project_json(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
) -> Result<Response> {
    let package = readable(state, actor, owner, project).await?;
    let releases = project_files(state, &package).await?;
    let latest = releases
        .iter()
        .rev()
        .find(|(v, m, _)| !v.is_prerelease() && m.get("yanked") == Some(&json!(false)))
        .or_else(|| releases.last())
        .ok_or_else(|| PypiError::new(StatusCode::NOT_FOUND, "no releases"))?;
    let file_json = |d: &Dist| {
        json!({
            "filename": d.filename,
            "url": d.url,
            "digests": { "sha256": d.sha256 },
            "size": d.size,
            "requires_python": d.requires_python,
            "upload_time_iso_8601": d.uploaded.to_rfc3339(),
            "yanked": d.yanked.is_some(),
            "yanked_reason": d.yanked.clone().filter(|r| !r.is_empty()),
        })
    };
    let mut info = latest.1.clone();
    info["description"] = json!(package.readme);
    let releases_json: serde_json::Map<String, Value> = releases
        .iter()
        .map(|(v, _, dists)| {
            (
                v.normalized(),
                Value::Array(dists.iter().map(file_json).collect()),
            )
        })
        .collect();
    Ok(axum::Json(json!({
        "info": info,
        "releases": releases_json,
        "urls": latest.2.iter().map(file_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// Yanks (PEP 592) or unyanks a release: it stays installable when pinned
/// with `==`, but resolvers skip it. Needs `delete:packages` and admin.
async fn yank(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
    version: &str,
    yanked: bool,
    reason: &str,
) -> Result<Response> {
    let package = readable(state, actor, owner, project).await?;
    state
        .registry
        .authorize_package(actor, Action::Delete, &package)
        .await?;
    let name = Version::parse(version)
        .map(|v| v.normalized())
        .ok_or_else(|| PypiError::bad_request("invalid version"))?;
    let v = state
        .registry
        .meta
        .version(package.id, &name)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(|| {
            PypiError::new(
                StatusCode::NOT_FOUND,
                format!("{project} {name} was not found"),
            )
        })?;
    let mut metadata = v.metadata.clone();
    metadata["yanked"] = if yanked { json!(reason) } else { json!(false) };
    state
        .registry
        .update_version_metadata(
            actor,
            &package,
            &v,
            metadata,
            if yanked {
                "version.yank"
            } else {
                "version.unyank"
            },
        )
        .await?;
    Ok((
        StatusCode::OK,
        if yanked { "Yanked\n" } else { "Unyanked\n" },
    )
        .into_response())
}

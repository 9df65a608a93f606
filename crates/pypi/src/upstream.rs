//! PyPI projects served from an upstream: at `BASE/pypi/NAME/simple/`,
//! where NAME is the upstream's reserved owner (a mirror), and at
//! `BASE/pypi/OWNER/simple/` for projects OWNER does not have, when
//! OWNER's index falls through to an upstream. The upstream's project page
//! (PEP 691 JSON or PEP 503 HTML) is read for its files, hashes,
//! `Requires-Python`, yanks and core metadata, and served again with every
//! file under the upstream's name here; files are fetched once, checked
//! against the page's SHA-256, kept and served from the blob store.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entrepot_core::{Account, Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{FileAnswer, serve_kept, serve_wanted};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, WantedFile};
use entrepot_store::Expected;
use quick_xml::escape::unescape;
use serde_json::Value;

use crate::error::{PypiError, Result};
use crate::pep440::{Version, normalize_name};
use crate::releases::Dist;
use crate::simple::{project_body, respond};

/// The most files one upstream page may list.
const MAX_FILES: usize = 100_000;

/// One file as the upstream's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub filename: String,
    /// Absolute, resolved against the page's URL.
    pub url: String,
    pub sha256: String,
    pub requires_python: Option<String>,
    /// The yank's reason (empty when none was given), if yanked.
    pub yanked: Option<String>,
    /// The SHA-256 of its core metadata file (PEP 658/714), if served.
    pub metadata_sha256: Option<String>,
    pub size: Option<u64>,
}

/// The upstream `owner` is the reserved name of, if it is a PyPI one: its
/// index is a mirror of the upstream's. Reads follow the instance's rule.
pub async fn mirror(state: &AppState, actor: &Actor, owner: &str) -> Result<Option<Upstream>> {
    // The node's list of upstreams: no query for the owners that are not.
    let upstreams = state.registry.upstreams();
    match upstreams.mirror_named(owner, PackageType::Pypi).await? {
        Some(upstream) => {
            upstreams.may_read(actor)?;
            Ok(Some(upstream))
        }
        None => Ok(None),
    }
}

/// The upstream `owner`'s index falls through to for `project`, unless
/// `owner` has a project of that name (visible to the caller or not,
/// deleted or not) or keeps names like it by a reserved pattern: a local
/// name never comes from an upstream. Returns the owner's account too.
pub async fn fallthrough(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
) -> Result<Option<(Account, Upstream)>> {
    let upstreams = state.registry.upstreams();
    let Some(account) = state.registry.accounts().account_by_login(owner).await? else {
        return Ok(None);
    };
    let Some(fallthrough) = upstreams
        .fallthrough_of(&account, PackageType::Pypi)
        .await?
    else {
        return Ok(None);
    };
    if fallthrough.reserves(&normalize_name(project))
        || has_project(state, &account, project).await?
    {
        return Ok(None);
    }
    upstreams.may_read(actor)?;
    Ok(Some((account, fallthrough.upstream)))
}

/// `GET /simple/PROJECT/` of `owner`'s index from the upstream it falls
/// through to; once served, the name is kept for the upstream, so that
/// no local project takes its place unnoticed.
pub async fn fallen_through(
    state: &AppState,
    (owner, upstream): (&Account, &Upstream),
    project: &str,
    kind: Option<&'static str>,
    head: bool,
) -> Result<Response> {
    let page = self::project(state, upstream, project, kind, head).await?;
    state
        .registry
        .upstreams()
        .keep_owner_name(owner, PackageType::Pypi, &normalize_name(project), upstream)
        .await?;
    Ok(page)
}

async fn has_project(state: &AppState, owner: &Account, project: &str) -> Result<bool> {
    Ok(state
        .registry
        .packages()
        .package_named(owner.id, PackageType::Pypi, &normalize_name(project), true)
        .await?
        .is_some())
}

/// The project page's path under the upstream's URL.
fn page_path(project: &str) -> String {
    format!("simple/{}/", normalize_name(project))
}

/// The version a distribution's file name carries (wheels, sdists, eggs).
pub fn version_of(filename: &str) -> Option<String> {
    let lower = filename.to_ascii_lowercase();
    let version = if let Some(stem) = lower.strip_suffix(".whl") {
        stem.split('-').nth(1)?.to_owned()
    } else if let Some(stem) = lower.strip_suffix(".egg") {
        stem.split('-').nth(1)?.to_owned()
    } else {
        let stem = [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
            .iter()
            .find_map(|ext| lower.strip_suffix(ext))?;
        stem.rsplit_once('-')?.1.to_owned()
    };
    Version::parse(&version).map(|v| v.normalized())
}

fn hex64(text: &str) -> Option<String> {
    (text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| text.to_ascii_lowercase())
}

/// Reads a PEP 691 JSON project page.
fn parse_json(body: &str, base: &url::Url) -> std::result::Result<Vec<Listed>, String> {
    let doc: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let files = doc["files"].as_array().ok_or("no `files` list")?;
    let mut out = Vec::new();
    for f in files.iter().take(MAX_FILES) {
        let (Some(filename), Some(url)) = (f["filename"].as_str(), f["url"].as_str()) else {
            continue;
        };
        let Some(sha256) = f["hashes"]["sha256"].as_str().and_then(hex64) else {
            continue;
        };
        let Ok(url) = base.join(url) else { continue };
        let metadata = if f["core-metadata"].is_null() {
            &f["dist-info-metadata"]
        } else {
            &f["core-metadata"]
        };
        out.push(Listed {
            filename: filename.to_owned(),
            url: url.to_string(),
            sha256,
            requires_python: f["requires-python"].as_str().map(str::to_owned),
            yanked: match &f["yanked"] {
                Value::Bool(true) => Some(String::new()),
                Value::String(reason) => Some(reason.clone()),
                _ => None,
            },
            metadata_sha256: metadata["sha256"].as_str().and_then(hex64),
            size: f["size"].as_u64(),
        });
    }
    Ok(out)
}

/// The value of attribute `name` in an anchor's attribute text.
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before_ok = start == 0 || lower.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = attrs[from..].trim_start();
        if !before_ok {
            continue;
        }
        let Some(rest) = rest.strip_prefix('=') else {
            if rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '/') {
                return Some(String::new());
            }
            continue;
        };
        let rest = rest.trim_start();
        let value = match rest.chars().next()? {
            q @ ('"' | '\'') => rest[1..].split(q).next()?,
            _ => rest.split(|c: char| c.is_ascii_whitespace()).next()?,
        };
        return Some(
            unescape(value).map_or_else(|_| value.to_owned(), std::borrow::Cow::into_owned),
        );
    }
    None
}

/// Reads a PEP 503 HTML project page: each anchor is a file, its
/// `#sha256=` fragment the hash, its `data-` attributes the rest.
fn parse_html(body: &str, base: &url::Url) -> Vec<Listed> {
    let mut out = Vec::new();
    let lower = body.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find("<a") {
        let start = from + at + 2;
        let Some(close) = lower[start..].find('>') else {
            break;
        };
        let attrs = &body[start..start + close];
        let text_start = start + close + 1;
        let Some(end) = lower[text_start..].find("</a>") else {
            break;
        };
        from = text_start + end + 4;
        if !attrs.starts_with(|c: char| c.is_ascii_whitespace()) || out.len() >= MAX_FILES {
            continue;
        }
        let Some(href) = attribute(attrs, "href") else {
            continue;
        };
        let Ok(mut url) = base.join(&href) else {
            continue;
        };
        let Some(sha256) = url
            .fragment()
            .and_then(|f| f.strip_prefix("sha256="))
            .and_then(hex64)
        else {
            continue;
        };
        url.set_fragment(None);
        let text = body[text_start..text_start + end].trim();
        let filename =
            unescape(text).map_or_else(|_| text.to_owned(), std::borrow::Cow::into_owned);
        let metadata = attribute(attrs, "data-core-metadata")
            .or_else(|| attribute(attrs, "data-dist-info-metadata"));
        out.push(Listed {
            filename,
            url: url.to_string(),
            sha256,
            requires_python: attribute(attrs, "data-requires-python"),
            yanked: attribute(attrs, "data-yanked"),
            metadata_sha256: metadata
                .as_deref()
                .and_then(|m| m.strip_prefix("sha256="))
                .and_then(hex64),
            size: None,
        });
    }
    out
}

/// The files an upstream's project page lists (PEP 691 JSON or PEP 503
/// HTML, as it said it sent).
fn files_of(
    fetched: &Fetched,
    base: &url::Url,
    upstream: &str,
) -> std::result::Result<Vec<Listed>, ServiceError> {
    let json = fetched
        .content_type
        .as_deref()
        .is_some_and(|t| t.contains("json"));
    let files = if json {
        parse_json(&fetched.body, base)
    } else {
        Ok(parse_html(&fetched.body, base))
    };
    files.map_err(|e| {
        ServiceError::Upstream(format!(
            "the upstream registry `{upstream}` sent a project page this registry cannot read: {e}"
        ))
    })
}

/// The project page's URL at the upstream, against which its links resolve.
fn page_url(upstream: &Upstream, path: &str) -> Result<url::Url> {
    url::Url::parse(&upstream.url)
        .and_then(|u| u.join(path))
        .map_err(|e| PypiError::from(ServiceError::Internal(e.to_string())))
}

/// The files the upstream lists for `project`.
async fn listed(state: &AppState, upstream: &Upstream, project: &str) -> Result<Vec<Listed>> {
    let path = page_path(project);
    let fetched = state.registry.upstreams().document(upstream, &path).await?;
    let base = page_url(upstream, &path)?;
    let name = upstream.name.clone();
    Ok(
        tokio::task::spawn_blocking(move || files_of(&fetched, &base, &name))
            .await
            .map_err(|e| PypiError::from(ServiceError::Internal(e.to_string())))??,
    )
}

/// The upstream's files as this registry lists them: each under
/// `files_url` (`…/files/PROJECT/`), with the versions they carry.
fn dists_of(files: Vec<Listed>, files_url: &str) -> (Vec<String>, Vec<Dist>) {
    let mut versions: Vec<Version> = Vec::new();
    let mut dists = Vec::new();
    for f in files {
        let Some(version) = version_of(&f.filename) else {
            continue;
        };
        if let Some(v) = Version::parse(&version) {
            versions.push(v);
        }
        dists.push(Dist {
            url: format!("{files_url}{version}/{}", f.filename),
            filename: f.filename,
            sha256: f.sha256,
            size: f.size,
            uploaded: None,
            requires_python: f.requires_python,
            metadata_sha256: f.metadata_sha256,
            yanked: f.yanked,
        });
    }
    versions.sort();
    versions.dedup();
    (versions.iter().map(Version::normalized).collect(), dists)
}

/// `GET /simple/PROJECT/` from the upstream, with every file here: the
/// page is rendered once per fetch of the upstream's, per node.
pub async fn project(
    state: &AppState,
    upstream: &Upstream,
    project: &str,
    kind: Option<&'static str>,
    head: bool,
) -> Result<Response> {
    let name = normalize_name(project);
    let path = page_path(&name);
    let base = page_url(upstream, &path)?;
    let files_url = state
        .config
        .url(&format!("/pypi/{}/files/{name}/", upstream.name));
    let upstream_name = upstream.name.clone();
    let rendered = state
        .registry
        .upstreams()
        .rendered(upstream, &path, kind.unwrap_or("html"), move |fetched| {
            let files = files_of(&fetched, &base, &upstream_name)?;
            let (versions, dists) = dists_of(files, &files_url);
            let refs: Vec<&Dist> = dists.iter().collect();
            Ok(project_body(kind, &name, &name, &versions, &refs))
        })
        .await?;
    Ok(entrepot_http::upstream::mark(
        respond(kind, rendered.body, head),
        &upstream.name,
        rendered.stale,
    ))
}

/// `GET /files/PROJECT/VERSION/FILE` under an upstream's name: the kept
/// copy, or fetched, checked and kept now.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    upstream: &Upstream,
    (project, version, filename): (&str, &str, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let upstreams = state.registry.upstreams();
    upstreams.may_read(actor)?;
    if !crate::pep440::is_valid_name(project) {
        return Err(PypiError::bad_request(format!(
            "{project:?} is not a valid project name"
        )));
    }
    let name = normalize_name(project);
    let not_found = || PypiError::new(StatusCode::NOT_FOUND, format!("{filename} was not found"));
    let metadata = filename.strip_suffix(".metadata");
    let answer = FileAnswer {
        headers,
        content_type: if metadata.is_some() {
            "text/plain; charset=utf-8"
        } else {
            "application/octet-stream"
        },
        head,
    };
    if let Some(kept) = upstreams
        .kept_file(upstream, PackageType::Pypi, &name, filename)
        .await?
    {
        return Ok(serve_kept(
            state,
            upstream,
            &kept,
            &answer,
            metadata.is_none().then_some(PackageType::Pypi),
        )
        .await?);
    }
    let files = listed(state, upstream, &name).await?;
    let dist = files
        .iter()
        .find(|f| f.filename == metadata.unwrap_or(filename))
        .ok_or_else(not_found)?;
    let (url, sha256) = match metadata {
        Some(_) => (
            format!("{}.metadata", dist.url),
            dist.metadata_sha256.clone().ok_or_else(not_found)?,
        ),
        None => (dist.url.clone(), dist.sha256.clone()),
    };
    if version_of(&dist.filename).as_deref() != Some(version) {
        return Err(not_found());
    }
    let wanted = WantedFile {
        package_type: PackageType::Pypi,
        package: name.clone(),
        version: version.to_owned(),
        file_name: filename.to_owned(),
        url,
        expected: Expected {
            sha256: Some(sha256),
            ..Expected::default()
        },
        metadata: serde_json::json!({
            "version": version,
            "requires_python": dist.requires_python,
        }),
        content_type: None,
        counted: metadata.is_none(),
    };
    Ok(serve_wanted(state, upstream, wanted, &answer).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn base() -> url::Url {
        url::Url::parse("http://127.0.0.1:8080/simple/demo/").unwrap()
    }

    #[test]
    fn html_pages_give_files_hashes_and_attributes() {
        let page = format!(
            "<html><body>\n<a href=\"../../packages/demo-1.0.tar.gz#sha256={SHA}\">demo-1.0.tar.gz</a><br>\n\
             <A HREF='/packages/demo-2.0-py3-none-any.whl#sha256={SHA}' data-requires-python=\"&gt;=3.8\" \
             data-yanked=\"broken\" data-dist-info-metadata=\"sha256={SHA}\">demo-2.0-py3-none-any.whl</A>\n\
             <a href=\"/packages/nohash-1.0.tar.gz\">nohash-1.0.tar.gz</a>\n</body></html>"
        );
        let files = parse_html(&page, &base());
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(
            files[0].url,
            "http://127.0.0.1:8080/packages/demo-1.0.tar.gz"
        );
        assert_eq!(files[0].sha256, SHA);
        assert_eq!(files[0].yanked, None);
        assert_eq!(files[1].filename, "demo-2.0-py3-none-any.whl");
        assert_eq!(files[1].requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(files[1].yanked.as_deref(), Some("broken"));
        assert_eq!(files[1].metadata_sha256.as_deref(), Some(SHA));
    }

    #[test]
    fn json_pages_give_the_same() {
        let page = serde_json::json!({"meta": {"api-version": "1.1"}, "name": "demo", "files": [
            {"filename": "demo-1.0.tar.gz", "url": "../../packages/demo-1.0.tar.gz",
             "hashes": {"sha256": SHA}, "yanked": true, "size": 12},
            {"filename": "demo-2.0-py3-none-any.whl", "url": "https://files.example/demo.whl",
             "hashes": {"md5": "x"}},
        ]})
        .to_string();
        let files = parse_json(&page, &base()).unwrap();
        assert_eq!(files.len(), 1, "a file without a SHA-256 is left out");
        assert_eq!(files[0].yanked.as_deref(), Some(""));
        assert_eq!(files[0].size, Some(12));
        assert!(parse_json("[]", &base()).is_err());
    }

    #[test]
    fn versions_come_from_file_names() {
        assert_eq!(version_of("demo-1.0.tar.gz").as_deref(), Some("1.0"));
        assert_eq!(version_of("my-demo-2.0rc1.zip").as_deref(), Some("2.0rc1"));
        assert_eq!(
            version_of("demo-3.1-py3-none-any.whl").as_deref(),
            Some("3.1")
        );
        assert_eq!(version_of("demo.exe"), None);
        assert_eq!(version_of("demo-notaversion.tar.gz"), None);
    }
}

//! The simple index pip installs from: an owner's projects and a project's
//! files, as HTML (PEP 503) or JSON (PEP 691) as the client asks, with
//! hashes, `Requires-Python`, core metadata (PEP 658/714) and yanks (PEP 592).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entrepot_core::{Actor, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use quick_xml::escape::escape;
use serde_json::{Value, json};

use crate::endpoint::Listing;
use crate::error::{PypiError, Result};
use crate::pages::{Page, Pages};
use crate::pep440::{is_valid_name, normalize_name};
use crate::releases::{Dist, readable, releases};
use crate::upstream;

const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";
const HTML_TYPE: &str = "application/vnd.pypi.simple.v1+html";

/// PEP 691 content negotiation: JSON, the versioned HTML, or plain HTML;
/// `?format=` wins over `Accept`.
pub(crate) fn wants_json(
    headers: &HeaderMap,
    format: Option<&str>,
) -> Result<Option<&'static str>> {
    if let Some(format) = format {
        return match format {
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
    let body = match kind {
        Some(JSON_TYPE) => serde_json::to_vec(json_body).expect("JSON renders"),
        _ => html.into_bytes(),
    };
    respond(kind, Bytes::from(body), head)
}

/// The content type a page negotiated as `kind` is served with.
fn content_type_of(kind: Option<&'static str>) -> &'static str {
    match kind {
        Some(JSON_TYPE) => JSON_TYPE,
        Some(HTML_TYPE) => HTML_TYPE,
        _ => "text/html; charset=utf-8",
    }
}

/// A page's answer: its body (none for `HEAD`) with the headers every
/// index page has.
pub(crate) fn respond(kind: Option<&'static str>, body: Bytes, head: bool) -> Response {
    let length = body.len();
    let mut response = if head {
        Body::empty().into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type_of(kind)),
    );
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

/// An index page's HTML, opened with the repository version PEP 629 asks
/// for and the title given.
fn html_page(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.1\"><title>{title}</title></head><body>"
    )
}

/// `GET /simple/`: the projects of `owner` the caller may see.
pub async fn projects(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    headers: &HeaderMap,
    listing: &Listing,
) -> Result<Response> {
    let kind = wants_json(headers, listing.format.as_deref())?;
    let Some(account) = state.registry.accounts().account_by_login(owner).await? else {
        return Err(ServiceError::unseen(actor, "Not Found").into());
    };
    let mut names: Vec<String> = state
        .registry
        .packages()
        .visible_packages(actor, &account, PackageType::Pypi)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    names.sort();
    let mut html = html_page("Simple index");
    html.push('\n');
    for n in &names {
        let _ = writeln!(html, "<a href=\"{n}/\">{n}</a><br>");
    }
    html.push_str("</body></html>\n");
    let doc = json!({
        "meta": { "api-version": "1.1" },
        "projects": names.iter().map(|n| json!({ "name": n })).collect::<Vec<_>>(),
    });
    Ok(negotiated(kind, html, &doc, listing.head))
}

/// What a request for a project's page asks, and where pages are kept.
pub struct Asked<'a> {
    pub headers: &'a HeaderMap,
    pub listing: &'a Listing,
    pub pages: &'a Pages,
}

/// `GET /simple/PROJECT/`: the project's files, at the one URL of its
/// normalised name.
pub async fn project(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    project: &str,
    asked: Asked<'_>,
) -> Result<Response> {
    let Asked {
        headers,
        listing,
        pages,
    } = asked;
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
    let kind = wants_json(headers, listing.format.as_deref())?;
    if let Some(upstream) = upstream::mirror(state, actor, owner).await? {
        return upstream::project(state, &upstream, project, kind, listing.head).await;
    }
    let package = match readable(state, actor, owner, project).await {
        Ok(package) => package,
        Err(local) => {
            // A project the owner does not have may come from the upstream
            // its index falls through to; one it has, never.
            return match upstream::fallthrough(state, actor, owner, project).await? {
                Some((account, upstream)) => {
                    upstream::fallen_through(
                        state,
                        (&account, &upstream),
                        project,
                        kind,
                        listing.head,
                    )
                    .await
                }
                None => Err(local),
            };
        }
    };
    let content_type = content_type_of(kind);
    let key = (
        package.id,
        content_type,
        package.updated_at.timestamp_micros(),
    );
    let page = if let Some(page) = pages.get(&key) {
        page
    } else {
        let releases = releases(state, &package).await?;
        let display = releases
            .last()
            .and_then(|r| r.metadata.name.as_deref())
            .unwrap_or(&package.name)
            .to_owned();
        let versions: Vec<String> = releases.iter().map(|r| r.version.normalized()).collect();
        let dists: Vec<&Dist> = releases.iter().flat_map(|r| &r.dists).collect();
        let body = project_body(kind, &display, &package.name, &versions, &dists);
        let page = Arc::new(Page::new(body));
        pages.put(key, Arc::clone(&page));
        page
    };
    Ok(page.respond(content_type, headers, listing.head).await)
}

/// A project's page as `kind` asks: PEP 691 JSON or PEP 503 HTML.
pub(crate) fn project_body(
    kind: Option<&'static str>,
    display: &str,
    name: &str,
    versions: &[String],
    dists: &[&Dist],
) -> Bytes {
    let title = format!("Links for {}", escape(display));
    let mut html = html_page(&title);
    let _ = writeln!(html, "<h1>{title}</h1>");
    let mut files = Vec::new();
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
        let mut file = json!({
            "filename": d.filename,
            "url": d.url,
            "hashes": { "sha256": d.sha256 },
            "requires-python": d.requires_python,
            "dist-info-metadata": metadata,
            "core-metadata": metadata,
            "yanked": d.yanked.as_ref().map_or(json!(false), |r| if r.is_empty() { json!(true) } else { json!(r) }),
        });
        if let Some(size) = d.size {
            file["size"] = json!(size);
        }
        if let Some(uploaded) = d.uploaded {
            file["upload-time"] =
                json!(uploaded.to_rfc3339_opts(chrono::SecondsFormat::Micros, true));
        }
        files.push(file);
    }
    html.push_str("</body></html>\n");
    if kind != Some(JSON_TYPE) {
        return Bytes::from(html);
    }
    let doc = json!({
        "meta": { "api-version": "1.1" },
        "name": name,
        "versions": versions,
        "files": files,
    });
    Bytes::from(serde_json::to_vec(&doc).expect("JSON renders"))
}

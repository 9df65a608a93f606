//! Installing: the packument (full, or abbreviated for `npm install`),
//! one version's document, and the tarball itself.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use entrepot_core::Actor;
use entrepot_http::AppState;
use entrepot_http::encoding::{self, Encoded};
use entrepot_service::ServiceError;
use serde_json::Value;

use crate::cache::{Packuments, Rendered};
use crate::error::{NpmError, NpmResult};
use crate::name::NpmName;
use crate::reply;
use crate::view::{View, readable};

/// The abbreviated ("corgi") packument's media type.
pub(crate) const CORGI: &str = "application/vnd.npm.install-v1+json";

/// Whether the client asks for the abbreviated packument (`npm install`
/// does, with full JSON as a fallback it prefers less).
pub(crate) fn wants_abbreviated(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains(CORGI) && !accept.starts_with("application/json")
}

fn http_date(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `GET /NAME`: rendered once per change of the package, then served from
/// the cache, with an `ETag` for conditional requests.
pub async fn packument(
    state: &AppState,
    cache: &Packuments,
    actor: &Actor,
    name: &NpmName,
    headers: &HeaderMap,
    head: bool,
) -> NpmResult<Response> {
    let package = readable(&state.registry, actor, name).await?;
    let abbreviated = wants_abbreviated(headers);
    let content_type = if abbreviated {
        CORGI
    } else {
        "application/json"
    };
    let key = (package.id, abbreviated, package.updated_at);
    let rendered = if let Some(hit) = cache.get(&key) {
        hit
    } else {
        let view = View::load(&state.registry, package).await?;
        let base = state.config.site.base_url().to_string();
        let name = name.clone();
        // Signing every version and serializing is work for a blocking
        // thread, not the executor.
        let (view, body) = tokio::task::spawn_blocking(move || {
            let doc = if abbreviated {
                view.abbreviated(&base, &name)
            } else {
                view.full(&base, &name)
            };
            serde_json::to_vec(&doc).map(|body| (view, body))
        })
        .await
        .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?
        .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?;
        let etag = encoding::etag_of(&body);
        let rendered = Rendered {
            body: Encoded::new(body.into()),
            etag,
            last_modified: http_date(&view.last_modified()),
        };
        cache.put(key, rendered.clone());
        rendered
    };
    let how = encoding::Kept {
        content_type,
        vary: "Accept, Authorization",
    };
    let mut response = encoding::kept(&rendered.body, &rendered.etag, headers, head, how).await;
    if let Ok(v) = HeaderValue::from_str(&rendered.last_modified) {
        response.headers_mut().insert(header::LAST_MODIFIED, v);
    }
    Ok(response)
}

/// `GET /NAME/VERSION`: one version's manifest; a dist-tag names one too.
pub async fn version_doc(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    wanted: &str,
) -> NpmResult<Response> {
    let view = View::readable(&state.registry, actor, name).await?;
    let tags = view.dist_tags();
    let version_name = tags.get(wanted).and_then(Value::as_str).unwrap_or(wanted);
    let (v, files) = view.version(version_name).ok_or_else(|| {
        NpmError(ServiceError::not_found(format!(
            "version not found: {wanted}"
        )))
    })?;
    Ok(reply::json(
        StatusCode::OK,
        view.manifest(state.config.site.base_url().as_str(), name, v, files),
    ))
}

/// `GET /NAME/-/NAME-VERSION.tgz`, counted as a download when served whole.
pub async fn tarball(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    file: &str,
    headers: &HeaderMap,
) -> NpmResult<Response> {
    let package = readable(&state.registry, actor, name).await?;
    let missing = || NpmError(ServiceError::not_found(format!("no tarball {file}")));
    let version_name = file
        .strip_prefix(&format!("{}-", name.name))
        .and_then(|r| r.strip_suffix(".tgz"))
        .ok_or_else(missing)?;
    let version = state
        .registry
        .packages()
        .live_version(&package, version_name)
        .await?
        .ok_or_else(missing)?;
    let files = state.registry.packages().files(version.id).await?;
    let stored = files.first().ok_or_else(missing)?;
    let response =
        entrepot_http::download::serve_file(state, stored, headers, "application/octet-stream")
            .await?;
    if response.status() == StatusCode::OK {
        state
            .registry
            .packages()
            .count_download(entrepot_core::PackageType::Npm, &version);
    }
    Ok(response)
}

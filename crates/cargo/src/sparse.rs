//! The sparse index at `BASE/cargo/OWNER/index/`: `config.json`, and one
//! file per crate with `ETag` and `Last-Modified`, rendered once per
//! change of the crate (and gzipped or brotli-compressed once, when a
//! client first asks) and answered `304` when the client's copy is current.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use entrepot_core::{Account, Actor, Package, PackageType};
use entrepot_http::AppState;
use entrepot_http::encoding::{self, Encoded};
use entrepot_service::ServiceError;
use serde_json::json;
use sha2::Digest;

use crate::metadata::VersionMetadata;
use crate::namespace::readable_crate;
use crate::reply::{self, CargoError, Result, internal};

const MAX_CACHED_FILES: usize = 4096;

/// One rendered index file and its validators.
pub struct IndexFile {
    body: Arc<Encoded>,
    etag: String,
    last_modified: DateTime<Utc>,
}

impl IndexFile {
    /// The file as served.
    pub fn body(&self) -> &Bytes {
        self.body.identity()
    }
}

/// Rendered index files by package and the package's last change (see
/// `entrepot_http::cache`).
pub type IndexCache =
    entrepot_http::cache::Renderings<(i64, i64), Arc<IndexFile>, MAX_CACHED_FILES>;

/// `index/config.json`: where crates download from and where the API is.
/// Anonymous callers of a registry that requires a token are challenged
/// here, which is where cargo learns to send it.
pub async fn config_json(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    head: bool,
) -> Result<Response> {
    let auth_required = state
        .registry
        .packages()
        .namespace_requires_auth(owner, PackageType::Cargo)
        .await?;
    if auth_required && matches!(actor, Actor::Anonymous) {
        return Err(ServiceError::Unauthenticated.into());
    }
    let api = state.config.url(&format!("/cargo/{}", owner.login));
    let config = json!({
        "dl": format!("{api}/api/v1/crates"),
        "api": api,
        "auth-required": auth_required,
    });
    Ok(reply::json(StatusCode::OK, &config, head))
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the client's copy (by `If-None-Match`, in any of its
/// encodings, else `If-Modified-Since`) is current.
fn not_modified(headers: &HeaderMap, file: &IndexFile) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return encoding::not_modified(headers, &file.etag);
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| file.last_modified.timestamp() <= since.timestamp())
}

/// An index file: one JSON line per live version, yanked ones included
/// (lockfiles still resolve them).
pub async fn index_file(
    state: &AppState,
    cache: &IndexCache,
    actor: &Actor,
    owner: &Account,
    name: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let package = readable_crate(state, actor, owner, name).await?;
    let key = (package.id, package.updated_at.timestamp_micros());
    let file = if let Some(file) = cache.get(&key) {
        file
    } else {
        let file = Arc::new(render(state, &package).await?);
        cache.put(key, Arc::clone(&file));
        file
    };
    if file.body().is_empty() {
        return Err(CargoError::not_found(format!(
            "crate `{name}` has no versions"
        )));
    }
    let (body, coding) = file.body.body_for(headers).await;
    let mut response = if not_modified(headers, &file) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let length = body.len();
        let body = if head {
            Body::empty()
        } else {
            Body::from(body)
        };
        let mut r = (StatusCode::OK, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        if head {
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        r
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&encoding::etag_for(&file.etag, coding)) {
        h.insert(header::ETAG, v);
    }
    encoding::mark(h, coding);
    if let Ok(v) = HeaderValue::from_str(&http_date(file.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// The crate's index file, in publish order, each line with its publish
/// time; a version without a readable line is left out (and logged).
pub async fn render(state: &AppState, package: &Package) -> Result<IndexFile> {
    let mut versions = state
        .registry
        .packages()
        .versions(package.id, false)
        .await?;
    versions.sort_by_key(|v| (v.created_at, v.id));
    let mut body = String::new();
    for v in versions {
        let Ok(metadata) = VersionMetadata::of(&v) else {
            tracing::warn!(
                version = v.id,
                "a crate version without a readable index line"
            );
            continue;
        };
        let mut line = metadata.line;
        line.pubtime = Some(v.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        body.push_str(&serde_json::to_string(&line).map_err(internal)?);
        body.push('\n');
    }
    let digest = sha2::Sha256::digest(body.as_bytes());
    Ok(IndexFile {
        etag: format!("\"{}\"", hex::encode(&digest[..16])),
        body: Encoded::new(body.into()),
        last_modified: package.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_answer_conditional_requests() {
        let file = IndexFile {
            body: Encoded::new(Bytes::from_static(b"{}\n")),
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
        assert!(
            not_modified(&headers(header::IF_NONE_MATCH, "\"abc-gzip\""), &file),
            "the gzipped form's tag names the same rendering"
        );
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

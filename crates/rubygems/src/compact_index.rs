//! The compact index Bundler and newer `gem` read: `/versions`, `/names`
//! and `/info/NAME`, served with an `ETag` of their MD5, `Range` requests
//! for the tail Bundler lacks, and their SHA-256 in `Repr-Digest`; each
//! file hashed once per rendering and compressed once when first asked.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use entrepot_http::encoding::{self, Encoded};
use sha2::Digest;

use crate::index;
use crate::respond::{Result, binary};
use crate::view::View;

/// `/versions` (or `/names` with `names`).
pub async fn list(view: &View<'_>, names: bool) -> Result<Response> {
    let rendered = view.rendered().await?;
    let file = if names {
        rendered
            .names
            .get_or_init(|| CompactFile::new(rendered.index.names().into()))
    } else {
        rendered
            .versions
            .get_or_init(|| CompactFile::new(rendered.index.versions().into()))
    };
    Ok(file.respond(view.headers, view.head).await)
}

/// `/info/NAME`: the gem's live versions, rendered once per index.
pub async fn info(view: &View<'_>, name: &str) -> Result<Response> {
    let rendered = view.rendered().await?;
    let cached = rendered
        .infos
        .lock()
        .expect("info cache")
        .get(name)
        .cloned();
    let file = if let Some(file) = cached {
        file
    } else {
        let Some(info) = rendered.index.info(name) else {
            return Err(view.missing(name).await.into());
        };
        let file = Arc::new(CompactFile::new(info.into()));
        let mut infos = rendered.infos.lock().expect("info cache");
        infos.insert(name.to_owned(), Arc::clone(&file));
        file
    };
    Ok(file.respond(view.headers, view.head).await)
}

/// A compact index file as rendered, with what each answer carries worked
/// out once: its compressed forms (made when first asked for), the
/// quoted MD5 Bundler compares as its `ETag`, and its SHA-256.
pub struct CompactFile {
    body: Arc<Encoded>,
    etag: String,
    sha256: String,
}

impl CompactFile {
    pub fn new(body: Bytes) -> Self {
        CompactFile {
            etag: format!("\"{}\"", index::md5_hex(&body)),
            sha256: base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body)),
            body: Encoded::new(body),
        }
    }

    /// The file's bytes, as the identity coding sends them.
    pub fn bytes(&self) -> &Bytes {
        self.body.identity()
    }

    /// The quoted MD5 of the bytes.
    pub fn etag(&self) -> &str {
        &self.etag
    }

    /// `Range: bytes=N-` gets the tail as it is; a whole file goes out in
    /// the coding the client takes. The `ETag` names the file's bytes
    /// whatever the coding, as Bundler checks it against the file it keeps.
    pub(crate) async fn respond(&self, headers: &HeaderMap, head: bool) -> Response {
        let identity = self.body.identity();
        let len = identity.len();
        let matches = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim().trim_start_matches("W/") == self.etag)
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
                    let mut r = binary(head, "text/plain; charset=utf-8", identity.slice(s..));
                    *r.status_mut() = StatusCode::PARTIAL_CONTENT;
                    r.headers_mut().insert(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes {s}-{}/{len}", len - 1))
                            .expect("digits"),
                    );
                    r
                }
                _ => {
                    let (body, coding) = self.body.body_for(headers).await;
                    let mut r = binary(head, "text/plain; charset=utf-8", body);
                    encoding::mark(r.headers_mut(), coding);
                    r
                }
            }
        };
        let h = response.headers_mut();
        h.insert(
            header::ETAG,
            HeaderValue::from_str(&self.etag).expect("hex"),
        );
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{}:", self.sha256)) {
            h.insert("repr-digest", v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("sha-256={}", self.sha256)) {
            h.insert("digest", v);
        }
        response
    }
}

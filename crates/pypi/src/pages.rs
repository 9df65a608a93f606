//! A project's simple page, kept per node: rendered once per change of the
//! project and per form (JSON, HTML), with its `ETag` and its compressed
//! forms made once, when a client first asks (pip asks for gzip).

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use entrepot_http::encoding::{self, Encoded};

/// At most this many pages are kept; more start the cache over.
const MAX_PAGES: usize = 4096;

/// One rendered page.
pub struct Page {
    body: Arc<Encoded>,
    etag: String,
}

/// Pages by project, content type and the project's last change (see
/// `entrepot_http::cache`).
pub type Pages = entrepot_http::cache::Renderings<(i64, &'static str, i64), Arc<Page>, MAX_PAGES>;

impl Page {
    pub fn new(body: Bytes) -> Self {
        Page {
            etag: encoding::etag_of(&body),
            body: Encoded::new(body),
        }
    }

    /// The page as served to a request with `headers`: `304` when the
    /// client's copy is current.
    pub async fn respond(
        &self,
        content_type: &'static str,
        headers: &HeaderMap,
        head: bool,
    ) -> Response {
        let how = encoding::Kept {
            content_type,
            vary: "Accept, Authorization",
        };
        encoding::kept(&self.body, &self.etag, headers, head, how).await
    }
}

//! Registration documents, catalog entries and flat-container version
//! lists, kept per node: dotnet reads them on every restore, and each
//! rendering reads and parses every version of the package. Rendered once
//! per change of the package (see `entrepot_http::cache`), with their
//! `ETag` and their compressed forms made once, when first asked.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use entrepot_http::encoding::{self, Encoded};
use entrepot_service::ServiceError;
use serde_json::Value;

use crate::respond::Result;

/// At most this many documents are kept; more start the cache over.
const MAX_DOCUMENTS: usize = 4096;

/// Documents by package, which document (its path under the feed), and the
/// package's last change.
pub type Documents = entrepot_http::cache::Renderings<(i64, String, i64), Arc<Kept>, MAX_DOCUMENTS>;

/// One rendered document.
pub struct Kept {
    body: Arc<Encoded>,
    etag: String,
}

impl Kept {
    pub fn of(value: &Value) -> Result<Self> {
        let body = serde_json::to_vec(value).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Ok(Kept {
            etag: encoding::etag_of(&body),
            body: Encoded::new(body.into()),
        })
    }

    /// The document as served to a request with `headers`: `304` when the
    /// client's copy is current, gzipped when it asks (as dotnet does).
    pub async fn respond(&self, headers: &HeaderMap, head: bool) -> Response {
        let how = encoding::Kept {
            content_type: "application/json; charset=utf-8",
            vary: "Authorization",
        };
        encoding::kept(&self.body, &self.etag, headers, head, how).await
    }
}

//! Rendered packuments, kept per node under the package's `updated_at`
//! (which every publish, tag move, deprecation and deletion advances): see
//! `entrepot_http::cache`.

use std::sync::Arc;

use entrepot_core::Timestamp;
use entrepot_http::encoding::Encoded;

/// One rendered document, with the headers derived from it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The document and its compressed forms, made as clients ask.
    pub body: Arc<Encoded>,
    pub etag: String,
    pub last_modified: String,
}

/// Packuments by (package id, abbreviated?, the package's last change).
pub type Packuments = entrepot_http::cache::Renderings<(i64, bool, Timestamp), Rendered, 4096>;

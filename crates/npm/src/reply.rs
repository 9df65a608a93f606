//! What every npm handler answers with (JSON documents, `{"ok": true}`)
//! and reads (small bodies, read whole under a limit).

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{NpmResult, invalid};
use crate::name::NpmName;

pub fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `{"ok": true}`, npm's word for a change made.
pub fn ok(status: StatusCode) -> Response {
    json(status, json!({ "ok": true }))
}

/// `{"ok": true, "id": NAME}`: a change made to the package `name`.
pub fn ok_for(name: &NpmName) -> Response {
    json(StatusCode::OK, json!({ "ok": true, "id": name.full() }))
}

/// A small body read whole; past `limit` bytes, "WHAT body too large".
pub async fn small_body(body: Body, limit: usize, what: &str) -> NpmResult<Bytes> {
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| invalid(format!("{what} body too large")))
}

//! How NuGet is answered: an error is its status and a line of text, with
//! a `Basic` challenge on a 401 (NuGet sends the credentials of its
//! `nuget.config` only after one); documents are JSON, compressed when
//! the client accepts it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use entrepot_http::error::{Challenge, PlainError};
use serde_json::Value;

/// How NuGet is asked for the credentials of its `nuget.config`.
#[derive(Debug)]
pub struct NuGetChallenge;

impl Challenge for NuGetChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot NuGet\"";
}

/// An error as NuGet prints it: the status and a line of text; it wraps
/// every `ServiceError`.
pub type NuGetError = PlainError<NuGetChallenge>;

pub type Result<T> = std::result::Result<T, NuGetError>;

/// A JSON body rendered for this request (the server's compression layer
/// compresses it for a client that asks); documents kept per package are
/// answered by `documents::Kept`.
pub fn json_response(value: &Value) -> Response {
    let mut response = serde_json::to_vec(value)
        .expect("JSON renders")
        .into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

//! How NuGet is answered: an error is its status and a line of text, with
//! a `Basic` challenge on a 401 (NuGet sends the credentials of its
//! `nuget.config` only after one); documents are JSON, gzip-compressed
//! where the resource says so and the client accepts it.

use std::io::Write;

use axum::http::{HeaderMap, HeaderValue, header};
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

/// A JSON body, gzip-compressed when `gzip` and the client accepts it.
pub fn json_response(value: &Value, gzip: bool, headers: &HeaderMap) -> Response {
    let body = serde_json::to_vec(value).expect("JSON renders");
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut response = if gzip && accepts_gzip {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).expect("memory");
        let mut r = z.finish().expect("memory").into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        body.into_response()
    };
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

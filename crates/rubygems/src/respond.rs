//! How gem and Bundler are answered: an error is its status and a line of
//! text (what `gem` prints), with a `Basic` challenge on a 401, since gem
//! and Bundler send credentials only once asked; bodies are text or bytes
//! that clients must not cache without asking.

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use entrepot_http::error::{Challenge, PlainError};

/// How gem and Bundler are asked for credentials.
#[derive(Debug)]
pub struct GemChallenge;

impl Challenge for GemChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot RubyGems\"";
}

/// An error as gem and Bundler show it: the status and a line of text; it
/// wraps every `ServiceError`.
pub type GemError = PlainError<GemChallenge>;

pub type Result<T> = std::result::Result<T, GemError>;

/// A line of text (the body left out for `HEAD`).
pub fn text_response(head: bool, body: String) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Bytes of `content_type`, with their length (the body left out for
/// `HEAD`).
pub fn binary(head: bool, content_type: &'static str, body: Bytes) -> Response {
    let length = body.len();
    let mut response = if head {
        Body::empty().into_response()
    } else {
        body.into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

//! GitHub's error body, `{"message", "documentation_url"}`, for the REST API
//! and as the default rendering of a `ServiceError`. Formats whose clients
//! expect another shape wrap `ServiceError` in their own type.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_service::ServiceError;
use serde::Serialize;

/// Where GitHub's errors point; kept so that clients that print it work.
pub const DOCUMENTATION_URL: &str = "https://docs.github.com/rest";

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

impl<E: Into<ServiceError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(Serialize)]
struct Body<'a> {
    message: &'a str,
    documentation_url: &'a str,
}

/// The status of a service error.
pub fn status_of(e: &ServiceError) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What every client is told when the stores have no room left.
pub const STORAGE_FULL: &str = "Insufficient storage: the registry's storage is full. Ask its administrator to free space, then try again.";

/// The message a client may see: internal details are logged, never sent.
pub fn public_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            "Internal Server Error".to_owned()
        }
        ServiceError::StorageFull(detail) => {
            tracing::error!(%detail, "storage is full");
            STORAGE_FULL.to_owned()
        }
        ServiceError::Unauthenticated => "Requires authentication".to_owned(),
        ServiceError::BadCredentials => "Bad credentials".to_owned(),
        other => other.to_string(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = public_message(&self.0);
        let mut response = (
            status,
            Json(Body {
                message: &message,
                documentation_url: DOCUMENTATION_URL,
            }),
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Entrepot\", charset=\"UTF-8\""),
            );
        }
        // GitHub's pointer to where a token is authorized for the
        // organization's single sign-on.
        if let ServiceError::SsoRequired { url, .. } = &self.0
            && let Ok(value) = HeaderValue::from_str(&format!("required; url={url}"))
        {
            response.headers_mut().insert("x-github-sso", value);
        }
        response
    }
}

/// How a format asks a client for credentials on a 401.
pub trait Challenge {
    const WWW_AUTHENTICATE: &'static str;
}

/// A status and a line of text: the error shape of clients that print the
/// response body (gem, Maven, NuGet, pip). A 401 carries the format's
/// challenge, since these clients send credentials only after one.
#[derive(Debug)]
pub struct PlainError<C> {
    pub status: StatusCode,
    pub message: String,
    challenge: std::marker::PhantomData<C>,
}

impl<C> PlainError<C> {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        PlainError {
            status,
            message: message.into(),
            challenge: std::marker::PhantomData,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl<C, E: Into<ServiceError>> From<E> for PlainError<C> {
    fn from(e: E) -> Self {
        let e = e.into();
        Self::new(status_of(&e), public_message(&e))
    }
}

/// The most of a message a reason phrase carries.
const MAX_REASON_BYTES: usize = 200;

/// `message` as an HTTP/1.1 reason phrase: what Maven, twine and pip print
/// of a refusal (they do not show the body), as PyPI itself words its
/// reasons. Visible ASCII and spaces only, cut short.
pub fn reason_phrase(message: &str) -> Option<hyper::ext::ReasonPhrase> {
    let mut reason = String::with_capacity(message.len().min(MAX_REASON_BYTES));
    for c in message.trim().chars() {
        if reason.len() >= MAX_REASON_BYTES {
            reason.push_str("...");
            break;
        }
        reason.push(if c.is_ascii_graphic() || c == ' ' {
            c
        } else if c.is_whitespace() {
            ' '
        } else {
            '?'
        });
    }
    hyper::ext::ReasonPhrase::try_from(reason.into_bytes()).ok()
}

impl<C: Challenge> IntoResponse for PlainError<C> {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.message),
        )
            .into_response();
        if self.status.is_client_error() || self.status.is_server_error() {
            let canonical = self.status.canonical_reason().unwrap_or_default();
            if let Some(reason) = reason_phrase(&format!("{canonical}: {}", self.message)) {
                response.extensions_mut().insert(reason);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(C::WWW_AUTHENTICATE),
            );
        }
        response
    }
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    #[test]
    fn a_reason_phrase_is_visible_ascii_and_short() {
        let r = reason_phrase("File already exists:\tx.whl — never\r\nreused").unwrap();
        assert_eq!(r.as_bytes(), b"File already exists: x.whl ? never  reused");
        let long = reason_phrase(&"x".repeat(1000)).unwrap();
        assert_eq!(long.as_bytes().len(), MAX_REASON_BYTES + 3);
    }
}

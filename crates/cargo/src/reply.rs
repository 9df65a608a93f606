//! Cargo's JSON on the wire: replies, and errors as
//! `{"errors":[{"detail"}]}`, which cargo prints as they are. A 401
//! carries the `Cargo login_url` challenge of RFC 3139, on which cargo
//! retries `config.json` with its token.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_http::state::HttpConfig;
use entrepot_service::ServiceError;
use serde_json::{Value, json};

/// An error as cargo shows it: a status and one line of detail.
#[derive(Debug)]
pub struct CargoError {
    status: StatusCode,
    detail: String,
}

pub type Result<T> = std::result::Result<T, CargoError>;

impl CargoError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        CargoError {
            status,
            detail: detail.into(),
        }
    }

    /// The status the answer goes out with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The line of detail cargo would print.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn bad(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        CargoError::new(StatusCode::NOT_FOUND, detail)
    }

    /// The response, with the challenge's `login_url` (where tokens are
    /// made) built on the server's base URL.
    pub fn respond(self, config: &HttpConfig) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({ "errors": [{ "detail": self.detail }] })),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Cargo login_url=\"{}\"", config.url("/settings/tokens"));
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

impl<E: Into<ServiceError>> From<E> for CargoError {
    fn from(e: E) -> Self {
        let e = e.into();
        let detail = match &e {
            ServiceError::Unauthenticated => {
                "this registry requires a token: `cargo login --registry NAME` \
                 with a personal access token (read:packages; write:packages to publish)"
                    .to_owned()
            }
            _ => entrepot_http::error::public_message(&e),
        };
        CargoError::new(entrepot_http::error::status_of(&e), detail)
    }
}

/// An error of the server's own, whose detail is logged, never sent.
pub fn internal(e: impl std::fmt::Display) -> CargoError {
    ServiceError::Internal(e.to_string()).into()
}

/// Refuses an anonymous caller where only a signed-in one may act
/// (publish, yank, owners): 401, so that cargo sends its token.
pub fn signed_in(actor: &entrepot_core::Actor) -> Result<()> {
    match actor.user_id() {
        Some(_) => Ok(()),
        None => Err(ServiceError::Unauthenticated.into()),
    }
}

/// A JSON reply (headers only for `HEAD`), never cached by proxies.
pub fn json(status: StatusCode, value: &Value, head: bool) -> Response {
    let body = if head {
        Body::empty()
    } else {
        Body::from(serde_json::to_vec(value).expect("JSON renders"))
    };
    let mut response = (status, body).into_response();
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

/// A `200` JSON reply to an API call.
pub fn ok(value: &Value) -> Response {
    json(StatusCode::OK, value, false)
}

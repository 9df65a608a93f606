//! osv.dev's error, `{"code", "message"}` with a gRPC status code, and
//! how a service error reads as one.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_service::ServiceError;

use crate::model::osv::ErrorBody;

/// osv.dev's error: a gRPC status code and a message.
#[derive(Debug)]
pub(super) struct OsvError {
    pub(super) status: StatusCode,
    pub(super) code: u8,
    pub(super) message: String,
}

impl OsvError {
    pub(super) fn invalid(message: impl Into<String>) -> Self {
        OsvError {
            status: StatusCode::BAD_REQUEST,
            code: 3,
            message: message.into(),
        }
    }

    pub(super) fn not_found() -> Self {
        OsvError {
            status: StatusCode::NOT_FOUND,
            code: 5,
            message: "Bug not found.".into(),
        }
    }
}

impl From<ServiceError> for OsvError {
    fn from(e: ServiceError) -> Self {
        let status = entrepot_http::error::status_of(&e);
        let code = match status {
            StatusCode::UNAUTHORIZED => 16,
            StatusCode::FORBIDDEN => 7,
            StatusCode::NOT_FOUND => 5,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => 3,
            _ => 13,
        };
        OsvError {
            status,
            code,
            message: entrepot_http::error::public_message(&e),
        }
    }
}

impl IntoResponse for OsvError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Entrepot\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

pub(super) type Result<T> = std::result::Result<T, OsvError>;

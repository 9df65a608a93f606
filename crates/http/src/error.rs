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

/// The message a client may see: internal details are logged, never sent.
pub fn public_message(e: &ServiceError) -> String {
    match e {
        ServiceError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            "Internal Server Error".to_owned()
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
        response
    }
}

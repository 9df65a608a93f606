//! npm's error shape, `{"error": "…"}`, which the CLI prints as the reason.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use entrepot_http::error::{public_message, status_of};
use entrepot_service::ServiceError;

#[derive(Debug)]
pub struct NpmError(pub ServiceError);

impl<E: Into<ServiceError>> From<E> for NpmError {
    fn from(e: E) -> Self {
        NpmError(e.into())
    }
}

pub fn invalid(message: impl Into<String>) -> NpmError {
    NpmError(ServiceError::Invalid(message.into()))
}

impl IntoResponse for NpmError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        let message = match &self.0 {
            ServiceError::Unauthenticated => {
                "authentication required: set an access token for this registry in .npmrc"
                    .to_owned()
            }
            other => public_message(other),
        };
        let mut response = (status, Json(serde_json::json!({ "error": message }))).into_response();
        if status.as_u16() == 401 {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Entrepot\""),
            );
        }
        response
    }
}

pub type NpmResult<T> = Result<T, NpmError>;

//! The distribution spec's error body, `{"errors":[{"code","message","detail"}]}`,
//! with the spec's codes, wrapping the shared service error.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_http::error::public_message;
use entrepot_service::ServiceError;
use serde_json::json;

use crate::name::BadReference;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    RangeInvalid,
    /// Docker's code for a throttled client.
    Toomanyrequests,
    /// Distribution's code for a registry (here, an upstream) that cannot
    /// answer now.
    Unavailable,
}

impl Code {
    fn text(self) -> &'static str {
        match self {
            Code::BlobUnknown => "BLOB_UNKNOWN",
            Code::Toomanyrequests => "TOOMANYREQUESTS",
            Code::Unavailable => "UNAVAILABLE",
            Code::BlobUploadInvalid | Code::RangeInvalid => "BLOB_UPLOAD_INVALID",
            Code::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Code::DigestInvalid => "DIGEST_INVALID",
            Code::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Code::ManifestInvalid => "MANIFEST_INVALID",
            Code::ManifestUnknown => "MANIFEST_UNKNOWN",
            Code::NameInvalid => "NAME_INVALID",
            Code::NameUnknown => "NAME_UNKNOWN",
            Code::SizeInvalid => "SIZE_INVALID",
            Code::Unauthorized => "UNAUTHORIZED",
            Code::Denied => "DENIED",
            Code::Unsupported => "UNSUPPORTED",
        }
    }
}

/// What a repository the caller may not see is called, as for an absent one.
pub const NAME_UNKNOWN: &str = "repository name not known to registry";

/// An error as a registry client sees it.
#[derive(Debug)]
pub struct OciError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    /// The `WWW-Authenticate` challenge of a 401.
    pub challenge: Option<String>,
}

impl OciError {
    pub fn new(status: StatusCode, code: Code, message: impl Into<String>) -> Self {
        OciError {
            status,
            code,
            message: message.into(),
            challenge: None,
        }
    }

    pub fn unauthorized(challenge: String) -> Self {
        OciError {
            status: StatusCode::UNAUTHORIZED,
            code: Code::Unauthorized,
            message: "authentication required".into(),
            challenge: Some(challenge),
        }
    }

    /// `NAME_UNKNOWN`: no repository by that name, or none the caller may see.
    pub fn name_unknown() -> Self {
        OciError::new(StatusCode::NOT_FOUND, Code::NameUnknown, NAME_UNKNOWN)
    }

    pub fn manifest_unknown() -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            Code::ManifestUnknown,
            "manifest unknown to registry",
        )
    }

    pub fn blob_unknown() -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            Code::BlobUnknown,
            "blob unknown to registry",
        )
    }

    pub fn upload_unknown() -> Self {
        OciError::new(
            StatusCode::NOT_FOUND,
            Code::BlobUploadUnknown,
            "blob upload unknown to registry",
        )
    }

    pub fn digest_invalid(message: impl Into<String>) -> Self {
        OciError::new(StatusCode::BAD_REQUEST, Code::DigestInvalid, message)
    }

    pub fn manifest_invalid(message: impl Into<String>) -> Self {
        OciError::new(StatusCode::BAD_REQUEST, Code::ManifestInvalid, message)
    }

    /// Maps a service error, naming what was being looked for on a 404.
    pub fn from_service(e: &ServiceError, not_found: Code) -> Self {
        let status = entrepot_http::error::status_of(e);
        let code = match e {
            ServiceError::Unauthenticated | ServiceError::BadCredentials => Code::Unauthorized,
            ServiceError::NotFound(_) => not_found,
            ServiceError::Forbidden(_) | ServiceError::SsoRequired { .. } => Code::Denied,
            ServiceError::DigestMismatch(_) => Code::DigestInvalid,
            ServiceError::TooLarge { .. } => Code::SizeInvalid,
            ServiceError::RangeNotSatisfiable { .. } => Code::RangeInvalid,
            ServiceError::Throttled(_) => Code::Toomanyrequests,
            ServiceError::Upstream(_) => Code::Unavailable,
            ServiceError::Conflict(_)
            | ServiceError::Invalid(_)
            | ServiceError::StorageFull(_)
            | ServiceError::Internal(_) => Code::Unsupported,
        };
        OciError::new(status, code, public_message(e))
    }
}

impl From<ServiceError> for OciError {
    fn from(e: ServiceError) -> Self {
        OciError::from_service(&e, Code::NameUnknown)
    }
}

impl From<BadReference> for OciError {
    fn from(bad: BadReference) -> Self {
        match bad {
            BadReference::Digest(text) => {
                OciError::digest_invalid(format!("invalid digest: {text}"))
            }
            BadReference::Tag(text) => OciError::manifest_invalid(format!("invalid tag: {text}")),
        }
    }
}

impl IntoResponse for OciError {
    fn into_response(self) -> Response {
        let body = json!({"errors": [{"code": self.code.text(), "message": self.message, "detail": null}]});
        let mut response = (self.status, Json(body)).into_response();
        if let Some(challenge) = self.challenge
            && let Ok(v) = HeaderValue::from_str(&challenge)
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        response
    }
}

pub type OciResult<T> = Result<T, OciError>;

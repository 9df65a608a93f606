//! Maven's and Gradle's errors: a status and one line of text, which they
//! print; a 401 carries the Basic challenge on which they send the
//! credentials of their settings.

use axum::http::StatusCode;
use entrepot_http::error::{Challenge, PlainError};

/// How Maven and Gradle are asked for the credentials of their settings.
pub struct MavenChallenge;

impl Challenge for MavenChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot Maven\"";
}

/// A refusal, as Maven and Gradle show it: a status and one line of text;
/// a `ServiceError` converts into it.
pub type MavenError = PlainError<MavenChallenge>;

pub type Result<T> = std::result::Result<T, MavenError>;

/// Nothing at this path (or nothing the caller may know of).
pub fn not_found() -> MavenError {
    MavenError::new(StatusCode::NOT_FOUND, "Not Found")
}

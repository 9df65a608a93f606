//! PyPI's error shape: the status and a line of text, which twine and pip
//! print; a 401 carries the Basic challenge pip answers with credentials.

use entrepot_http::error::{Challenge, PlainError};

/// How pip and twine are asked for credentials.
#[derive(Debug)]
pub struct PypiChallenge;

impl Challenge for PypiChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot PyPI\"";
}

/// An error as twine and pip show it, wrapping any `ServiceError`.
pub type PypiError = PlainError<PypiChallenge>;

pub type Result<T> = std::result::Result<T, PypiError>;

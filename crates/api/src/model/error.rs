//! GitHub's error body, `{"message", "documentation_url"}`, as the
//! endpoints that render their own errors write it.

use serde::Serialize;

/// GitHub's `basic-error` / `validation-error` body.
#[derive(Debug, Serialize)]
pub struct GithubError {
    pub message: String,
    pub documentation_url: &'static str,
}

impl GithubError {
    pub fn new(message: String) -> Self {
        GithubError {
            message,
            documentation_url: entrepot_http::error::DOCUMENTATION_URL,
        }
    }
}

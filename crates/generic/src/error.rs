//! The generic format's errors: the status and a line of text, which curl
//! (`--fail-with-body`) and wget print; a 401 carries the Basic challenge
//! both answer with `-u`/`--user` credentials.

use entrepot_http::error::{Challenge, PlainError};

#[derive(Debug)]
pub struct GenericChallenge;

impl Challenge for GenericChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot\"";
}

pub type GenericError = PlainError<GenericChallenge>;

pub type Result<T> = std::result::Result<T, GenericError>;

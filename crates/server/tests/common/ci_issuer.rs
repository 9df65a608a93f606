//! A CI provider's OpenID Connect issuer for the tests
//! (`tests/support/ci-issuer/issuer.mjs`, Node's own crypto), on a
//! loopback port: it mints tokens with chosen claims, as GitHub Actions
//! does for a workflow run, and answers the npm CLI as
//! `ACTIONS_ID_TOKEN_REQUEST_URL` does.

#![allow(dead_code)]

use std::process::Child;

use serde_json::Value;

/// The request token the issuer wants, as a workflow's
/// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
pub const REQUEST_TOKEN: &str = "request-token";

pub struct Issuer {
    child: Child,
    /// `http://127.0.0.1:PORT`, the tokens' `iss`.
    pub url: String,
}

impl Issuer {
    pub fn start() -> Issuer {
        let support = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/ci-issuer");
        let (child, url) = super::node::start(support, "issuer.mjs", &[]);
        Issuer { child, url }
    }

    /// Where a job asks for its token, with `claims` over the defaults
    /// (repository `acme/widget`, workflow `release.yml`, ref
    /// `refs/tags/v1.0.0`, environment `release`); the client appends
    /// `&audience=…`.
    pub fn request_url(&self, claims: &Value) -> String {
        format!(
            "{}/token?claims={}",
            self.url,
            urlencode(&claims.to_string())
        )
    }

    /// A token for `audience` with `claims` over the defaults.
    pub fn token(&self, audience: &str, claims: &Value) -> String {
        let url = format!(
            "{}&audience={}",
            self.request_url(claims),
            urlencode(audience)
        );
        let answer: Value = reqwest::blocking::Client::new()
            .get(url)
            .bearer_auth(REQUEST_TOKEN)
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer["value"].as_str().unwrap().to_owned()
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

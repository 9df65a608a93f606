//! Verifying a CI provider's OpenID Connect token: its issuer one the
//! operator trusts, its signature by a key the issuer publishes (found by
//! discovery, kept a while, looked up again once when a key is unknown),
//! its audience ours, not expired, and never exchanged before.
//!
//! CI issuers publish a discovery document without the endpoints a
//! sign-in provider has (GitHub's names no authorization endpoint), so
//! only `jwks_uri` is read from it, through the outbound client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use openidconnect::core::{
    CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
};
use openidconnect::{AsyncHttpClient, ClientId, IdToken, IssuerUrl, Nonce};
use serde_json::{Map, Value};

use crate::oidc::AllClaims;
use crate::oidc_http::Http;
use crate::{Registry, ServiceError, ServiceResult};

/// The largest token read (GitHub's are about 1.5 KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// How long an issuer's keys are used before they are fetched again.
const KEYS_TTL: Duration = Duration::from_mins(10);
/// How old the keys must be before a token with an unknown key fetches
/// them again (an issuer rotating its keys).
const REFETCH_AFTER: Duration = Duration::from_secs(30);

/// The keys of each CI issuer, by issuer, with when they were fetched.
#[derive(Default)]
pub struct IssuerKeys(Mutex<HashMap<String, (Instant, Arc<CoreJsonWebKeySet>)>>);

/// A token whose signature, issuer, audience and expiry were checked.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    pub issuer: String,
    /// Every claim, standard or not.
    pub claims: Map<String, Value>,
}

type CiToken =
    IdToken<AllClaims, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

fn refused(why: impl std::fmt::Display) -> ServiceError {
    ServiceError::Forbidden(format!("the OIDC token was refused: {why}"))
}

/// The `iss` a token says it has, before anything is checked: which
/// issuer's keys to check it with.
fn stated_issuer(jwt: &str) -> ServiceResult<String> {
    stated_claim(jwt, "iss")
}

/// A claim as the token states it, unverified.
pub(crate) fn stated_claim(jwt: &str, claim: &str) -> ServiceResult<String> {
    let payload = jwt
        .split('.')
        .nth(1)
        .ok_or_else(|| refused("it is not a JSON Web Token"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| refused("its claims are not base64url"))?;
    let claims: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| refused("its claims are not JSON"))?;
    claims
        .get(claim)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| refused(format!("it has no `{claim}` claim")))
}

/// Whether `text` has the shape of a JSON Web Token (three base64url
/// parts, a JSON header): what a container client sends as its password
/// when it logs in with its CI provider's token.
#[must_use]
pub fn looks_like_jwt(text: &str) -> bool {
    text.starts_with("eyJ") && text.split('.').count() == 3 && text.len() <= MAX_TOKEN_BYTES
}

impl Registry {
    /// Checks `jwt` for `audience` and records its `jti` as used.
    pub(crate) async fn verify_ci_token(
        &self,
        jwt: &str,
        audience: &str,
    ) -> ServiceResult<VerifiedToken> {
        let jwt = jwt.trim();
        if jwt.len() > MAX_TOKEN_BYTES {
            return Err(refused(format!(
                "it is larger than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        let issuer = stated_issuer(jwt)?;
        if !self.trusted_issuers.contains(&issuer) {
            return Err(refused(format!(
                "its issuer `{issuer}` is not one this registry trusts"
            )));
        }
        let token: CiToken = jwt.parse().map_err(|e| refused(format!("{e}")))?;
        let claims = match self.check_ci_token(&token, &issuer, audience, false).await {
            Ok(claims) => claims,
            // The issuer may have rotated its keys since they were fetched.
            Err(_) => self.check_ci_token(&token, &issuer, audience, true).await?,
        };
        let expires_at = claims
            .get("exp")
            .and_then(Value::as_i64)
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| refused("it has no `exp` claim"))?;
        let jti = claims
            .get("jti")
            .and_then(Value::as_str)
            .ok_or_else(|| refused("it has no `jti` claim, so its reuse could not be told"))?;
        if !self
            .meta
            .first_use_of_token(&issuer, jti, expires_at, Utc::now())
            .await?
        {
            return Err(refused(format!(
                "it was already exchanged (`jti` {jti}); a CI job asks its provider for a new one"
            )));
        }
        Ok(VerifiedToken { issuer, claims })
    }

    async fn check_ci_token(
        &self,
        token: &CiToken,
        issuer: &str,
        audience: &str,
        fresh: bool,
    ) -> ServiceResult<Map<String, Value>> {
        let keys = self.issuer_keys(issuer, fresh).await?;
        let issuer_url =
            IssuerUrl::new(issuer.to_owned()).map_err(|e| refused(format!("its issuer: {e}")))?;
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(audience.to_owned()),
            issuer_url,
            (*keys).clone(),
        )
        .set_allowed_algs([
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            CoreJwsSigningAlgorithm::EdDsa,
        ]);
        let claims = token
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .map_err(|e| refused(explain(&e, audience)))?;
        match serde_json::to_value(claims) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(refused("its claims could not be read")),
        }
    }

    /// `issuer`'s keys, from its discovery document's `jwks_uri`. Asked
    /// for `fresh` ones (a token's key was not among them), they are
    /// fetched again only if they are older than `REFETCH_AFTER`, so that
    /// tokens with made-up keys cannot make the registry fetch them on
    /// every request.
    async fn issuer_keys(
        &self,
        issuer: &str,
        fresh: bool,
    ) -> ServiceResult<Arc<CoreJsonWebKeySet>> {
        let wanted_age = if fresh { REFETCH_AFTER } else { KEYS_TTL };
        if let Some((at, keys)) = self.issuer_keys.0.lock().expect("issuer keys").get(issuer)
            && at.elapsed() < wanted_age
        {
            return Ok(keys.clone());
        }
        let http = Http::new(self)?;
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let document: Map<String, Value> = fetch_json(&http, &discovery).await?;
        if document.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err(ServiceError::Upstream(format!(
                "the discovery document of `{issuer}` names another issuer"
            )));
        }
        let jwks_uri = document
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ServiceError::Upstream(format!(
                    "the discovery document of `{issuer}` has no `jwks_uri`"
                ))
            })?
            .to_owned();
        let keys: CoreJsonWebKeySet = fetch_json(&http, &jwks_uri).await?;
        let keys = Arc::new(keys);
        self.issuer_keys
            .0
            .lock()
            .expect("issuer keys")
            .insert(issuer.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(http: &Http, url: &str) -> ServiceResult<T> {
    let unreachable = |e: &dyn std::fmt::Display| {
        tracing::warn!(%url, error = %e, "a CI token issuer could not be read");
        ServiceError::Upstream(format!("the token's issuer could not be reached at {url}"))
    };
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| unreachable(&e))?;
    let response = http.call(request).await.map_err(|e| unreachable(&e))?;
    if !response.status().is_success() {
        return Err(unreachable(&response.status()));
    }
    serde_json::from_slice(response.body()).map_err(|e| unreachable(&e))
}

/// What failed, in words a CI log reader acts on.
fn explain(error: &openidconnect::ClaimsVerificationError, audience: &str) -> String {
    use openidconnect::ClaimsVerificationError as E;
    match error {
        E::Expired(_) => "it has expired (`exp`)".into(),
        E::InvalidAudience(_) => format!("its audience (`aud`) is not `{audience}`"),
        E::InvalidIssuer(why) => format!("its issuer (`iss`): {why}"),
        E::SignatureVerification(why) => format!("its signature does not verify: {why}"),
        other => other.to_string(),
    }
}

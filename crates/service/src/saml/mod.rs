//! Organizations' single sign-on through their own SAML 2.0 identity
//! provider, as GitHub does it: the owner enters the provider's sign-on
//! URL, entity ID and certificate; we are the service provider
//! `{base}/orgs/{org}`, with our assertion consumer service at
//! `{base}/orgs/{org}/saml/consume` (HTTP-POST binding).
//!
//! The provider's answer arrives as a cross-site POST, which carries no
//! `SameSite=Lax` cookie: the consumer checks the response alone
//! (`response.rs`, `xmlsec.rs`, each assertion used once) and hands the
//! browser a sealed result to take to `/orgs/{org}/saml/complete`, a
//! top-level GET that does carry the cookies. Only there, against the
//! sealed flow cookie the beginning set, is the answer matched to the
//! request this browser session made, so that nobody else's response,
//! and no leaked request ID, signs anyone on.

mod request;
pub mod response;
pub mod xmlsec;

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use entrepot_core::{Account, Actor, Id};
use entrepot_store::SamlIdp;
use serde::{Deserialize, Serialize};

use crate::identity::Outcome;
use crate::oidc::{FLOW_LIFETIME, Finished, Started};
use crate::sessions::SignInError;
use crate::sso::{SSO_SESSION_LIFETIME, SignOn};
use crate::{Identity, ServiceError, ServiceResult};

const FLOW_KEY: &str = "saml_flow_key";
const CONSUMED_KEY: &str = "saml_consumed_key";
/// How long the browser has to take a checked response to completion.
const CONSUMED_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// The provider `org_sso` names for an organization's own SAML provider.
pub const PROVIDER: &str = "saml";

/// The request a browser session made, in its flow cookie.
#[derive(Serialize, Deserialize)]
struct Flow {
    org: Id,
    user: Id,
    session: String,
    request: String,
    return_to: String,
    expires: i64,
}

/// A response the consumer accepted, on its way to completion.
#[derive(Serialize, Deserialize)]
struct Consumed {
    org: Id,
    /// The identity provider it was checked against (`fingerprint`).
    idp: String,
    request: String,
    name_id: String,
    session_until: Option<i64>,
    expires: i64,
}

fn refused(message: impl Into<String>) -> SignInError {
    SignInError::External(message.into())
}

/// Our entity ID for `org` and our consumer's URL.
fn endpoints(identity: Identity<'_>, org: &str) -> (String, String) {
    let catalog = identity.catalog();
    (
        catalog.url(&format!("/orgs/{org}")),
        catalog.url(&format!("/orgs/{org}/saml/consume")),
    )
}

/// An identity provider as its organization's owner entered it, checked.
pub fn identity_provider(
    sso_url: &str,
    issuer: &str,
    certificates: &str,
) -> ServiceResult<SamlIdp> {
    let invalid = |m: &str| Err(ServiceError::Invalid(m.to_owned()));
    let sso_url = sso_url.trim();
    match url::Url::parse(sso_url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
        _ => return invalid("the sign-on URL must be an http(s) URL"),
    }
    let issuer = issuer.trim();
    if issuer.is_empty() || issuer.len() > 1024 || issuer.chars().any(char::is_control) {
        return invalid(
            "the issuer is the identity provider's entity ID (at most 1024 characters)",
        );
    }
    let pems = certificates_pem(certificates)?;
    Ok(SamlIdp {
        sso_url: sso_url.to_owned(),
        issuer: issuer.to_owned(),
        certificates: pems.join(""),
    })
}

/// Each certificate of `text` (PEM blocks, or one bare base64 body as
/// metadata gives it) as a PEM block; one or two, each a valid X.509
/// certificate.
fn certificates_pem(text: &str) -> ServiceResult<Vec<String>> {
    let invalid = |m: String| ServiceError::Invalid(m);
    let wrapped;
    let text = if text.contains("-----BEGIN") {
        text
    } else {
        wrapped = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            text.trim()
        );
        &wrapped
    };
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(text.as_bytes()) {
        let pem = pem.map_err(|e| invalid(format!("the certificate is not PEM: {e}")))?;
        if pem.label != "CERTIFICATE" {
            return Err(invalid(format!(
                "expected a CERTIFICATE, not a {} (never paste a private key)",
                pem.label
            )));
        }
        pem.parse_x509()
            .map_err(|e| invalid(format!("the certificate is not valid X.509: {e}")))?;
        let body = STANDARD.encode(&pem.contents);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        out.push(format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        ));
    }
    match out.len() {
        1 | 2 => Ok(out),
        0 => Err(invalid("the public certificate is missing".into())),
        _ => Err(invalid(
            "at most two certificates (the current one and the next)".into(),
        )),
    }
}

/// The provider's issuer and certificates, hashed: a result checked
/// against one provider completes only while the organization has it.
fn fingerprint(idp: &SamlIdp) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [&idp.issuer, &idp.certificates] {
        hash.update(part.len().to_be_bytes());
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

fn timestamp(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

impl Identity<'_> {
    /// Sends the member's browser to `org`'s identity provider with a
    /// fresh request, remembered in a sealed cookie.
    pub(crate) async fn begin_saml(
        self,
        org: &Account,
        idp: &SamlIdp,
        on: SignOn<'_>,
        return_to: &str,
    ) -> ServiceResult<Started> {
        let (entity, acs) = endpoints(self, &org.login);
        let id = format!("_{}", hex::encode(rand::random::<[u8; 16]>()));
        let authorize_url = request::redirect(&idp.sso_url, &id, &entity, &acs, Utc::now())?;
        let flow = Flow {
            org: on.org,
            user: on.user,
            session: on.session.to_owned(),
            request: id,
            return_to: return_to.to_owned(),
            expires: Utc::now().timestamp() + i64::try_from(FLOW_LIFETIME.as_secs()).unwrap_or(600),
        };
        let cookie = self.seal_with(FLOW_KEY, &flow).await?;
        Ok(Started {
            authorize_url,
            cookie,
        })
    }

    /// The consumer: checks the provider's `SAMLResponse` for `org` and
    /// answers where the browser completes it (the path, with the sealed
    /// result). Failures count against the client's address.
    pub async fn consume_saml(
        self,
        org: &str,
        saml_response: &str,
        from: Option<IpAddr>,
    ) -> Result<String, SignInError> {
        if let Some(ip) = from {
            match self.sessions().count_saml_attempt(ip).await {
                Err(ServiceError::Throttled(m)) => return Err(SignInError::Throttled(m)),
                other => other?,
            }
        }
        let org = self.accounts().organization(org).await?;
        let idp = self
            .meta
            .org_sso(org.id)
            .await?
            .and_then(|s| s.saml)
            .ok_or_else(|| refused("This organization does not sign on with SAML."))?;
        let (entity, acs) = endpoints(self, &org.login);
        let now = Utc::now();
        // Up to 128 KiB decoded and parsed: off the executor's threads.
        let (form_value, issuer) = (saml_response.to_owned(), idp.issuer.clone());
        let (xml, checked) = tokio::task::spawn_blocking(move || {
            let xml = response::decode(&form_value)?;
            let expected = response::Expected {
                acs: &acs,
                audience: &entity,
                issuer: &issuer,
                now,
            };
            let checked = response::check(&xml, &expected)?;
            Ok::<_, response::Refused>((xml, checked))
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| refused(e.0))?;
        let certificates = certificates_pem(&idp.certificates)?;
        for node in &checked.signed {
            let mut good = false;
            for certificate in &certificates {
                if xmlsec::verify(&xml, certificate, node)
                    .await
                    .map_err(ServiceError::Internal)?
                {
                    good = true;
                    break;
                }
            }
            if !good {
                return Err(refused(
                    "The response's signature does not verify with the organization's \
                     certificate.",
                ));
            }
        }
        if !self
            .meta
            .first_use_of_saml_assertion(org.id, &checked.assertion_id, checked.valid_until, now)
            .await?
        {
            return Err(refused("This response was used already."));
        }
        if let Some(ip) = from {
            self.sessions().forgive_saml_attempt(ip).await?;
        }
        let consumed = Consumed {
            org: org.id,
            idp: fingerprint(&idp),
            request: checked.in_response_to,
            name_id: checked.name_id,
            session_until: checked.session_until.map(|t| t.timestamp()),
            expires: (now + CONSUMED_LIFETIME).timestamp(),
        };
        let sealed = self.seal_with(CONSUMED_KEY, &consumed).await?;
        Ok(format!("/orgs/{}/saml/complete?result={sealed}", org.login))
    }

    /// Completes a sign-on in the browser that began it: the consumer's
    /// `result` must answer the request in this browser's `cookie`, made
    /// by this session.
    pub async fn complete_saml(
        self,
        org: &str,
        result: &str,
        cookie: Option<&str>,
        actor: &Actor,
    ) -> Result<Finished, SignInError> {
        let now = Utc::now();
        let consumed: Consumed = self
            .open_with(CONSUMED_KEY, Some(result))
            .await?
            .filter(|c: &Consumed| c.expires > now.timestamp())
            .ok_or_else(|| refused("This sign-on expired. Please try again."))?;
        let flow: Flow = self
            .open_with(FLOW_KEY, cookie)
            .await?
            .filter(|f: &Flow| f.expires > now.timestamp())
            .ok_or_else(|| {
                refused("This sign-on expired or was begun in another browser. Please try again.")
            })?;
        let org = self.accounts().organization(org).await?;
        let current = self.meta.org_sso(org.id).await?.and_then(|s| s.saml);
        if current.is_none_or(|idp| fingerprint(&idp) != consumed.idp) {
            return Err(refused(
                "The organization's identity provider changed meanwhile. Please sign on again.",
            ));
        }
        let (user, session) = match actor {
            Actor::User {
                id,
                session: Some(session),
                ..
            } => (*id, session),
            _ => return Err(refused("Sign in again, then sign on.")),
        };
        if consumed.org != org.id
            || flow.org != org.id
            || consumed.request != flow.request
            || flow.user != user
            || flow.session != **session
        {
            return Err(refused(
                "This answer is not for the sign-on this browser began. Please try again.",
            ));
        }
        let until = consumed
            .session_until
            .and_then(timestamp)
            .unwrap_or(now + SSO_SESSION_LIFETIME);
        if until <= now {
            return Err(refused(
                "The identity provider's session is over. Please sign on again.",
            ));
        }
        let on = SignOn {
            org: org.id,
            user,
            session,
        };
        let outcome = self.sign_on(PROVIDER, &consumed.name_id, on, until).await?;
        debug_assert!(matches!(outcome, Outcome::SignedOn));
        Ok(Finished {
            outcome,
            return_to: flow.return_to,
        })
    }

    /// Our entity ID for `org`, and our consumer's URL, for its owners to
    /// give their identity provider.
    #[must_use]
    pub fn saml_endpoints(self, org: &str) -> (String, String) {
        endpoints(self, org)
    }

    /// Our service provider metadata for `org`, for its identity
    /// provider's configuration.
    pub async fn saml_metadata(self, org: &str) -> ServiceResult<String> {
        let org = self.accounts().organization(org).await?;
        let (entity, acs) = endpoints(self, &org.login);
        Ok(request::metadata(&entity, &acs))
    }
}

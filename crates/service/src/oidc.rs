//! Signing in with an OpenID Connect provider: the authorization code flow
//! with PKCE (S256), a nonce and a state, the provider found by discovery,
//! and its ID token verified against its published keys (`openidconnect`).
//! Every request goes through the outbound client, which refuses internal
//! addresses unless the operator allows them.
//!
//! Between the redirect to the provider and its answer the flow's secrets
//! (state, nonce, PKCE verifier) ride in a cookie the registry signs with
//! an instance key, so that any node can finish a flow another began, and
//! a browser can finish only the flow it began.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entrepot_core::identity::ProviderRules;
use entrepot_core::{Actor, Id, Secret};
use hmac::{Hmac, Mac};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, TokenResponse as _,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::identity::{Intent, Outcome, Vouched};
use crate::oidc_http::Http;
use crate::sessions::SignInError;
use crate::{Identity, ServiceError, ServiceResult};

/// An OpenID Connect provider, as the operator configured it.
#[derive(Debug, Clone)]
pub struct OidcProvider {
    pub rules: ProviderRules,
    /// Its issuer, exactly as the provider spells it (discovery compares
    /// the two as strings): discovery reads
    /// `ISSUER/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone).
    pub client_secret: Option<Secret>,
    /// Asked for besides `openid`, e.g. `profile`, `email`, `groups`.
    pub scopes: Vec<String>,
    /// The claim a new account's login is made from.
    pub login_claim: String,
    /// The claim that lists the person's groups, if the provider sends one.
    pub groups_claim: Option<String>,
}

/// The providers configured, and what discovery found of each.
#[derive(Default)]
pub struct IdentityProviders {
    pub oidc: Vec<OidcProvider>,
    pub ldap: Vec<crate::ldap::LdapProvider>,
    /// By issuer: a provider changed in the pages is discovered anew.
    discovered: Mutex<HashMap<String, (Instant, Arc<CoreProviderMetadata>)>>,
}

impl IdentityProviders {
    #[must_use]
    pub fn new(oidc: Vec<OidcProvider>, ldap: Vec<crate::ldap::LdapProvider>) -> Self {
        IdentityProviders {
            oidc,
            ldap,
            discovered: Mutex::default(),
        }
    }
}

/// How long a provider's discovery document and keys are trusted before
/// they are fetched again (keys rotate).
const DISCOVERY_TTL: Duration = Duration::from_mins(10);
/// How long a browser has to come back from the provider.
pub const FLOW_LIFETIME: Duration = Duration::from_mins(10);

/// The instance key flows' cookies are signed with.
const FLOW_KEY: &str = "sign_in_flow_key";

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        AllClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

type Client = openidconnect::Client<
    AllClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Every claim beyond the standard ones, whatever its name (the groups
/// claim is named by configuration).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllClaims(Map<String, Value>);

impl openidconnect::AdditionalClaims for AllClaims {}

/// What the signed cookie carries between the redirect and the answer.
#[derive(Serialize, Deserialize)]
struct Flow {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
    /// The account to link the identity to, when linking (or signing on).
    link: Option<Id>,
    /// The organization the account signs on to, when signing on.
    #[serde(default)]
    sso_org: Option<Id>,
    /// The browser session (its key) that began the sign-on, and only it
    /// is signed on.
    #[serde(default)]
    sso_session: Option<String>,
    /// Unix seconds after which the flow is void.
    expires: i64,
}

/// A flow begun: where to send the browser, and the cookie to set.
#[derive(Debug)]
pub struct Started {
    pub authorize_url: url::Url,
    pub cookie: String,
}

/// The provider's answer, as the callback's query has it.
#[derive(Debug, Default, Deserialize)]
pub struct Answer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The issuer that answered (RFC 9207), where the provider says so.
    pub iss: Option<String>,
}

/// How a finished flow ended, and where the browser goes next.
#[derive(Debug)]
pub struct Finished {
    pub outcome: Outcome,
    pub return_to: String,
}

fn external(message: impl Into<String>) -> SignInError {
    SignInError::External(message.into())
}

impl Identity<'_> {
    async fn oidc_provider(self, name: &str) -> ServiceResult<OidcProvider> {
        self.oidc_providers()
            .await?
            .into_iter()
            .find(|p| p.rules.name == name)
            .ok_or_else(|| ServiceError::not_found(format!("no sign-in provider `{name}`")))
    }

    /// The provider's metadata and keys, from discovery at most every
    /// `DISCOVERY_TTL` (or at once after a failed verification).
    async fn discover(
        &self,
        provider: &OidcProvider,
        fresh: bool,
    ) -> ServiceResult<Arc<CoreProviderMetadata>> {
        let name = &provider.rules.name;
        if !fresh
            && let Some((at, found)) = self
                .identity_providers
                .discovered
                .lock()
                .expect("discovery cache")
                .get(&provider.issuer)
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(found.clone());
        }
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| ServiceError::Internal(format!("issuer: {e}")))?;
        let http = Http::new(self)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| {
                // What failed stays in the log: addresses and hosts are
                // the operator's business, not a visitor's.
                tracing::warn!(provider = %name, error = %chain(&e), "OpenID provider discovery failed");
                ServiceError::Upstream(format!(
                    "{} could not be reached. Please try again later.",
                    provider.rules.display_name
                ))
            })?;
        let metadata = Arc::new(metadata);
        self.identity_providers
            .discovered
            .lock()
            .expect("discovery cache")
            .insert(provider.issuer.clone(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    fn client(
        self,
        provider: &OidcProvider,
        metadata: &CoreProviderMetadata,
    ) -> ServiceResult<Client> {
        let redirect = RedirectUrl::new(self.callback_url(&provider.rules.name))
            .map_err(|e| ServiceError::Internal(format!("callback URL: {e}")))?;
        Ok(Client::from_provider_metadata(
            metadata.clone(),
            ClientId::new(provider.client_id.clone()),
            provider
                .client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// Where the provider sends the browser back: registered with it.
    #[must_use]
    pub fn callback_url(&self, provider: &str) -> String {
        self.catalog()
            .url(&format!("/login/oidc/{provider}/callback"))
    }

    /// Begins a sign-in (or a link) with `provider`: the URL of its
    /// authorization page and the signed cookie that carries the flow.
    pub async fn begin_oidc(
        self,
        provider: &str,
        return_to: &str,
        intent: Intent,
    ) -> ServiceResult<Started> {
        let provider = &self.oidc_provider(provider).await?;
        let metadata = self.discover(provider, false).await?;
        let client = self.client(provider, &metadata)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &provider.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (authorize_url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let flow = Flow {
            provider: provider.rules.name.clone(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            return_to: return_to.to_owned(),
            link: match &intent {
                Intent::SignIn => None,
                Intent::Link(user) | Intent::SignOn { user, .. } => Some(*user),
            },
            sso_org: match &intent {
                Intent::SignOn { org, .. } => Some(*org),
                _ => None,
            },
            sso_session: match &intent {
                Intent::SignOn { session, .. } => Some(session.to_string()),
                _ => None,
            },
            expires: chrono::Utc::now().timestamp()
                + i64::try_from(FLOW_LIFETIME.as_secs()).unwrap_or(600),
        };
        let cookie = self.seal(&flow).await?;
        Ok(Started {
            authorize_url,
            cookie,
        })
    }

    /// Finishes a flow with the provider's answer: checks that it answers
    /// the flow this browser began, trades the code for tokens, verifies
    /// the ID token and acts on it. Failed answers count against the
    /// client's address, as failed passwords do.
    pub async fn finish_oidc(
        self,
        provider: &str,
        answer: Answer,
        cookie: Option<&str>,
        signed_in: Option<&Actor>,
        from: Option<IpAddr>,
    ) -> Result<Finished, SignInError> {
        let provider = &self.oidc_provider(provider).await?;
        let flow = self
            .open(cookie)
            .await?
            .filter(|f| f.provider == provider.rules.name)
            .ok_or_else(|| {
                external("This sign-in expired or was begun in another browser. Please try again.")
            })?;
        if answer.state.as_deref() != Some(flow.state.as_str()) {
            return Err(external(
                "This sign-in answer is not for this browser. Please try again.",
            ));
        }
        // Counted only now: an answer without this browser's flow tries
        // nothing, and counting it would let any page lock an address out.
        self.count_attempt(from).await?;
        if let Some(error) = answer.error {
            let said = answer.error_description.unwrap_or(error);
            return Err(external(format!(
                "{} did not sign you in: {said}",
                provider.rules.display_name
            )));
        }
        let user = signed_in.and_then(Actor::user_id);
        let session = match signed_in {
            Some(Actor::User {
                session: Some(s), ..
            }) => Some(s.clone()),
            _ => None,
        };
        let intent = match (flow.link, flow.sso_org, session) {
            (None, _, _) => Intent::SignIn,
            (Some(linked), None, _) if user == Some(linked) => Intent::Link(linked),
            (Some(linked), Some(org), Some(session))
                if user == Some(linked) && flow.sso_session.as_deref() == Some(&*session) =>
            {
                Intent::SignOn {
                    org,
                    user: linked,
                    session,
                }
            }
            _ => return Err(external("Sign in again to connect this identity.")),
        };
        // An answer from another provider sent here (a mix-up attack)
        // names its own issuer.
        if answer
            .iss
            .as_deref()
            .is_some_and(|iss| iss != provider.issuer)
        {
            return Err(external("This answer comes from another provider."));
        }
        let code = answer
            .code
            .ok_or_else(|| external("The provider's answer carried no code."))?;
        let vouched = self.redeem(provider, code, &flow).await?;
        let outcome = self.conclude(&provider.rules, vouched, intent).await?;
        self.forgive(from).await?;
        Ok(Finished {
            outcome,
            return_to: flow.return_to,
        })
    }

    /// Trades the code for tokens and reads who they vouch for.
    async fn redeem(
        &self,
        provider: &OidcProvider,
        code: String,
        flow: &Flow,
    ) -> Result<Vouched, SignInError> {
        let name = &provider.rules.display_name;
        let metadata = self.discover(provider, false).await?;
        let client = self.client(provider, &metadata)?;
        let http = Http::new(self)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| ServiceError::Upstream(format!("{name}: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
            .request_async(&http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %provider.rules.name, error = %chain(&e), "OpenID code exchange failed");
                external(format!("{name} did not complete the sign-in. Please try again."))
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| external(format!("{name} sent no ID token.")))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let first = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .ok()
            .cloned();
        let (verified, client) = if let Some(claims) = first {
            (claims, client)
        } else {
            // Its keys may have rotated since discovery: look once more.
            let metadata = self.discover(provider, true).await?;
            let client = self.client(provider, &metadata)?;
            let claims = id_token
                .claims(&client.id_token_verifier(), &nonce)
                .map_err(|e| external(format!("{name}'s ID token is not valid: {e}")))?
                .clone();
            (claims, client)
        };
        if let Some(expected) = verified.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| external(format!("{name}'s ID token: {e}")))?;
            let key_verifier = client.id_token_verifier();
            let key = id_token
                .signing_key(&key_verifier)
                .map_err(|e| external(format!("{name}'s ID token: {e}")))?;
            let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key)
                .map_err(|e| external(format!("{name}'s ID token: {e}")))?;
            if &actual != expected {
                return Err(external(format!(
                    "{name}'s ID token does not match its access token."
                )));
            }
        }
        // A subject is unique at its issuer only: another issuer under the
        // same name (a provider moved) is other people.
        let subject = format!("{}#{}", provider.issuer, verified.subject().as_str());
        let mut claims = match serde_json::to_value(&verified) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        // The userinfo endpoint may say more (groups, often); it speaks
        // for the same subject or not at all.
        let mut userinfo_failed = false;
        if let Ok(request) = client.user_info(
            tokens.access_token().clone(),
            Some(verified.subject().clone()),
        ) {
            let info: Result<openidconnect::UserInfoClaims<AllClaims, CoreGenderClaim>, _> =
                request.request_async(&http).await;
            match info {
                Ok(info) => {
                    if let Ok(Value::Object(more)) = serde_json::to_value(&info) {
                        for (k, v) in more {
                            claims.entry(k).or_insert(v);
                        }
                    }
                }
                Err(e) => {
                    userinfo_failed = true;
                    tracing::warn!(provider = %provider.rules.name, error = %chain(&e), "userinfo failed; going by the ID token");
                }
            }
        }
        Ok(vouched(provider, subject, &claims, userinfo_failed))
    }

    /// The cookie for `flow`.
    async fn seal(&self, flow: &Flow) -> ServiceResult<String> {
        self.seal_with(FLOW_KEY, flow).await
    }

    /// The flow a cookie carries, if this instance signed it and it has
    /// not expired.
    async fn open(&self, cookie: Option<&str>) -> ServiceResult<Option<Flow>> {
        let flow: Option<Flow> = self.open_with(FLOW_KEY, cookie).await?;
        Ok(flow.filter(|f| f.expires > chrono::Utc::now().timestamp()))
    }

    /// `value`'s JSON and its HMAC under the instance key `key`, both
    /// base64url: what only this instance can have made.
    pub(crate) async fn seal_with<T: Serialize>(
        &self,
        key: &str,
        value: &T,
    ) -> ServiceResult<String> {
        let body = serde_json::to_vec(value).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mac = self.mac(key, &body).await?.finalize().into_bytes();
        Ok(format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(mac)
        ))
    }

    /// What `seal_with` sealed under `key`, if it did.
    pub(crate) async fn open_with<T: DeserializeOwned>(
        &self,
        key: &str,
        sealed: Option<&str>,
    ) -> ServiceResult<Option<T>> {
        let Some((body, mac)) = sealed.and_then(|c| c.split_once('.')) else {
            return Ok(None);
        };
        let (Ok(body), Ok(mac)) = (URL_SAFE_NO_PAD.decode(body), URL_SAFE_NO_PAD.decode(mac))
        else {
            return Ok(None);
        };
        if self.mac(key, &body).await?.verify_slice(&mac).is_err() {
            return Ok(None);
        }
        Ok(serde_json::from_slice(&body).ok())
    }

    async fn mac(&self, key: &str, body: &[u8]) -> ServiceResult<Hmac<Sha256>> {
        let key = self.sessions().signing_key(key).await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&key)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        mac.update(body);
        Ok(mac)
    }
}

/// What the claims say, read the way `provider` is configured.
/// Without a groups claim the person is in no group (providers leave an
/// empty one out), unless the userinfo endpoint that may carry it failed:
/// then memberships stay as they are.
fn vouched(
    provider: &OidcProvider,
    subject: String,
    claims: &Map<String, Value>,
    userinfo_failed: bool,
) -> Vouched {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let email = text("email").filter(|_| claims.get("email_verified") == Some(&Value::Bool(true)));
    let groups = provider
        .groups_claim
        .as_deref()
        .and_then(|name| match claims.get(name) {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            Some(Value::String(one)) => Some(vec![one.clone()]),
            _ if userinfo_failed => None,
            _ => Some(Vec::new()),
        });
    Vouched {
        subject,
        login: text(&provider.login_claim),
        name: text("name"),
        email,
        groups,
    }
}

/// An error and its causes, for messages and logs.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(e) = next {
        text.push_str(": ");
        text.push_str(&e.to_string());
        next = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OidcProvider {
        OidcProvider {
            rules: ProviderRules {
                name: "corp".into(),
                display_name: "Corp".into(),
                auto_provision: true,
                groups: Vec::new(),
            },
            issuer: "https://id.example.com".into(),
            client_id: "c".into(),
            client_secret: None,
            scopes: Vec::new(),
            login_claim: "preferred_username".into(),
            groups_claim: Some("groups".into()),
        }
    }

    fn claims(value: &Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_missing_groups_claim_is_no_groups_unless_userinfo_failed() {
        let none = claims(&serde_json::json!({"preferred_username": "carol"}));
        assert_eq!(
            vouched(&provider(), "s".into(), &none, false).groups,
            Some(vec![])
        );
        assert_eq!(vouched(&provider(), "s".into(), &none, true).groups, None);
        let one = claims(&serde_json::json!({"groups": "eng"}));
        assert_eq!(
            vouched(&provider(), "s".into(), &one, false).groups,
            Some(vec!["eng".to_owned()])
        );
    }

    #[test]
    fn an_address_counts_only_when_the_provider_verified_it() {
        let unverified = claims(&serde_json::json!({"email": "c@example.com"}));
        assert_eq!(
            vouched(&provider(), "s".into(), &unverified, false).email,
            None
        );
        let verified =
            claims(&serde_json::json!({"email": "c@example.com", "email_verified": true}));
        assert_eq!(
            vouched(&provider(), "s".into(), &verified, false)
                .email
                .as_deref(),
            Some("c@example.com")
        );
    }
}

//! Sending a request to an upstream, answering the challenge of a
//! registry behind Docker's token flow (Docker Hub, Distribution with a
//! token service, GHCR, another Entrepot): a `401` with `WWW-Authenticate:
//! Bearer realm=…,service=…,scope=…` is answered by asking the realm for a
//! token (with the upstream's credentials, if it has any) and sending the
//! request again with it. Tokens are kept per upstream and scope until
//! shortly before they expire, so a warm cache asks the realm rarely.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use entrepot_core::{Id, Upstream};
use reqwest::header::{AUTHORIZATION, HeaderName, LOCATION, WWW_AUTHENTICATE};
use reqwest_hooks as reqwest;

use crate::Upstreams;

/// The largest token answer read (Docker Hub's are a few kilobytes).
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// How long a token is kept when its answer does not say (the token
/// specification's default lifetime).
const DEFAULT_LIFETIME: u64 = 60;

/// Tokens granted by upstreams' token services, by upstream and scope.
#[derive(Default)]
pub(crate) struct Tokens {
    granted: Mutex<HashMap<(Id, String), (Instant, String)>>,
}

impl Tokens {
    fn get(&self, key: &(Id, String)) -> Option<String> {
        let granted = self
            .granted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        granted
            .get(key)
            .filter(|(until, _)| Instant::now() < *until)
            .map(|(_, token)| token.clone())
    }

    fn put(&self, key: (Id, String), token: String, lifetime: Duration) {
        let mut granted = self
            .granted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if granted.len() > 4096 {
            granted.retain(|_, (until, _)| Instant::now() < *until);
            if granted.len() > 4096 {
                granted.clear();
            }
        }
        granted.insert(key, (Instant::now() + lifetime, token));
    }
}

/// A `Bearer` challenge's parameters.
#[derive(Debug, Default, PartialEq, Eq)]
struct Challenge {
    realm: String,
    service: Option<String>,
    scope: Option<String>,
}

/// Reads `Bearer realm="…",service="…",scope="…"`; `None` for any other
/// scheme or a challenge without a realm.
fn challenge_of(header: &str) -> Option<Challenge> {
    let (scheme, params) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut challenge = Challenge::default();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            after.split_once(',').unwrap_or((after, ""))
        };
        match key.as_str() {
            "realm" => value.clone_into(&mut challenge.realm),
            "service" => challenge.service = Some(value.to_owned()),
            "scope" => challenge.scope = Some(value.to_owned()),
            _ => {}
        }
        rest = next.trim_start().trim_start_matches(',').trim_start();
    }
    (!challenge.realm.is_empty()).then_some(challenge)
}

/// What the realm answers: `token`, or OAuth's `access_token`.
#[derive(serde::Deserialize)]
struct Grant {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// How one request to an upstream is made.
pub struct Ask<'a> {
    pub method: reqwest::Method,
    pub url: &'a url::Url,
    pub headers: Vec<(HeaderName, String)>,
    pub timeout: Option<Duration>,
    /// The scope a token for this request is kept under (for a registry,
    /// `repository:IMAGE:pull`), so the next request sends it at once.
    pub scope: Option<&'a str>,
    /// Whether a redirect to another host is followed: for files checked
    /// against a digest, never for documents (a login page is not one).
    pub elsewhere: bool,
}

impl<'a> Ask<'a> {
    /// A `GET` of `url`.
    #[must_use]
    pub fn get(url: &'a url::Url) -> Self {
        Ask {
            method: reqwest::Method::GET,
            url,
            headers: Vec::new(),
            timeout: None,
            scope: None,
            elsewhere: false,
        }
    }
}

impl Upstreams<'_> {
    /// Sends `ask` to `upstream` (credentials on its own host only),
    /// answering a `Bearer` challenge of the upstream's own host once, and,
    /// when `ask.elsewhere` allows it, following a redirect to another
    /// host (a CDN holding a layer) without credentials and through the
    /// guarded client. `Err` is why the upstream could not be asked; any
    /// answer, a failure status included, is `Ok`.
    pub async fn send(
        self,
        upstream: &Upstream,
        ask: &Ask<'_>,
    ) -> Result<reqwest::Response, String> {
        let base = url::Url::parse(&upstream.url).map_err(|e| e.to_string())?;
        let own = |url: &url::Url| url.origin() == base.origin();
        let kept = ask
            .scope
            .filter(|_| own(ask.url))
            .map(|s| (upstream.account_id, s.to_owned()));
        let token = kept.as_ref().and_then(|k| self.flights.tokens.get(k));
        let mut response = self.send_once(upstream, ask, token.as_deref()).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED
            && own(response.url())
            && let Some(challenge) = response
                .headers()
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(challenge_of)
        {
            let (token, lifetime) = self.token(upstream, &base, &challenge).await?;
            if let Some(key) = kept {
                self.flights.tokens.put(key, token.clone(), lifetime);
            }
            response = self.send_once(upstream, ask, Some(&token)).await?;
        }
        let redirected = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
        if ask.elsewhere
            && redirected
            && let Some(location) = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| response.url().join(l).ok())
        {
            // Redirects on the upstream's own host were followed already.
            self.outbound
                .check_url(&location)
                .map_err(|e| e.to_string())?;
            let client = self
                .outbound
                .client(crate::outbound::ClientKind {
                    insecure: false,
                    follow_redirects: true,
                })
                .map_err(|e| e.to_string())?;
            let mut request = client.request(ask.method.clone(), location.as_str());
            for (name, value) in &ask.headers {
                request = request.header(name, value);
            }
            if let Some(timeout) = ask.timeout {
                request = request.timeout(timeout);
            }
            response = request.send().await.map_err(|e| e.to_string())?;
        }
        Ok(response)
    }

    async fn send_once(
        self,
        upstream: &Upstream,
        ask: &Ask<'_>,
        token: Option<&str>,
    ) -> Result<reqwest::Response, String> {
        let mut request = self
            .request_to(upstream, ask.method.clone(), ask.url, token.is_none())
            .map_err(|e| e.to_string())?;
        for (name, value) in &ask.headers {
            request = request.header(name, value);
        }
        if let Some(timeout) = ask.timeout {
            request = request.timeout(timeout);
        }
        if let Some(token) = token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        request.send().await.map_err(|e| e.to_string())
    }

    /// A token from the challenge's realm, with how long to keep it.
    async fn token(
        self,
        upstream: &Upstream,
        base: &url::Url,
        challenge: &Challenge,
    ) -> Result<(String, Duration), String> {
        let mut realm = url::Url::parse(&challenge.realm)
            .map_err(|e| format!("the token realm `{}`: {e}", challenge.realm))?;
        // Credentials go in the clear only where the upstream takes them so.
        let plain_ok = base.scheme() == "http" || realm.origin() == base.origin();
        if !(realm.scheme() == "https" || (realm.scheme() == "http" && plain_ok)) {
            return Err(format!(
                "the token realm `{realm}` is not https: the upstream's credentials are not sent there"
            ));
        }
        {
            let mut query = realm.query_pairs_mut();
            if let Some(service) = &challenge.service {
                query.append_pair("service", service);
            }
            if let Some(scope) = &challenge.scope {
                query.append_pair("scope", scope);
            }
        }
        let request = self.realm_request(upstream, &realm)?;
        let response = request
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| format!("the token realm: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "the token realm refused the upstream's credentials ({})",
                response.status()
            ));
        }
        let body = super::bounded_body(response, MAX_TOKEN_BYTES).await?;
        let grant: Grant =
            serde_json::from_slice(&body).map_err(|e| format!("the token realm's answer: {e}"))?;
        let token = grant
            .token
            .or(grant.access_token)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or("the token realm answered no token")?;
        // Kept a little less long than granted, and never for hours.
        let seconds = grant.expires_in.unwrap_or(DEFAULT_LIFETIME).clamp(10, 3600);
        Ok((token, Duration::from_secs(seconds * 9 / 10)))
    }

    /// The request to a token realm: with the upstream's credentials,
    /// which are for its registry and the realm it names; through the
    /// guarded client unless the realm is on the upstream's own host.
    fn realm_request(
        self,
        upstream: &Upstream,
        realm: &url::Url,
    ) -> Result<reqwest::RequestBuilder, String> {
        let mut request = self
            .request_to(upstream, reqwest::Method::GET, realm, false)
            .map_err(|e| e.to_string())?;
        if let (Some(user), Some(password)) = (&upstream.username, &upstream.password) {
            request = request.basic_auth(user, Some(password.expose()));
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenges_are_read() {
        let c = challenge_of(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .unwrap();
        assert_eq!(c.realm, "https://auth.docker.io/token");
        assert_eq!(c.service.as_deref(), Some("registry.docker.io"));
        assert_eq!(c.scope.as_deref(), Some("repository:library/alpine:pull"));
        let c = challenge_of(r#"bearer realm="http://h/token", scope="a:b:pull,push""#).unwrap();
        assert_eq!(c.scope.as_deref(), Some("a:b:pull,push"));
        assert_eq!(c.service, None);
        assert_eq!(challenge_of(r#"Basic realm="registry""#), None);
        assert_eq!(challenge_of(r#"Bearer service="x""#), None, "no realm");
        assert_eq!(challenge_of(r#"Bearer realm="unterminated"#), None);
        assert_eq!(challenge_of("Bearer"), None);
    }
}

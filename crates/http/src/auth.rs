//! The authenticated-caller extractor. It accepts a token the way each
//! package client sends one: `Bearer`, `token`, HTTP Basic with the token as
//! the password, or the raw token alone (cargo and gem).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use entrepot_core::Actor;
use entrepot_service::ServiceError;
use entrepot_service::auth::Credential;

use crate::error::ApiError;
use crate::state::AppState;

/// Who made the request. Anonymous when no credentials were sent; a
/// rejection (401) when credentials were sent but are not valid.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

/// Reads the credential a request carries, if any. A header that is present
/// but unreadable is an error, never silently anonymous.
pub fn credential_of(parts: &Parts) -> Result<Option<Credential>, ServiceError> {
    credential_in(&parts.headers)
}

/// `credential_of`, from the headers alone.
pub fn credential_in(headers: &axum::http::HeaderMap) -> Result<Option<Credential>, ServiceError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ServiceError::BadCredentials)?
        .trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let rest = rest.trim();
    let credential = match scheme.to_ascii_lowercase().as_str() {
        "bearer" | "token" if rest.is_empty() => return Err(ServiceError::BadCredentials),
        "bearer" | "token" => Credential::Token(rest.to_owned()),
        "basic" => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .map_err(|_| ServiceError::BadCredentials)?;
            let decoded = String::from_utf8(decoded).map_err(|_| ServiceError::BadCredentials)?;
            let (username, password) = decoded
                .split_once(':')
                .ok_or(ServiceError::BadCredentials)?;
            Credential::Basic {
                username: username.to_owned(),
                password: password.to_owned(),
            }
        }
        _ if rest.is_empty() => Credential::Token(scheme.to_owned()),
        _ => return Err(ServiceError::BadCredentials),
    };
    Ok(Some(credential))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let actor = match credential_of(parts)? {
            None => Actor::Anonymous,
            Some(credential) => state.registry.sessions().authenticate(&credential).await?,
        };
        if let (Some(login), Some(seen)) = (
            actor.login(),
            parts.extensions.get::<crate::access::SeenUser>(),
        ) {
            seen.set(login);
        }
        let caller = Caller(actor);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(header: Option<&str>) -> Parts {
        let mut builder = Request::builder();
        if let Some(h) = header {
            builder = builder.header(AUTHORIZATION, h);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn every_client_form_of_a_token_is_read() {
        let token = |t: &str| Some(Credential::Token(t.into()));
        assert_eq!(
            credential_of(&parts(Some("Bearer abc"))).unwrap(),
            token("abc")
        );
        assert_eq!(
            credential_of(&parts(Some("token abc"))).unwrap(),
            token("abc")
        );
        assert_eq!(credential_of(&parts(Some("abc"))).unwrap(), token("abc"));
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:abc");
        assert_eq!(
            credential_of(&parts(Some(&format!("Basic {basic}")))).unwrap(),
            (Some(Credential::Basic {
                username: "alice".into(),
                password: "abc".into()
            }))
        );
        assert_eq!(credential_of(&parts(None)).unwrap(), None);
    }

    #[test]
    fn malformed_headers_are_bad_credentials_not_anonymous() {
        for h in ["Basic !!!", "Digest a b", "Bearer "] {
            assert!(credential_of(&parts(Some(h))).is_err(), "{h}");
        }
    }
}

/// The client's address as the application sees it: the connection's
/// peer, or behind a trusted reverse proxy the address it names. Set on
/// every request by `resolve_client`.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

/// The address of the client, where the server recorded one (not
/// in-process requests): what password attempts and anonymous REST calls
/// are counted against.
pub fn client_address(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
        extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

/// Middleware: records `ClientIp`, believing `X-Forwarded-For` only as far
/// as it was written by the proxies `--trusted-proxies` names; from them,
/// and without `--base-url`, `X-Forwarded-Proto` and `-Host` name the base
/// URL of the request's URLs.
pub async fn resolve_client(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = entrepot_core::ranges::client_behind(
            peer,
            request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok()),
            &state.config.trusted_proxies,
        );
        request.extensions_mut().insert(ClientIp(client));
        if state.config.forwarded_base && state.config.trusted_proxies.contains(peer) {
            let headers = request.headers();
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let base = state
                .config
                .site
                .forwarded_base(header("x-forwarded-proto"), header("x-forwarded-host"));
            if let Some(base) = base {
                return entrepot_service::site::scope(base, next.run(request)).await;
            }
        }
    }
    next.run(request).await
}

/// `client_address` as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(&parts.extensions)))
    }
}

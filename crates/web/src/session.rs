//! Who is looking at a page: a browser signed in with a session cookie, a
//! client sending a token, or nobody. Forms carry a CSRF token that must
//! match the session's (or, on the sign-in form, a cookie of its own), and
//! the session cookie is `HttpOnly`, `SameSite=Lax` and `Secure` behind
//! https, so another site can neither read it nor post with it.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::{AppState, Caller};
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "entrepot_session";
/// The sign-in form's own CSRF secret, before any session exists.
pub const LOGIN_CSRF_COOKIE: &str = "entrepot_login_csrf";

/// The viewer of a page. `csrf` and `session` are set only for a browser
/// signed in with a session cookie: only such a viewer may submit forms.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub csrf: Option<String>,
    pub session: Option<String>,
    /// The page asked for (path and query), where "Sign in" comes back to.
    pub here: String,
}

impl Viewer {
    pub fn login(&self) -> Option<&str> {
        self.actor.login()
    }

    /// Whether a submitted form's token is this session's.
    pub fn csrf_ok(&self, submitted: Option<&str>) -> bool {
        match (&self.csrf, submitted) {
            (Some(expected), Some(got)) => same(expected, got),
            _ => false,
        }
    }
}

/// A submitted form's fields in order, repeated names kept (checkboxes).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        if let Some(secret) = cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned) {
            match state.registry.sessions().session(&secret).await {
                Ok(Some((actor, csrf))) => {
                    if let (Some(login), Some(seen)) = (
                        actor.login(),
                        parts.extensions.get::<entrepot_http::access::SeenUser>(),
                    ) {
                        seen.set(login);
                    }
                    return Ok(Viewer {
                        actor,
                        csrf: Some(csrf),
                        session: Some(secret),
                        here,
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    entrepot_http::error::public_message(&e);
                }
            }
        }
        // A page is a read: a token that does not work simply shows the
        // page as anyone would see it.
        let actor = Caller::from_request_parts(parts, state)
            .await
            .map_or(Actor::Anonymous, |c| c.0);
        Ok(Viewer {
            actor,
            csrf: None,
            session: None,
            here,
        })
    }
}

/// A `Set-Cookie` value for this server: `Secure` when it is served over
/// https; `max_age` 0 deletes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.site.is_https() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are URL-safe")
}

/// Adds a `Set-Cookie` header to a response.
pub fn with_cookie(response: impl IntoResponse, cookie: HeaderValue) -> Response {
    let mut response = response.into_response();
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// Where to go back to after signing in: a path on this site, never
/// another site (`//host`, `/\host`) or a scheme.
pub fn safe_return_to(path: Option<&str>) -> String {
    match path {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(safe_return_to(Some("/settings/tokens")), "/settings/tokens");
        for bad in [
            "//evil.test/x",
            "https://evil.test",
            "/\\evil.test",
            "x",
            "/a\nb",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; entrepot_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn csrf_tokens_must_match_a_session() {
        let viewer = Viewer {
            actor: Actor::Anonymous,
            csrf: Some("token".into()),
            session: Some("s".into()),
            here: "/".into(),
        };
        assert!(viewer.csrf_ok(Some("token")));
        assert!(!viewer.csrf_ok(Some("other")));
        assert!(!viewer.csrf_ok(None));
        let anonymous = Viewer {
            csrf: None,
            ..viewer
        };
        assert!(!anonymous.csrf_ok(Some("token")));
    }
}

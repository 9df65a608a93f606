//! The Docker token flow: `/token` trades a personal access token (HTTP
//! Basic) or nothing (anonymous pulls) for a short-lived signed token that
//! grants only the actions the caller may take, and `/v2/` requests present
//! it as `Bearer`.
//!
//! Tokens are `ert.<claims>.<HMAC-SHA256>`; the key is an instance setting
//! in the shared store, so a token issued by one node works on every node.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entrepot_core::Actor;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// How long a registry token lives, in seconds.
pub const TOKEN_LIFETIME: i64 = 300;
const PREFIX: &str = "ert.";

/// One repository's granted actions (`pull`, `push`, `delete`), or the
/// catalog (`registry:catalog`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    #[serde(rename = "t")]
    pub resource_type: String,
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "a")]
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user, if not anonymous.
    pub sub: Option<i64>,
    /// The personal access token it was issued for, rechecked on every use.
    pub tok: Option<i64>,
    /// That token's scopes.
    pub scp: String,
    pub acc: Vec<Grant>,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn allows(&self, resource_type: &str, name: &str, action: &str) -> bool {
        self.acc.iter().any(|g| {
            g.resource_type == resource_type
                && g.name == name
                && g.actions.iter().any(|a| a == action || a == "*")
        })
    }
}

fn mac(key: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(payload.as_bytes());
    mac
}

pub fn issue(key: &[u8], claims: &Claims) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let signature = URL_SAFE_NO_PAD.encode(mac(key, &payload).finalize().into_bytes());
    format!("{PREFIX}{payload}.{signature}")
}

/// Whether a bearer credential is one of our registry tokens (rather than
/// a personal access token).
pub fn is_registry_token(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// The claims of a genuine, unexpired token.
pub fn verify(key: &[u8], token: &str, now: i64) -> Option<Claims> {
    let rest = token.strip_prefix(PREFIX)?;
    let (payload, signature) = rest.split_once('.')?;
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    mac(key, payload).verify_slice(&signature).ok()?;
    let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    (claims.exp > now).then_some(claims)
}

/// A requested scope: `repository:NAME:pull,push` (the name may hold a
/// `host:port`, so the actions follow the last colon).
pub fn parse_scope(scope: &str) -> Option<(String, String, Vec<String>)> {
    let (resource_type, rest) = scope.split_once(':')?;
    let (name, actions) = rest.rsplit_once(':')?;
    let actions = actions
        .split(',')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    Some((resource_type.to_owned(), name.to_owned(), actions))
}

/// The caller of a `/v2/` request: who, and what a registry token limits
/// them to (no limit when they authenticated with a personal access token).
#[derive(Debug, Clone)]
pub struct Access {
    pub actor: Actor,
    pub claims: Option<Claims>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            sub: Some(3),
            tok: Some(9),
            scp: "read:packages".into(),
            acc: vec![Grant {
                resource_type: "repository".into(),
                name: "alice/app".into(),
                actions: vec!["pull".into()],
            }],
            iat: 0,
            exp,
        }
    }

    #[test]
    fn tokens_verify_only_with_their_key_and_before_they_expire() {
        let t = issue(b"key", &claims(100));
        assert!(is_registry_token(&t));
        assert_eq!(verify(b"key", &t, 50), Some(claims(100)));
        assert_eq!(verify(b"other", &t, 50), None);
        assert_eq!(verify(b"key", &t, 100), None);
        let mut forged = t.clone();
        forged.insert(10, 'x');
        assert_eq!(verify(b"key", &forged, 50), None);
    }

    #[test]
    fn grants_and_scopes_read_as_docker_writes_them() {
        let c = claims(1);
        assert!(c.allows("repository", "alice/app", "pull"));
        assert!(!c.allows("repository", "alice/app", "push"));
        assert_eq!(
            parse_scope("repository:localhost:5000/alice/app:pull,push"),
            Some((
                "repository".into(),
                "localhost:5000/alice/app".into(),
                vec!["pull".into(), "push".into()]
            ))
        );
        assert_eq!(
            parse_scope("registry:catalog:*").unwrap().2,
            vec!["*".to_owned()]
        );
        assert_eq!(parse_scope("nonsense"), None);
    }
}

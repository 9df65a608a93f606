//! What the formats mounted per owner (`/FORMAT/OWNER/…`: RubyGems, NuGet,
//! PyPI, Cargo) share: one request shape, their routes, form fields, and
//! the listing of an owner's packages as a caller may see them.

use std::collections::HashMap;
use std::future::Future;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::any;
use entrepot_core::{Account, Actor, Package, PackageType};
use entrepot_service::{ServiceError, ServiceResult};

use crate::{ApiError, AppState, Caller};

/// A request under `/FORMAT/OWNER/PATH`.
pub struct OwnerRequest {
    pub method: Method,
    pub owner: String,
    /// What follows the owner, without the leading slash.
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    /// The client's address, where the server recorded one.
    pub client: Option<std::net::IpAddr>,
    pub body: Body,
}

/// Mounts `handler` at `/PREFIX/{owner}`, `/PREFIX/{owner}/` and
/// `/PREFIX/{owner}/{*path}`.
pub fn owner_routes<F, Fut>(prefix: &str, handler: F) -> Router<AppState>
where
    F: Fn(AppState, Result<Caller, ApiError>, OwnerRequest) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    let dispatch = move |State(state): State<AppState>,
                         caller: Result<Caller, ApiError>,
                         method: Method,
                         Path(params): Path<Vec<(String, String)>>,
                         uri: Uri,
                         crate::auth::ClientAddress(client): crate::auth::ClientAddress,
                         headers: HeaderMap,
                         body: Body| {
        let mut owner = String::new();
        let mut path = String::new();
        for (k, v) in params {
            if k == "owner" {
                owner = v;
            } else {
                path = v;
            }
        }
        let request = OwnerRequest {
            method,
            owner,
            path,
            query: uri.query().map(str::to_owned),
            headers,
            client,
            body,
        };
        handler(state, caller, request)
    };
    Router::new()
        .route(&format!("/{prefix}/{{owner}}"), any(dispatch.clone()))
        .route(&format!("/{prefix}/{{owner}}/"), any(dispatch.clone()))
        .route(&format!("/{prefix}/{{owner}}/{{*path}}"), any(dispatch))
}

/// The fields of an `application/x-www-form-urlencoded` text (a query or
/// a form body); the last of a repeated name wins.
pub fn form_fields(text: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The owner's packages of one type that `actor` may read, for indexes and
/// searches that span an owner. An anonymous caller who may read none of
/// them, while there are some, is asked to sign in (401), so that clients
/// retry with the credentials they hold; one who may read some sees those.
pub async fn visible_packages(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    package_type: PackageType,
) -> ServiceResult<Vec<Package>> {
    state
        .registry
        .packages()
        .visible_packages(actor, owner, package_type)
        .await
}

/// What a caller who may not see something is told: anonymous callers are
/// asked to sign in (401), signed-in ones are told it is not there (404).
pub fn unseen(actor: &Actor, what: impl Into<String>) -> ServiceError {
    ServiceError::unseen(actor, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_decode_plus_and_percent() {
        let f = form_fields("gem_name=tiny&version=1.0.0&reason=a+b%2Fc&empty");
        assert_eq!(f["gem_name"], "tiny");
        assert_eq!(f["reason"], "a b/c");
        assert_eq!(f["empty"], "");
    }
}

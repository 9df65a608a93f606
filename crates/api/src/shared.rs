//! What the resource modules (packages, advisories, hooks, subscriptions,
//! OSV) share: the owner a route names and its live packages, path and
//! page parameters, package URLs and names, `Link` headers, and the error
//! type of the endpoints whose validation errors are GitHub's 422.

use std::collections::HashMap;

use axum::Json;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, AccountKind, Actor, Package, PackageType, Scope};
use entrepot_http::pagination::{Page, PageQuery};
use entrepot_http::state::HttpConfig;
use entrepot_http::{ApiError, AppState};
use entrepot_service::ServiceError;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Deserialize;

use crate::model::error::GithubError;

/// The largest request body the REST and OSV APIs read: their JSON
/// documents are small, and none is read whole past this.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// Characters escaped in a package name inside a URL path; `/` becomes
/// `%2F` as GitHub writes container image names.
pub const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'/')
    .add(b'?')
    .add(b'#')
    .add(b'%')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Which account a route names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerRoute {
    /// `/user/...`: the authenticated user.
    Me,
    /// `/users/{username}/...`
    User,
    /// `/orgs/{org}/...`
    Org,
}

pub type Params = Path<HashMap<String, String>>;

pub fn not_found() -> ApiError {
    ApiError(ServiceError::not_found("Not Found"))
}

pub fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    params.get(name).map(String::as_str).ok_or_else(not_found)
}

/// A numeric id in the path; anything else names nothing.
pub fn id_param(params: &HashMap<String, String>, name: &str) -> Result<i64, ApiError> {
    param(params, name)?.parse().map_err(|_| not_found())
}

pub fn package_type_of(text: &str) -> Result<PackageType, ApiError> {
    text.parse().map_err(|_| not_found())
}

/// Reads `page` and `per_page`; a malformed number is GitHub's 400.
pub fn page_of(query: &HashMap<String, String>) -> Result<Page, ApiError> {
    let number = |name: &str| -> Result<Option<usize>, ApiError> {
        query
            .get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError(ServiceError::Invalid(format!(
                        "`{name}` must be a positive whole number."
                    )))
                })
            })
            .transpose()
    };
    let page = Page::from(PageQuery {
        page: number("page")?,
        per_page: number("per_page")?,
    });
    if !page.within_limit() {
        return Err(ApiError(ServiceError::Invalid(
            "The value of `per_page` multiplied by `page` cannot be greater than 10000.".into(),
        )));
    }
    Ok(page)
}

/// Adds GitHub's `Link` header for one page of a list of `total` items.
pub fn with_link(mut response: Response, page: Page, url: &str, total: usize) -> Response {
    if let Some(link) = page.link_header(url, total)
        && let Ok(v) = HeaderValue::from_str(&link)
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

/// `base` with those of `keys` that `query` has, for `Link` headers.
pub fn query_url(base: &str, query: &HashMap<String, String>, keys: &[&str]) -> String {
    let mut url = base.to_owned();
    let mut sep = '?';
    for key in keys {
        if let Some(v) = query.get(*key) {
            url.push(sep);
            url.push_str(key);
            url.push('=');
            url.push_str(
                &percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            sep = '&';
        }
    }
    url
}

/// A JSON request body; an empty one reads as the type's default.
pub fn body_of<T: for<'de> Deserialize<'de> + Default>(
    body: &axum::body::Bytes,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError(ServiceError::Invalid(format!("Problems parsing JSON: {e}"))))
}

/// Reads of the packages API need `read:packages`, as on GitHub; anonymous
/// callers may still read public packages (beyond GitHub).
pub fn require_scope(actor: &Actor, scope: Scope) -> Result<(), ApiError> {
    match actor {
        Actor::User { scopes, .. } if !scopes.contains(scope) => {
            Err(ApiError(ServiceError::Forbidden(format!(
                "This endpoint requires the `{scope}` scope; the token has: {}",
                if scopes.to_header().is_empty() {
                    "none".to_owned()
                } else {
                    scopes.to_header()
                }
            ))))
        }
        _ => Ok(()),
    }
}

/// The account a route names: the caller for `/user`, else a user under
/// `/users` or an organization under `/orgs`, never the other kind.
pub async fn resolve_owner(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<Account, ApiError> {
    let (login, kind) = match route {
        OwnerRoute::Me => {
            let Actor::User { id, .. } = actor else {
                return Err(ApiError(ServiceError::Unauthenticated));
            };
            let account = state
                .registry
                .accounts()
                .account_by_id(*id)
                .await?
                .ok_or_else(not_found)?;
            return Ok(account);
        }
        OwnerRoute::User => (param(params, "username")?, "users"),
        OwnerRoute::Org => (param(params, "org")?, "orgs"),
    };
    if !entrepot_core::names::is_valid_login(login) {
        return Err(not_found());
    }
    let account = state
        .registry
        .accounts()
        .account_by_login(login)
        .await?
        .ok_or_else(not_found)?;
    // GitHub serves organizations' packages under /orgs only, users' under
    // /users only; an upstream's are served as an organization's.
    if account.kind.url_segment() != kind {
        return Err(not_found());
    }
    Ok(account)
}

/// Finds the live package a path names, as the caller may see it.
pub async fn live_package(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<(Account, Package), ApiError> {
    let owner = resolve_owner(state, actor, route, params).await?;
    let package_type = package_type_of(param(params, "package_type")?)?;
    let name = param(params, "package_name")?;
    let package = state
        .registry
        .packages()
        .readable_package(actor, &owner.login, package_type, name)
        .await?;
    Ok((owner, package))
}

/// `users` or `orgs`: where an account's resources are.
pub fn owner_segment(kind: AccountKind) -> &'static str {
    kind.url_segment()
}

/// A package's API URL and its page's URL.
pub struct Urls {
    pub api: String,
    pub html: String,
}

pub fn package_urls(config: &HttpConfig, owner: &Account, package: &Package) -> Urls {
    let name = utf8_percent_encode(&package.name, PATH_SEGMENT).to_string();
    let segment = owner_segment(owner.kind);
    Urls {
        api: config.url(&format!(
            "/api/v3/{segment}/{}/packages/{}/{name}",
            owner.login, package.package_type
        )),
        html: config.url(&format!(
            "/{segment}/{}/packages/{}/package/{name}",
            owner.login, package.package_type
        )),
    }
}

/// The name clients know a package by (npm: `@owner/name`).
pub fn client_name(state: &AppState, package: &Package) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| package.name.clone(), |f| f.full_name(package))
}

/// A service error as the advisory, hook and subscription endpoints answer
/// it: validation errors are GitHub's 422 there; everything else as
/// elsewhere.
pub struct UnprocessableError(pub ServiceError);

impl<E: Into<ApiError>> From<E> for UnprocessableError {
    fn from(e: E) -> Self {
        UnprocessableError(e.into().0)
    }
}

impl IntoResponse for UnprocessableError {
    fn into_response(self) -> Response {
        match self.0 {
            ServiceError::Invalid(message) => {
                let mut response = (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(GithubError::new(message)),
                )
                    .into_response();
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                response
            }
            other => ApiError(other).into_response(),
        }
    }
}

/// What the endpoints with GitHub's 422 return.
pub type UnprocessableResult<T> = Result<T, UnprocessableError>;

/// A body's optional `format` field: a package type, or 422 saying so.
pub fn format_field(format: Option<&str>) -> Result<Option<PackageType>, UnprocessableError> {
    format
        .map(|f| {
            f.parse()
                .map_err(|_| unprocessable(format!("`{f}` is not a package format")))
        })
        .transpose()
}

/// A validation error, answered as 422.
pub fn unprocessable(message: impl Into<String>) -> UnprocessableError {
    UnprocessableError(ServiceError::Invalid(message.into()))
}

/// A present field, even `null`, is `Some`: with `#[serde(default)]`, an
/// absent field leaves a value alone and `null` clears it.
pub fn some<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

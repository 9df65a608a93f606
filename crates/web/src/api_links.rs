//! The pages behind the URLs the REST API and webhooks hand out, so that
//! none leads nowhere: a repository's `html_url` (`/OWNER/REPO`), an
//! account's `avatar_url` (`/avatars/LOGIN`, a generated image), GitHub's
//! package lists (`/orgs/ORG/packages`, `/users/USER/packages`), and the
//! index of security advisories (`/advisories`).

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_service::advisories::AdvisoryQuery;
use minijinja::context;
use serde::Serialize;

use crate::session::Viewer;
use crate::{day, page, server_error, urlencode};

/// `GET /OWNER/REPO`: the repository's packages.
pub(crate) async fn repository(
    state: State<AppState>,
    viewer: Viewer,
    path: Path<(String, String)>,
    query: Query<HashMap<String, String>>,
) -> Response {
    crate::repository_page(state, viewer, path, query).await
}

/// `GET /orgs/ORG/packages` and `/users/USER/packages`: the owner's page,
/// which lists them (its filters carried over).
pub(crate) async fn owner_packages(
    Path(owner): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut to = format!("/{}", urlencode(&owner));
    for (i, (k, v)) in query.iter().enumerate() {
        let _ = write!(
            to,
            "{}{}={}",
            if i == 0 { '?' } else { '&' },
            urlencode(k),
            urlencode(v)
        );
    }
    Redirect::to(&to).into_response()
}

/// `GET /avatars/LOGIN`: the account's initial on a colour of its own (no
/// one uploads pictures here, and nothing is looked up: any name gets one).
pub(crate) async fn avatar(Path(login): Path<String>) -> Response {
    let initial: String = login
        .chars()
        .find(char::is_ascii_alphanumeric)
        .map_or_else(|| "?".into(), |c| c.to_ascii_uppercase().to_string());
    let hue = login
        .to_ascii_lowercase()
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 360;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" role=\"img\">\
         <rect width=\"64\" height=\"64\" fill=\"hsl({hue},45%,38%)\"/>\
         <text x=\"32\" y=\"42\" font-family=\"sans-serif\" font-size=\"30\" fill=\"#fff\" \
         text-anchor=\"middle\">{initial}</text></svg>"
    );
    let mut response = svg.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}

#[derive(Serialize)]
struct AdvisoryRow {
    ghsa_id: String,
    summary: String,
    severity: Option<&'static str>,
    package: String,
    ecosystem: String,
    published: Option<String>,
    withdrawn: bool,
}

/// `GET /advisories`: the published (and withdrawn) advisories on the
/// packages the viewer may read, newest first.
pub(crate) async fn advisories(State(state): State<AppState>, viewer: Viewer) -> Response {
    let found = match state
        .registry
        .advisories()
        .readable_advisories(&viewer.actor, &AdvisoryQuery::default())
        .await
    {
        Ok(found) => found,
        Err(e) => return server_error(&e),
    };
    let rows: Vec<AdvisoryRow> = found
        .into_iter()
        .map(|(a, _)| AdvisoryRow {
            published: a.published_at.as_ref().map(day),
            withdrawn: a.withdrawn_at.is_some(),
            ghsa_id: a.ghsa_id,
            summary: a.summary,
            severity: a.severity.map(entrepot_core::Severity::as_str),
            package: a.package_name,
            ecosystem: a.ecosystem.as_str().to_owned(),
        })
        .collect();
    page(&viewer, "advisories.html", context! { advisories => rows })
}

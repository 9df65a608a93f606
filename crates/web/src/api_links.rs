//! The pages behind the URLs the REST API and webhooks hand out, so that
//! none leads nowhere: a repository's `html_url` (`/OWNER/REPO`), an
//! account's `avatar_url` (`/avatars/LOGIN`, a generated image), GitHub's
//! package lists (`/orgs/ORG/packages`, `/users/USER/packages`), and the
//! index of security advisories (`/advisories`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::{Account, Advisory, AdvisoryState, Id, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryQuery;
use minijinja::context;
use serde::Serialize;

use crate::session::Viewer;
use crate::{day, display_name, page, server_error, urlencode};

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
    /// The package's name as its clients write it (npm: `@owner/name`).
    package: String,
    ecosystem: String,
    state: &'static str,
    /// When it was published (a draft: drafted).
    date: Option<String>,
    /// A draft's page, where a site administrator publishes it.
    review: Option<String>,
}

/// The states `/advisories` filters on (`?state=`), and their labels.
const STATES: [(&str, &str); 3] = [
    ("draft", "Drafts to review"),
    ("published", "Published"),
    ("withdrawn", "Withdrawn"),
];

/// The page of a draft `a` on `package`, where it is reviewed.
async fn review_path(
    state: &AppState,
    owners: &mut HashMap<Id, Option<Account>>,
    package: &Package,
    a: &Advisory,
) -> Result<Option<String>, ServiceError> {
    if let Entry::Vacant(slot) = owners.entry(package.owner_id) {
        slot.insert(
            state
                .registry
                .accounts()
                .account_by_id(package.owner_id)
                .await?,
        );
    }
    Ok(owners
        .get(&package.owner_id)
        .and_then(Option::as_ref)
        .map(|owner| {
            format!(
                "/{}/{}/packages/{}/{}/security-advisories/{}",
                crate::owner_segment(owner),
                owner.login,
                package.package_type,
                package.name,
                a.ghsa_id
            )
        }))
}

/// `GET /advisories[?state=STATE]`: the published (and withdrawn)
/// advisories on the packages the viewer may read, newest first; site
/// administrators also find the drafts they review (`?state=draft`).
pub(crate) async fn advisories(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let reviewer = viewer.actor.is_site_admin();
    let wanted = query
        .get("state")
        .map(String::as_str)
        .filter(|s| STATES.iter().any(|(k, _)| k == s) && (reviewer || *s != "draft"));
    let registry = state.registry.advisories();
    let found: Result<Vec<(Advisory, Package)>, ServiceError> = if wanted == Some("draft") {
        registry.drafts_to_review(&viewer.actor).await
    } else {
        registry
            .readable_advisories(&viewer.actor, &AdvisoryQuery::default())
            .await
            .map(|all| {
                all.into_iter()
                    .filter(|(a, _)| wanted.is_none_or(|w| a.state.as_str() == w))
                    .collect()
            })
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return server_error(&e),
    };
    let mut owners = HashMap::new();
    let mut rows = Vec::with_capacity(found.len());
    for (a, package) in found {
        let draft = a.state == AdvisoryState::Draft;
        let review = if draft {
            match review_path(&state, &mut owners, &package, &a).await {
                Ok(path) => path,
                Err(e) => return server_error(&e),
            }
        } else {
            None
        };
        rows.push(AdvisoryRow {
            date: if draft {
                Some(day(&a.created_at))
            } else {
                a.published_at.as_ref().map(day)
            },
            review,
            state: a.state.as_str(),
            package: display_name(&state, &package),
            ghsa_id: a.ghsa_id,
            summary: a.summary,
            severity: a.severity.map(entrepot_core::Severity::as_str),
            ecosystem: a.ecosystem.as_str().to_owned(),
        });
    }
    let filters: Vec<_> = STATES
        .iter()
        .filter(|(key, _)| reviewer || *key != "draft")
        .map(|(key, label)| context! { key => key, label => label })
        .collect();
    page(
        &viewer,
        "advisories.html",
        context! { advisories => rows, filters => filters, state => wanted },
    )
}

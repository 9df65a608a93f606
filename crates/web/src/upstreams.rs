//! The site administrators' page of upstream registries
//! (`/admin/upstreams`): what is registered, a form to add one, a button to
//! remove each, a form to release a name an upstream reserved, and the
//! cache's housekeeping (a preview, then the pass). Anyone else finds
//! nothing here.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::upstream_cache::PruneReport;
use entrepot_service::upstreams::UpstreamRequest;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error};

const PAGE: &str = "/admin/upstreams";

#[derive(Serialize)]
struct Row {
    name: String,
    format: &'static str,
    url: String,
    ttl: i64,
    default: bool,
    username: Option<String>,
}

#[derive(Serialize)]
struct Evicted {
    what: String,
    bytes: u64,
    last_used: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    done: Option<String>,
    preview: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct ActionForm {
    csrf: Option<String>,
    action: String,
    name: Option<String>,
    format: Option<String>,
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    metadata_ttl: Option<String>,
    default: Option<String>,
}

fn rows(list: Vec<entrepot_core::Upstream>) -> Vec<Row> {
    list.into_iter()
        .map(|u| Row {
            name: u.name,
            format: u.format.as_str(),
            url: u.url,
            ttl: u.metadata_ttl_seconds,
            default: u.is_default,
            username: u.username,
        })
        .collect()
}

fn filled(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /admin/upstreams`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    let upstreams = state.registry.upstreams();
    let list = match upstreams.list_as(&viewer.actor).await {
        Ok(list) => list,
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => {
            return not_found(&viewer);
        }
        Err(e) => return server_error(&e),
    };
    let rows = rows(list);
    let (preview, error) = if query.preview.is_some() {
        match upstreams.prune_cache_as(&viewer.actor, true).await {
            Ok(report) => (Some(summary(&report, true)), None),
            Err(ServiceError::Invalid(why)) => (None, Some(why)),
            Err(e) => return server_error(&e),
        }
    } else {
        (None, None)
    };
    render(
        &viewer,
        &state.registry.catalog().proxied_formats(),
        StatusCode::OK,
        &rows,
        preview.as_ref(),
        query.done.as_deref(),
        error.as_deref(),
    )
}

fn render(
    viewer: &Viewer,
    formats: &[entrepot_core::PackageType],
    status: StatusCode,
    rows: &[Row],
    preview: Option<&minijinja::Value>,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let formats: Vec<&'static str> = formats.iter().map(|f| f.as_str()).collect();
    page_with_status(
        status,
        viewer,
        "upstreams.html",
        context! {
            upstreams => rows, formats => formats, preview => preview,
            notice => notice, error => error,
        },
    )
}

fn summary(report: &PruneReport, dry_run: bool) -> minijinja::Value {
    let evicted: Vec<Evicted> = report
        .evicted
        .iter()
        .take(200)
        .map(|v| Evicted {
            what: format!(
                "{} {} {}@{}",
                v.upstream, v.package_type, v.package, v.version
            ),
            bytes: v.bytes,
            last_used: v.last_used.format("%Y-%m-%d").to_string(),
        })
        .collect();
    context! {
        dry_run => dry_run,
        versions => report.evicted.len(),
        bytes => report.evicted_bytes,
        documents => report.documents,
        kept_versions => report.kept_versions,
        kept_bytes => report.kept_bytes,
        evicted => evicted,
    }
}

/// `POST /admin/upstreams`: adds, removes, releases or prunes, as the
/// form's `action` says.
pub(crate) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ActionForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let upstreams = state.registry.upstreams();
    let actor = &viewer.actor;
    let name = filled(form.name.clone()).unwrap_or_default();
    let done = match form.action.as_str() {
        "add" => upstreams
            .add_as(
                actor,
                UpstreamRequest {
                    name: name.clone(),
                    format: filled(form.format).unwrap_or_default(),
                    url: filled(form.url).unwrap_or_default(),
                    username: filled(form.username),
                    password: form.password.filter(|p| !p.is_empty()),
                    metadata_ttl: filled(form.metadata_ttl),
                    is_default: form.default.is_some(),
                },
            )
            .await
            .map(|u| format!("Added {}.", u.name)),
        "remove" => upstreams
            .remove_as(actor, &name)
            .await
            .map(|u| format!("Removed {} and what was cached from it.", u.name)),
        "release" => upstreams
            .release_name_as(actor, &name)
            .await
            .map(|()| format!("Released {name}: a local owner may take it now.")),
        "prune" => upstreams.prune_cache_as(actor, false).await.map(|r| {
            format!(
                "Evicted {} cached versions ({} bytes) and {} documents.",
                r.evicted.len(),
                r.evicted_bytes,
                r.documents
            )
        }),
        _ => Err(ServiceError::Invalid("unknown action".into())),
    };
    match done {
        Ok(notice) => {
            Redirect::to(&format!("{PAGE}?done={}", crate::urlencode(&notice))).into_response()
        }
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated)
            if upstreams.list_as(actor).await.is_err() =>
        {
            not_found(&viewer)
        }
        Err(
            e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_) | ServiceError::NotFound(_)),
        ) => {
            let rows = match upstreams.list_as(actor).await {
                Ok(list) => rows(list),
                Err(e) => return server_error(&e),
            };
            let status = entrepot_http::error::status_of(&e);
            let message = entrepot_http::error::public_message(&e);
            let formats = state.registry.catalog().proxied_formats();
            render(&viewer, &formats, status, &rows, None, None, Some(&message))
        }
        Err(e) => server_error(&e),
    }
}

//! An owner's feed falling through to an upstream (`admin owner
//! fallthrough OWNER --format nuget --upstream NAME`): version lists,
//! registrations, packages and nuspecs of ids the owner does not have come
//! from the upstream, with the owner's feed URLs in them; a search shows
//! the owner's hits first, then the upstream's. An id the owner has (or
//! had, or keeps by a pattern) never comes from the upstream; one whose
//! package was served from it is kept for it.

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::PackageType;
use entrepot_http::upstream::Fallthrough;
use serde_json::{Value, json};

use crate::endpoint::{Endpoint, FileName};
use crate::respond::{Result, json_response};
use crate::search::{self, Query};
use crate::upstream;
use crate::view::View;

async fn of(view: &View<'_>) -> Result<Option<Fallthrough>> {
    let owner = view.owner.clone();
    Ok(Fallthrough::of_account(view.state, view.actor, owner, PackageType::Nuget).await?)
}

/// `local`, the owner's answer to `endpoint`; or, when the owner has no
/// such package (for this caller), the upstream's. A 401 stays a 401
/// when the upstream does not have it either.
pub async fn or_upstream(
    view: &View<'_>,
    endpoint: &Endpoint,
    head: bool,
    local: Result<Response>,
) -> Result<Response> {
    let (Endpoint::Versions { lid }
    | Endpoint::File { lid, .. }
    | Endpoint::Registration { lid, .. }) = endpoint
    else {
        return local;
    };
    let missing = match local {
        Err(e) if e.status == StatusCode::NOT_FOUND || e.status == StatusCode::UNAUTHORIZED => e,
        answered => return answered,
    };
    let Some(fallthrough) = of(view).await? else {
        return Err(missing);
    };
    if fallthrough.takes(lid) || !upstream::safe(endpoint) {
        return Err(missing);
    }
    let answered = upstream::serve(
        view.state,
        fallthrough.upstream(),
        endpoint,
        &view.urls.feed,
        (view.headers, head),
    )
    .await;
    match answered {
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(missing),
        Ok(response) => {
            if matches!(
                endpoint,
                Endpoint::File {
                    file: FileName::Nupkg,
                    ..
                }
            ) && response.status().is_success()
            {
                fallthrough
                    .keep(view.state, PackageType::Nuget, lid)
                    .await?;
            }
            Ok(response)
        }
        failed => failed,
    }
}

/// `v3/query`: the owner's hits, then the upstream's (without ids the
/// owner takes), paged across both; the owner's alone while the upstream
/// cannot be asked.
pub async fn search(view: &View<'_>, query: &Query) -> Result<Response> {
    let Some(fallthrough) = of(view).await? else {
        return search::search(view, query).await;
    };
    let ours = search::hits(view, query).await?;
    let mut data: Vec<Value> = ours
        .iter()
        .skip(query.skip)
        .take(query.take)
        .cloned()
        .collect();
    let rest = query.take - data.len();
    let skip = query.skip.saturating_sub(ours.len());
    let up = fallthrough.upstream();
    let theirs = upstream::search(view.state, up, &view.urls.feed, query, (skip, rest)).await;
    let mut total = ours.len() as u64;
    match theirs {
        Ok(mut page) => {
            let mut theirs = page["totalHits"].as_u64().unwrap_or(0);
            if let Value::Array(hits) = page["data"].take() {
                let (kept, left_out): (Vec<Value>, Vec<Value>) = hits
                    .into_iter()
                    .partition(|hit| hit["id"].as_str().is_some_and(|id| !fallthrough.takes(id)));
                // The owner's own ids are counted once, as the owner's.
                theirs = theirs.saturating_sub(left_out.len() as u64);
                data.extend(kept);
            }
            total += theirs;
        }
        Err(e) => {
            tracing::warn!(upstream = %up.name, error = %e.message, "searching the owner's feed alone");
        }
    }
    Ok(json_response(&json!({ "totalHits": total, "data": data })))
}

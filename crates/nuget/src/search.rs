//! Search (`SearchQueryService`) and autocomplete
//! (`SearchAutocompleteService`) over the owner's packages the caller may
//! read, showing listed versions within the prerelease and SemVer level
//! asked for.

use std::collections::HashMap;

use axum::response::Response;
use entrepot_core::Package;
use serde::Serialize;
use serde_json::{Value, json};

use crate::feed::{self, Item};
use crate::odata::request::semver2;
use crate::respond::{Result, json_response};
use crate::view::{View, shown};

/// The query of a search or autocomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The search terms, as written.
    pub q: String,
    /// Autocomplete: the package whose versions are asked for, lowercased.
    pub id: Option<String>,
    pub skip: usize,
    pub take: usize,
    pub prerelease: bool,
    /// Whether the client reads SemVer 2.0.0 versions (`semVerLevel=2…`).
    pub semver2: bool,
}

fn flag(fields: &HashMap<String, String>, name: &str) -> bool {
    fields
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

impl Query {
    /// The query of `v3/query` or `v3/autocomplete`.
    pub fn parse(fields: &HashMap<String, String>) -> Query {
        Query {
            q: fields.get("q").cloned().unwrap_or_default(),
            id: fields.get("id").map(|id| id.to_ascii_lowercase()),
            skip: fields.get("skip").and_then(|s| s.parse().ok()).unwrap_or(0),
            take: fields
                .get("take")
                .and_then(|s| s.parse().ok())
                .unwrap_or(20)
                .min(1000),
            prerelease: flag(fields, "prerelease"),
            semver2: semver2(fields),
        }
    }
}

fn matches_query(package: &Package, items: &[&Item], q: &str) -> bool {
    let Some(latest) = items.last() else {
        return false;
    };
    let haystack =
        format!("{} {}", latest.stored.nuspec.search_text(), package.name).to_ascii_lowercase();
    q.split_whitespace().all(|term| {
        let term = term.to_ascii_lowercase();
        let term = term
            .strip_prefix("id:")
            .or_else(|| term.strip_prefix("packageid:"))
            .unwrap_or(&term);
        haystack.contains(term)
    })
}

/// `{ totalHits, data }` with the page of `hits` the query asks for.
fn page<T: Serialize>(query: &Query, hits: Vec<T>) -> Response {
    let total = hits.len();
    let data: Vec<T> = hits.into_iter().skip(query.skip).take(query.take).collect();
    json_response(&json!({ "totalHits": total, "data": data }))
}

/// `v3/query`: a hit per package whose newest shown version matches every
/// term, with its shown versions.
pub async fn search(view: &View<'_>, query: &Query) -> Result<Response> {
    Ok(page(query, hits(view, query).await?))
}

/// Every hit of `query` among the owner's packages, in order.
pub async fn hits(view: &View<'_>, query: &Query) -> Result<Vec<Value>> {
    let mut hits: Vec<Value> = Vec::new();
    for (package, items) in view.visible_items(None).await? {
        let shown_items: Vec<&Item> = items
            .iter()
            .filter(|i| shown(i, query.prerelease, query.semver2))
            .collect();
        if matches_query(&package, &shown_items, &query.q)
            && let Some(hit) = feed::search_hit(&view.urls, &package, &shown_items)
        {
            hits.push(hit);
        }
    }
    Ok(hits)
}

/// `v3/autocomplete`: the shown versions of one package (`id=`), or the
/// ids containing `q`.
pub async fn autocomplete(view: &View<'_>, query: &Query) -> Result<Response> {
    if let Some(id) = &query.id {
        let (_, items) = view.load(id).await?;
        let versions: Vec<&str> = items
            .iter()
            .filter(|i| shown(i, query.prerelease, query.semver2))
            .map(|i| i.stored.nuspec.version.as_str())
            .collect();
        return Ok(json_response(
            &json!({ "totalHits": versions.len(), "data": versions }),
        ));
    }
    let q = query.q.to_ascii_lowercase();
    let mut ids = Vec::new();
    for (_, items) in view.visible_items(None).await? {
        if let Some(latest) = items
            .iter()
            .rev()
            .find(|i| shown(i, query.prerelease, query.semver2))
            && latest.stored.nuspec.id.to_ascii_lowercase().contains(&q)
        {
            ids.push(latest.stored.nuspec.id.clone());
        }
    }
    Ok(page(query, ids))
}

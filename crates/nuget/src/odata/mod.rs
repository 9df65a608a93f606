//! The v2 (`OData`, Atom) feed under `api/v2`, for `NuGet` 2.x and for
//! `nuget list`, which reaches it through the service index's
//! `LegacyGallery`: `Packages`, `Packages(Id=,Version=)`,
//! `FindPackagesById()`, `Search()`, `$count` and `$metadata`, with the
//! `$filter` expressions those clients write.

mod atom;
pub(crate) mod filter;
pub mod request;

use std::collections::HashMap;

use axum::response::Response;
use entrepot_core::Package;
use entrepot_service::ServiceError;

use crate::feed::{Item, Urls};
use crate::respond::{NuGetError, Result};
use crate::view::{View, shown};
use atom::Row;
use request::{V2Request, V2Resource};

/// Answers a request to the v2 feed.
pub async fn handle(view: &View<'_>, request: &V2Request) -> Result<Response> {
    let urls = &view.urls;
    let fields = &request.fields;
    let (title, only) = match &request.resource {
        V2Resource::ServiceDocument => return Ok(atom::xml(atom::service_document(urls))),
        V2Resource::Metadata => return Ok(atom::xml(atom::metadata_document())),
        V2Resource::Entry { id, lver } => return single_entry(view, id, lver).await,
        V2Resource::GetUpdates => {
            let rows = &[];
            let totals = &HashMap::new();
            return Ok(atom::feed(
                urls,
                "GetUpdates",
                rows,
                fields,
                totals,
                request.count,
            ));
        }
        V2Resource::Packages => ("Packages", None),
        V2Resource::FindPackagesById { id } => ("FindPackagesById", Some(id.as_str())),
        V2Resource::Search { .. } => ("Search", None),
    };
    let packages = view.visible_items(only).await?;
    let totals = totals_of(&packages);
    let rows: Vec<Row> = rows_of(&packages)
        .into_iter()
        .filter(|r| match &request.resource {
            V2Resource::Search { term, prerelease } => {
                shown(r.item, *prerelease, request.semver2) && matches_term(r.item, term)
            }
            _ => request.semver2 || !r.item.parsed.is_semver2(),
        })
        .collect();
    let rows = apply_filter(rows, urls, fields)?;
    Ok(atom::feed(
        urls,
        title,
        &rows,
        fields,
        &totals,
        request.count,
    ))
}

/// Whether every word of `term` (lowercased) is in the version's id,
/// title, description or tags.
fn matches_term(item: &Item, term: &str) -> bool {
    let hay = item.stored.nuspec.search_text().to_lowercase();
    term.split_whitespace().all(|t| hay.contains(t))
}

/// Every version of `packages` with its latest flags.
fn rows_of(packages: &[(Package, Vec<Item>)]) -> Vec<Row<'_>> {
    let mut rows = Vec::new();
    for (package, items) in packages {
        let latest = items
            .iter()
            .rev()
            .find(|i| i.stored.listed && !i.parsed.is_prerelease())
            .map(|i| i.id);
        let absolute = items.iter().rev().find(|i| i.stored.listed).map(|i| i.id);
        for item in items {
            rows.push(Row {
                package,
                item,
                latest: Some(item.id) == latest,
                absolute_latest: Some(item.id) == absolute,
            });
        }
    }
    rows
}

/// Each package's downloads, all versions together.
fn totals_of(packages: &[(Package, Vec<Item>)]) -> HashMap<i64, i64> {
    packages
        .iter()
        .map(|(p, items)| (p.id, items.iter().map(|i| i.downloads).sum()))
        .collect()
}

fn apply_filter<'a>(
    rows: Vec<Row<'a>>,
    urls: &Urls,
    fields: &HashMap<String, String>,
) -> Result<Vec<Row<'a>>> {
    let Some(text) = fields.get("$filter").filter(|f| !f.trim().is_empty()) else {
        return Ok(rows);
    };
    let expr = filter::parse(text).map_err(NuGetError::bad_request)?;
    Ok(rows
        .into_iter()
        .filter(|row| {
            filter::eval(&expr, &|name| atom::row_value(row, urls, name))
                == filter::Value::Bool(true)
        })
        .collect())
}

/// `Packages(Id='…',Version='…')`: one entry, as the document's root.
async fn single_entry(view: &View<'_>, id: &str, lver: &str) -> Result<Response> {
    let packages = view.visible_items(Some(id)).await?;
    let totals = totals_of(&packages);
    let rows = rows_of(&packages);
    let Some(row) = rows.iter().find(|r| r.item.parsed.key() == lver) else {
        return Err(ServiceError::unseen(view.actor, "Not Found").into());
    };
    Ok(atom::entry_document(&view.urls, row, &totals))
}

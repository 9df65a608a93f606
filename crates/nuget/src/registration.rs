//! Registrations (`RegistrationsBaseUrl`): a package's index, its pages and
//! leaves in each hive, and the catalog entries they point to.

use axum::response::Response;

use crate::endpoint::Document;
use crate::feed::{self, Hive, Item};
use crate::respond::{NuGetError, Result, json_response};
use crate::view::View;

/// A document of the registration of `lid` in `hive`; the hives other
/// than the plain one are gzip-compressed.
pub async fn document(
    view: &View<'_>,
    hive: Hive,
    lid: &str,
    document: &Document,
) -> Result<Response> {
    let urls = &view.urls;
    let (_, items) = view.load(lid).await?;
    let shown: Vec<&Item> = items.iter().filter(|i| hive.includes(&i.parsed)).collect();
    if shown.is_empty() {
        return Err(NuGetError::not_found(format!("{lid} was not found")));
    }
    let doc = match document {
        Document::Index => feed::registration_index(urls, hive, lid, &shown),
        Document::Page { lower, upper } => {
            feed::registration_page(urls, hive, lid, &shown, lower, upper)
                .ok_or_else(|| NuGetError::not_found("no such page"))?
        }
        Document::Leaf { lver } => {
            let item = shown
                .iter()
                .find(|i| i.lower_version() == *lver)
                .ok_or_else(|| NuGetError::not_found("no such version"))?;
            feed::registration_leaf(urls, hive, lid, item)
        }
        Document::Unknown => return Err(NuGetError::not_found("Not Found")),
    };
    Ok(json_response(&doc, hive != Hive::Plain, view.headers))
}

/// `v3/catalog/ID/VERSION.json`: a version's catalog entry.
pub async fn catalog_entry(view: &View<'_>, lid: &str, lver: &str) -> Result<Response> {
    let (_, items) = view.load(lid).await?;
    let item = items
        .iter()
        .find(|i| i.lower_version() == lver)
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let entry = feed::catalog_entry(&view.urls, Hive::SemVer2, lid, item);
    Ok(json_response(&entry, false, view.headers))
}

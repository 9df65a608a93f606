//! Registrations (`RegistrationsBaseUrl`): a package's index, its pages and
//! leaves in each hive, and the catalog entries they point to; each kept
//! until the package changes.

use axum::response::Response;

use crate::endpoint::Document;
use crate::feed::{self, Hive, Item};
use crate::respond::{NuGetError, Result};
use crate::view::View;

/// A document of the registration of `lid` in `hive`, gzip-compressed when
/// the client accepts it (as the `-gz` hives promise).
pub async fn document(
    view: &View<'_>,
    hive: Hive,
    lid: &str,
    document: &Document,
    head: bool,
) -> Result<Response> {
    let urls = &view.urls;
    let what = format!("{}/{document:?}", hive.path());
    let kept = view
        .kept(lid, what, |items| {
            let shown: Vec<&Item> = items.iter().filter(|i| hive.includes(&i.parsed)).collect();
            if shown.is_empty() {
                return Err(NuGetError::not_found(format!("{lid} was not found")));
            }
            Ok(match document {
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
            })
        })
        .await?;
    Ok(kept.respond(view.headers, head).await)
}

/// `v3/catalog/ID/VERSION.json`: a version's catalog entry, with the
/// `.nupkg`'s hash and size as nuget.org's catalog leaves carry them (what
/// a mirror checks a package by; the registrations' inlined entries leave
/// them out, as nuget.org's do).
pub async fn catalog_entry(view: &View<'_>, lid: &str, lver: &str, head: bool) -> Result<Response> {
    let kept = view
        .kept(lid, format!("catalog/{lver}"), |items| {
            let item = items
                .iter()
                .find(|i| i.lower_version() == lver)
                .ok_or_else(|| NuGetError::not_found("no such version"))?;
            let mut entry = feed::catalog_entry(&view.urls, Hive::SemVer2, lid, item);
            if let Ok(sha512) = hex::decode(&item.stored.sha512) {
                use base64::Engine;
                entry["packageHash"] = base64::engine::general_purpose::STANDARD
                    .encode(sha512)
                    .into();
                entry["packageHashAlgorithm"] = "SHA512".into();
            }
            entry["packageSize"] = item.stored.size.into();
            Ok(entry)
        })
        .await?;
    Ok(kept.respond(view.headers, head).await)
}

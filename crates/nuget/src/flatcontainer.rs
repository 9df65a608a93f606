//! The flat container (`PackageBaseAddress`): a package's version list and
//! the files of a version (the `.nupkg`, which counts a download, the
//! `.snupkg`, the nuspec, the icon and the README), which the v2 download
//! and the README resource serve too.

use axum::response::Response;
use entrepot_core::PackageFile;
use serde_json::json;

use crate::endpoint::FileName;
use crate::feed::Item;
use crate::respond::{NuGetError, Result};
use crate::view::View;

/// `v3/flat/ID/index.json`: the live versions, ascending.
pub async fn versions(view: &View<'_>, lid: &str, head: bool) -> Result<Response> {
    let kept = view
        .kept(lid, "flat".to_owned(), |items| {
            let versions: Vec<String> = items.iter().map(Item::lower_version).collect();
            Ok(json!({ "versions": versions }))
        })
        .await?;
    Ok(kept.respond(view.headers, head).await)
}

/// One file of a live version, as its stored blob (ranges and `HEAD`
/// included).
pub async fn file(
    view: &View<'_>,
    lid: &str,
    lver: &str,
    file: &FileName,
    head: bool,
) -> Result<Response> {
    let registry = view.registry();
    let package = view.package(lid).await?;
    let version = registry
        .packages()
        .live_version(&package, lver)
        .await?
        .ok_or_else(|| NuGetError::not_found("no such version"))?;
    let files = registry.packages().files(version.id).await?;
    let name = file.name(lid, lver);
    let (stored, content_type) = stored_file(&files, file, &name);
    let stored = stored.ok_or_else(|| NuGetError::not_found(format!("{name} was not found")))?;
    let content_type = if *file == FileName::Icon {
        icon_type(&stored.name)
    } else {
        content_type
    };
    let response = entrepot_http::download::serve_download(
        view.state,
        &stored.sha256,
        view.headers,
        content_type,
        head,
    )
    .await?;
    if *file == FileName::Nupkg && !head && response.status() == axum::http::StatusCode::OK {
        registry
            .packages()
            .count_download(entrepot_core::PackageType::Nuget, &version);
    }
    Ok(response)
}

/// The stored file a requested `name` stands for, and its content type.
fn stored_file<'f>(
    files: &'f [PackageFile],
    file: &FileName,
    name: &str,
) -> (Option<&'f PackageFile>, &'static str) {
    let named = |prefix: &str| files.iter().find(|x| x.name.starts_with(prefix));
    match file {
        FileName::Nupkg | FileName::Snupkg => (
            files.iter().find(|x| x.name == name),
            "application/octet-stream",
        ),
        FileName::Nuspec => (files.iter().find(|x| x.name == name), "application/xml"),
        FileName::Icon => (named("icon/"), "application/octet-stream"),
        FileName::Readme => (named("readme/"), "text/markdown; charset=utf-8"),
        FileName::Other(_) => (None, ""),
    }
}

/// The content type of an icon, by its file name.
#[expect(clippy::case_sensitive_file_extension_comparisons)] // lowercased first
pub fn icon_type(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "application/octet-stream"
    }
}

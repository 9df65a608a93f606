//! Files from inside a version's archive
//! (`…/package/NAME/-/files/VERSION/PATH`), where a README's relative
//! images lead when no repository is known. They come from whoever
//! published, on the pages' origin: images and text show, anything else
//! downloads, and nothing runs (a sandbox policy, `nosniff`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, Package, Visibility};
use entrepot_http::AppState;
use entrepot_service::ServiceError;

use crate::package_page::readable;
use crate::session::Viewer;
use crate::{not_found, package_path, server_error};

/// Between the package's name and the version in a file's path; a name
/// has no `-` segment (npm's own tarball URLs rely on it too).
pub(crate) const SEPARATOR: &str = "/-/files/";

/// The directory of `version`'s files, ending in `/`; none for a version
/// whose name would need escaping in a path (npm's and Cargo's never do).
pub(crate) fn files_base(owner: &Account, package: &Package, version: &str) -> Option<String> {
    version
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b".+-_".contains(&b))
        .then(|| format!("{}{SEPARATOR}{version}/", package_path(owner, package)))
}

/// Serves `rest` (`VERSION/PATH`) of the package `name`.
pub(crate) async fn serve(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, name): (&str, &str, &str),
    rest: &str,
) -> Response {
    match file(state, viewer, (owner, package_type, name), rest).await {
        Ok(Some(response)) => response,
        Ok(None) => not_found(viewer),
        Err(e) => server_error(&e),
    }
}

async fn file(
    state: &AppState,
    viewer: &Viewer,
    (owner, package_type, name): (&str, &str, &str),
    rest: &str,
) -> Result<Option<Response>, ServiceError> {
    let Some((version, path)) = rest.split_once('/') else {
        return Ok(None);
    };
    let Some(package) = readable(state, &viewer.actor, owner, package_type, name).await? else {
        return Ok(None);
    };
    let Some(format) = state.format(package.package_type) else {
        return Ok(None);
    };
    let packages = state.registry.packages();
    let Some(version) = packages
        .version(package.id, version)
        .await?
        .filter(|v| v.deleted_at.is_none())
    else {
        return Ok(None);
    };
    let files = packages.files(version.id).await?;
    let Some(archive) = format.archive(&files) else {
        return Ok(None);
    };
    let Some(found) = packages.packaged_file(archive, path).await? else {
        return Ok(None);
    };
    let (content_type, inline) = content_type(path);
    let mut response = (StatusCode::OK, Body::from_stream(found.body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(found.size));
    // Nothing in it runs, even an SVG's script or an HTML page opened
    // directly; it cannot reach this origin's pages or cookies.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    if !inline {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    // A version's files never change; only a public package's may be
    // kept by shared caches.
    let cache = if package.visibility == Visibility::Public {
        "public, max-age=86400, immutable"
    } else {
        "private, max-age=86400"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(Some(response))
}

/// The type a file is served as by its extension, and whether a browser
/// shows it: images a README shows and plain text; anything else is bytes
/// to download.
fn content_type(path: &str) -> (&'static str, bool) {
    let extension = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "png" => ("image/png", true),
        "jpg" | "jpeg" => ("image/jpeg", true),
        "gif" => ("image/gif", true),
        "webp" => ("image/webp", true),
        "avif" => ("image/avif", true),
        "ico" => ("image/x-icon", true),
        "svg" => ("image/svg+xml", true),
        "md" | "markdown" | "txt" | "json" | "toml" | "yml" | "yaml" | "rs" | "js" | "ts"
        | "mjs" | "cjs" | "css" | "d.ts" => ("text/plain; charset=utf-8", true),
        _ => ("application/octet-stream", false),
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn images_and_text_show_and_anything_else_downloads() {
        assert_eq!(content_type("img/Logo.PNG"), ("image/png", true));
        assert_eq!(content_type("a.svg"), ("image/svg+xml", true));
        assert!(content_type("docs/guide.md").1);
        // An HTML page is bytes to download, never a page of this origin.
        assert_eq!(
            content_type("index.html"),
            ("application/octet-stream", false)
        );
        assert_eq!(content_type("LICENSE"), ("application/octet-stream", false));
    }
}

//! How an answer served from an upstream registry says so, in every format.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Names the upstream an answer came from (`X-Entrepot-Upstream`) and, when
/// the upstream could not be reached and the cached copy was served,
/// says it is stale (`Warning: 110`).
pub fn mark(mut response: Response, upstream: &str, stale: bool) -> Response {
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(upstream) {
        h.insert("x-entrepot-upstream", v);
    }
    if stale {
        h.insert(
            header::WARNING,
            HeaderValue::from_static("110 entrepot \"Response is Stale\""),
        );
    }
    response
}

/// A document rendered from an upstream's (`Upstreams::rendered`) as
/// clients get it: `304` while their copy is current (the weak `ETag`'s
/// content compared), the body (none for `HEAD`), of `content_type`,
/// never cached without asking, and marked as the upstream's.
pub fn serve_rendered(
    upstream: &entrepot_core::Upstream,
    rendered: &entrepot_service::proxy::Rendered,
    (headers, head): (&axum::http::HeaderMap, bool),
    content_type: &'static str,
) -> Response {
    use axum::response::IntoResponse;
    let tag = rendered.etag.trim_start_matches("W/");
    let mut response = if crate::encoding::not_modified(headers, tag) {
        axum::http::StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        let mut r = axum::http::StatusCode::OK.into_response();
        r.headers_mut().insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(rendered.body.len()),
        );
        r
    } else {
        (axum::http::StatusCode::OK, rendered.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&rendered.etag) {
        h.insert(header::ETAG, v);
    }
    mark(response, &upstream.name, rendered.stale)
}

/// How a file from an upstream is asked for and answered.
pub struct FileAnswer<'a> {
    pub headers: &'a axum::http::HeaderMap,
    pub content_type: &'a str,
    pub head: bool,
}

/// Serves a file an upstream proxy keeps, counting the download of its
/// version (of the format `counted` names) when the whole file is served.
pub async fn serve_kept(
    state: &crate::AppState,
    upstream: &entrepot_core::Upstream,
    file: &entrepot_core::PackageFile,
    answer: &FileAnswer<'_>,
    counted: Option<entrepot_core::PackageType>,
) -> Result<Response, entrepot_service::ServiceError> {
    state
        .registry
        .stats
        .proxy_hits
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let response = crate::download::serve_download(
        state,
        &file.sha256,
        answer.headers,
        answer.content_type,
        answer.head,
    )
    .await?;
    if let Some(file_type) = counted
        && !answer.head
        && response.status() == axum::http::StatusCode::OK
        && let Some(version) = state
            .registry
            .packages()
            .version_by_id(file.version_id)
            .await?
    {
        state
            .registry
            .packages()
            .count_download(file_type, &version);
    }
    Ok(mark(response, &upstream.name, false))
}

/// Serves a file the upstream's metadata names: from the store when it
/// is kept; else, for a whole `GET`, streamed as the upstream sends it
/// while it is stored (an answer that ends in an error when it fails its
/// digest check); else (`HEAD`, a range) fetched and kept first.
pub async fn serve_wanted(
    state: &crate::AppState,
    upstream: &entrepot_core::Upstream,
    wanted: entrepot_service::proxy::WantedFile,
    answer: &FileAnswer<'_>,
) -> Result<Response, entrepot_service::ServiceError> {
    use entrepot_service::proxy::FileFetch;
    let counted = wanted.counted.then_some(wanted.package_type);
    let upstreams = state.registry.upstreams();
    let whole_get = !answer.head && !answer.headers.contains_key(header::RANGE);
    let fetched = if whole_get {
        upstreams.fetch_file(upstream, wanted).await?
    } else {
        FileFetch::Kept(upstreams.cached_file(upstream, wanted).await?)
    };
    match fetched {
        FileFetch::Kept(file) => serve_kept(state, upstream, &file, answer, counted).await,
        FileFetch::Streaming { size, body } => {
            let mut response = Response::new(axum::body::Body::from_stream(body));
            let h = response.headers_mut();
            if let Ok(v) = HeaderValue::from_str(answer.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Some(size) = size {
                h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            }
            Ok(mark(response, &upstream.name, false))
        }
    }
}

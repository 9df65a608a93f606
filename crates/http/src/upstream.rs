//! How an answer served from an upstream registry says so, in every format.

use crate::AppState;
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

/// An owner's fall-through and the names it keeps for itself: every
/// package of the format it has or had (visible to the caller or not,
/// PEP 503-normalised, so that `Foo_Bar` keeps `foo-bar`) and its
/// reserved patterns. A local name never comes from the upstream, and a
/// list merged from the upstream leaves them out.
#[derive(Debug, Clone)]
pub struct Fallthrough {
    pub owner: entrepot_core::Account,
    pub to: entrepot_service::upstreams::OwnerFallthrough,
    names: std::collections::HashSet<String>,
}

impl Fallthrough {
    /// Where `owner`'s index of `format` falls through to, if anywhere,
    /// once `actor` may read what upstreams serve (the instance's rule).
    pub async fn of(
        state: &AppState,
        actor: &entrepot_core::Actor,
        owner: &str,
        format: entrepot_core::PackageType,
    ) -> entrepot_service::ServiceResult<Option<Fallthrough>> {
        let Some(owner) = state.registry.accounts().account_by_login(owner).await? else {
            return Ok(None);
        };
        Self::of_account(state, actor, owner, format).await
    }

    /// `of` for an owner already looked up.
    pub async fn of_account(
        state: &AppState,
        actor: &entrepot_core::Actor,
        owner: entrepot_core::Account,
        format: entrepot_core::PackageType,
    ) -> entrepot_service::ServiceResult<Option<Fallthrough>> {
        let registry = &state.registry;
        let Some(to) = registry.upstreams().fallthrough_of(&owner, format).await? else {
            return Ok(None);
        };
        registry.upstreams().may_read(actor)?;
        let names = registry
            .packages()
            .namespace_names(&owner, format)
            .await?
            .iter()
            .map(|n| entrepot_core::names::pep503(n))
            .collect();
        Ok(Some(Fallthrough { owner, to, names }))
    }

    pub fn upstream(&self) -> &entrepot_core::Upstream {
        &self.to.upstream
    }

    /// Whether `name` is the owner's: had, or kept by a pattern.
    pub fn takes(&self, name: &str) -> bool {
        let name = entrepot_core::names::pep503(name);
        self.names.contains(&name) || self.to.reserves(&name)
    }

    /// A value that changes whenever the names kept change: part of the
    /// key of anything rendered with them left out.
    pub fn names_key(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut sorted: Vec<&String> = self.names.iter().collect();
        sorted.sort();
        let mut hasher = std::hash::DefaultHasher::new();
        (sorted, &self.to.reserved, self.to.upstream.account_id).hash(&mut hasher);
        hasher.finish()
    }

    /// Keeps `name` for the upstream in the owner's index once one of its
    /// files was served from there, so that no local package takes its
    /// place unnoticed (`admin owner release` lets it go).
    pub async fn keep(
        &self,
        state: &AppState,
        format: entrepot_core::PackageType,
        name: &str,
    ) -> entrepot_service::ServiceResult<()> {
        state
            .registry
            .upstreams()
            .keep_owner_name(
                &self.owner,
                format,
                &entrepot_core::names::pep503(name),
                self.upstream(),
            )
            .await
    }
}

/// Parses an upstream's JSON document, off the executor when it is big
/// enough for that to matter (a registration page, a long tag list).
pub async fn parse_json(body: &str) -> Result<serde_json::Value, String> {
    const INLINE_BYTES: usize = 64 * 1024;
    if body.len() <= INLINE_BYTES {
        return serde_json::from_str(body).map_err(|e| e.to_string());
    }
    let owned = body.to_owned();
    tokio::task::spawn_blocking(move || serde_json::from_str(&owned).map_err(|e| e.to_string()))
        .await
        .map_err(|e| e.to_string())?
}

/// Serves `found` (a format's `serve_kept` or `serve_wanted`), counting a
/// whole download of a kept file as `counted`.
pub async fn serve_found(
    state: &AppState,
    upstream: &entrepot_core::Upstream,
    found: entrepot_service::proxy::Found,
    answer: &FileAnswer<'_>,
    counted: entrepot_core::PackageType,
) -> entrepot_service::ServiceResult<Response> {
    match found {
        entrepot_service::proxy::Found::Kept(kept) => {
            serve_kept(state, upstream, &kept, answer, Some(counted)).await
        }
        entrepot_service::proxy::Found::Wanted(wanted) => {
            serve_wanted(state, upstream, wanted, answer).await
        }
    }
}

//! Blobs an upstream registry holds by digest (a container image's layers
//! and configs): fetched on first request and streamed to that client
//! while they are stored and checked against the digest they are asked by,
//! then linked under the upstream's name for them and served from the
//! blob store for good. The digest is the only promise there is, so a
//! blob is never fetched without one. Requests answered as the upstream
//! answers them now, uncached, are here too: a `HEAD`, and a small
//! document the format checks and keeps itself (a manifest).

use bytes::Bytes;
use entrepot_core::{PackageType, Upstream};
use entrepot_store::{BlobLink, ByteStream, Expected};
use reqwest_hooks as reqwest;

use super::files::LOCK_WAIT;
use super::{Ask, unavailable};
use crate::{ServiceError, ServiceResult, Upstreams};

/// How long an upstream that failed is not asked again by callers that
/// have a copy to serve.
const DOWN_BACKOFF: std::time::Duration = std::time::Duration::from_secs(30);

/// A blob an upstream registry is asked for.
#[derive(Debug, Clone)]
pub struct WantedBlob {
    pub package_type: PackageType,
    /// The upstream's name for what holds it (an image, `library/alpine`).
    pub name: String,
    /// The digest clients name it by (`sha256:…`).
    pub digest: String,
    /// What the digest promises (at least one digest).
    pub expected: Expected,
    /// Where the upstream has it, relative to the upstream's URL.
    pub path: String,
    /// What a token for it is kept under (`repository:NAME:pull`).
    pub scope: String,
}

/// A blob as an upstream proxy serves it.
pub enum BlobFetch {
    /// Linked before (or by another request meanwhile).
    Kept(BlobLink),
    /// Fetched now: the upstream's bytes as they come, stored and checked
    /// meanwhile; the stream ends in an error, and nothing is kept, when
    /// they do not match the digest.
    Streaming { size: Option<u64>, body: ByteStream },
}

/// What an upstream answered to a request passed on uncached.
#[derive(Debug, Clone)]
pub struct Answered {
    pub headers: reqwest::header::HeaderMap,
    /// Empty for a `HEAD`.
    pub body: Bytes,
}

impl Upstreams<'_> {
    /// The blob's link, or else the upstream's bytes streamed as they
    /// arrive while they are stored and linked.
    pub async fn fetch_blob(
        self,
        upstream: &Upstream,
        wanted: WantedBlob,
    ) -> ServiceResult<BlobFetch> {
        if let Some(link) = self.linked(upstream, &wanted).await? {
            return Ok(BlobFetch::Kept(link));
        }
        let key = blob_key(upstream, &wanted);
        let turn = tokio::time::timeout(LOCK_WAIT, self.flights.lock_for(&key).lock_owned())
            .await
            .ok();
        if let Some(link) = self.linked(upstream, &wanted).await? {
            return Ok(BlobFetch::Kept(link));
        }
        self.refused_before(&key)?;
        let response = self.open_blob(upstream, &wanted).await?;
        let size = response.content_length();
        let upstream = upstream.clone();
        let body = self.tee(key, turn, response, move |registry, body| async move {
            registry
                .upstreams()
                .keep_blob(&upstream, &wanted, body)
                .await
                .map(drop)
        });
        Ok(BlobFetch::Streaming { size, body })
    }

    async fn linked(
        self,
        upstream: &Upstream,
        wanted: &WantedBlob,
    ) -> ServiceResult<Option<BlobLink>> {
        self.blobs()
            .blob_link(
                upstream.account_id,
                wanted.package_type,
                &wanted.name,
                &wanted.digest,
            )
            .await
    }

    async fn open_blob(
        self,
        upstream: &Upstream,
        wanted: &WantedBlob,
    ) -> ServiceResult<reqwest::Response> {
        let e = &wanted.expected;
        if e.sha256.is_none() && e.sha512.is_none() {
            return Err(ServiceError::Internal(format!(
                "a blob from `{}` is asked for without a digest",
                upstream.name
            )));
        }
        let url = upstream_url(upstream, &wanted.path)?;
        let mut ask = Ask::get(&url);
        ask.scope = Some(&wanted.scope);
        ask.elsewhere = true;
        ask.headers.push(super::identity());
        self.open(upstream, &ask, &wanted.digest).await
    }

    /// Stores `body`, checked against the digest, and links it; nothing is
    /// kept when the check fails.
    async fn keep_blob(
        self,
        upstream: &Upstream,
        wanted: &WantedBlob,
        body: ByteStream,
    ) -> ServiceResult<BlobLink> {
        let blob = self
            .blobs()
            .store_blob_limited(body, wanted.expected.clone(), self.limits.max_layer_bytes)
            .await
            .inspect_err(|e| {
                tracing::warn!(upstream = %upstream.name, blob = %wanted.digest, error = %e,
                    "a blob from an upstream was refused");
            })?;
        self.blobs()
            .link_blob(
                upstream.account_id,
                wanted.package_type,
                &wanted.name,
                &wanted.digest,
                &blob,
            )
            .await?;
        self.linked(upstream, wanted)
            .await?
            .ok_or_else(|| ServiceError::Internal("a blob just linked vanished".into()))
    }

    /// Asks the upstream `method` (`GET` or `HEAD`) `path` now, uncached,
    /// reading at most `limit` bytes of the answer: `None` when it has no
    /// such thing, `Upstream` when it cannot be asked or fails.
    pub async fn ask_now(
        self,
        upstream: &Upstream,
        head: bool,
        path: &str,
        accept: &str,
        scope: &str,
        limit: usize,
    ) -> ServiceResult<Option<Answered>> {
        let url = upstream_url(upstream, path)?;
        self.ask_at(upstream, head, &url, (accept, Some(scope)), limit)
            .await
    }

    /// `GET url` now, uncached, reading at most `limit` bytes: for answers
    /// that depend on the question (a search), at a URL the upstream's own
    /// documents named (a search service may live on another host; the
    /// upstream's credentials go only to its own origin).
    pub async fn ask_url(
        self,
        upstream: &Upstream,
        url: &url::Url,
        accept: &str,
        limit: usize,
    ) -> ServiceResult<Option<Answered>> {
        self.ask_at(upstream, false, url, (accept, None), limit)
            .await
    }

    async fn ask_at(
        self,
        upstream: &Upstream,
        head: bool,
        url: &url::Url,
        (accept, scope): (&str, Option<&str>),
        limit: usize,
    ) -> ServiceResult<Option<Answered>> {
        let path = url.path();
        let mut ask = Ask::get(url);
        if head {
            ask.method = reqwest::Method::HEAD;
        }
        ask.scope = scope;
        ask.timeout = Some(super::DOCUMENT_TIMEOUT);
        ask.headers
            .push((reqwest::header::ACCEPT, accept.to_owned()));
        let response = self
            .send(upstream, &ask)
            .await
            .map_err(|e| unavailable(upstream, e))?;
        let status = response.status();
        if status.is_client_error() {
            return registry_refusal(upstream, path, status).map(|()| None);
        }
        if !status.is_success() {
            return Err(unavailable(upstream, format!("it answered {status}")));
        }
        let headers = response.headers().clone();
        let body = if head {
            Bytes::new()
        } else {
            Bytes::from(
                super::bounded_body(response, limit)
                    .await
                    .map_err(|e| unavailable(upstream, e))?,
            )
        };
        Ok(Some(Answered { headers, body }))
    }
}

impl Upstreams<'_> {
    /// What the upstream last said at `path` (such as the digest a tag
    /// named), and when; `fresh` when that was within the upstream's TTL.
    pub async fn noted(
        self,
        upstream: &Upstream,
        path: &str,
    ) -> ServiceResult<Option<(String, bool)>> {
        let ttl = chrono::TimeDelta::seconds(upstream.metadata_ttl_seconds);
        Ok(self
            .meta
            .upstream_document(upstream.account_id, path)
            .await?
            .map(|doc| {
                let fresh = chrono::Utc::now() - doc.fetched_at < ttl;
                (doc.body, fresh)
            }))
    }

    /// Notes what the upstream says at `path` now.
    pub async fn note(self, upstream: &Upstream, path: &str, said: &str) -> ServiceResult<()> {
        let doc = entrepot_store::UpstreamDocument {
            body: said.to_owned(),
            content_type: None,
            etag: None,
            last_modified: None,
            fetched_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6),
        };
        Ok(self
            .meta
            .put_upstream_document(upstream.account_id, path, &doc)
            .await?)
    }

    /// Remembers that `upstream` just failed to answer.
    pub fn note_down(self, upstream: &Upstream) {
        let mut down = self
            .flights
            .down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if down.len() > 1024 {
            down.clear();
        }
        down.insert(upstream.account_id, std::time::Instant::now());
    }

    /// Whether `upstream` failed within `DOWN_BACKOFF`: a caller with a
    /// copy serves it rather than wait for the upstream again.
    pub fn recently_down(self, upstream: &Upstream) -> bool {
        self.flights
            .down
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&upstream.account_id)
            .is_some_and(|at| at.elapsed() < DOWN_BACKOFF)
    }

    /// This node's turn at `key` (one fetch per miss): whoever asks for
    /// the same key meanwhile waits, up to a minute.
    pub async fn turn(self, key: &str) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        tokio::time::timeout(LOCK_WAIT, self.flights.lock_for(key).lock_owned())
            .await
            .ok()
    }

    /// The upstream of `format` whose reserved owner is `login`, as this
    /// node last read the list (no query on a warm node).
    pub async fn mirror_named(
        self,
        login: &str,
        format: PackageType,
    ) -> ServiceResult<Option<Upstream>> {
        Ok(self
            .known_upstreams()
            .await?
            .iter()
            .find(|u| u.format == format && u.name.eq_ignore_ascii_case(login))
            .cloned())
    }
}

/// What a registry's `4xx` means: too many requests is said so; a `401`
/// or `403` that outlived the token flow is how registries (Docker Hub)
/// answer for images they do not have or will not show, so, as `404`, it
/// is `Ok` (not there).
pub(super) fn registry_refusal(
    upstream: &Upstream,
    path: &str,
    status: reqwest::StatusCode,
) -> ServiceResult<()> {
    match status.as_u16() {
        429 => Err(ServiceError::Throttled(format!(
            "the upstream registry `{}` asks to slow down (429)",
            upstream.name
        ))),
        401 | 403 => {
            tracing::warn!(upstream = %upstream.name, path, %status,
                "the upstream refused even with its token: answered as not found");
            Ok(())
        }
        _ => Ok(()),
    }
}

fn blob_key(upstream: &Upstream, wanted: &WantedBlob) -> String {
    format!(
        "blob:{}:{}:{}",
        upstream.account_id, wanted.name, wanted.digest
    )
}

/// `path` on the upstream, which must stay below the upstream's URL.
fn upstream_url(upstream: &Upstream, path: &str) -> ServiceResult<url::Url> {
    let base = url::Url::parse(&upstream.url)
        .map_err(|e| ServiceError::Internal(format!("upstream URL: {e}")))?;
    let url = base
        .join(path)
        .map_err(|e| ServiceError::Internal(format!("upstream path {path}: {e}")))?;
    if !url.as_str().starts_with(base.as_str()) {
        return Err(ServiceError::Invalid(format!(
            "`{path}` is not below the upstream's URL"
        )));
    }
    Ok(url)
}

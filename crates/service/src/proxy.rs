//! Fetching from upstream registries. Documents (an npm packument, a PyPI
//! project page) are kept in the shared database as the upstream sent them,
//! served for the upstream's TTL, then revalidated with their `ETag` and
//! `Last-Modified`; when the upstream fails, what was cached is served,
//! marked stale. Files are fetched on first request, verified against the
//! digests the metadata declared (a mismatch keeps nothing), stored once in
//! the blob store and recorded as a version of a package owned by the
//! upstream's reserved account, then served from there. Concurrent misses
//! for one document or file on a node wait for a single fetch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use chrono::{TimeDelta, Utc};
use entrepot_core::{PackageType, Timestamp, Upstream};
use entrepot_store::{Expected, UpstreamDocument};
use reqwest_hooks as reqwest;

use crate::{ServiceError, ServiceResult, Upstreams};

mod bearer;
mod files;
mod linked;
mod rendered;
pub use bearer::Ask;
pub use files::{FileFetch, Found, KeptVersion};
pub use linked::{Answered, BlobFetch, WantedBlob};
pub use rendered::Rendered;

/// The largest document an upstream may send (the biggest npm packuments
/// are tens of megabytes).
pub const MAX_DOCUMENT_BYTES: usize = 96 * 1024 * 1024;

/// What a file or blob is asked with: its bytes as they are, which its
/// digest is of (a server may otherwise gzip a `.tgz` on the way, and
/// the client would undo it unseen).
fn identity() -> (reqwest::header::HeaderName, String) {
    (reqwest::header::ACCEPT_ENCODING, "identity".to_owned())
}

/// How long a document request may take before the cache answers.
const DOCUMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A document as served: fresh, revalidated, or stale (the upstream could
/// not be reached and this is what was cached).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: String,
    pub content_type: Option<String>,
    pub fetched_at: Timestamp,
    pub stale: bool,
}

/// A file an upstream's metadata names, with what it promised about it.
#[derive(Debug, Clone)]
pub struct WantedFile {
    pub package_type: PackageType,
    /// The package's name as the upstream's clients know it.
    pub package: String,
    pub version: String,
    pub file_name: String,
    /// Where the upstream's metadata says the file is.
    pub url: String,
    /// The digests declared (lowercase hex); at least one must be given.
    pub expected: Expected,
    /// The version's metadata, stored as the format keeps it.
    pub metadata: serde_json::Value,
    pub content_type: Option<String>,
    /// Whether serving it counts as a download of its version (a
    /// distribution does, its core metadata file does not).
    pub counted: bool,
}

/// What the proxy keeps per node: a lock per document or file, so that a
/// miss is fetched once, the names this node already reserved, and the
/// files recently refused for a digest mismatch.
#[derive(Default)]
pub struct Flights {
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
    reserved: Mutex<std::collections::HashSet<(entrepot_core::Id, String)>>,
    refused: Mutex<HashMap<String, (std::time::Instant, String)>>,
    memo: rendered::Memo,
    tokens: bearer::Tokens,
    /// Upstreams that failed lately, and when.
    down: Mutex<HashMap<entrepot_core::Id, std::time::Instant>>,
    upstreams: Mutex<Option<(std::time::Instant, Arc<Vec<Upstream>>)>>,
}

/// How long a node trusts its list of upstreams.
pub const UPSTREAMS_FRESH: std::time::Duration = std::time::Duration::from_secs(2);

impl Flights {
    pub(crate) fn known_upstreams(&self) -> Option<Arc<Vec<Upstream>>> {
        let known = self
            .upstreams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        known
            .as_ref()
            .filter(|(at, _)| at.elapsed() < UPSTREAMS_FRESH)
            .map(|(_, list)| list.clone())
    }

    pub(crate) fn keep_upstreams(&self, list: Arc<Vec<Upstream>>) {
        *self
            .upstreams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), list));
    }

    pub(crate) fn forget_upstreams(&self) {
        *self
            .upstreams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The lock for `key`, shared by everyone who asks for it meanwhile.
    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = map.get(key).and_then(Weak::upgrade) {
            return lock;
        }
        if map.len() > 1024 {
            map.retain(|_, weak| weak.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        map.insert(key.to_owned(), Arc::downgrade(&lock));
        lock
    }
}

fn unavailable(upstream: &Upstream, why: impl std::fmt::Display) -> ServiceError {
    ServiceError::Upstream(format!(
        "the upstream registry `{}` could not be reached and has no cached copy: {why}",
        upstream.name
    ))
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a response's body, refusing more than `limit` bytes as it reads.
async fn bounded_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("the document is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl Upstreams<'_> {
    /// The upstream that serves a name of `format` a local owner does not
    /// have: the format's default, unless `scope` names a local owner,
    /// whose names never come from an upstream. Reading it follows the
    /// instance's read rule (anonymous callers are asked to sign in when
    /// reads need it).
    pub async fn fall_through(
        self,
        actor: &entrepot_core::Actor,
        format: PackageType,
        scope: Option<&str>,
    ) -> ServiceResult<Option<Upstream>> {
        if let Some(scope) = scope
            && self.meta.account_by_login(scope).await?.is_some()
        {
            return Ok(None);
        }
        let Some(upstream) = self.default_upstream(format).await? else {
            return Ok(None);
        };
        self.may_read(actor)?;
        Ok(Some(upstream))
    }

    /// Whether `actor` may read what comes from upstreams: anyone, unless
    /// the instance wants reads signed in (401 with the challenge).
    pub fn may_read(self, actor: &entrepot_core::Actor) -> ServiceResult<()> {
        if self.policy.require_auth_for_reads && actor.user_id().is_none() {
            return Err(ServiceError::Unauthenticated);
        }
        Ok(())
    }

    /// Reserves `name` (an npm scope the upstream served) so that no local
    /// owner can take it later and answer for it: written once per node.
    pub async fn reserve(self, upstream: &Upstream, name: &str) -> ServiceResult<()> {
        let key = (upstream.account_id, name.to_ascii_lowercase());
        if self.remembered(&key) {
            return Ok(());
        }
        self.meta
            .reserve_name(name, upstream.account_id, Utc::now())
            .await?;
        self.remember(key);
        Ok(())
    }

    /// Keeps `name` (normalised as `format` does) in `owner`'s index for
    /// the upstream it was just served from, so that a local package cannot
    /// later take its place unnoticed: written once per node.
    pub async fn keep_owner_name(
        self,
        owner: &entrepot_core::Account,
        format: PackageType,
        name: &str,
        upstream: &Upstream,
    ) -> ServiceResult<()> {
        let key = (owner.id, format!("{format}/{name}"));
        if self.remembered(&key) {
            return Ok(());
        }
        self.meta
            .reserve_owner_name(owner.id, format, name, upstream.account_id, Utc::now())
            .await?;
        self.remember(key);
        Ok(())
    }

    /// Lets `owner` publish a local package named `name` that its index
    /// served from its upstream (`admin owner release`): a site
    /// administrator's explicit step.
    pub async fn release_owner_name(
        self,
        owner: &str,
        format: &str,
        name: &str,
    ) -> ServiceResult<()> {
        let format: PackageType = format
            .parse()
            .map_err(|_| ServiceError::Invalid(format!("unknown format `{format}`")))?;
        let account =
            self.meta.account_by_login(owner).await?.ok_or_else(|| {
                ServiceError::not_found(format!("no user or organization `{owner}`"))
            })?;
        // Kept PEP 503-normalised in every format (cargo's twins too).
        let name = entrepot_core::names::pep503(name);
        if !self
            .meta
            .release_owner_name(account.id, format, &name)
            .await?
        {
            return Err(ServiceError::not_found(format!(
                "`{owner}`'s {format} index keeps no name `{name}` for an upstream"
            )));
        }
        let key = (account.id, format!("{format}/{name}"));
        self.flights
            .reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key);
        tracing::info!(owner, %format, name, "name kept for an upstream released");
        Ok(())
    }

    fn remembered(self, key: &(entrepot_core::Id, String)) -> bool {
        self.flights
            .reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(key)
    }

    fn remember(self, key: (entrepot_core::Id, String)) {
        let mut reserved = self
            .flights
            .reserved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if reserved.len() > 65_536 {
            reserved.clear();
        }
        reserved.insert(key);
    }

    /// `release_name` for a site administrator (the web page).
    pub async fn release_name_as(
        self,
        actor: &entrepot_core::Actor,
        name: &str,
    ) -> ServiceResult<()> {
        crate::upstreams::site_admin(actor, true)?;
        self.release_name(name).await
    }

    /// Lets a local owner take a name an upstream reserved (`admin upstream
    /// release`): a site administrator's explicit step.
    pub async fn release_name(self, name: &str) -> ServiceResult<()> {
        if self.meta.release_name(name).await? {
            self.flights
                .reserved
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|(_, n)| !n.eq_ignore_ascii_case(name));
            tracing::info!(name, "reserved name released");
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "no upstream reserved `{name}`"
            )))
        }
    }

    /// The format's default upstream, if a site administrator set one.
    pub async fn default_upstream(self, format: PackageType) -> ServiceResult<Option<Upstream>> {
        Ok(self
            .known_upstreams()
            .await?
            .iter()
            .find(|u| u.format == format && u.is_default)
            .cloned())
    }

    /// A request to the upstream: through the upstream client, with its
    /// credentials when `credentials` says so, when `url` is on the
    /// upstream's own host; through the guarded client, without, otherwise.
    fn request_to(
        self,
        upstream: &Upstream,
        method: reqwest::Method,
        url: &url::Url,
        credentials: bool,
    ) -> ServiceResult<reqwest::RequestBuilder> {
        let base = url::Url::parse(&upstream.url)
            .map_err(|e| ServiceError::Internal(format!("upstream URL: {e}")))?;
        if base.origin() == url.origin() {
            let mut request = self
                .outbound
                .upstream_client()?
                .request(method, url.as_str());
            if credentials
                && let (Some(user), Some(password)) = (&upstream.username, &upstream.password)
            {
                request = request.basic_auth(user, Some(password.expose()));
            }
            Ok(request)
        } else {
            self.outbound
                .check_url(url)
                .map_err(|e| unavailable(upstream, e))?;
            let client = self.outbound.client(crate::outbound::ClientKind {
                insecure: false,
                follow_redirects: true,
            })?;
            Ok(client.request(method, url.as_str()))
        }
    }

    /// The upstream's document at `path` (relative to its URL): from the
    /// cache while it is fresh, else fetched or revalidated; the cached
    /// copy, marked stale, when the upstream fails. A document the
    /// upstream does not have is `NotFound`.
    pub async fn document(self, upstream: &Upstream, path: &str) -> ServiceResult<Fetched> {
        let ttl = TimeDelta::seconds(upstream.metadata_ttl_seconds);
        self.document_within(upstream, path, ttl).await
    }

    /// `document`, revalidated now whatever its TTL (a conditional request
    /// when it was kept): for a version the kept copy lacks, which another
    /// document, fetched later, already names.
    pub async fn refreshed(self, upstream: &Upstream, path: &str) -> ServiceResult<Fetched> {
        self.document_within(upstream, path, TimeDelta::zero())
            .await
    }

    async fn document_within(
        self,
        upstream: &Upstream,
        path: &str,
        ttl: TimeDelta,
    ) -> ServiceResult<Fetched> {
        let fresh = |doc: &UpstreamDocument| Utc::now() - doc.fetched_at < ttl;
        let served = |doc: UpstreamDocument, stale: bool| Fetched {
            body: doc.body,
            content_type: doc.content_type,
            fetched_at: doc.fetched_at,
            stale,
        };
        if let Some(doc) = self
            .meta
            .upstream_document(upstream.account_id, path)
            .await?
            && fresh(&doc)
        {
            return Ok(served(doc, false));
        }
        let flight = self
            .flights
            .lock_for(&format!("doc:{}:{path}", upstream.account_id));
        let _turn = flight.lock().await;
        // Whoever held the lock before may have fetched it meanwhile.
        let cached = self
            .meta
            .upstream_document(upstream.account_id, path)
            .await?;
        if let Some(doc) = &cached
            && fresh(doc)
        {
            return Ok(served(doc.clone(), false));
        }
        match self.fetch_document(upstream, path, cached.as_ref()).await {
            Ok(Some(doc)) => Ok(served(doc, false)),
            Ok(None) => Err(ServiceError::not_found(format!(
                "not found in the upstream registry `{}`",
                upstream.name
            ))),
            Err(why) => match cached {
                Some(doc) => {
                    tracing::warn!(
                        upstream = %upstream.name,
                        path,
                        error = %why,
                        fetched_at = %doc.fetched_at,
                        "upstream unavailable: serving the cached document, stale"
                    );
                    Ok(served(doc, true))
                }
                None => Err(unavailable(upstream, why)),
            },
        }
    }

    /// Fetches (or revalidates) one document and keeps it; `None` when the
    /// upstream has no such document. `Err` is the reason the upstream
    /// failed (unreachable, timed out, 5xx or unreadable).
    async fn fetch_document(
        self,
        upstream: &Upstream,
        path: &str,
        cached: Option<&UpstreamDocument>,
    ) -> Result<Option<UpstreamDocument>, String> {
        let base = url::Url::parse(&upstream.url).map_err(|e| e.to_string())?;
        let url = base.join(path).map_err(|e| e.to_string())?;
        let mut ask = Ask::get(&url);
        ask.timeout = Some(DOCUMENT_TIMEOUT);
        ask.headers.push((
            reqwest::header::ACCEPT,
            "application/json, text/html;q=0.9, */*;q=0.1".to_owned(),
        ));
        if let Some(doc) = cached {
            if let Some(etag) = &doc.etag {
                ask.headers
                    .push((reqwest::header::IF_NONE_MATCH, etag.clone()));
            }
            if let Some(modified) = &doc.last_modified {
                ask.headers
                    .push((reqwest::header::IF_MODIFIED_SINCE, modified.clone()));
            }
        }
        let response = self.send(upstream, &ask).await?;
        let status = response.status();
        // As the store keeps times (to the microsecond), so that the
        // rendered memo's stamp matches what the next request reads.
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
        if status == reqwest::StatusCode::NOT_MODIFIED
            && let Some(doc) = cached
        {
            self.meta
                .touch_upstream_document(upstream.account_id, path, now)
                .await
                .map_err(|e| e.to_string())?;
            self.flights
                .memo
                .restamp(&(upstream.account_id, path.to_owned()), doc.fetched_at, now);
            return Ok(Some(UpstreamDocument {
                fetched_at: now,
                ..doc.clone()
            }));
        }
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(format!("it answered {status}"));
        }
        let doc = UpstreamDocument {
            content_type: header(&response, reqwest::header::CONTENT_TYPE),
            etag: header(&response, reqwest::header::ETAG),
            last_modified: header(&response, reqwest::header::LAST_MODIFIED),
            fetched_at: now,
            body: String::from_utf8(bounded_body(response, MAX_DOCUMENT_BYTES).await?)
                .map_err(|_| "the document is not UTF-8".to_owned())?,
        };
        self.meta
            .put_upstream_document(upstream.account_id, path, &doc)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Some(doc))
    }
}

//! Files from upstreams: fetched on first request and streamed to that
//! client while they are stored and checked against the digests the
//! metadata declared, then recorded as a version of the upstream's package
//! and served from the blob store. Whoever asks for the same file meanwhile
//! waits for the one fetch. A file that failed its check is refused at once
//! for a while, without asking the upstream again.

use std::time::{Duration, Instant};

use chrono::Utc;
use entrepot_core::{Package, PackageFile, PackageType, Upstream, Version, Visibility};
use entrepot_store::{ByteStream, NewPackage, NewVersion, StoreError};
use futures::StreamExt;
use reqwest_hooks as reqwest;
use tokio::sync::mpsc;

use super::{Ask, WantedFile, unavailable};
use crate::packages::StagedFile;
use crate::{Registry, ServiceError, ServiceResult, Upstreams};

/// How long a file that failed its digest check is refused without
/// fetching it again (clients retry at once).
const REFUSAL_MEMORY: Duration = Duration::from_mins(5);

/// Chunks in flight between the upstream, the store and the client.
const CHUNKS_IN_FLIGHT: usize = 16;

/// A file as an upstream proxy serves it.
pub enum FileFetch {
    /// Kept before (or by another request meanwhile): served from the
    /// blob store.
    Kept(PackageFile),
    /// Fetched now: the bytes as the upstream sends them, stored and
    /// checked meanwhile. The stream ends in an error, and nothing is
    /// kept, when they do not match what the metadata declared.
    Streaming { size: Option<u64>, body: ByteStream },
}

fn file_key(upstream: &Upstream, wanted: &WantedFile) -> String {
    format!(
        "file:{}:{}:{}:{}",
        upstream.account_id, wanted.package, wanted.version, wanted.file_name
    )
}

/// How long an upstream may send nothing before its file is given up.
const READ_IDLE: Duration = Duration::from_mins(1);

/// How long a request waits for another one fetching the same file before
/// it fetches the file itself (the other may be paced by a slow client).
pub(super) const LOCK_WAIT: Duration = Duration::from_mins(1);

/// How long a client may take to accept the next chunk before its
/// download is given up (the file is still kept).
const CLIENT_WAIT: Duration = Duration::from_secs(30);

/// The bytes of `response` as a stream, failing when the upstream sends
/// nothing for `READ_IDLE`.
fn response_stream(response: reqwest::Response) -> ByteStream {
    Box::pin(futures::stream::try_unfold(response, |mut r| async move {
        match tokio::time::timeout(READ_IDLE, r.chunk()).await {
            Ok(Ok(Some(chunk))) => Ok(Some((chunk, r))),
            Ok(Ok(None)) => Ok(None),
            Ok(Err(e)) => Err(std::io::Error::other(e)),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the upstream sent nothing for {} s", READ_IDLE.as_secs()),
            )),
        }
    }))
}

/// The items a channel receives, as a stream.
fn received<T: Send + 'static>(rx: mpsc::Receiver<T>) -> impl futures::Stream<Item = T> + Send {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
}

impl Upstreams<'_> {
    /// The stored copy of `found`: kept, or fetched, verified and kept
    /// now.
    pub async fn file_of(self, upstream: &Upstream, found: Found) -> ServiceResult<PackageFile> {
        match found {
            Found::Kept(kept) => Ok(kept),
            Found::Wanted(wanted) => self.cached_file(upstream, wanted).await,
        }
    }

    /// The stored copy of a file the upstream's metadata names, fetched,
    /// verified and kept first if need be (for a `HEAD` or a range, which
    /// are answered from the store; the caller counts the download).
    pub async fn cached_file(
        self,
        upstream: &Upstream,
        wanted: WantedFile,
    ) -> ServiceResult<PackageFile> {
        if let Some(file) = self.stored_file(upstream, &wanted).await? {
            return Ok(file);
        }
        let key = file_key(upstream, &wanted);
        let flight = self.flights.lock_for(&key);
        let _turn = tokio::time::timeout(LOCK_WAIT, flight.lock()).await.ok();
        if let Some(file) = self.stored_file(upstream, &wanted).await? {
            return Ok(file);
        }
        self.refused_before(&key)?;
        let response = self.open_file(upstream, &wanted).await?;
        let kept = self
            .keep(upstream, &wanted, response_stream(response))
            .await;
        self.note_refusal(&key, kept.as_ref().err());
        kept
    }

    /// A file the upstream's metadata names: the kept copy, or else the
    /// upstream's bytes streamed as they arrive while they are stored.
    pub async fn fetch_file(
        self,
        upstream: &Upstream,
        wanted: WantedFile,
    ) -> ServiceResult<FileFetch> {
        if let Some(file) = self.stored_file(upstream, &wanted).await? {
            return Ok(FileFetch::Kept(file));
        }
        let key = file_key(upstream, &wanted);
        // After `LOCK_WAIT`, fetched once more rather than waited for.
        let turn = tokio::time::timeout(LOCK_WAIT, self.flights.lock_for(&key).lock_owned())
            .await
            .ok();
        if let Some(file) = self.stored_file(upstream, &wanted).await? {
            return Ok(FileFetch::Kept(file));
        }
        self.refused_before(&key)?;
        let response = self.open_file(upstream, &wanted).await?;
        let size = response.content_length();
        let upstream = upstream.clone();
        let body = self.tee(key, turn, response, move |registry, body| async move {
            let upstreams = registry.upstreams();
            let file = upstreams.keep(&upstream, &wanted, body).await?;
            upstreams.count(&wanted, &file).await;
            Ok(())
        });
        Ok(FileFetch::Streaming { size, body })
    }

    /// The bytes of `response` for the client, while `keep` stores and
    /// checks them: the last chunk goes once they are kept, and the stream
    /// ends in an error instead when they are not. `turn`, the file's
    /// lock, is held until then, so the next request finds it kept.
    pub(crate) fn tee<K, Fut>(
        self,
        key: String,
        turn: Option<tokio::sync::OwnedMutexGuard<()>>,
        response: reqwest::Response,
        keep: K,
    ) -> ByteStream
    where
        K: FnOnce(Registry, ByteStream) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ServiceResult<()>> + Send,
    {
        let (to_client, for_client) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let registry = Registry::clone(&self);
        tokio::spawn(async move {
            let turn = turn;
            let (to_store, for_store) = mpsc::channel(CHUNKS_IN_FLIGHT);
            let pump = pump(response, to_store, to_client.clone());
            let kept = keep(registry.clone(), Box::pin(received(for_store)));
            let (last, kept) = tokio::join!(pump, kept);
            registry.upstreams().note_refusal(&key, kept.as_ref().err());
            drop(turn);
            match kept {
                // The last bytes go once the file is checked and kept: a
                // client never holds the whole of a file that failed, and
                // whoever asks after it finished finds it kept.
                Ok(()) => {
                    if let Some(last) = last {
                        let _ = to_client.send(Ok(last)).await;
                    }
                }
                // The client's answer ends in an error rather than cleanly.
                Err(e) => {
                    let _ = to_client
                        .send(Err(std::io::Error::other(e.to_string())))
                        .await;
                }
            }
        });
        Box::pin(received(for_client))
    }

    /// Sends the request for a wanted file; the upstream's answer when it
    /// is a success.
    async fn open_file(
        self,
        upstream: &Upstream,
        wanted: &WantedFile,
    ) -> ServiceResult<reqwest::Response> {
        if wanted.expected.sha256.is_none()
            && wanted.expected.sha512.is_none()
            && wanted.expected.sha1.is_none()
        {
            return Err(ServiceError::Upstream(format!(
                "the upstream registry `{}` declares no digest for {}; it is not fetched",
                upstream.name, wanted.file_name
            )));
        }
        let url = url::Url::parse(&wanted.url)
            .map_err(|e| unavailable(upstream, format!("bad file URL {}: {e}", wanted.url)))?;
        let mut ask = Ask::get(&url);
        ask.elsewhere = true;
        ask.headers.push(super::identity());
        self.open(upstream, &ask, &wanted.file_name).await
    }

    /// Sends `ask` for a file (`what` names it in errors); the upstream's
    /// answer when it is a success, counted as a miss.
    pub(super) async fn open(
        self,
        upstream: &Upstream,
        ask: &Ask<'_>,
        what: &str,
    ) -> ServiceResult<reqwest::Response> {
        let response = self
            .send(upstream, ask)
            .await
            .map_err(|e| unavailable(upstream, e))?;
        let status = response.status();
        // A registry (asked with a token scope) says 401 for what it lacks.
        let registry = ask.scope.is_some() && status.is_client_error();
        if registry {
            super::linked::registry_refusal(upstream, ask.url.path(), status)?;
        }
        if status == reqwest::StatusCode::NOT_FOUND || registry {
            return Err(ServiceError::not_found(format!(
                "{what} is not in the upstream registry `{}`",
                upstream.name
            )));
        }
        if !status.is_success() {
            return Err(unavailable(upstream, format!("it answered {status}")));
        }
        self.stats
            .proxy_misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(response)
    }

    /// Stores `body`, checked against what `wanted` declares, and records
    /// it; nothing is kept when either fails.
    async fn keep(
        self,
        upstream: &Upstream,
        wanted: &WantedFile,
        body: ByteStream,
    ) -> ServiceResult<PackageFile> {
        // Only the digests the metadata declared are computed beside the
        // SHA-256 that keys the blob: the upstream's metadata is what
        // clients are served, so nothing else would ever be read.
        let mut expected = wanted.expected.clone();
        if expected.sha512.is_some() || expected.sha256.is_some() {
            // SHA-1 adds nothing to a stronger digest but its cost.
            expected.sha1 = None;
        }
        // What the upstream serves was accepted there: the largest file
        // this registry keeps at all bounds it (public wheels reach
        // gigabytes), not the upload limit for local publishers.
        let blob = self
            .blobs()
            .store_blob_limited(body, expected, self.limits.max_layer_bytes)
            .await
            .inspect_err(|e| {
                tracing::warn!(upstream = %upstream.name, file = %wanted.file_name, error = %e,
                    "a file from an upstream was refused");
            })?;
        let staged = StagedFile {
            name: wanted.file_name.clone(),
            blob,
            content_type: wanted.content_type.clone(),
        };
        let recorded = self.record(upstream, wanted, &staged).await;
        if recorded.is_err() {
            self.blobs().discard_upload(&staged.blob.sha256).await?;
        }
        recorded
    }

    /// Counts the download of a file fetched now, as the handler counts
    /// one served from the store.
    async fn count(self, wanted: &WantedFile, file: &PackageFile) {
        if !wanted.counted {
            return;
        }
        if let Ok(Some(version)) = self.packages().version_by_id(file.version_id).await {
            self.packages()
                .count_download(wanted.package_type, &version);
        }
    }

    /// The refusal remembered for `key`, if it is recent.
    pub(super) fn refused_before(self, key: &str) -> ServiceResult<()> {
        let mut refused = self
            .flights
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        refused.retain(|_, (at, _)| at.elapsed() < REFUSAL_MEMORY);
        match refused.get(key) {
            Some((_, why)) => Err(ServiceError::DigestMismatch(why.clone())),
            None => Ok(()),
        }
    }

    /// Remembers a digest mismatch for `key` (nothing else: a dropped
    /// connection is worth another try).
    pub(super) fn note_refusal(self, key: &str, error: Option<&ServiceError>) {
        if let Some(ServiceError::DigestMismatch(why)) = error {
            let mut refused = self
                .flights
                .refused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if refused.len() < 4096 {
                refused.insert(key.to_owned(), (Instant::now(), why.clone()));
            }
        }
    }

    /// The file named `file_name` kept from the upstream's `package`, if
    /// it was fetched before: served without asking the upstream again.
    pub async fn kept_file(
        self,
        upstream: &Upstream,
        package_type: PackageType,
        package: &str,
        file_name: &str,
    ) -> ServiceResult<Option<PackageFile>> {
        let Some(package) = self
            .meta
            .package(upstream.account_id, package_type, package, false)
            .await?
        else {
            return Ok(None);
        };
        Ok(self.meta.package_file(package.id, file_name).await?)
    }

    /// The file already kept for `wanted`, if any (file names carry their
    /// version in every proxied format).
    async fn stored_file(
        self,
        upstream: &Upstream,
        wanted: &WantedFile,
    ) -> ServiceResult<Option<PackageFile>> {
        self.kept_file(
            upstream,
            wanted.package_type,
            &wanted.package,
            &wanted.file_name,
        )
        .await
    }

    /// Records a fetched file as a version of the upstream's package.
    async fn record(
        self,
        upstream: &Upstream,
        wanted: &WantedFile,
        staged: &StagedFile,
    ) -> ServiceResult<PackageFile> {
        let kept = KeptVersion {
            package_type: wanted.package_type,
            package: &wanted.package,
            version: &wanted.version,
            metadata: &wanted.metadata,
            file: staged,
        };
        Ok(self.keep_version(upstream, kept).await?.2)
    }

    /// Records a file fetched from `upstream` as a version of the
    /// upstream's package, creating both as needed (another node may be
    /// doing the same: what it created first is used).
    pub async fn keep_version(
        self,
        upstream: &Upstream,
        kept: KeptVersion<'_>,
    ) -> ServiceResult<(Package, Version, PackageFile)> {
        let at = Utc::now();
        let meta = &self.meta;
        let find_package =
            || meta.package(upstream.account_id, kept.package_type, kept.package, false);
        let created = meta.create_package(NewPackage {
            owner_id: upstream.account_id,
            package_type: kept.package_type,
            name: kept.package.to_owned(),
            visibility: Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        });
        let package = found_or_made(find_package, created, "package").await?;
        let find_version = || meta.version(package.id, kept.version);
        let published = meta.publish_version(NewVersion {
            package_id: package.id,
            name: kept.version.to_owned(),
            metadata: kept.metadata.clone(),
            publisher_id: None,
            files: vec![kept.file.to_new_file()],
            tags: Vec::new(),
            at,
        });
        let mut version = found_or_made(find_version, published, "version").await?;
        if version.deleted_at.is_some() {
            // Evicted before, asked for again: it comes back.
            match meta.set_version_deleted(version.id, None).await {
                Ok(()) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            version = meta
                .version(package.id, kept.version)
                .await?
                .ok_or_else(|| ServiceError::Internal("a cached version vanished".into()))?;
        }
        let find_file = || async {
            Ok::<_, StoreError>(
                meta.files(version.id)
                    .await?
                    .into_iter()
                    .find(|f| f.name == kept.file.name),
            )
        };
        let added = meta.add_file(version.id, kept.file.to_new_file(), at);
        let file = found_or_made(find_file, added, "file").await?;
        Ok((package, version, file))
    }

    /// Points the kept package's `tag` at `version`, as the upstream does
    /// now (a container tag, revalidated).
    pub async fn tag_kept(
        self,
        upstream: &Upstream,
        package: &Package,
        tag: &str,
        version: &Version,
    ) -> ServiceResult<()> {
        if package.owner_id != upstream.account_id || version.package_id != package.id {
            return Err(ServiceError::Internal(
                "a tag kept from an upstream names another package".into(),
            ));
        }
        Ok(self
            .meta
            .set_tag(package.id, tag, version.id, Utc::now())
            .await?)
    }
}

/// A file fetched from an upstream, to keep as a version of its package.
/// A file of an upstream a format looked for: kept before, or what the
/// upstream's metadata promises of it.
pub enum Found {
    Kept(PackageFile),
    Wanted(WantedFile),
}

pub struct KeptVersion<'a> {
    pub package_type: PackageType,
    /// As the upstream's clients name it.
    pub package: &'a str,
    pub version: &'a str,
    /// The version's metadata, as the format keeps it.
    pub metadata: &'a serde_json::Value,
    pub file: &'a StagedFile,
}

/// What `find` finds; else what `make` makes; else, when another made it
/// meanwhile (a conflict), what `find` finds then.
async fn found_or_made<T, F, Fut, M>(find: F, make: M, what: &str) -> ServiceResult<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, StoreError>>,
    M: std::future::Future<Output = Result<T, StoreError>>,
{
    if let Some(found) = find().await? {
        return Ok(found);
    }
    match make.await {
        Err(StoreError::Conflict(_)) => find()
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("a cached {what} vanished"))),
        other => Ok(other?),
    }
}

/// Copies the upstream's bytes to the store and, while it listens, to the
/// client, all but the last chunk, which it returns; the store sets the
/// pace. The last chunk is the one that completes `size` when the upstream
/// declared it (every other goes at once), else the latest one. A client
/// that goes away does not stop the file from being kept.
async fn pump(
    response: reqwest::Response,
    to_store: mpsc::Sender<std::io::Result<bytes::Bytes>>,
    to_client: mpsc::Sender<std::io::Result<bytes::Bytes>>,
) -> Option<bytes::Bytes> {
    let size = response.content_length();
    let mut body = response_stream(response);
    let mut client = Some(to_client);
    let mut held: Option<bytes::Bytes> = None;
    let mut seen: u64 = 0;
    while let Some(item) = body.next().await {
        match item {
            Ok(chunk) => {
                if to_store.send(Ok(chunk.clone())).await.is_err() {
                    // The store refused already (too large, or failing).
                    return None;
                }
                seen += chunk.len() as u64;
                let now = match size {
                    Some(size) if seen >= size => {
                        held = Some(chunk);
                        None
                    }
                    Some(_) => Some(chunk),
                    None => held.replace(chunk),
                };
                // A client that takes no chunk for `CLIENT_WAIT` is given
                // up: the file is still kept for the next request.
                if let (Some(c), Some(bytes)) = (&client, now)
                    && !matches!(
                        tokio::time::timeout(CLIENT_WAIT, c.send(Ok(bytes))).await,
                        Ok(Ok(()))
                    )
                {
                    client = None;
                }
            }
            Err(e) => {
                let _ = to_store.send(Err(e)).await;
                return None;
            }
        }
    }
    held.filter(|_| client.is_some())
}

//! Resumable uploads: a session holds the parts a client has sent so far,
//! each a blob already stored, in the shared store so that an upload begun
//! on one node can continue and finish on another; finishing joins the
//! parts into one blob, verified as a whole, linked to the name the
//! session was opened for.

use entrepot_core::{Id, PackageType};
use entrepot_store::{BlobInfo, ByteStream, Expected, UploadSession};
use futures::{StreamExt, TryStreamExt};

use crate::{Blobs, ServiceResult};

impl Blobs<'_> {
    /// Opens a session for `owner`'s `name`; returns its id, which is
    /// unguessable since it is all a client needs to continue.
    pub async fn create_upload(self, owner: Id, name: &str) -> ServiceResult<String> {
        let id = hex::encode(rand::random::<[u8; 16]>());
        self.meta
            .create_upload(&id, owner, name, chrono::Utc::now())
            .await?;
        Ok(id)
    }

    /// The open session `id`, if it was opened for `owner`'s `name`: a
    /// session continues only where it was begun.
    pub async fn upload_of(
        self,
        id: &str,
        owner: Id,
        name: &str,
    ) -> ServiceResult<Option<UploadSession>> {
        Ok(self
            .meta
            .upload(id)
            .await?
            .filter(|s| s.owner_id == owner && s.repository == name))
    }

    /// Stores `body` (at most `limit` bytes) as the next part of session
    /// `id`, which the client says is `at` bytes long so far, and returns
    /// the new length. An empty body adds nothing. A part whose length is
    /// not the `declared` one, or that lost a race with another append to
    /// the same session, is dropped and refused (`None`).
    pub async fn append_upload(
        self,
        id: &str,
        at: u64,
        body: ByteStream,
        declared: Option<u64>,
        limit: u64,
    ) -> ServiceResult<Option<u64>> {
        let info = self
            .store_blob_limited(body, Expected::default(), limit)
            .await?;
        if info.size == 0 {
            return Ok(Some(at));
        }
        if declared.is_some_and(|d| d != info.size) {
            self.drop_part(&info.sha256).await;
            return Ok(None);
        }
        let appended = self
            .meta
            .append_upload_part(id, at, &info.sha256, info.size, chrono::Utc::now())
            .await?;
        if !appended {
            self.drop_part(&info.sha256).await;
            return Ok(None);
        }
        Ok(Some(at + info.size))
    }

    /// Ends a session the client gave up, with its parts.
    pub async fn cancel_upload(self, session: &UploadSession) -> ServiceResult<()> {
        self.meta.delete_upload(&session.id).await?;
        for (sha256, _) in &session.parts {
            self.drop_part(sha256).await;
        }
        Ok(())
    }

    /// Joins session `id`'s parts into one blob that must be `expected`
    /// (at most `limit` bytes) and links it to `owner`'s `name` under
    /// `digest`; `None` if there is no such session. A single part that is
    /// already the whole blob is kept as it is. Whatever the outcome the
    /// session is over; its parts go once the blob is linked.
    pub async fn finish_upload(
        self,
        id: &str,
        (owner, package_type, name): (Id, PackageType, &str),
        digest: &str,
        expected: Expected,
        limit: u64,
    ) -> ServiceResult<Option<BlobInfo>> {
        let Some(session) = self.meta.upload(id).await? else {
            return Ok(None);
        };
        let result = match single_part(&expected, &session) {
            Some(info) => Ok(info),
            None => self.join_parts(&session, expected, limit).await,
        };
        self.meta.delete_upload(id).await?;
        let info = result?;
        self.link_blob(owner, package_type, name, digest, &info)
            .await?;
        for (sha256, _) in &session.parts {
            if *sha256 != info.sha256 {
                self.drop_part(sha256).await;
            }
        }
        Ok(Some(info))
    }

    /// The session's parts read one after the other into one new blob.
    async fn join_parts(
        self,
        session: &UploadSession,
        expected: Expected,
        limit: u64,
    ) -> ServiceResult<BlobInfo> {
        let blobs = self.blob_store.clone();
        let parts: Vec<String> = session.parts.iter().map(|(s, _)| s.clone()).collect();
        let joined = futures::stream::iter(parts)
            .then(move |sha256| {
                let blobs = blobs.clone();
                async move {
                    blobs
                        .get(&sha256, None)
                        .await
                        .map_err(std::io::Error::other)
                }
            })
            .map_ok(|read| read.stream)
            .try_flatten();
        self.store_blob_limited(Box::pin(joined), expected, limit)
            .await
    }

    /// Sessions untouched longer than `age` are abandoned: ended, with
    /// their parts. Returns their ids; with `dry_run`, only reports.
    pub async fn collect_uploads(
        self,
        age: chrono::TimeDelta,
        dry_run: bool,
    ) -> ServiceResult<Vec<String>> {
        let mut collected = Vec::new();
        for id in self.meta.stale_uploads(chrono::Utc::now() - age).await? {
            let Some(session) = self.meta.upload(&id).await? else {
                continue;
            };
            collected.push(id.clone());
            if !dry_run {
                self.meta.delete_upload(&id).await?;
                for (sha256, _) in session.parts {
                    self.discard_blob(&sha256).await?;
                }
            }
        }
        Ok(collected)
    }

    /// Drops an upload's part; a failure only leaves it to the collector.
    async fn drop_part(self, sha256: &str) {
        let _ = self.discard_upload(sha256).await;
    }
}

/// The session's only part, if it already is the whole blob `expected`.
fn single_part(expected: &Expected, session: &UploadSession) -> Option<BlobInfo> {
    match (&expected.sha256, session.parts.as_slice()) {
        (Some(whole), [(sha256, size)]) if whole == sha256 => Some(BlobInfo {
            sha256: sha256.clone(),
            size: *size,
            sha512: None,
            sha1: None,
            md5: None,
        }),
        _ => None,
    }
}

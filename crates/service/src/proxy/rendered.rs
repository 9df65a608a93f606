//! Documents as served, kept in memory per node: an upstream's packument
//! or project page is parsed, rewritten and serialised once per fetch, not
//! once per request. A hit costs one light query (when the document was
//! fetched), so a document another node refetched is rendered again here.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use entrepot_core::{Id, Timestamp, Upstream};

use super::Fetched;
use crate::{ServiceError, ServiceResult, Upstreams};

/// The most bytes of rendered documents a node keeps.
const BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// A document rendered for clients.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Bytes,
    /// A weak `ETag` of the body's content: the same however often the
    /// document is revalidated, and on every node.
    pub etag: String,
    pub fetched_at: Timestamp,
    pub stale: bool,
}

/// A rendering and its `ETag`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Made {
    body: Bytes,
    etag: String,
}

fn made(body: Bytes) -> Made {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(&body);
    Made {
        etag: format!("W/\"{}\"", hex::encode(&digest[..12])),
        body,
    }
}

/// The renderings of one document, for the fetch they were made from.
struct Renderings {
    fetched_at: Timestamp,
    variants: HashMap<String, Made>,
}

/// Renderings by upstream and path, and the bytes they hold in all.
type Documents = (HashMap<(Id, String), Renderings>, usize);

/// Every document's renderings, within a byte budget.
#[derive(Default)]
pub(crate) struct Memo {
    documents: Mutex<Documents>,
}

impl Memo {
    fn get(&self, key: &(Id, String), variant: &str, fetched_at: Timestamp) -> Option<Made> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        documents
            .0
            .get(key)
            .filter(|r| r.fetched_at == fetched_at)
            .and_then(|r| r.variants.get(variant).cloned())
    }

    fn put(&self, key: (Id, String), variant: &str, fetched_at: Timestamp, made: Made) {
        let size = made.body.len();
        // rubygems.org's `/versions` is about 20 MB.
        if size > BUDGET_BYTES / 2 {
            return;
        }
        let mut guard = self
            .documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (documents, total) = &mut *guard;
        if *total + size > BUDGET_BYTES {
            documents.clear();
            *total = 0;
        }
        let entry = documents.entry(key).or_insert_with(|| Renderings {
            fetched_at,
            variants: HashMap::new(),
        });
        if entry.fetched_at != fetched_at {
            *total -= entry.variants.values().map(|m| m.body.len()).sum::<usize>();
            entry.variants.clear();
            entry.fetched_at = fetched_at;
        }
        *total += size;
        if let Some(old) = entry.variants.insert(variant.to_owned(), made) {
            *total -= old.body.len();
        }
    }

    /// The document fetched at `was` was revalidated at `now`: its
    /// renderings hold for the new stamp.
    pub(crate) fn restamp(&self, key: &(Id, String), was: Timestamp, now: Timestamp) {
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = documents.0.get_mut(key)
            && r.fetched_at == was
        {
            r.fetched_at = now;
        }
    }
}

impl Upstreams<'_> {
    /// The upstream's document at `path` as `render` makes it for clients
    /// (`variant` names the rendering): from this node's memory while the
    /// document is fresh and unchanged, else rendered off the executor from
    /// what `document` answers.
    pub async fn rendered<F>(
        self,
        upstream: &Upstream,
        path: &str,
        variant: &str,
        render: F,
    ) -> ServiceResult<Rendered>
    where
        F: FnOnce(Fetched) -> ServiceResult<Bytes> + Send + 'static,
    {
        let key = (upstream.account_id, path.to_owned());
        // Renderings hold URLs: one per base a trusted proxy names.
        let variant = match crate::site::forwarded() {
            Some(base) => format!("{variant} {base}"),
            None => variant.to_owned(),
        };
        let variant = variant.as_str();
        let ttl = TimeDelta::seconds(upstream.metadata_ttl_seconds);
        if let Some(at) = self
            .meta
            .upstream_document_fetched_at(upstream.account_id, path)
            .await?
            && Utc::now() - at < ttl
            && let Some(made) = self.flights.memo.get(&key, variant, at)
        {
            return Ok(Rendered {
                body: made.body,
                etag: made.etag,
                fetched_at: at,
                stale: false,
            });
        }
        let fetched = self.document(upstream, path).await?;
        let (fetched_at, stale) = (fetched.fetched_at, fetched.stale);
        let made = if let Some(made) = self.flights.memo.get(&key, variant, fetched_at) {
            made
        } else {
            let made = tokio::task::spawn_blocking(move || render(fetched).map(made))
                .await
                .map_err(|e| ServiceError::Internal(e.to_string()))??;
            self.flights
                .memo
                .put(key, variant, fetched_at, made.clone());
            made
        };
        Ok(Rendered {
            body: made.body,
            etag: made.etag,
            fetched_at,
            stale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rendering_holds_for_its_fetch_and_a_revalidation() {
        let memo = Memo::default();
        let key = (1, "left-pad".to_owned());
        let at = Utc::now();
        memo.put(
            key.clone(),
            "packument",
            at,
            made(Bytes::from_static(b"{}")),
        );
        let got = memo.get(&key, "packument", at).unwrap();
        assert_eq!(&got.body[..], b"{}");
        assert!(got.etag.starts_with("W/\""), "{}", got.etag);
        assert_eq!(memo.get(&key, "version:1.0.0", at), None);
        let later = at + TimeDelta::seconds(5);
        assert_eq!(memo.get(&key, "packument", later), None, "another fetch");
        memo.restamp(&key, at, later);
        assert!(memo.get(&key, "packument", later).is_some(), "revalidated");
        assert_eq!(memo.get(&key, "packument", later).unwrap().etag, got.etag);
        memo.put(
            key.clone(),
            "packument",
            later + TimeDelta::seconds(1),
            made(Bytes::from_static(b"[]")),
        );
        assert_eq!(
            memo.documents.lock().unwrap().1,
            2,
            "the old rendering's bytes are gone"
        );
    }
}

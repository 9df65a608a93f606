//! Rendered packuments, kept per node and checked against the package's
//! `updated_at` (which every publish, tag move, deprecation and deletion
//! advances) on every read: a stale entry is never served, a lost cache only
//! costs a render, and nodes need not tell each other anything.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use entrepot_core::Timestamp;

/// Entries kept before the cache starts over.
const CAPACITY: usize = 4096;

/// One rendered document, with the headers derived from it.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub body: Bytes,
    pub etag: String,
    pub last_modified: String,
}

/// Packuments by (package id, abbreviated?).
#[derive(Debug, Default)]
pub struct Packuments {
    entries: Mutex<HashMap<(i64, bool), (Timestamp, Rendered)>>,
}

impl Packuments {
    /// The rendering of `key` if it was made from the package as of `stamp`.
    pub fn get(&self, key: (i64, bool), stamp: Timestamp) -> Option<Rendered> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(&key)
            .filter(|(s, _)| *s == stamp)
            .map(|(_, r)| r.clone())
    }

    pub fn put(&self, key: (i64, bool), stamp: Timestamp, rendered: Rendered) -> Rendered {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, (stamp, rendered.clone()));
        rendered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_only_for_the_stamp_it_was_made_from() {
        let cache = Packuments::default();
        let t0 = chrono::Utc::now();
        let t1 = t0 + chrono::TimeDelta::microseconds(1);
        let r = Rendered {
            body: Bytes::from_static(b"{}"),
            etag: "\"e\"".into(),
            last_modified: "x".into(),
        };
        cache.put((1, true), t0, r);
        assert!(cache.get((1, true), t0).is_some());
        assert!(
            cache.get((1, true), t1).is_none(),
            "a newer package is re-rendered"
        );
        assert!(cache.get((1, false), t0).is_none());
    }
}

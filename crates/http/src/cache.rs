//! Renderings (packuments, index files) kept per node under keys that
//! include the package's last change: every publish, tag move, yank or
//! deletion advances it, so a stale entry is never looked up again, a lost
//! cache only costs a render, and nodes need not tell each other anything.
//! A request whose base URL a trusted proxy named has renderings of its
//! own, since they hold URLs.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// At most `CAPACITY` entries; when full, it starts over rather than track
/// use, since a miss costs one render.
pub struct Renderings<K, V, const CAPACITY: usize> {
    entries: Mutex<HashMap<(Option<url::Url>, K), V>>,
}

impl<K, V, const CAPACITY: usize> Default for Renderings<K, V, CAPACITY> {
    fn default() -> Self {
        Renderings {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone, const CAPACITY: usize> Renderings<K, V, CAPACITY> {
    pub fn get(&self, key: &K) -> Option<V> {
        let key = (entrepot_service::site::forwarded(), key.clone());
        self.entries.lock().expect("cache lock").get(&key).cloned()
    }

    pub fn put(&self, key: K, value: V) {
        let key = (entrepot_service::site::forwarded(), key);
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= CAPACITY && !entries.contains_key(&key) {
            entries.clear();
        }
        entries.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_cache_starts_over_and_keeps_the_newest() {
        let cache: Renderings<u32, &str, 2> = Renderings::default();
        cache.put(1, "a");
        cache.put(2, "b");
        cache.put(2, "b2");
        assert_eq!(
            cache.get(&1),
            Some("a"),
            "replacing an entry evicts nothing"
        );
        cache.put(3, "c");
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&3), Some("c"));
    }
}

//! The store's hottest reads, kept in memory: the token a request carries,
//! an account, a package by name, a repository, and the roles and single
//! sign-on facts that decide access, and the version and files a download
//! serves. Every install asks them all before its cached document or its
//! file goes out, and each costs a round trip to the database; kept here,
//! they cost a hash lookup.
//!
//! Everything kept is dropped at once whenever anything may have changed,
//! so a reader never sees a fact older than the last write it could know of:
//! - this process's writes move the epoch as they start and as they end
//!   (`SqlStore::write`, `begin_write`, `commit`);
//! - on SQLite, a commit by any process (an `admin` command beside the
//!   server) rewrites the WAL index header in `DB-shm`, which lookups
//!   compare with the one seen last (one `pread`, at most every
//!   millisecond);
//! - on PostgreSQL, triggers on the tables kept here announce each change
//!   through `NOTIFY entrepot_changes`, which a listener turns into a new
//!   epoch within milliseconds on every node; the sequence the triggers
//!   advance is read at most once a second as well, in case the listener's
//!   connection was lost.
//!
//! A value read while a write was under way is answered but not kept.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use entrepot_core::{
    Account, Id, OrgRole, Package, PackageFile, PackageType, Repository, Role, TokenRecord, Version,
};
use sqlx::AnyPool;

use crate::StoreResult;
use crate::meta::{OrgSso, PackageFilter, PackageTotals};

/// How many values one kind keeps before it starts over.
const SLOT_CAP: usize = 8192;

/// How many bytes of text (a package's README and description, a
/// version's metadata, file records) one kind keeps before it starts over:
/// a few packages with megabyte READMEs must not hold the memory of
/// thousands.
const SLOT_BYTES: usize = 4 << 20;

/// How often PostgreSQL's change sequence is read, besides the listener.
const BACKSTOP: Duration = Duration::from_secs(1);

/// How often SQLite's WAL index is read: a commit by another process is
/// seen within this long (this process's own, at once).
const SHM_EVERY: Duration = Duration::from_millis(1);

/// The channel PostgreSQL's triggers notify (migrations 0022 and 0038).
pub(crate) const CHANNEL: &str = "entrepot_changes";

/// What is kept, by kind.
#[derive(Default)]
pub(crate) struct Maps {
    epoch: u64,
    pub accounts_by_login: Slot<String, Option<Account>>,
    pub accounts_by_id: Slot<Id, Option<Account>>,
    pub packages: Slot<(Id, PackageType, String, bool), Option<Package>>,
    pub repositories: Slot<Id, Option<Repository>>,
    pub org_roles: Slot<(Id, Id), Option<OrgRole>>,
    pub org_sso: Slot<Id, Option<OrgSso>>,
    pub package_roles: Slot<(Id, Id), Option<Role>>,
    pub collaborators: Slot<(Id, Id), Option<Role>>,
    pub tokens: Slot<String, Option<(TokenRecord, String)>>,
    /// What a registry token's bearer is checked against on every pull.
    pub tokens_by_id: Slot<Id, Option<TokenRecord>>,
    pub token_orgs: Slot<(Id, Id), bool>,
    /// Pages of lists and their counts: a REST listing reads both.
    pub package_lists: Slot<PackageFilter, Vec<Package>>,
    pub package_counts: Slot<PackageFilter, u64>,
    /// A page's totals: kept only where every table's change is seen
    /// (`ReadCache::sees_every_table`).
    pub package_totals: Slot<Vec<Id>, HashMap<Id, PackageTotals>>,
    /// A version by package and name, and its files: every download reads
    /// them before its first byte goes out.
    pub versions: Slot<(Id, String), Option<Version>>,
    pub files: Slot<Id, Vec<PackageFile>>,
    pub files_by_name: Slot<(Id, String), Option<PackageFile>>,
}

impl Maps {
    fn clear(&mut self) {
        let epoch = self.epoch;
        *self = Maps {
            epoch,
            ..Maps::default()
        };
    }
}

/// One kind's values by key, shared: a hit is copied after the lock is
/// let go (a page of a list may weigh megabytes).
pub(crate) struct Slot<K, V> {
    values: HashMap<K, Arc<V>>,
    /// What the values weigh together (`Weigh`).
    bytes: usize,
}

impl<K, V> Default for Slot<K, V> {
    fn default() -> Self {
        Slot {
            values: HashMap::new(),
            bytes: 0,
        }
    }
}

impl<K: Eq + Hash, V: Weigh> Slot<K, V> {
    fn keep(&mut self, key: K, value: V) {
        let weight = value.weight();
        if weight > SLOT_BYTES {
            return;
        }
        if self.values.len() >= SLOT_CAP || self.bytes + weight > SLOT_BYTES {
            self.values.clear();
            self.bytes = 0;
        }
        self.bytes += weight;
        if let Some(old) = self.values.insert(key, Arc::new(value)) {
            self.bytes -= old.weight();
        }
    }
}

/// The bytes a kept value holds beyond its fixed size, where they may be
/// many.
pub(crate) trait Weigh {
    fn weight(&self) -> usize {
        0
    }
}

impl Weigh for Option<Package> {
    fn weight(&self) -> usize {
        self.as_ref().map_or(0, |p| {
            p.readme.as_ref().map_or(0, String::len) + p.description.as_ref().map_or(0, String::len)
        })
    }
}

impl Weigh for Vec<Package> {
    fn weight(&self) -> usize {
        self.iter()
            .map(|p| {
                std::mem::size_of::<Package>()
                    + p.name.len()
                    + p.readme.as_ref().map_or(0, String::len)
                    + p.description.as_ref().map_or(0, String::len)
            })
            .sum()
    }
}

impl Weigh for HashMap<Id, PackageTotals> {
    fn weight(&self) -> usize {
        self.len() * std::mem::size_of::<(Id, PackageTotals)>()
    }
}

impl Weigh for Option<Version> {
    fn weight(&self) -> usize {
        self.as_ref().map_or(0, |v| {
            std::mem::size_of::<Version>() + v.name.len() + json_weight(&v.metadata)
        })
    }
}

impl Weigh for Option<PackageFile> {
    fn weight(&self) -> usize {
        self.as_ref().map_or(0, file_weight)
    }
}

impl Weigh for Vec<PackageFile> {
    fn weight(&self) -> usize {
        self.iter().map(file_weight).sum()
    }
}

fn file_weight(f: &PackageFile) -> usize {
    let digests = [&f.digests.sha512, &f.digests.sha1, &f.digests.md5];
    std::mem::size_of::<PackageFile>()
        + f.name.len()
        + f.sha256.len()
        + digests
            .iter()
            .map(|d| d.as_ref().map_or(0, String::len))
            .sum::<usize>()
        + f.content_type.as_ref().map_or(0, String::len)
}

/// About what a JSON value holds in memory: its text and a node's size
/// per value (format metadata may be large: a package.json's fields).
fn json_weight(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    let own = std::mem::size_of::<Value>();
    match value {
        Value::String(s) => own + s.len(),
        Value::Array(items) => own + items.iter().map(json_weight).sum::<usize>(),
        Value::Object(map) => {
            own + map
                .iter()
                .map(|(k, v)| std::mem::size_of::<String>() + k.len() + json_weight(v))
                .sum::<usize>()
        }
        _ => own,
    }
}

impl Weigh for Option<Account> {}
impl Weigh for u64 {}
impl Weigh for Option<Repository> {}
impl Weigh for Option<OrgRole> {}
impl Weigh for Option<OrgSso> {}
impl Weigh for Option<Role> {}
impl Weigh for Option<(TokenRecord, String)> {}
impl Weigh for Option<TokenRecord> {}
impl Weigh for bool {}

/// How changes made elsewhere are noticed.
enum Watch {
    /// Nothing tells: nothing is kept.
    Off,
    Sqlite(Shm),
    Postgres(Mutex<Backstop>),
}

/// The cache of one store.
pub(crate) struct ReadCache {
    epoch: AtomicU64,
    maps: Mutex<Maps>,
    watch: Watch,
}

impl ReadCache {
    /// A cache that keeps nothing.
    pub(crate) fn off() -> Self {
        Self::with(Watch::Off)
    }

    /// A cache for the SQLite database at `path`, watching its WAL index;
    /// off when the index cannot be read.
    pub(crate) fn sqlite(path: &str) -> Self {
        match Shm::open(path) {
            Ok(shm) => Self::with(Watch::Sqlite(shm)),
            Err(e) => {
                tracing::warn!(path, error = %e, "no read cache: the WAL index cannot be read");
                Self::off()
            }
        }
    }

    /// A cache for PostgreSQL at `url`: a listener hears the other
    /// nodes' changes.
    pub(crate) fn postgres(url: &str) -> Arc<Self> {
        let cache = Arc::new(Self::with(Watch::Postgres(Mutex::new(Backstop {
            at: Instant::now(),
            last: None,
            moved: false,
        }))));
        tokio::spawn(listen(url.to_owned(), Arc::downgrade(&cache)));
        cache
    }

    fn with(watch: Watch) -> Self {
        ReadCache {
            epoch: AtomicU64::new(1),
            maps: Mutex::default(),
            watch,
        }
    }

    /// Whether a change to any table forgets what is kept: on SQLite every
    /// commit moves the WAL index; PostgreSQL's triggers announce only the
    /// tables named in migrations 0022 and 0038.
    pub(crate) fn sees_every_table(&self) -> bool {
        matches!(self.watch, Watch::Sqlite(_))
    }

    /// Forgets everything kept, and whatever is being read now.
    pub(crate) fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, Maps> {
        self.maps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The epoch as of now, having looked for changes made elsewhere;
    /// `None` when nothing may be kept.
    async fn current(&self, pool: &AnyPool) -> Option<u64> {
        match &self.watch {
            Watch::Off => return None,
            Watch::Sqlite(shm) => shm.look(&self.epoch),
            Watch::Postgres(backstop) => {
                let due = backstop
                    .try_lock()
                    .is_ok_and(|b| b.at.elapsed() >= BACKSTOP);
                if due {
                    let seen: Option<i64> =
                        sqlx::query_scalar("SELECT last_value FROM entrepot_changes")
                            .fetch_one(pool)
                            .await
                            .ok();
                    if let Ok(mut b) = backstop.try_lock() {
                        // The sequence moves before its transaction
                        // commits: what was read just after may be older
                        // than the commit, so the next look forgets again.
                        let moved = seen.is_none() || seen != b.last;
                        if moved || b.moved {
                            self.bump();
                        }
                        *b = Backstop {
                            at: Instant::now(),
                            last: seen,
                            moved,
                        };
                    }
                }
            }
        }
        Some(self.epoch.load(Ordering::SeqCst))
    }

    /// The value kept under `key` in `slot`, or `load`'s, kept unless a
    /// change came while it was read.
    pub(crate) async fn get<K, V>(
        &self,
        pool: &AnyPool,
        slot: fn(&mut Maps) -> &mut Slot<K, V>,
        key: K,
        load: impl Future<Output = StoreResult<V>>,
    ) -> StoreResult<V>
    where
        K: Eq + Hash,
        V: Clone + Weigh,
    {
        let Some(seen) = self.current(pool).await else {
            return load.await;
        };
        let hit = {
            let mut maps = self.lock();
            if maps.epoch != seen {
                maps.clear();
                maps.epoch = seen;
            }
            slot(&mut maps).values.get(&key).cloned()
        };
        if let Some(value) = hit {
            return Ok(V::clone(&value));
        }
        let value = load.await?;
        let mut maps = self.lock();
        if self.epoch.load(Ordering::SeqCst) == seen && maps.epoch == seen {
            slot(&mut maps).keep(key, value.clone());
        }
        Ok(value)
    }
}

/// SQLite's WAL index, whose header every commit rewrites
/// (<https://sqlite.org/walformat.html#the_wal_index_file_format>).
struct Shm {
    path: String,
    state: Mutex<ShmState>,
}

struct ShmState {
    file: std::fs::File,
    header: [u8; 48],
    read: Instant,
    /// When the file was last checked to be the one SQLite uses: it is
    /// deleted and made anew when the last connection closes.
    checked: Instant,
}

impl Shm {
    fn open(db: &str) -> std::io::Result<Self> {
        let path = format!("{db}-shm");
        let file = std::fs::File::open(&path)?;
        Ok(Shm {
            path,
            state: Mutex::new(ShmState {
                file,
                header: [0; 48],
                read: Instant::now(),
                checked: Instant::now(),
            }),
        })
    }

    /// Moves `epoch` on if the header differs from the one seen last (or
    /// cannot be read, or the file was replaced), before anyone else may
    /// look.
    fn look(&self, epoch: &AtomicU64) {
        use std::os::unix::fs::{FileExt, MetadataExt};
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(state.read) < SHM_EVERY {
            return;
        }
        state.read = now;
        let mut replaced = false;
        if state.checked.elapsed() >= BACKSTOP {
            state.checked = Instant::now();
            let now = std::fs::metadata(&self.path).ok().map(|m| m.ino());
            let ours = state.file.metadata().ok().map(|m| m.ino());
            if now.is_none() || now != ours {
                replaced = true;
                if let Ok(file) = std::fs::File::open(&self.path) {
                    state.file = file;
                }
            }
        }
        let mut header = [0u8; 48];
        let read = state.file.read_exact_at(&mut header, 0).is_ok();
        if replaced || !read || header != state.header {
            epoch.fetch_add(1, Ordering::SeqCst);
        }
        state.header = header;
    }
}

/// When PostgreSQL's change sequence was read last, what it said, and
/// whether it had moved.
struct Backstop {
    at: Instant,
    last: Option<i64>,
    moved: bool,
}

/// Hears PostgreSQL's change notices for as long as the cache lives; a
/// lost connection may have lost notices, so it forgets everything.
async fn listen(url: String, cache: Weak<ReadCache>) {
    use sqlx::postgres::PgListener;
    let mut listener = None;
    loop {
        let Some(c) = cache.upgrade() else { return };
        let Some(l) = listener.as_mut() else {
            let connected = match PgListener::connect(&url).await {
                Ok(mut l) => l.listen(CHANNEL).await.is_ok().then_some(l),
                Err(_) => None,
            };
            if connected.is_some() {
                c.bump();
                listener = connected;
            } else {
                drop(c);
                tokio::time::sleep(BACKSTOP).await;
            }
            continue;
        };
        drop(c);
        let heard = l.try_recv().await;
        let Some(c) = cache.upgrade() else { return };
        c.bump();
        // `Ok(None)`: the connection was lost, and the next call connects
        // again; an error: connect anew, after a pause.
        if heard.is_err() {
            listener = None;
            drop(c);
            tokio::time::sleep(BACKSTOP).await;
        }
    }
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("epoch", &self.epoch.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weigh for String {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn a_kind_holds_at_most_its_bytes_and_its_count() {
        let mut slot: Slot<usize, String> = Slot::default();
        let readme = "r".repeat(100 << 10);
        for i in 0..100 {
            slot.keep(i, readme.clone());
            assert!(slot.bytes <= SLOT_BYTES);
            assert_eq!(slot.bytes, slot.values.len() * readme.len());
        }
        assert!(slot.values.contains_key(&99), "the newest is kept");
        // Kept again under the same key, a value is counted once.
        slot.keep(99, readme.clone());
        assert_eq!(slot.bytes, slot.values.len() * readme.len());
        // A value heavier than the whole budget is not kept at all.
        slot.keep(1000, "r".repeat(SLOT_BYTES + 1));
        assert!(!slot.values.contains_key(&1000));

        let mut light: Slot<usize, bool> = Slot::default();
        for i in 0..SLOT_CAP + 10 {
            light.keep(i, true);
        }
        assert!(light.values.len() <= SLOT_CAP);
    }
}

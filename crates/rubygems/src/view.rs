//! One caller's view of one owner's gems, where every read starts: the
//! owner's index as the caller may see it, rendered once for every caller
//! who sees the same gems and kept until any of them changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::HeaderMap;
use bytes::Bytes;
use entrepot_core::{Actor, Package, PackageType, Version};
use entrepot_http::AppState;
use entrepot_service::{Registry, ServiceError, ServiceResult};

use crate::compact_index::CompactFile;
use crate::index::{Entry, Index};
use crate::metadata::GemSpec;
use crate::respond::Result;

/// An owner's index as one caller may see it, with its renderings made
/// once on first use.
#[derive(Default)]
pub struct Rendered {
    pub index: Index,
    pub versions: OnceLock<CompactFile>,
    pub names: OnceLock<CompactFile>,
    /// By `Specs::slot`.
    pub specs: [OnceLock<Bytes>; 3],
    pub infos: Mutex<HashMap<String, Arc<CompactFile>>>,
}

/// Rendered indexes by owner and by the exact set of packages (and their
/// last change) the caller may see: a publish, yank or permission change
/// makes a new key, so nothing stale is ever served.
pub type Indexes = entrepot_http::cache::Renderings<(i64, u64), Arc<Rendered>, MAX_CACHED_INDEXES>;

const MAX_CACHED_INDEXES: usize = 512;

/// What a handler works with.
pub struct View<'a> {
    pub state: &'a AppState,
    pub indexes: &'a Indexes,
    pub actor: &'a Actor,
    /// The owner's login, as the path names it.
    pub owner: &'a str,
    pub headers: &'a HeaderMap,
    /// A `HEAD` request: the same headers, no body.
    pub head: bool,
}

impl View<'_> {
    pub fn registry(&self) -> &Registry {
        &self.state.registry
    }

    /// The gem `name`, if the caller may read it.
    pub async fn package(&self, name: &str) -> ServiceResult<Package> {
        self.registry()
            .packages()
            .readable_package(self.actor, self.owner, PackageType::Rubygems, name)
            .await
    }

    /// What a caller is told of a gem `name` missing from their index: the
    /// organization's single sign-on where that is what hides it, else
    /// "Could not find" as for a missing gem.
    pub async fn missing(&self, name: &str) -> ServiceError {
        match self.package(name).await {
            Err(e @ ServiceError::SsoRequired { .. }) => e,
            _ => ServiceError::unseen(self.actor, format!("Could not find {name}")),
        }
    }

    /// The owner's index as the caller may see it. An anonymous caller who
    /// may see none of the owner's gems is asked to sign in, so that gem
    /// and Bundler retry with the credentials they hold; one who may see
    /// some gets those (and 401 for any other gem it names).
    pub async fn rendered(&self) -> Result<Arc<Rendered>> {
        let registry = self.registry();
        let Some(account) = registry.accounts().account_by_login(self.owner).await? else {
            let what = format!("Could not find {}", self.owner);
            return Err(ServiceError::unseen(self.actor, what).into());
        };
        let visible = registry
            .packages()
            .visible_packages(self.actor, &account, PackageType::Rubygems)
            .await?;
        let mut hasher = std::hash::DefaultHasher::new();
        for p in &visible {
            std::hash::Hash::hash(&(p.id, p.updated_at.timestamp_micros()), &mut hasher);
        }
        let key = (account.id, std::hash::Hasher::finish(&hasher));
        if let Some(hit) = self.indexes.get(&key) {
            return Ok(hit);
        }
        let mut index = Index {
            since: Some(account.created_at),
            gems: BTreeMap::new(),
        };
        for package in &visible {
            let (entries, unreadable) = entries_of(registry, package).await?;
            for v in unreadable {
                tracing::warn!(version = v.id, "a gem version without a readable spec");
            }
            index.gems.insert(package.name.clone(), entries);
        }
        let rendered = Arc::new(Rendered {
            index,
            ..Rendered::default()
        });
        self.indexes.put(key, Arc::clone(&rendered));
        Ok(rendered)
    }
}

/// A gem's versions, yanked ones included, as the indexes show them; and
/// those left out because their spec cannot be read.
pub async fn entries_of(
    registry: &Registry,
    package: &Package,
) -> ServiceResult<(Vec<Entry>, Vec<Version>)> {
    let mut entries = Vec::new();
    let mut unreadable = Vec::new();
    for v in registry.packages().versions(package.id, true).await? {
        match GemSpec::of(&v) {
            Some(spec) => entries.push(Entry {
                spec,
                id: v.id,
                published_at: v.created_at,
                yanked_at: v.deleted_at,
            }),
            None => unreadable.push(v),
        }
    }
    Ok((entries, unreadable))
}

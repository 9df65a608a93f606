//! One caller's view of one owner's feed, where every endpoint starts: the
//! owner, the URLs under its feed, the packages the caller may read, and
//! their live versions ready to render.

use std::sync::Arc;

use axum::http::HeaderMap;
use entrepot_core::{Account, Actor, Package, PackageType};
use entrepot_http::AppState;
use entrepot_service::{Registry, ServiceError, ServiceResult};

use crate::documents::{Documents, Kept};
use crate::feed::{Item, Urls};
use crate::metadata::VersionMetadata;
use crate::respond::{NuGetError, Result};
use crate::version::NuGetVersion;

/// What a handler works with.
pub struct View<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
    pub owner: Account,
    pub urls: Urls,
    pub headers: &'a HeaderMap,
    /// Rendered documents, shared by every request.
    pub documents: &'a Documents,
}

impl<'a> View<'a> {
    /// The feed of the owner called `login`; an owner who does not exist
    /// is unseen, as a hidden one would be.
    pub async fn open(
        state: &'a AppState,
        actor: &'a Actor,
        login: &str,
        headers: &'a HeaderMap,
        documents: &'a Documents,
    ) -> Result<View<'a>> {
        let Some(owner) = state.registry.accounts().account_by_login(login).await? else {
            return Err(ServiceError::unseen(actor, "Not Found").into());
        };
        let segment = owner.kind.url_segment();
        let urls = Urls {
            feed: state.config.url(&format!("/nuget/{}", owner.login)),
            page: state.config.url(&format!(
                "/{segment}/{}/packages/nuget/package/PACKAGE_ID",
                owner.login
            )),
        };
        Ok(View {
            state,
            actor,
            owner,
            urls,
            headers,
            documents,
        })
    }

    pub fn registry(&self) -> &'a Registry {
        &self.state.registry
    }

    /// The package `lid`, if the caller may read it.
    pub async fn package(&self, lid: &str) -> ServiceResult<Package> {
        self.registry()
            .packages()
            .readable_package(self.actor, &self.owner.login, PackageType::Nuget, lid)
            .await
    }

    /// The package `lid` as the caller may see it; a signed-in caller is
    /// told `LID was not found`.
    pub async fn found(&self, lid: &str) -> Result<Package> {
        self.package(lid).await.map_err(|e| match e {
            ServiceError::NotFound(_) => NuGetError::not_found(format!("{lid} was not found")),
            other => other.into(),
        })
    }

    /// A package and its live versions (ascending), as the caller may see
    /// them; a signed-in caller is told `LID was not found`.
    pub async fn load(&self, lid: &str) -> Result<(Package, Vec<Item>)> {
        let package = self.found(lid).await?;
        let items = items_of(self.registry(), &package).await?;
        Ok((package, items))
    }

    /// The document `what` of the package `lid`, as `render` makes it from
    /// the package's live versions, kept until the package changes.
    pub async fn kept(
        &self,
        lid: &str,
        what: String,
        render: impl FnOnce(&[Item]) -> Result<serde_json::Value>,
    ) -> Result<Arc<Kept>> {
        let package = self.found(lid).await?;
        let key = (package.id, what, package.updated_at.timestamp_micros());
        if let Some(hit) = self.documents.get(&key) {
            return Ok(hit);
        }
        let items = items_of(self.registry(), &package).await?;
        let kept = Arc::new(Kept::of(&render(&items)?)?);
        self.documents.put(key, Arc::clone(&kept));
        Ok(kept)
    }

    /// The owner's packages the caller may read.
    pub async fn visible(&self) -> ServiceResult<Vec<Package>> {
        self.registry()
            .packages()
            .visible_packages(self.actor, &self.owner, PackageType::Nuget)
            .await
    }

    /// Every package the caller may read (or only the one with id `only`)
    /// with its live versions.
    pub async fn visible_items(
        &self,
        only: Option<&str>,
    ) -> ServiceResult<Vec<(Package, Vec<Item>)>> {
        let mut out = Vec::new();
        for package in self.visible().await? {
            if only.is_some_and(|id| !package.name.eq_ignore_ascii_case(id)) {
                continue;
            }
            let items = items_of(self.registry(), &package).await?;
            out.push((package, items));
        }
        Ok(out)
    }
}

/// The live versions of `package` whose metadata reads, ascending, with
/// their downloads.
pub async fn items_of(registry: &Registry, package: &Package) -> ServiceResult<Vec<Item>> {
    let downloads = registry.packages().downloads_by_version(package).await?;
    let mut items: Vec<Item> = registry
        .packages()
        .versions(package.id, false)
        .await?
        .into_iter()
        .filter_map(|v| {
            let stored = VersionMetadata::of(&v)?;
            let parsed = NuGetVersion::parse(&stored.nuspec.version)?;
            Some(Item {
                id: v.id,
                parsed,
                stored,
                published: v.created_at,
                downloads: downloads.get(&v.id).copied().unwrap_or(0),
            })
        })
        .collect();
    items.sort_by(|a, b| a.parsed.cmp(&b.parsed));
    Ok(items)
}

/// Whether a search or list shows `item`: listed, and within the
/// prerelease and SemVer level asked for.
pub fn shown(item: &Item, prerelease: bool, semver2: bool) -> bool {
    item.stored.listed
        && (prerelease || !item.parsed.is_prerelease())
        && (semver2 || !item.parsed.is_semver2())
}

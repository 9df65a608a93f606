//! The dependency graph: what each package's newest version declares it
//! depends on (read from the version's metadata by its format, kept per
//! package, read again whenever the package changes, by a background job
//! that also back-fills what was published before), and the reverse: the
//! packages here that depend on one.

use std::collections::HashMap;

use entrepot_core::dependency::{Dependency, DependencyKind, MAX_PER_VERSION, key};
use entrepot_core::sbom;
use entrepot_core::{Account, Actor, Ecosystem, Package, Version};

use crate::{DependencyGraph, ServiceResult};

/// How many of a package's newest versions are looked at for its newest
/// release and an image's attachments.
const RECENT: u32 = 200;

/// How many of a version's dependencies are looked up to link them.
pub const MAX_LOCATED: usize = 50;

/// How many dependents are looked at, at most, for one package.
pub const MAX_DEPENDENTS: u32 = 10_000;

/// A page of a package's dependents.
#[derive(Debug, Clone, Default)]
pub struct UsedBy {
    pub shown: Vec<Dependent>,
    /// How many dependents the caller may read, among those looked at.
    pub total: usize,
    /// Whether every declaration was looked at (else `total` is a floor).
    pub complete: bool,
}

/// A package here that depends on another, and how.
#[derive(Debug, Clone)]
pub struct Dependent {
    pub package: Package,
    pub dependency: Dependency,
}

impl DependencyGraph<'_> {
    /// Reads the dependencies of up to `limit` packages changed since they
    /// were last read; how many it read.
    pub async fn index_changed(self, limit: u32) -> ServiceResult<usize> {
        let waiting = self.meta.packages_to_index(limit).await?;
        for (id, changed_at) in &waiting {
            let Some(package) = self.meta.package_by_id(*id).await? else {
                continue;
            };
            let recent = self.recent(&package).await?;
            let newest = self.newest_version(&package, &recent).await?;
            let declared = match &newest {
                Some(v) => self.declared(&package, v, &recent).await?,
                None => Vec::new(),
            };
            self.meta
                .set_dependencies(package.id, newest.map(|v| v.id), &declared, *changed_at)
                .await?;
            if let Err(e) = self.alerts().package_changed(package.id).await {
                tracing::warn!(error = %e, package = package.id, "could not judge a package's dependency alerts");
            }
        }
        Ok(waiting.len())
    }

    /// A package's newest versions, as far as finding its newest release
    /// and an image's attachments needs: only an image's newest may be an
    /// attachment, so one version does for every other format.
    async fn recent(self, package: &Package) -> ServiceResult<Vec<Version>> {
        let limit = if Ecosystem::of(package.package_type).is_some() {
            1
        } else {
            RECENT
        };
        Ok(self.meta.versions_page(package.id, limit, 0).await?.0)
    }

    /// The version a package's dependencies are read from: the one its
    /// `latest` tag names where it has one, else the newest of `recent`
    /// that is not attached to another (an image's signature or SBOM).
    async fn newest_version(
        self,
        package: &Package,
        recent: &[Version],
    ) -> ServiceResult<Option<Version>> {
        let tags = self.meta.tags(package.id).await?;
        if let Some(tag) = tags.iter().find(|t| t.name == "latest")
            && let Some(version) = self.meta.version_by_id(tag.version_id).await?
            && version.deleted_at.is_none()
        {
            return Ok(Some(version));
        }
        let format = self.catalog().format(package.package_type);
        let release = recent.iter().find(|v| {
            let named: Vec<&str> = tags
                .iter()
                .filter(|t| t.version_id == v.id)
                .map(|t| t.name.as_str())
                .collect();
            !format.is_some_and(|f| f.is_attachment(v, &named))
        });
        Ok(release.or(recent.first()).cloned())
    }

    /// What `version` declares, as its format reads its metadata; for an
    /// image, what the SBOMs attached to it name.
    async fn declared(
        self,
        package: &Package,
        version: &Version,
        recent: &[Version],
    ) -> ServiceResult<Vec<Dependency>> {
        let Some(format) = self.catalog().format(package.package_type) else {
            return Ok(Vec::new());
        };
        let Some(ecosystem) = Ecosystem::of(package.package_type) else {
            let blobs = format.attached_sboms(version, recent);
            return self.read_sboms(blobs).await;
        };
        Ok(format
            .details(version)
            .dependencies
            .iter()
            .take(MAX_PER_VERSION)
            .filter_map(|d| {
                let (kind, condition) = kind_of(&d.kind);
                Dependency::new(ecosystem, &d.name, &d.requirement, kind, condition)
            })
            .collect())
    }

    /// The packages SBOM blobs name, each read whole under its bound and
    /// parsed on a blocking thread.
    async fn read_sboms(self, blobs: Vec<String>) -> ServiceResult<Vec<Dependency>> {
        let mut found: Vec<Dependency> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for blob in blobs {
            let Some(bytes) = self.blobs().read_small(&blob, sbom::MAX_SBOM_BYTES).await? else {
                continue;
            };
            let named = tokio::task::spawn_blocking(move || sbom::dependencies(&bytes))
                .await
                .map_err(|e| crate::ServiceError::Internal(e.to_string()))?;
            // Each platform's SBOM names much the same packages.
            found.extend(named.into_iter().filter(|d| {
                seen.insert((d.ecosystem, key(d.ecosystem, &d.name), d.range.clone()))
            }));
        }
        found.truncate(MAX_PER_VERSION);
        Ok(found)
    }

    /// What `version` of an image holds, as its SBOMs were last read: only
    /// for the image the graph reads (the newest), else nothing.
    pub async fn image_dependencies(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
    ) -> ServiceResult<Vec<Dependency>> {
        self.authorize_package(actor, entrepot_core::Action::Read, package)
            .await?;
        let (read_from, dependencies) = self.meta.dependencies_of(package.id).await?;
        Ok(if read_from == Some(version.id) {
            dependencies
        } else {
            Vec::new()
        })
    }

    /// The packages here that `package`'s dependencies `names` (as their
    /// clients write them) are, among those `actor` may read: each found
    /// with the index of its name and its owner. The first `MAX_LOCATED`
    /// names only; each owner is read once.
    pub async fn locate(
        self,
        actor: &Actor,
        package: &Package,
        names: &[(Ecosystem, &str)],
    ) -> ServiceResult<Vec<(usize, Package, Account)>> {
        let mut owners: HashMap<String, Option<Account>> = HashMap::new();
        let mut found = Vec::new();
        for (i, (ecosystem, name)) in names.iter().enumerate().take(MAX_LOCATED) {
            let package_type = ecosystem.package_type();
            let Some(format) = self.catalog().format(package_type) else {
                continue;
            };
            let Some((owner, stored)) = format.home_of(name) else {
                continue;
            };
            let login = owner.unwrap_or_else(|| package.owner_login.clone());
            let account = if let Some(account) = owners.get(&login) {
                account.clone()
            } else {
                let account = self.meta.account_by_login(&login).await?;
                owners.insert(login, account.clone());
                account
            };
            let Some(account) = account else {
                continue;
            };
            let Some(dependency) = self
                .meta
                .package(account.id, package_type, &stored, false)
                .await?
            else {
                continue;
            };
            match self
                .authorize_package(actor, entrepot_core::Action::Read, &dependency)
                .await
            {
                Ok(()) => found.push((i, dependency, account)),
                Err(crate::ServiceError::Internal(e)) => {
                    return Err(crate::ServiceError::Internal(e));
                }
                Err(_) => {}
            }
        }
        Ok(found)
    }

    /// What `package` depends on (its newest version, as last read), for
    /// whoever may read it.
    pub async fn dependencies(
        self,
        actor: &Actor,
        package: &Package,
    ) -> ServiceResult<Vec<Dependency>> {
        self.authorize_package(actor, entrepot_core::Action::Read, package)
            .await?;
        Ok(self.meta.dependencies_of(package.id).await?.1)
    }

    /// The packages here whose newest version depends on `package`, among
    /// those `actor` may read (a dependent they may not read is never
    /// named), `limit` from `offset`, and how many there are among the
    /// first `scan` declarations (at most [`MAX_DEPENDENTS`]), with whether
    /// that was all of them.
    pub async fn used_by(
        self,
        actor: &Actor,
        package: &Package,
        (offset, limit): (usize, usize),
        scan: u32,
    ) -> ServiceResult<UsedBy> {
        self.authorize_package(actor, entrepot_core::Action::Read, package)
            .await?;
        let Some(ecosystem) = Ecosystem::of(package.package_type) else {
            return Ok(UsedBy::default());
        };
        let name = match self.catalog().format(package.package_type) {
            Some(format) => {
                let recent = self.recent(package).await?;
                let newest = self.newest_version(package, &recent).await?;
                format.ecosystem_name(package, newest.as_ref())
            }
            None => package.name.clone(),
        };
        let scan = scan.min(MAX_DEPENDENTS);
        let rows = self
            .meta
            .dependents(ecosystem, &key(ecosystem, &name), scan)
            .await?;
        let complete = rows.len() < scan as usize;
        let mut shown = Vec::new();
        let mut total = 0;
        let mut last = None;
        for (id, dependency) in rows {
            // One row per declaration: a package counts once.
            if id == package.id || last == Some(id) {
                continue;
            }
            last = Some(id);
            let Some(dependent) = self.meta.package_by_id(id).await? else {
                continue;
            };
            if dependent.deleted_at.is_some() || !self.can_read(actor, &dependent).await? {
                continue;
            }
            if total >= offset && shown.len() < limit {
                shown.push(Dependent {
                    package: dependent,
                    dependency,
                });
            }
            total += 1;
        }
        Ok(UsedBy {
            shown,
            total,
            complete,
        })
    }
}

impl DependencyGraph<'_> {
    /// The packages connected to repository `full_name` that `actor` may
    /// read, each with the version its dependencies were read from and
    /// those dependencies: a repository's dependency graph.
    pub async fn repository_graph(
        self,
        actor: &Actor,
        full_name: &str,
    ) -> ServiceResult<(
        entrepot_core::Repository,
        Vec<(Package, Option<Version>, Vec<Dependency>)>,
    )> {
        let repository = self.accounts().repository_as(actor, full_name).await?;
        let packages = self
            .meta
            .list_packages(entrepot_store::PackageFilter {
                repository_id: Some(repository.id),
                ..entrepot_store::PackageFilter::default()
            })
            .await?;
        let mut graph = Vec::new();
        for package in packages {
            if !self.can_read(actor, &package).await? {
                continue;
            }
            let (version, dependencies) = self.meta.dependencies_of(package.id).await?;
            let version = match version {
                Some(id) => self.meta.version_by_id(id).await?,
                None => None,
            };
            graph.push((package, version, dependencies));
        }
        Ok((repository, graph))
    }
}

/// A format's word for how a dependency is used: the five kinds, Maven's
/// scopes, and anything else (a NuGet target framework) as where it
/// applies.
fn kind_of(word: &str) -> (DependencyKind, Option<&str>) {
    match word {
        "test" => (DependencyKind::Development, None),
        "compile" | "provided" | "system" | "" => (DependencyKind::Runtime, None),
        other => match other.parse() {
            Ok(kind) => (kind, None),
            Err(_) => (DependencyKind::Runtime, Some(other)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_words_read_as_kinds_and_conditions() {
        assert_eq!(kind_of("peer"), (DependencyKind::Peer, None));
        assert_eq!(kind_of("development"), (DependencyKind::Development, None));
        assert_eq!(kind_of("test"), (DependencyKind::Development, None));
        assert_eq!(kind_of("provided"), (DependencyKind::Runtime, None));
        assert_eq!(kind_of("net8.0"), (DependencyKind::Runtime, Some("net8.0")));
    }
}

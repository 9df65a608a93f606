//! Dependency alerts: when an advisory is published, edited or withdrawn,
//! and when a package's dependencies are read again, each package here
//! whose newest version depends on a package an advisory names is judged
//! (`entrepot_core::dependency::exposure`), and its alert opened, fixed,
//! reintroduced or dismissed (`entrepot_core::alert::next`). Whoever may
//! manage the dependent is told: a notification, a mail where they want
//! one, and a `dependabot_alert` delivery to its owner's hooks.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entrepot_core::alert::{DependencyAlert, Finding, Outcome, next};
use entrepot_core::dependency::{Dependency, exposure, key};
use entrepot_core::{
    Action, Actor, Advisory, AdvisoryState, AlertState, DismissedReason, Ecosystem, Id, Package,
};
use entrepot_store::AdvisoryFilter;

use crate::graph::MAX_DEPENDENTS;
use crate::{DependencyAlerts, ServiceError, ServiceResult};

/// Which alerts a list returns.
#[derive(Debug, Clone, Default)]
pub struct AlertQuery {
    /// Any of these states; all when empty.
    pub states: Vec<AlertState>,
    pub ecosystems: Vec<Ecosystem>,
    /// Dependency names, any of them.
    pub packages: Vec<String>,
    pub scopes: Vec<entrepot_core::dependency::DependencyKind>,
    pub severities: Vec<entrepot_core::Severity>,
}

/// An alert with what it is about.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub alert: DependencyAlert,
    pub advisory: Advisory,
    /// The package that depends on the vulnerable one.
    pub package: Package,
}

impl DependencyAlerts<'_> {
    /// Judges every package here that depends on what `advisory` names,
    /// after it was published, edited or withdrawn. Never fails the review
    /// that caused it: trouble is logged.
    pub(crate) async fn advisory_changed(self, advisory: &Advisory) {
        if let Err(e) = self.judge_advisory(advisory).await {
            tracing::warn!(error = %e, ghsa_id = %advisory.ghsa_id, "could not judge the dependents of an advisory");
        }
    }

    async fn judge_advisory(self, advisory: &Advisory) -> ServiceResult<()> {
        if advisory.state == AdvisoryState::Draft {
            return Ok(());
        }
        let withdrawn = advisory.state == AdvisoryState::Withdrawn;
        let known = self.known_versions(advisory).await?;
        let mut existing: HashMap<(Id, String), DependencyAlert> = self
            .meta
            .alerts_of_advisory(advisory.id)
            .await?
            .into_iter()
            .map(|a| {
                (
                    (
                        a.package_id,
                        key(a.dependency.ecosystem, &a.dependency.name),
                    ),
                    a,
                )
            })
            .collect();
        // A dependent may name the package more than once: its alert
        // follows the worst of its declarations.
        let mut judged: HashMap<(Id, String), Finding> = HashMap::new();
        let names = self.named(advisory).await?;
        for (ecosystem, name) in names {
            let rows = self
                .meta
                .dependents(ecosystem, &key(ecosystem, &name), MAX_DEPENDENTS)
                .await?;
            for (dependent, dependency) in rows {
                if dependent == advisory.package_id {
                    continue;
                }
                let id = (dependent, key(ecosystem, &dependency.name));
                let found = if withdrawn {
                    Finding::Withdrawn
                } else {
                    finding(advisory, dependency, &known)
                };
                let merged = match judged.remove(&id) {
                    Some(earlier) => earlier.worse(found),
                    None => found,
                };
                judged.insert(id, merged);
            }
        }
        for ((dependent, name), found) in judged {
            let id = (dependent, name);
            self.apply(existing.remove(&id).as_ref(), found, advisory, dependent)
                .await?;
        }
        // Packages that no longer depend on it at all.
        for alert in existing.into_values() {
            let finding = if withdrawn {
                Finding::Withdrawn
            } else {
                Finding::Clear
            };
            self.apply(Some(&alert), finding, advisory, alert.package_id)
                .await?;
        }
        Ok(())
    }

    /// Judges `package` against every advisory on what it depends on,
    /// after its dependencies were read again.
    pub(crate) async fn package_changed(self, package: Id) -> ServiceResult<()> {
        let (_, dependencies) = self.meta.dependencies_of(package).await?;
        let mut existing: HashMap<(Id, String), DependencyAlert> = self
            .meta
            .alerts_of_packages(&[package])
            .await?
            .into_iter()
            .map(|a| {
                (
                    (
                        a.advisory_id,
                        key(a.dependency.ecosystem, &a.dependency.name),
                    ),
                    a,
                )
            })
            .collect();
        if dependencies.is_empty() && existing.is_empty() {
            return Ok(());
        }
        // Each ecosystem's published advisories are read once, with the
        // names they match; each advisory's known versions once.
        let mut by_ecosystem: HashMap<Ecosystem, Vec<(Advisory, HashSet<String>)>> = HashMap::new();
        let mut known: HashMap<Id, Vec<String>> = HashMap::new();
        // A name declared more than once is judged by its worst declaration.
        let mut judged: HashMap<(Id, String), (Finding, Advisory)> = HashMap::new();
        for dependency in dependencies {
            let ecosystem = dependency.ecosystem;
            if let std::collections::hash_map::Entry::Vacant(slot) = by_ecosystem.entry(ecosystem) {
                let mut published = Vec::new();
                for advisory in self
                    .meta
                    .list_advisories(&AdvisoryFilter {
                        ecosystem: Some(ecosystem),
                        states: vec![AdvisoryState::Published],
                        ..AdvisoryFilter::default()
                    })
                    .await?
                {
                    let keys = self
                        .named(&advisory)
                        .await?
                        .iter()
                        .filter(|(e, _)| *e == ecosystem)
                        .map(|(e, n)| key(*e, n))
                        .collect();
                    published.push((advisory, keys));
                }
                slot.insert(published);
            }
            let wanted = key(ecosystem, &dependency.name);
            for (advisory, keys) in &by_ecosystem[&ecosystem] {
                if advisory.package_id == package || !keys.contains(&wanted) {
                    continue;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(advisory.id) {
                    slot.insert(self.known_versions(advisory).await?);
                }
                let id = (advisory.id, wanted.clone());
                let found = finding(advisory, dependency.clone(), &known[&advisory.id]);
                let merged = match judged.remove(&id) {
                    Some((earlier, _)) => earlier.worse(found),
                    None => found,
                };
                judged.insert(id, (merged, advisory.clone()));
            }
        }
        for (id, (found, advisory)) in judged {
            self.apply(existing.remove(&id).as_ref(), found, &advisory, package)
                .await?;
        }
        for alert in existing.into_values() {
            if let Some(advisory) = self.advisory_by_id(alert.advisory_id).await? {
                self.apply(Some(&alert), Finding::Clear, &advisory, package)
                    .await?;
            }
        }
        Ok(())
    }

    /// What the advisory's vulnerabilities name, as clients write the
    /// names (an advisory keeps its own package under its stored name:
    /// npm's `lib` is `@alice/lib` to a dependent).
    async fn named(self, advisory: &Advisory) -> ServiceResult<Vec<(Ecosystem, String)>> {
        let own = match self.meta.package_by_id(advisory.package_id).await? {
            Some(package) => match self.catalog().format(package.package_type) {
                Some(format) => {
                    let (newest, _) = self.meta.versions_page(package.id, 1, 0).await?;
                    format.ecosystem_name(&package, newest.first())
                }
                None => advisory.package_name.clone(),
            },
            None => advisory.package_name.clone(),
        };
        let mut names: Vec<(Ecosystem, String)> = advisory
            .vulnerabilities
            .iter()
            .map(|v| {
                let name = if v.package.name == advisory.package_name {
                    own.clone()
                } else {
                    v.package.name.clone()
                };
                (v.package.ecosystem, name)
            })
            .collect();
        names.push((advisory.ecosystem, own));
        let mut seen = HashSet::new();
        names.retain(|(e, n)| seen.insert((*e, key(*e, n))));
        Ok(names)
    }

    /// The names of the live versions of the advisory's package, when it
    /// lives here (else the advisory and the range speak for it).
    async fn known_versions(self, advisory: &Advisory) -> ServiceResult<Vec<String>> {
        Ok(self
            .meta
            .versions(advisory.package_id, false)
            .await?
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    async fn advisory_by_id(self, id: Id) -> ServiceResult<Option<Advisory>> {
        Ok(self
            .meta
            .list_advisories(&AdvisoryFilter::default())
            .await?
            .into_iter()
            .find(|a| a.id == id))
    }

    /// The packages connected to repository `full_name` (which `actor`
    /// must be able to see).
    pub async fn packages_of_repository(
        self,
        actor: &Actor,
        full_name: &str,
    ) -> ServiceResult<Vec<Package>> {
        let repository = self.accounts().repository_as(actor, full_name).await?;
        Ok(self
            .meta
            .list_packages(entrepot_store::PackageFilter {
                repository_id: Some(repository.id),
                ..entrepot_store::PackageFilter::default()
            })
            .await?)
    }

    /// The packages of the organization `login` (which must be one).
    pub async fn packages_of_owner(
        self,
        actor: &Actor,
        login: &str,
    ) -> ServiceResult<Vec<Package>> {
        let owner = self
            .meta
            .account_by_login(login)
            .await?
            .filter(|a| a.kind == entrepot_core::AccountKind::Organization)
            .ok_or_else(|| ServiceError::unseen(actor, "Not Found"))?;
        Ok(self
            .meta
            .list_packages(entrepot_store::PackageFilter {
                owner_id: Some(owner.id),
                ..entrepot_store::PackageFilter::default()
            })
            .await?)
    }

    /// The repository `package` is connected to, as a payload's
    /// `repository`; `null` for none.
    pub async fn repository_json(self, package: &Package) -> ServiceResult<serde_json::Value> {
        let Some(id) = package.repository_id else {
            return Ok(serde_json::Value::Null);
        };
        let Some(repo) = self.meta.repository_by_id(id).await? else {
            return Ok(serde_json::Value::Null);
        };
        let Some(owner) = self.meta.account_by_id(repo.owner_id).await? else {
            return Ok(serde_json::Value::Null);
        };
        Ok(crate::webhooks::repository_json(
            self.catalog(),
            &repo,
            &owner,
        ))
    }

    /// Keeps what `finding` makes of `existing`, and tells those it concerns.
    async fn apply(
        self,
        existing: Option<&DependencyAlert>,
        finding: Finding,
        advisory: &Advisory,
        dependent: Id,
    ) -> ServiceResult<()> {
        let Some(Outcome { alert, action }) =
            next(existing, finding, (advisory.id, dependent), Utc::now())
        else {
            return Ok(());
        };
        let kept = self.meta.save_alert(&alert).await?;
        if let Some(action) = action {
            self.tell(&kept, advisory, action, None).await;
        }
        Ok(())
    }

    /// The alerts of the packages `actor` may manage among `packages`,
    /// newest first, with their advisories, filtered by `query`.
    pub async fn alerts_of(
        self,
        actor: &Actor,
        packages: Vec<Package>,
        query: &AlertQuery,
    ) -> ServiceResult<Vec<AlertView>> {
        let mut managed = HashMap::new();
        for package in packages {
            if self
                .authorize_package(actor, Action::Manage, &package)
                .await
                .is_ok()
            {
                managed.insert(package.id, package);
            }
        }
        let ids: Vec<Id> = managed.keys().copied().collect();
        let alerts = self.meta.alerts_of_packages(&ids).await?;
        if alerts.is_empty() {
            return Ok(Vec::new());
        }
        let advisories: HashMap<Id, Advisory> = self
            .meta
            .list_advisories(&AdvisoryFilter::default())
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut views = Vec::new();
        for alert in alerts {
            let (Some(advisory), Some(package)) = (
                advisories.get(&alert.advisory_id),
                managed.get(&alert.package_id),
            ) else {
                continue;
            };
            if matches(query, &alert, advisory) {
                views.push(AlertView {
                    alert,
                    advisory: advisory.clone(),
                    package: package.clone(),
                });
            }
        }
        Ok(views)
    }

    /// Dismisses (`Some(reason, comment)`) or reopens (`None`) alert `id`
    /// of one of `packages`, which `actor` must be able to manage.
    pub async fn set_state(
        self,
        actor: &Actor,
        packages: Vec<Package>,
        id: Id,
        dismissal: Option<(DismissedReason, Option<String>)>,
    ) -> ServiceResult<AlertView> {
        let missing = || ServiceError::not_found("No alert found for alert number");
        let alert = self.meta.alert(id).await?.ok_or_else(missing)?;
        let package = packages
            .into_iter()
            .find(|p| p.id == alert.package_id)
            .ok_or_else(missing)?;
        self.authorize_package(actor, Action::Manage, &package)
            .await?;
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let reopening = dismissal.is_none();
        let changed = entrepot_core::alert::dismiss(&alert, dismissal, user, Utc::now())
            .map_err(ServiceError::Invalid)?;
        let kept = self.meta.save_alert(&changed).await?;
        let advisory = self
            .advisory_by_id(kept.advisory_id)
            .await?
            .ok_or_else(missing)?;
        let action = if reopening { "reopened" } else { "dismissed" };
        self.tell(&kept, &advisory, action, Some(user)).await;
        Ok(AlertView {
            alert: kept,
            advisory,
            package,
        })
    }
}

fn finding(advisory: &Advisory, dependency: Dependency, known: &[String]) -> Finding {
    match exposure(dependency.ecosystem, &dependency.range, advisory, known) {
        Some(e) => Finding::Exposed {
            dependency,
            admits_patched: e.admits_patched,
        },
        None => Finding::Clear,
    }
}

fn matches(query: &AlertQuery, alert: &DependencyAlert, advisory: &Advisory) -> bool {
    (query.states.is_empty() || query.states.contains(&alert.state))
        && (query.ecosystems.is_empty() || query.ecosystems.contains(&alert.dependency.ecosystem))
        && (query.scopes.is_empty() || query.scopes.contains(&alert.dependency.kind))
        && (query.severities.is_empty()
            || advisory
                .severity
                .is_some_and(|s| query.severities.contains(&s)))
        && (query.packages.is_empty() || query.packages.contains(&alert.dependency.name))
}

//! Cleanup rules: an owner's rules kept and managed, what they would
//! remove now (the preview, with a rule not saved yet if one is given),
//! and removing it (a run: the scheduled job, `admin cleanup run`, or an
//! owner's request). A run removes exactly what the preview shows, through
//! the normal soft delete (restorable for the retention period) and the
//! audit log. The decision itself is the domain's
//! (`entrepot_core::cleanup`); this reads the facts it needs.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entrepot_core::cleanup::{CleanupRule, Compiled, RuleSpec, VersionFacts, plan};
use entrepot_core::{Account, Actor, Id, Package, PackageType, Scope, Visibility};
use entrepot_store::PackageFilter;

use crate::{Governance, ServiceError, ServiceResult};

/// The id a rule not saved yet has in a preview.
pub const UNSAVED: Id = 0;

/// Rules delete versions: who sets or runs them needs a token that may.
fn may_delete(actor: &Actor) -> ServiceResult<()> {
    match actor {
        Actor::User { scopes, .. } if !scopes.contains(Scope::DeletePackages) => {
            Err(entrepot_core::Denial::MissingScope(Scope::DeletePackages).into())
        }
        _ => Ok(()),
    }
}

/// One version a preview names, or a run removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    pub package_id: Id,
    pub package_type: PackageType,
    pub package: String,
    pub version_id: Id,
    pub version: String,
    /// The rules that remove it (`UNSAVED` for the one previewed).
    pub rules: Vec<Id>,
}

/// What an owner's rules remove now: each rule's share, and all together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// Each rule (the unsaved one last) and what it alone removes.
    pub rules: Vec<(CleanupRule, Vec<Removal>)>,
    /// What all of them together remove (a run's work).
    pub all: Vec<Removal>,
}

/// What a run removed, by owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunReport {
    pub removed: Vec<(String, Removal)>,
}

impl Governance<'_> {
    /// The owners that have rules.
    pub async fn owners_with_rules(self) -> ServiceResult<Vec<Account>> {
        let mut ids: Vec<Id> = self
            .meta
            .cleanup_rules(None)
            .await?
            .iter()
            .map(|r| r.owner_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut owners = Vec::new();
        for id in ids {
            if let Some(account) = self.meta.account_by_id(id).await? {
                owners.push(account);
            }
        }
        Ok(owners)
    }

    /// `owner`'s rules.
    pub async fn cleanup_rules(self, owner: &Account) -> ServiceResult<Vec<CleanupRule>> {
        Ok(self.meta.cleanup_rules(Some(owner.id)).await?)
    }

    /// `cleanup_rules` for `actor`: the owner's admins and members.
    pub async fn cleanup_rules_as(
        self,
        actor: &Actor,
        owner: &Account,
    ) -> ServiceResult<Vec<CleanupRule>> {
        self.may_manage_owner(actor, owner, false, "cleanup rules")
            .await?;
        self.cleanup_rules(owner).await
    }

    /// Adds a rule to `owner`'s, once it compiles.
    pub async fn add_cleanup_rule(
        self,
        owner: &Account,
        spec: RuleSpec,
    ) -> ServiceResult<CleanupRule> {
        spec.compile().map_err(ServiceError::Invalid)?;
        if self.meta.cleanup_rules(Some(owner.id)).await?.len() >= entrepot_core::cleanup::MAX_RULES
        {
            return Err(ServiceError::Invalid(format!(
                "{} has {} cleanup rules already, the most one owner has",
                owner.login,
                entrepot_core::cleanup::MAX_RULES
            )));
        }
        let rule = self
            .meta
            .add_cleanup_rule(owner.id, &spec, Utc::now())
            .await?;
        tracing::info!(owner = %owner.login, rule = rule.id, "cleanup rule added");
        Ok(rule)
    }

    /// `add_cleanup_rule` for `actor`: the owner itself, an organization's
    /// owners, site administrators.
    pub async fn add_cleanup_rule_as(
        self,
        actor: &Actor,
        owner: &Account,
        spec: RuleSpec,
    ) -> ServiceResult<CleanupRule> {
        self.may_manage_owner(actor, owner, true, "cleanup rules")
            .await?;
        may_delete(actor)?;
        self.add_cleanup_rule(owner, spec).await
    }

    /// Removes `owner`'s rule `id`.
    pub async fn remove_cleanup_rule(self, owner: &Account, id: Id) -> ServiceResult<()> {
        if self.meta.remove_cleanup_rule(owner.id, id).await? {
            tracing::info!(owner = %owner.login, rule = id, "cleanup rule removed");
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "{} has no cleanup rule {id}",
                owner.login
            )))
        }
    }

    pub async fn remove_cleanup_rule_as(
        self,
        actor: &Actor,
        owner: &Account,
        id: Id,
    ) -> ServiceResult<()> {
        self.may_manage_owner(actor, owner, true, "cleanup rules")
            .await?;
        self.remove_cleanup_rule(owner, id).await
    }

    /// The live versions of `package` that `spec` would remove now, its
    /// package filters aside: a bulk deletion by the rules' filters.
    pub async fn matching_versions(
        self,
        package: &Package,
        spec: &RuleSpec,
    ) -> ServiceResult<Vec<Id>> {
        let rule = spec.compile().map_err(ServiceError::Invalid)?;
        let (_, facts) = self.facts(package).await?;
        Ok(rule.removes(&facts, Utc::now()))
    }

    /// How many timestamped builds of each SNAPSHOT version of `owner`'s
    /// Maven package `name` are kept, if a rule of the owner's says: the
    /// fewest any rule selecting it keeps (read at each SNAPSHOT deploy).
    pub async fn snapshot_builds(
        self,
        owner: &Account,
        name: &str,
    ) -> ServiceResult<Option<usize>> {
        let rules = self.meta.cleanup_rules(Some(owner.id)).await?;
        Ok(rules
            .iter()
            .filter_map(|r| {
                let keep = r.spec.keep_snapshot_builds?;
                let rule = r.spec.compile().ok()?;
                rule.selects(PackageType::Maven, name)
                    .then_some(keep as usize)
            })
            .min())
    }

    /// What `owner`'s rules, and `unsaved` if given, would remove now.
    pub async fn preview(
        self,
        owner: &Account,
        unsaved: Option<RuleSpec>,
    ) -> ServiceResult<Preview> {
        let mut rules = self.meta.cleanup_rules(Some(owner.id)).await?;
        if let Some(spec) = unsaved {
            rules.push(CleanupRule {
                id: UNSAVED,
                owner_id: owner.id,
                spec,
                created_at: Utc::now(),
            });
        }
        let compiled: Vec<(Id, Compiled)> = rules
            .iter()
            .map(|r| {
                r.spec
                    .compile()
                    .map(|c| (r.id, c))
                    .map_err(ServiceError::Invalid)
            })
            .collect::<ServiceResult<_>>()?;
        let mut by_rule: HashMap<Id, Vec<Removal>> = HashMap::new();
        let mut all = Vec::new();
        if !compiled.is_empty() {
            let filter = PackageFilter {
                owner_id: Some(owner.id),
                ..PackageFilter::default()
            };
            for package in self.meta.list_packages(filter).await? {
                // As clients name it (npm: `@acme/tool`).
                let shown = self
                    .catalog
                    .format(package.package_type)
                    .map_or_else(|| package.name.clone(), |f| f.full_name(&package));
                let selected = compiled
                    .iter()
                    .any(|(_, r)| r.selects(package.package_type, &shown));
                if !selected {
                    continue;
                }
                let (names, facts) = self.facts(&package).await?;
                let kind = (package.package_type, shown.as_str());
                let planned = plan(&compiled, kind, &facts, Utc::now());
                let removal = |version_id: Id, rules: Vec<Id>| Removal {
                    package_id: package.id,
                    package_type: package.package_type,
                    package: shown.clone(),
                    version_id,
                    version: names.get(&version_id).cloned().unwrap_or_default(),
                    rules,
                };
                for (rule, removed) in &planned.by_rule {
                    let entry = by_rule.entry(*rule).or_default();
                    entry.extend(removed.iter().map(|v| removal(*v, vec![*rule])));
                }
                for version in planned.all {
                    let rules = planned
                        .by_rule
                        .iter()
                        .filter(|(_, removed)| removed.contains(&version))
                        .map(|(rule, _)| *rule)
                        .collect();
                    all.push(removal(version, rules));
                }
            }
        }
        let rules = rules
            .into_iter()
            .map(|r| {
                let removed = by_rule.remove(&r.id).unwrap_or_default();
                (r, removed)
            })
            .collect();
        Ok(Preview { rules, all })
    }

    /// `preview` for `actor`: those who may change the rules (it names
    /// every package, private ones included).
    pub async fn preview_as(
        self,
        actor: &Actor,
        owner: &Account,
        unsaved: Option<RuleSpec>,
    ) -> ServiceResult<Preview> {
        self.may_manage_owner(actor, owner, true, "cleanup rules")
            .await?;
        self.preview(owner, unsaved).await
    }

    /// Removes what `owner`'s rules remove now (every owner's with none),
    /// as `preview` shows it: each a soft delete, audited as done by
    /// `actor` (none for the scheduled job).
    pub async fn run(
        self,
        owner: Option<&Account>,
        actor: Option<&Actor>,
    ) -> ServiceResult<RunReport> {
        let owners = match owner {
            Some(owner) => vec![owner.clone()],
            None => self.owners_with_rules().await?,
        };
        let mut report = RunReport::default();
        let one = owner.is_some();
        for owner in owners {
            match self.run_one(&owner, actor, &mut report).await {
                Ok(()) => {}
                Err(e) if one => return Err(e),
                // Every owner's: one owner's trouble stops nobody else's.
                Err(e) => {
                    tracing::warn!(owner = %owner.login, error = %e, "cleanup failed for this owner");
                }
            }
        }
        if !report.removed.is_empty() {
            tracing::info!(
                versions = report.removed.len(),
                "cleanup rules removed versions"
            );
        }
        Ok(report)
    }

    /// `run` of `owner`'s rules for `actor`: those who may change them.
    pub async fn run_as(self, actor: &Actor, owner: &Account) -> ServiceResult<RunReport> {
        self.may_manage_owner(actor, owner, true, "cleanup rules")
            .await?;
        may_delete(actor)?;
        self.run(Some(owner), Some(actor)).await
    }

    async fn run_one(
        self,
        owner: &Account,
        actor: Option<&Actor>,
        report: &mut RunReport,
    ) -> ServiceResult<()> {
        for removal in self.preview(owner, None).await?.all {
            if self.remove(&removal, actor).await? {
                report.removed.push((owner.login.clone(), removal));
            }
        }
        Ok(())
    }

    /// Soft-deletes one version a rule removes; false when it went
    /// meanwhile, is the last (the store keeps one, whatever raced), or
    /// became protected since the plan (an immutable tag, the download
    /// limit counting what is not written yet).
    async fn remove(self, removal: &Removal, actor: Option<&Actor>) -> ServiceResult<bool> {
        let (Some(package), Some(version)) = (
            self.meta.package_by_id(removal.package_id).await?,
            self.meta.version_by_id(removal.version_id).await?,
        ) else {
            return Ok(false);
        };
        if self.guard_version(&package, &version).await.is_err() {
            return Ok(false);
        }
        if package.visibility == Visibility::Public {
            let downloads = self
                .packages()
                .version_downloads(&package, &[version.id])
                .await?;
            if downloads.get(&version.id).copied().unwrap_or(0) > self.limits.delete_download_limit
            {
                return Ok(false);
            }
        }
        match self
            .meta
            .delete_version_keeping_one(removal.version_id, Utc::now())
            .await
        {
            Ok(()) => {}
            Err(entrepot_store::StoreError::NotFound | entrepot_store::StoreError::Invalid(_)) => {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
        let rules: Vec<String> = removal.rules.iter().map(ToString::to_string).collect();
        self.packages()
            .audit(
                actor.unwrap_or(&Actor::Anonymous),
                "version.delete",
                Some(removal.package_id),
                Some(removal.version_id),
                Some(format!(
                    "{} (cleanup rule {})",
                    removal.version,
                    rules.join(", ")
                )),
            )
            .await?;
        Ok(true)
    }

    /// One package's live versions as the rules see them, and their names.
    async fn facts(
        self,
        package: &Package,
    ) -> ServiceResult<(HashMap<Id, String>, Vec<VersionFacts>)> {
        let versions = self.meta.versions(package.id, false).await?;
        let mut last_download: HashMap<Id, chrono::NaiveDate> = HashMap::new();
        let mut downloads: HashMap<Id, i64> = HashMap::new();
        for day in self.meta.downloads(package.id).await? {
            let last = last_download.entry(day.version_id).or_insert(day.day);
            *last = (*last).max(day.day);
            *downloads.entry(day.version_id).or_default() += day.count;
        }
        let tags = self.meta.tags(package.id).await?;
        let tagged: HashSet<Id> = tags.iter().map(|t| t.version_id).collect();
        let immutable = self.meta.immutable_tags(Some(package.owner_id)).await?;
        let mut protected: HashMap<Id, String> = self
            .catalog
            .format(package.package_type)
            .map(|f| f.held_versions(&versions))
            .unwrap_or_default()
            .into_iter()
            .collect();
        for tag in &tags {
            if let Some(rule) = immutable
                .iter()
                .find(|r| r.protects(package.package_type, &tag.name))
            {
                protected.insert(
                    tag.version_id,
                    format!("named by the immutable tag {} (rule {})", tag.name, rule.id),
                );
            }
        }
        let limit = self.limits.delete_download_limit;
        if package.visibility == Visibility::Public {
            for (id, count) in &downloads {
                if *count > limit {
                    protected.insert(*id, format!("public, downloaded more than {limit} times"));
                }
            }
        }
        let names = versions.iter().map(|v| (v.id, v.name.clone())).collect();
        let facts = versions
            .into_iter()
            .map(|v| VersionFacts {
                id: v.id,
                published_at: v.created_at,
                last_download: last_download
                    .get(&v.id)
                    .and_then(|d| d.and_hms_opt(23, 59, 59))
                    .map(|t| t.and_utc()),
                tagged: tagged.contains(&v.id),
                protected: protected.remove(&v.id),
                name: v.name,
            })
            .collect();
        Ok((names, facts))
    }
}

//! Security advisories on packages: a package's admins draft and edit
//! them, a site administrator reviews them (draft → published →
//! withdrawn), and anyone who may read a package reads its published ones.
//!
//! Who sees what: a draft only the package's admins (and site
//! administrators); a published or withdrawn advisory whoever may read the
//! package. Unseen advisories answer as missing (404), or 401 to anonymous
//! callers, as packages do.

use entrepot_core::advisory::{CREDIT_TYPES, affects, compare, parse_range};
use entrepot_core::authz::effective_role;
use entrepot_core::osv::canonical_name;
use entrepot_core::{
    Action, Actor, Advisory, AdvisoryState, Credit, Ecosystem, Package, Role, Scope, Severity,
    Version, Vulnerability,
};
use entrepot_store::{AdvisoryFilter, StoreError};

use crate::{Advisories, ServiceError, ServiceResult};

/// What a create or an update sets; `None` leaves a field alone (on
/// create: summary, description and vulnerabilities are required).
#[derive(Debug, Clone, Default)]
pub struct AdvisoryChanges {
    pub summary: Option<String>,
    pub description: Option<String>,
    pub cve_id: Option<Option<String>>,
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    pub cwe_ids: Option<Vec<String>>,
    pub credits: Option<Vec<Credit>>,
    pub severity: Option<Option<Severity>>,
    pub cvss_vector_string: Option<Option<String>>,
    /// A review: only site administrators move an advisory's state.
    pub state: Option<AdvisoryState>,
}

/// The global list's filters.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryQuery {
    pub ghsa_id: Option<String>,
    pub cve_id: Option<String>,
    pub ecosystem: Option<Ecosystem>,
    pub severity: Option<Severity>,
    /// Advisories on a package of this name, affecting this version if
    /// one is given (`name` or `name@version`).
    pub affects: Option<(String, Option<String>)>,
}

impl AdvisoryQuery {
    /// Reads GitHub's `affects` parameter: `name` or `name@version`, where
    /// a leading `@` belongs to an npm scope.
    pub fn parse_affects(text: &str) -> (String, Option<String>) {
        match text.rfind('@') {
            Some(at) if at > 0 => (text[..at].to_owned(), Some(text[at + 1..].to_owned())),
            _ => (text.to_owned(), None),
        }
    }
}

/// The alphabet of GitHub's GHSA ids: no vowels, no look-alikes.
const GHSA_ALPHABET: &[u8] = b"23456789cfghjmpqrvwx";

/// A new `GHSA-xxxx-xxxx-xxxx`.
pub fn generate_ghsa_id() -> String {
    let group = || -> String {
        (0..4)
            .map(|_| char::from(GHSA_ALPHABET[rand::random::<usize>() % GHSA_ALPHABET.len()]))
            .collect()
    };
    format!("GHSA-{}-{}-{}", group(), group(), group())
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

/// The article before an ecosystem's name: "an npm version", "a pip version".
fn article(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::Npm => "an",
        _ => "a",
    }
}

/// Checks one affected range as creating and updating an advisory do: the
/// vulnerable range (`None`: every version) and each patched version are
/// the ecosystem's, and the first patched version does not fall inside the
/// range, by the matching that decides which versions are affected. The
/// message names no field, and quotes what was given in backticks.
///
/// # Errors
///
/// The first problem found, as a sentence.
pub fn check_range(
    ecosystem: Ecosystem,
    range: Option<&str>,
    patched: Option<&str>,
) -> Result<(), String> {
    let an = article(ecosystem);
    if let Some(range) = range
        && parse_range(ecosystem, range).is_err()
    {
        return Err(format!(
            "`{range}` is not {an} {ecosystem} version range (such as `>= 1.0.0, < 1.0.1`)"
        ));
    }
    let Some(patched) = patched else {
        return Ok(());
    };
    for (i, p) in patched.split(',').map(str::trim).enumerate() {
        if compare(ecosystem, p, p).is_none() {
            return Err(format!("`{p}` is not {an} {ecosystem} version"));
        }
        // The first is the one pages and GitHub's global advisories offer
        // as the fix (later ones may be backports on other branches).
        if i == 0
            && let Some(range) = range
            && affects(ecosystem, range, p)
        {
            return Err(format!(
                "the first patched version `{p}` is inside the vulnerable range `{range}`"
            ));
        }
    }
    Ok(())
}

fn is_id(text: &str, prefix: &str, min_digits: usize) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() >= min_digits && rest.bytes().all(|b| b.is_ascii_digit() || b == b'-')
    })
}

impl Advisories<'_> {
    /// The caller's role on the package is admin (owners, granted admins,
    /// site administrators).
    async fn is_package_admin(self, actor: &Actor, package: &Package) -> ServiceResult<bool> {
        let facts = self.package_facts(actor, package).await?;
        // Drafts are embargoed: behind the organization's sign-on too.
        Ok(
            effective_role(actor, Action::Manage, &facts) == Some(Role::Admin)
                && facts.sso != entrepot_core::SsoGate::Closed,
        )
    }

    /// Whether `actor` may see `advisory`, answered as the error to give if not.
    async fn may_see_advisory(
        self,
        actor: &Actor,
        advisory: &Advisory,
        package: &Package,
    ) -> ServiceResult<()> {
        if advisory.state == AdvisoryState::Draft && !self.is_package_admin(actor, package).await? {
            return Err(match actor {
                Actor::Anonymous => ServiceError::Unauthenticated,
                Actor::User { .. } => ServiceError::not_found("Not Found"),
            });
        }
        self.authorize_package(actor, Action::Read, package).await
    }

    /// The live package an advisory is on.
    async fn advisory_package(self, advisory: &Advisory) -> ServiceResult<Option<Package>> {
        Ok(self
            .meta
            .package_by_id(advisory.package_id)
            .await?
            .filter(|p| p.deleted_at.is_none()))
    }

    /// An advisory by GHSA id and its package, if the caller may see it.
    pub async fn advisory(
        self,
        actor: &Actor,
        ghsa_id: &str,
    ) -> ServiceResult<(Advisory, Package)> {
        let missing = || ServiceError::not_found("Not Found");
        let advisory = self.meta.advisory(ghsa_id).await?.ok_or_else(missing)?;
        let package = self
            .advisory_package(&advisory)
            .await?
            .ok_or_else(missing)?;
        self.may_see_advisory(actor, &advisory, &package).await?;
        Ok((advisory, package))
    }

    /// Drafts an advisory on `package` (its admins only).
    pub async fn create_advisory(
        self,
        actor: &Actor,
        package: &Package,
        changes: AdvisoryChanges,
    ) -> ServiceResult<Advisory> {
        self.authorize_package(actor, Action::Manage, package)
            .await?;
        let ecosystem = Ecosystem::of(package.package_type).ok_or_else(|| {
            invalid(format!(
                "{} packages have no security advisories",
                package.package_type
            ))
        })?;
        if changes.state.is_some_and(|s| s != AdvisoryState::Draft) {
            return Err(ServiceError::Forbidden(
                "advisories start as drafts; a site administrator publishes them".into(),
            ));
        }
        for (present, field) in [
            (changes.summary.is_some(), "summary"),
            (changes.description.is_some(), "description"),
            (changes.vulnerabilities.is_some(), "vulnerabilities"),
        ] {
            if !present {
                return Err(invalid(format!("`{field}` is required")));
            }
        }
        let now = chrono::Utc::now();
        let mut advisory = Advisory {
            id: 0,
            ghsa_id: generate_ghsa_id(),
            package_id: package.id,
            ecosystem,
            package_name: package.name.clone(),
            summary: String::new(),
            description: String::new(),
            severity: None,
            cvss_vector: None,
            cve_id: None,
            cwe_ids: Vec::new(),
            vulnerabilities: Vec::new(),
            credits: Vec::new(),
            state: AdvisoryState::Draft,
            author_id: actor.user_id(),
            publisher_id: None,
            created_at: now,
            updated_at: now,
            published_at: None,
            withdrawn_at: None,
        };
        self.apply_changes(&mut advisory, changes).await?;
        // Ids are random; a collision is retried with a fresh one.
        let mut attempts = 0;
        let created = loop {
            match self.meta.create_advisory(&advisory).await {
                Err(StoreError::Conflict(_)) if attempts < 3 => {
                    attempts += 1;
                    advisory.ghsa_id = generate_ghsa_id();
                }
                other => break other?,
            }
        };
        self.packages()
            .audit(
                actor,
                "advisory.create",
                Some(package.id),
                None,
                Some(created.ghsa_id.clone()),
            )
            .await?;
        Ok(created)
    }

    /// Edits an advisory (the package's admins, unless withdrawn) and/or
    /// reviews it (`state`: site administrators only, draft → published →
    /// withdrawn).
    pub async fn update_advisory(
        self,
        actor: &Actor,
        ghsa_id: &str,
        mut changes: AdvisoryChanges,
    ) -> ServiceResult<Advisory> {
        let (mut advisory, package) = self.advisory(actor, ghsa_id).await?;
        let review = changes.state.take().filter(|s| *s != advisory.state);
        let edits = changes.summary.is_some()
            || changes.description.is_some()
            || changes.cve_id.is_some()
            || changes.vulnerabilities.is_some()
            || changes.cwe_ids.is_some()
            || changes.credits.is_some()
            || changes.severity.is_some()
            || changes.cvss_vector_string.is_some();
        let now = chrono::Utc::now();
        if edits {
            self.authorize_package(actor, Action::Manage, &package)
                .await?;
            if advisory.state == AdvisoryState::Withdrawn {
                return Err(invalid("a withdrawn advisory cannot be edited"));
            }
            self.apply_changes(&mut advisory, changes).await?;
        }
        if let Some(state) = review {
            let Actor::User {
                site_admin, scopes, ..
            } = actor
            else {
                return Err(ServiceError::Unauthenticated);
            };
            if !site_admin {
                return Err(ServiceError::Forbidden(
                    "a site administrator reviews advisories: ask one to publish or withdraw it"
                        .into(),
                ));
            }
            if !scopes.contains(Scope::WritePackages) {
                return Err(entrepot_core::Denial::MissingScope(Scope::WritePackages).into());
            }
            match (advisory.state, state) {
                (AdvisoryState::Draft, AdvisoryState::Published) => {
                    advisory.published_at = Some(now);
                    advisory.publisher_id = actor.user_id();
                }
                (AdvisoryState::Published, AdvisoryState::Withdrawn) => {
                    advisory.withdrawn_at = Some(now);
                }
                (from, to) => {
                    return Err(invalid(format!(
                        "an advisory cannot go from {from} to {to}: drafts are published, published advisories withdrawn"
                    )));
                }
            }
            advisory.state = state;
        }
        if !edits && review.is_none() {
            return Ok(advisory);
        }
        advisory.updated_at = now;
        let updated = self.meta.update_advisory(&advisory).await?;
        match review {
            Some(AdvisoryState::Published) => {
                self.webhooks()
                    .emit_advisory_event(&updated, &package, "published")
                    .await;
            }
            Some(AdvisoryState::Withdrawn) => {
                self.webhooks()
                    .emit_advisory_event(&updated, &package, "withdrawn")
                    .await;
            }
            _ => {}
        }
        // Dependents are judged again whenever a published advisory changes.
        if updated.state != AdvisoryState::Draft {
            self.alerts().advisory_changed(&updated).await;
        }
        let action = match review {
            Some(AdvisoryState::Published) => "advisory.publish",
            Some(AdvisoryState::Withdrawn) => "advisory.withdraw",
            _ => "advisory.update",
        };
        self.packages()
            .audit(
                actor,
                action,
                Some(package.id),
                None,
                Some(updated.ghsa_id.clone()),
            )
            .await?;
        Ok(updated)
    }

    /// Checks and applies field changes.
    async fn apply_changes(
        self,
        advisory: &mut Advisory,
        changes: AdvisoryChanges,
    ) -> ServiceResult<()> {
        if let Some(summary) = changes.summary {
            let summary = summary.trim();
            if summary.is_empty() || summary.chars().count() > 1024 {
                return Err(invalid("Summary: 1 to 1,024 characters."));
            }
            summary.clone_into(&mut advisory.summary);
        }
        if let Some(description) = changes.description {
            if description.trim().is_empty() || description.len() > 65_535 {
                return Err(invalid("Description: 1 to 65,535 bytes."));
            }
            advisory.description = description;
        }
        if let Some(cve) = changes.cve_id {
            let cve = cve
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty());
            if let Some(c) = &cve
                && !is_id(c, "CVE-", 9)
            {
                return Err(invalid(format!("CVE id: `{c}` is not CVE-YYYY-NNNN.")));
            }
            advisory.cve_id = cve;
        }
        if let Some(cwes) = changes.cwe_ids {
            let mut ids = Vec::new();
            for cwe in cwes {
                let cwe = cwe.trim().to_uppercase();
                if !is_id(&cwe, "CWE-", 1) || cwe.contains("--") {
                    return Err(invalid(format!("Weaknesses: `{cwe}` is not CWE-NNN.")));
                }
                if !ids.contains(&cwe) {
                    ids.push(cwe);
                }
            }
            advisory.cwe_ids = ids;
        }
        if let Some(credits) = changes.credits {
            let mut checked = Vec::new();
            for credit in credits {
                if !CREDIT_TYPES.contains(&credit.credit_type.as_str()) {
                    return Err(invalid(format!(
                        "Credits: `{}` is not a credit type (one of {}).",
                        credit.credit_type,
                        CREDIT_TYPES.join(", ")
                    )));
                }
                let user = self
                    .meta
                    .account_by_login(credit.login.trim())
                    .await?
                    .ok_or_else(|| invalid(format!("Credits: no user `{}`.", credit.login)))?;
                checked.push(Credit {
                    login: user.login,
                    credit_type: credit.credit_type,
                });
            }
            advisory.credits = checked;
        }
        if let Some(vulnerabilities) = changes.vulnerabilities {
            advisory.vulnerabilities = Self::checked_vulnerabilities(advisory, vulnerabilities)?;
        }
        if matches!(
            (&changes.severity, &changes.cvss_vector_string),
            (Some(Some(_)), Some(Some(_)))
        ) {
            return Err(invalid(
                "Severity: give a severity or a CVSS vector, not both.",
            ));
        }
        if let Some(severity) = changes.severity {
            advisory.severity = severity;
        }
        if let Some(vector) = changes.cvss_vector_string {
            let vector = vector
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty());
            if let Some(v) = &vector
                && !["CVSS:3.0/", "CVSS:3.1/", "CVSS:4.0/"]
                    .iter()
                    .any(|p| v.starts_with(p) && v.len() > p.len())
            {
                return Err(invalid(format!(
                    "CVSS vector: `{v}` is not a CVSS 3.0, 3.1 or 4.0 vector."
                )));
            }
            advisory.cvss_vector = vector;
        }
        Ok(())
    }

    fn checked_vulnerabilities(
        advisory: &Advisory,
        vulnerabilities: Vec<Vulnerability>,
    ) -> ServiceResult<Vec<Vulnerability>> {
        if vulnerabilities.is_empty() {
            return Err(invalid(
                "Affected versions: name at least one vulnerability.",
            ));
        }
        let ecosystem = advisory.ecosystem;
        let mut out = Vec::new();
        for (index, mut v) in vulnerabilities.into_iter().enumerate() {
            if v.package.ecosystem != ecosystem {
                return Err(invalid(format!(
                    "this advisory is on a package of the {ecosystem} ecosystem, not {}",
                    v.package.ecosystem
                )));
            }
            if v.package.name.trim().is_empty() {
                v.package.name.clone_from(&advisory.package_name);
            }
            // Each ecosystem's spellings of one name (NuGet's case, PyPI's
            // separators) name the package as stored.
            if canonical_name(ecosystem, &v.package.name)
                == canonical_name(ecosystem, &advisory.package_name)
            {
                v.package.name.clone_from(&advisory.package_name);
            }
            if v.package.name != advisory.package_name {
                return Err(invalid(format!(
                    "this advisory is on `{}`; vulnerabilities name that package",
                    advisory.package_name
                )));
            }
            v.vulnerable_version_range = v
                .vulnerable_version_range
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            v.patched_versions = v
                .patched_versions
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            check_range(
                ecosystem,
                v.vulnerable_version_range.as_deref(),
                v.patched_versions.as_deref(),
            )
            .map_err(|problem| invalid(format!("Affected range {}: {problem}", index + 1)))?;
            out.push(v);
        }
        Ok(out)
    }

    /// A package's advisories the caller may see: drafts too for its admins.
    pub async fn advisories_for_package(
        self,
        actor: &Actor,
        package: &Package,
    ) -> ServiceResult<Vec<Advisory>> {
        self.authorize_package(actor, Action::Read, package).await?;
        let admin = self.is_package_admin(actor, package).await?;
        let mut states = vec![AdvisoryState::Published, AdvisoryState::Withdrawn];
        if admin {
            states.push(AdvisoryState::Draft);
        }
        Ok(self
            .meta
            .list_advisories(&AdvisoryFilter {
                package_id: Some(package.id),
                states,
                ..AdvisoryFilter::default()
            })
            .await?)
    }

    /// Published (and withdrawn) advisories on packages the caller may
    /// read, newest first: the global list.
    pub async fn list_advisories(
        self,
        actor: &Actor,
        query: &AdvisoryQuery,
    ) -> ServiceResult<Vec<Advisory>> {
        Ok(self
            .readable_advisories(actor, query)
            .await?
            .into_iter()
            .map(|(advisory, _)| advisory)
            .collect())
    }

    /// The global list with each advisory's package.
    pub async fn readable_advisories(
        self,
        actor: &Actor,
        query: &AdvisoryQuery,
    ) -> ServiceResult<Vec<(Advisory, Package)>> {
        let filter = AdvisoryFilter {
            states: vec![AdvisoryState::Published, AdvisoryState::Withdrawn],
            ecosystem: query.ecosystem,
            package_names: query
                .affects
                .as_ref()
                .map(|(name, _)| vec![name.clone()])
                .unwrap_or_default(),
            ghsa_id: query.ghsa_id.clone(),
            cve_id: query.cve_id.clone(),
            severity: query.severity,
            package_id: None,
        };
        let mut readable: std::collections::HashMap<entrepot_core::Id, Option<Package>> =
            std::collections::HashMap::new();
        let mut out = Vec::new();
        for advisory in self.meta.list_advisories(&filter).await? {
            if let Some((_, Some(version))) = &query.affects
                && !advisory.affects(version)
            {
                continue;
            }
            let package = if let Some(known) = readable.get(&advisory.package_id) {
                known.clone()
            } else {
                let package = match self.advisory_package(&advisory).await? {
                    Some(package) if self.can_read(actor, &package).await? => Some(package),
                    _ => None,
                };
                readable.insert(advisory.package_id, package.clone());
                package
            };
            if let Some(package) = package {
                out.push((advisory, package));
            }
        }
        Ok(out)
    }

    /// The drafts awaiting review, newest first, each with its package: for
    /// site administrators, who publish them (anyone else is refused, 403).
    pub async fn drafts_to_review(self, actor: &Actor) -> ServiceResult<Vec<(Advisory, Package)>> {
        if !actor.is_site_admin() {
            return Err(ServiceError::Forbidden(
                "only site administrators review drafts".into(),
            ));
        }
        let drafts = self
            .meta
            .list_advisories(&AdvisoryFilter {
                states: vec![AdvisoryState::Draft],
                ..AdvisoryFilter::default()
            })
            .await?;
        let mut out = Vec::new();
        for advisory in drafts {
            let Some(package) = self.advisory_package(&advisory).await? else {
                continue;
            };
            match self.may_see_advisory(actor, &advisory, &package).await {
                Ok(()) => out.push((advisory, package)),
                Err(
                    ServiceError::NotFound(_)
                    | ServiceError::Unauthenticated
                    | ServiceError::Forbidden(_),
                ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Which live versions of `package` fall in each published advisory's
    /// ranges (withdrawn advisories affect nothing).
    pub async fn affected_versions(
        self,
        actor: &Actor,
        package: &Package,
    ) -> ServiceResult<Vec<(Advisory, Vec<Version>)>> {
        self.authorize_package(actor, Action::Read, package).await?;
        let advisories = self
            .meta
            .list_advisories(&AdvisoryFilter {
                package_id: Some(package.id),
                states: vec![AdvisoryState::Published],
                ..AdvisoryFilter::default()
            })
            .await?;
        // Most packages have none: then no version needs reading.
        if advisories.is_empty() {
            return Ok(Vec::new());
        }
        let versions = self.meta.versions(package.id, false).await?;
        Ok(advisories
            .into_iter()
            .map(|a| {
                let hit = versions
                    .iter()
                    .filter(|v| a.affects(&v.name))
                    .cloned()
                    .collect();
                (a, hit)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ghsa_ids_look_like_githubs() {
        let id = generate_ghsa_id();
        assert_eq!(id.len(), "GHSA-xxxx-xxxx-xxxx".len());
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(parts[0], "GHSA");
        for part in &parts[1..] {
            assert_eq!(part.len(), 4);
            assert!(part.bytes().all(|b| GHSA_ALPHABET.contains(&b)), "{id}");
        }
    }

    #[test]
    fn a_patched_version_may_not_fall_inside_its_own_range() {
        let npm = Ecosystem::Npm;
        assert_eq!(
            check_range(npm, Some(">= 1.0.0, < 1.0.1"), Some("1.0.0")),
            Err(
                "the first patched version `1.0.0` is inside the vulnerable range `>= 1.0.0, < 1.0.1`"
                    .into()
            )
        );
        assert!(check_range(npm, Some(">= 1.0.0, < 1.0.1"), Some("1.0.1")).is_ok());
        assert!(check_range(npm, Some("< 1.0.1"), Some("0.9.9, 1.0.1")).is_err());
        assert!(check_range(npm, Some("< 2.0.3"), Some("2.0.3, 1.0.5")).is_ok());
        // No range is every version: any patched version is allowed there.
        assert!(check_range(npm, None, Some("1.0.1")).is_ok());
    }

    #[test]
    fn range_errors_quote_what_was_typed() {
        assert_eq!(
            check_range(Ecosystem::Npm, Some("<< 1.0.1"), None),
            Err("`<< 1.0.1` is not an npm version range (such as `>= 1.0.0, < 1.0.1`)".into())
        );
        assert_eq!(
            check_range(Ecosystem::Rust, None, Some("banana")),
            Err("`banana` is not a rust version".into())
        );
    }

    #[test]
    fn affects_splits_on_the_last_at() {
        assert_eq!(
            AdvisoryQuery::parse_affects("@alice/lib@1.0.0"),
            ("@alice/lib".into(), Some("1.0.0".into()))
        );
        assert_eq!(
            AdvisoryQuery::parse_affects("@alice/lib"),
            ("@alice/lib".into(), None)
        );
        assert_eq!(
            AdvisoryQuery::parse_affects("lodash@4.17.20"),
            ("lodash".into(), Some("4.17.20".into()))
        );
    }
}

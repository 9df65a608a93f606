//! Trusted publishing: which CI identity may publish a package, decided
//! from the claims of the OpenID Connect token its CI provider signed, and
//! the narrow grant the registry then hands out instead of a stored secret.
//!
//! The claims are read the way GitHub Actions, GitLab CI and Forgejo/Gitea
//! Actions name them; any other issuer an administrator allows is read the
//! same way (`repository`, `job_workflow_ref`, `ref`, `environment`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Id, PackageType, Timestamp};

/// GitHub Actions' issuer, allowed unless the operator says otherwise.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// GitLab.com's issuer (self-managed GitLab is its own URL).
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
/// The longest value of a publisher's field, in characters.
pub const MAX_FIELD_CHARS: usize = 256;

/// What a package's owner declares: the CI identity that may publish it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherSpec {
    /// The token's `iss`, exactly.
    pub issuer: String,
    /// `OWNER/REPO` on the CI host (GitLab: the project's path).
    pub repository: String,
    /// The workflow's file name, e.g. `release.yml` (GitLab: the CI
    /// configuration's path, e.g. `.gitlab-ci.yml`). Any, when none.
    pub workflow: Option<String>,
    /// The Git ref, e.g. `refs/tags/v*` (a glob). Any, when none.
    pub git_ref: Option<String>,
    /// The deployment environment the job ran in. Any, when none.
    pub environment: Option<String>,
}

/// A trusted publisher as stored: the spec, for one package name (which
/// need not exist yet: its first version is then published this way).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publisher {
    pub id: Id,
    pub owner_id: Id,
    pub package_type: PackageType,
    pub name: String,
    #[serde(flatten)]
    pub spec: PublisherSpec,
    pub created_by: Option<Id>,
    pub created_at: Timestamp,
}

/// Why a token's claims do not match a publisher: the claim, what the
/// publisher expects and what the token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub claim: &'static str,
    pub expected: String,
    pub found: Option<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.found {
            Some(found) => write!(
                f,
                "the token's `{}` is `{found}`, the trusted publisher expects `{}`",
                self.claim, self.expected
            ),
            None => write!(
                f,
                "the token has no `{}` claim, the trusted publisher expects `{}`",
                self.claim, self.expected
            ),
        }
    }
}

impl PublisherSpec {
    /// Checks the spec's own shape: an `https` issuer (or `http` for a
    /// loopback test issuer is left to the operator's allow-list), a
    /// repository `OWNER/NAME`, fields without spaces.
    pub fn check(&self) -> Result<(), String> {
        if !(self.issuer.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err(format!(
                "the issuer `{}` is not an http(s) URL",
                self.issuer
            ));
        }
        if !self.repository.contains('/') {
            return Err(format!(
                "the repository `{}` is not of the form OWNER/NAME",
                self.repository
            ));
        }
        let fields = [
            ("issuer", Some(&self.issuer)),
            ("repository", Some(&self.repository)),
            ("workflow", self.workflow.as_ref()),
            ("ref", self.git_ref.as_ref()),
            ("environment", self.environment.as_ref()),
        ];
        for (field, value) in fields {
            let Some(value) = value else { continue };
            if value.is_empty()
                || value.chars().count() > MAX_FIELD_CHARS
                || value.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(format!(
                    "the {field} must be 1 to {MAX_FIELD_CHARS} characters without spaces"
                ));
            }
        }
        Ok(())
    }

    /// Whether a token's `claims` (already verified: signature, issuer,
    /// audience, expiry) name this publisher; the first claim that does
    /// not, when they do not.
    pub fn matches(&self, claims: &Map<String, Value>) -> Result<(), Mismatch> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        let repository = text("repository").or_else(|| text("project_path"));
        if !repository.is_some_and(|r| r.eq_ignore_ascii_case(&self.repository)) {
            return Err(Mismatch {
                claim: "repository",
                expected: self.repository.clone(),
                found: repository.map(str::to_owned),
            });
        }
        if let Some(expected) = &self.workflow {
            let found = workflow_of(claims);
            if found.as_deref() != Some(expected.as_str()) {
                return Err(Mismatch {
                    claim: "workflow",
                    expected: expected.clone(),
                    found,
                });
            }
        }
        if let Some(expected) = &self.git_ref {
            let found = text("ref");
            if !found.is_some_and(|r| crate::names::glob(expected, r)) {
                return Err(Mismatch {
                    claim: "ref",
                    expected: expected.clone(),
                    found: found.map(str::to_owned),
                });
            }
        }
        if let Some(expected) = &self.environment {
            let found = text("environment");
            if !found.is_some_and(|e| e.eq_ignore_ascii_case(expected)) {
                return Err(Mismatch {
                    claim: "environment",
                    expected: expected.clone(),
                    found: found.map(str::to_owned),
                });
            }
        }
        Ok(())
    }
}

/// The workflow a token was minted for: the file name in GitHub's and
/// Forgejo's `job_workflow_ref` (`OWNER/REPO/.github/workflows/F@REF`, a
/// reusable workflow's own file), else `workflow_ref`; GitLab's CI
/// configuration path from `ci_config_ref_uri` (`HOST/PATH//FILE@REF`).
pub fn workflow_of(claims: &Map<String, Value>) -> Option<String> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if let Some(reference) = text("job_workflow_ref").or_else(|| text("workflow_ref")) {
        let path = reference.split('@').next()?;
        return path.rsplit('/').next().map(str::to_owned);
    }
    let uri = text("ci_config_ref_uri")?;
    let path = uri.split('@').next()?;
    path.split_once("//").map(|(_, file)| file.to_owned())
}

/// A one-line description of the CI run a token came from, for the audit
/// log and the version's page: `REPO, WORKFLOW @ REF (ENVIRONMENT)`.
pub fn describe_run(issuer: &str, claims: &Map<String, Value>) -> String {
    use std::fmt::Write as _;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let mut out = text("repository")
        .or_else(|| text("project_path"))
        .unwrap_or("?")
        .to_owned();
    if let Some(workflow) = workflow_of(claims) {
        let _ = write!(out, ", {workflow}");
    }
    if let Some(r) = text("ref") {
        let _ = write!(out, " @ {r}");
    }
    if let Some(e) = text("environment") {
        let _ = write!(out, " ({e})");
    }
    let _ = write!(out, " via {issuer}");
    out
}

/// One package a grant covers, named whether or not it exists yet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GrantedPackage {
    pub owner_id: Id,
    pub package_type: PackageType,
    pub name: String,
}

/// What a bounded token reaches: the packages it names, every package of
/// the owners it names, and the packages in or connected to the
/// repositories it names; public packages stay readable as to anyone.
///
/// A token minted by trusted publishing names its packages and its CI run
/// (`via`), and may only read and publish them. A narrow token, which its
/// owner (or, for an organization's robot, an owner of the organization)
/// made, may do whatever its scopes allow within what it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<GrantedPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repositories: Vec<Id>,
    /// `describe_run` of the CI run a minted token came from; empty for a
    /// narrow token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub via: String,
}

/// A package (existing or about to be created) as a grant is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub owner_id: Id,
    pub package_type: PackageType,
    pub name: &'a str,
    /// The repository it lives in or is connected to.
    pub repository_id: Option<Id>,
}

impl Grant {
    /// Minted by trusted publishing, not made by a person.
    pub fn is_minted(&self) -> bool {
        !self.via.is_empty()
    }

    /// Whether the grant names the package. Names are compared in their
    /// format's canonical form (`FormatSpec::canonical_name`), in which
    /// the grant keeps them and the caller gives `name`.
    pub fn covers(&self, owner_id: Id, package_type: PackageType, name: &str) -> bool {
        self.packages
            .iter()
            .any(|p| p.owner_id == owner_id && p.package_type == package_type && p.name == name)
    }

    /// Whether the grant reaches `target` at all.
    pub fn reaches(&self, target: &Target<'_>) -> bool {
        self.owners.contains(&target.owner_id)
            || target
                .repository_id
                .is_some_and(|r| self.repositories.contains(&r))
            || self.covers(target.owner_id, target.package_type, target.name)
    }

    /// Whether the grant lets its token do `action` to `target` (the rule
    /// and the token's scopes decide the rest).
    pub fn permits(&self, action: crate::Action, target: &Target<'_>) -> bool {
        let allowed = !self.is_minted()
            || matches!(
                action,
                crate::Action::Read | crate::Action::Create | crate::Action::Publish
            );
        allowed && self.reaches(target)
    }

    /// Whether it reaches every package of `owner`.
    pub fn whole_owner(&self, owner: Id) -> bool {
        self.owners.contains(&owner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> PublisherSpec {
        PublisherSpec {
            issuer: GITHUB_ISSUER.into(),
            repository: "acme/widget".into(),
            workflow: Some("release.yml".into()),
            git_ref: Some("refs/tags/v*".into()),
            environment: Some("production".into()),
        }
    }

    fn github(overrides: &Value) -> Map<String, Value> {
        let mut claims = json!({
            "repository": "acme/widget",
            "job_workflow_ref": "acme/widget/.github/workflows/release.yml@refs/tags/v1.2.0",
            "ref": "refs/tags/v1.2.0",
            "environment": "production",
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims.as_object().unwrap().clone()
    }

    #[test]
    fn a_github_token_from_the_declared_run_matches() {
        assert_eq!(spec().matches(&github(&json!({}))), Ok(()));
    }

    #[test]
    fn each_claim_that_differs_is_named() {
        let cases = [
            (json!({"repository": "mallory/widget"}), "repository"),
            (
                json!({"job_workflow_ref": "acme/widget/.github/workflows/ci.yml@refs/heads/main"}),
                "workflow",
            ),
            (json!({"ref": "refs/heads/main"}), "ref"),
            (json!({"environment": "staging"}), "environment"),
        ];
        for (overrides, claim) in cases {
            let mismatch = spec().matches(&github(&overrides)).unwrap_err();
            assert_eq!(mismatch.claim, claim, "{overrides}");
            assert!(mismatch.to_string().contains(claim));
        }
        let mut claims = github(&json!({}));
        claims.remove("environment");
        let mismatch = spec().matches(&claims).unwrap_err();
        assert_eq!(
            mismatch.to_string(),
            "the token has no `environment` claim, the trusted publisher expects `production`"
        );
    }

    #[test]
    fn unset_fields_match_any_run_of_the_repository() {
        let loose = PublisherSpec {
            workflow: None,
            git_ref: None,
            environment: None,
            ..spec()
        };
        let claims = github(&json!({"ref": "refs/heads/dev", "environment": "x"}));
        assert_eq!(loose.matches(&claims), Ok(()));
        assert_eq!(
            loose.matches(&github(&json!({"repository": "ACME/Widget"}))),
            Ok(())
        );
    }

    #[test]
    fn gitlab_claims_are_read_by_their_names() {
        let spec = PublisherSpec {
            issuer: GITLAB_ISSUER.into(),
            repository: "group/project".into(),
            workflow: Some(".gitlab-ci.yml".into()),
            git_ref: None,
            environment: None,
        };
        let claims = json!({
            "project_path": "group/project",
            "ci_config_ref_uri": "gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main",
        });
        assert_eq!(spec.matches(claims.as_object().unwrap()), Ok(()));
        assert_eq!(
            describe_run(GITLAB_ISSUER, claims.as_object().unwrap()),
            "group/project, .gitlab-ci.yml via https://gitlab.com"
        );
    }

    #[test]
    fn a_spec_is_checked_before_it_is_kept() {
        assert_eq!(spec().check(), Ok(()));
        let bad = [
            PublisherSpec {
                issuer: "token.actions.githubusercontent.com".into(),
                ..spec()
            },
            PublisherSpec {
                repository: "widget".into(),
                ..spec()
            },
            PublisherSpec {
                workflow: Some("release yml".into()),
                ..spec()
            },
        ];
        for spec in bad {
            assert!(spec.check().is_err(), "{spec:?}");
        }
    }

    fn widget() -> Grant {
        Grant {
            packages: vec![GrantedPackage {
                owner_id: 1,
                package_type: PackageType::Npm,
                name: "widget".into(),
            }],
            owners: Vec::new(),
            repositories: Vec::new(),
            via: String::new(),
        }
    }

    fn target(owner_id: Id, name: &str, repository_id: Option<Id>) -> Target<'_> {
        Target {
            owner_id,
            package_type: PackageType::Npm,
            name,
            repository_id,
        }
    }

    #[test]
    fn a_grant_covers_only_its_packages() {
        let grant = widget();
        assert!(grant.covers(1, PackageType::Npm, "widget"));
        assert!(!grant.covers(2, PackageType::Npm, "widget"));
        assert!(!grant.covers(1, PackageType::Pypi, "widget"));
        assert!(!grant.covers(1, PackageType::Npm, "widget2"));
    }

    #[test]
    fn a_narrow_grant_reaches_its_owners_repositories_and_packages() {
        let grant = Grant {
            owners: vec![7],
            repositories: vec![30],
            ..widget()
        };
        assert!(grant.reaches(&target(7, "anything", None)));
        assert!(grant.reaches(&target(2, "gadget", Some(30))));
        assert!(grant.reaches(&target(1, "widget", None)));
        assert!(!grant.reaches(&target(2, "gadget", Some(31))));
        assert!(!grant.reaches(&target(1, "gadget", None)));
        assert!(grant.whole_owner(7) && !grant.whole_owner(1));
    }

    #[test]
    fn a_minted_grant_only_reads_and_publishes() {
        use crate::Action;
        let narrow = widget();
        let minted = Grant {
            via: "acme/widget via https://ci.example".into(),
            ..widget()
        };
        let it = target(1, "widget", None);
        for action in [Action::Read, Action::Create, Action::Publish] {
            assert!(minted.permits(action, &it) && narrow.permits(action, &it));
        }
        for action in [Action::Delete, Action::Restore, Action::Manage] {
            assert!(!minted.permits(action, &it), "{action:?}");
            assert!(narrow.permits(action, &it), "{action:?}");
        }
        assert!(!narrow.permits(Action::Read, &target(1, "other", None)));
    }
}

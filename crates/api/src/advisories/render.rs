//! Renders an advisory as GitHub's `global-advisory` or
//! `repository-advisory` model, looking up the users it names.

use entrepot_core::{Account, Advisory, Package, Severity, Vulnerability};
use entrepot_http::AppState;

use crate::model::advisory::{
    Credit, Cvss, Cwe, DetailedCredit, GlobalAdvisory, GlobalCredit, GlobalVulnerability,
    Identifier, RepositoryAdvisory, RepositoryVulnerability, VulnerablePackage,
};
use crate::model::iso;
use crate::model::user::SimpleUser;
use crate::shared::{UnprocessableResult as Result, client_name};

/// What the renderers need beside the advisory.
pub(super) struct Context<'a> {
    pub(super) state: &'a AppState,
    pub(super) package: &'a Package,
}

impl Context<'_> {
    fn package(&self, v: &Vulnerability) -> VulnerablePackage {
        VulnerablePackage {
            ecosystem: v.package.ecosystem.as_str(),
            name: if v.package.name == self.package.name {
                client_name(self.state, self.package)
            } else {
                v.package.name.clone()
            },
        }
    }

    async fn user(&self, id: Option<i64>) -> Result<Option<SimpleUser>> {
        Ok(match id {
            Some(id) => self
                .state
                .registry
                .accounts()
                .account_by_id(id)
                .await?
                .map(|a| SimpleUser::new(&self.state.config, &a)),
            None => None,
        })
    }

    async fn credit_users(&self, advisory: &Advisory) -> Result<Vec<(Account, String)>> {
        let mut out = Vec::new();
        for credit in &advisory.credits {
            if let Some(a) = self
                .state
                .registry
                .accounts()
                .account_by_login(&credit.login)
                .await?
            {
                out.push((a, credit.credit_type.clone()));
            }
        }
        Ok(out)
    }

    async fn repository_path(&self) -> Result<Option<String>> {
        Ok(match self.package.repository_id {
            Some(id) => self
                .state
                .registry
                .accounts()
                .repository_by_id(id)
                .await?
                .map(|r| r.full_name()),
            None => None,
        })
    }

    /// GitHub's `global-advisory`.
    pub(super) async fn global(&self, advisory: &Advisory) -> Result<GlobalAdvisory> {
        let config = &self.state.config;
        let repo = self.repository_path().await?;
        let credits = self
            .credit_users(advisory)
            .await?
            .into_iter()
            .map(|(a, kind)| GlobalCredit {
                user: SimpleUser::new(config, &a),
                kind,
            })
            .collect();
        let vulnerabilities = advisory
            .vulnerabilities
            .iter()
            .map(|v| GlobalVulnerability {
                package: self.package(v),
                vulnerable_version_range: v.vulnerable_version_range.clone(),
                first_patched_version: v.first_patched_version().map(str::to_owned),
                vulnerable_functions: v.vulnerable_functions.clone(),
            })
            .collect();
        let published = advisory.published_at.unwrap_or(advisory.created_at);
        Ok(GlobalAdvisory {
            ghsa_id: advisory.ghsa_id.clone(),
            cve_id: advisory.cve_id.clone(),
            url: config.url(&format!("/api/v3/advisories/{}", advisory.ghsa_id)),
            html_url: config.url(&format!("/advisories/{}", advisory.ghsa_id)),
            repository_advisory_url: repo.as_ref().map(|r| {
                config.url(&format!(
                    "/api/v3/repos/{r}/security-advisories/{}",
                    advisory.ghsa_id
                ))
            }),
            summary: advisory.summary.clone(),
            description: advisory.description.clone(),
            kind: "reviewed",
            severity: advisory.severity.map_or("unknown", Severity::as_str),
            source_code_location: repo.as_ref().map(|r| config.url(&format!("/{r}"))),
            identifiers: Identifier::of(advisory),
            references: Vec::new(),
            published_at: iso(&published),
            updated_at: iso(&advisory.updated_at),
            github_reviewed_at: advisory.published_at.as_ref().map(iso),
            nvd_published_at: None,
            withdrawn_at: advisory.withdrawn_at.as_ref().map(iso),
            vulnerabilities,
            cvss: Cvss::of(advisory),
            cwes: Cwe::of(advisory),
            credits,
        })
    }

    /// GitHub's `repository-advisory`; `base` is the API URL of the list
    /// it belongs to.
    pub(super) async fn repository(
        &self,
        advisory: &Advisory,
        base: &str,
    ) -> Result<RepositoryAdvisory> {
        let config = &self.state.config;
        let credits_detailed = self
            .credit_users(advisory)
            .await?
            .into_iter()
            .map(|(a, kind)| DetailedCredit {
                user: SimpleUser::new(config, &a),
                kind,
                state: "accepted",
            })
            .collect();
        let vulnerabilities = advisory
            .vulnerabilities
            .iter()
            .map(|v| RepositoryVulnerability {
                package: self.package(v),
                vulnerable_version_range: v.vulnerable_version_range.clone(),
                patched_versions: v.patched_versions.clone(),
                vulnerable_functions: v.vulnerable_functions.clone(),
            })
            .collect();
        Ok(RepositoryAdvisory {
            ghsa_id: advisory.ghsa_id.clone(),
            cve_id: advisory.cve_id.clone(),
            url: format!("{base}/{}", advisory.ghsa_id),
            html_url: config.url(&format!("/advisories/{}", advisory.ghsa_id)),
            summary: advisory.summary.clone(),
            description: advisory.description.clone(),
            severity: advisory.severity.map(Severity::as_str),
            author: self.user(advisory.author_id).await?,
            publisher: self.user(advisory.publisher_id).await?,
            identifiers: Identifier::of(advisory),
            state: advisory.state.as_str(),
            created_at: iso(&advisory.created_at),
            updated_at: iso(&advisory.updated_at),
            published_at: advisory.published_at.as_ref().map(iso),
            closed_at: None,
            withdrawn_at: advisory.withdrawn_at.as_ref().map(iso),
            submission: None,
            vulnerabilities,
            cvss: Cvss::of(advisory),
            cwes: Cwe::of(advisory),
            cwe_ids: advisory.cwe_ids.clone(),
            credits: advisory
                .credits
                .iter()
                .map(|c| Credit {
                    login: c.login.clone(),
                    kind: c.credit_type.clone(),
                })
                .collect(),
            credits_detailed,
            collaborating_users: Vec::new(),
            collaborating_teams: Vec::new(),
            private_fork: None,
        })
    }
}

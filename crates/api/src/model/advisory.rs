//! GitHub's advisory shapes: `global-advisory` (`/advisories`) and
//! `repository-advisory` (a repository's or a package's advisories), with
//! the parts they share (identifiers, CVSS, CWEs, the vulnerable package).

use entrepot_core::Advisory;
use serde::Serialize;
use serde_json::Value;

use super::user::SimpleUser;

/// One of an advisory's `identifiers`: its GHSA id, and its CVE id if any.
#[derive(Debug, Serialize)]
pub struct Identifier {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

impl Identifier {
    /// The GHSA id, then the CVE id if any.
    pub fn of(advisory: &Advisory) -> Vec<Identifier> {
        let mut ids = vec![Identifier {
            kind: "GHSA",
            value: advisory.ghsa_id.clone(),
        }];
        if let Some(cve) = &advisory.cve_id {
            ids.push(Identifier {
                kind: "CVE",
                value: cve.clone(),
            });
        }
        ids
    }
}

/// An advisory's `cvss`: the vector as given. No score is computed from a
/// vector (see docs/advisories.md), so `score` is `null`.
#[derive(Debug, Serialize)]
pub struct Cvss {
    pub vector_string: Option<String>,
    pub score: Option<f64>,
}

impl Cvss {
    pub fn of(advisory: &Advisory) -> Self {
        Cvss {
            vector_string: advisory.cvss_vector.clone(),
            score: None,
        }
    }
}

/// One of an advisory's `cwes`. CWE names are not looked up; the id
/// stands in for the name.
#[derive(Debug, Serialize)]
pub struct Cwe {
    pub cwe_id: String,
    pub name: String,
}

impl Cwe {
    pub fn of(advisory: &Advisory) -> Vec<Cwe> {
        advisory
            .cwe_ids
            .iter()
            .map(|id| Cwe {
                cwe_id: id.clone(),
                name: id.clone(),
            })
            .collect()
    }
}

/// The package of a vulnerability, by the name its clients know.
#[derive(Debug, Serialize)]
pub struct VulnerablePackage {
    pub ecosystem: &'static str,
    pub name: String,
}

/// A vulnerability of a `global-advisory`.
#[derive(Debug, Serialize)]
pub struct GlobalVulnerability {
    pub package: VulnerablePackage,
    pub vulnerable_version_range: Option<String>,
    pub first_patched_version: Option<String>,
    pub vulnerable_functions: Vec<String>,
}

/// A credited user of a `global-advisory`.
#[derive(Debug, Serialize)]
pub struct GlobalCredit {
    pub user: SimpleUser,
    #[serde(rename = "type")]
    pub kind: String,
}

/// GitHub's `global-advisory`.
#[derive(Debug, Serialize)]
pub struct GlobalAdvisory {
    pub ghsa_id: String,
    pub cve_id: Option<String>,
    pub url: String,
    pub html_url: String,
    pub repository_advisory_url: Option<String>,
    pub summary: String,
    pub description: String,
    /// Always `reviewed`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `unknown` when none is set.
    pub severity: &'static str,
    pub source_code_location: Option<String>,
    pub identifiers: Vec<Identifier>,
    /// Always empty.
    pub references: Vec<String>,
    pub published_at: String,
    pub updated_at: String,
    pub github_reviewed_at: Option<String>,
    /// Always `null`: the NVD is not consulted.
    pub nvd_published_at: Option<String>,
    pub withdrawn_at: Option<String>,
    pub vulnerabilities: Vec<GlobalVulnerability>,
    pub cvss: Cvss,
    pub cwes: Vec<Cwe>,
    pub credits: Vec<GlobalCredit>,
}

/// A vulnerability of a `repository-advisory`.
#[derive(Debug, Serialize)]
pub struct RepositoryVulnerability {
    pub package: VulnerablePackage,
    pub vulnerable_version_range: Option<String>,
    pub patched_versions: Option<String>,
    pub vulnerable_functions: Vec<String>,
}

/// A credit of a `repository-advisory`, by login.
#[derive(Debug, Serialize)]
pub struct Credit {
    pub login: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A credit of a `repository-advisory`, with the user; always accepted.
#[derive(Debug, Serialize)]
pub struct DetailedCredit {
    pub user: SimpleUser,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: &'static str,
}

/// GitHub's `repository-advisory`.
#[derive(Debug, Serialize)]
pub struct RepositoryAdvisory {
    pub ghsa_id: String,
    pub cve_id: Option<String>,
    pub url: String,
    pub html_url: String,
    pub summary: String,
    pub description: String,
    pub severity: Option<&'static str>,
    pub author: Option<SimpleUser>,
    pub publisher: Option<SimpleUser>,
    pub identifiers: Vec<Identifier>,
    pub state: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    /// Always `null`: `closed` reads as withdrawn.
    pub closed_at: Option<String>,
    pub withdrawn_at: Option<String>,
    /// Always `null`: there is no private reporting.
    pub submission: Option<Value>,
    pub vulnerabilities: Vec<RepositoryVulnerability>,
    pub cvss: Cvss,
    pub cwes: Vec<Cwe>,
    pub cwe_ids: Vec<String>,
    pub credits: Vec<Credit>,
    pub credits_detailed: Vec<DetailedCredit>,
    /// Always empty: there are no collaborators beyond the package's.
    pub collaborating_users: Vec<SimpleUser>,
    /// Always empty: there are no teams.
    pub collaborating_teams: Vec<Value>,
    /// Always `null`: there are no private forks.
    pub private_fork: Option<Value>,
}

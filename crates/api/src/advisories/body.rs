//! The request bodies of the advisory endpoints (GitHub's
//! `repository-advisory-create` and `repository-advisory-update`), read
//! into the service's changes.

use entrepot_core::{
    AdvisoryPackage, AdvisoryState, Credit, Ecosystem, Package, Severity, Vulnerability,
};
use entrepot_http::AppState;
use entrepot_service::advisories::AdvisoryChanges;
use serde::Deserialize;

use crate::shared::{UnprocessableResult as Result, unprocessable as invalid};

/// Reads a client's package name back to the stored one.
fn stored_name(state: &AppState, package: &Package, name: &str) -> String {
    state
        .format(package.package_type)
        .map_or_else(|| name.to_owned(), |f| f.stored_name(package, name))
}

/// The bodies of `POST` and `PATCH`, as GitHub's
/// `repository-advisory-create` and `repository-advisory-update`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    clippy::option_option,
    reason = "absent leaves a field alone, null clears it, as the service reads them"
)]
pub(super) struct AdvisoryBody {
    summary: Option<String>,
    description: Option<String>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    cve_id: Option<Option<String>>,
    pub(super) vulnerabilities: Option<Vec<VulnerabilityBody>>,
    cwe_ids: Option<Vec<String>>,
    credits: Option<Vec<Credit>>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    severity: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::shared::some")]
    cvss_vector_string: Option<Option<String>>,
    state: Option<String>,
    /// GitHub's; accepted and ignored.
    start_private_fork: Option<bool>,
    collaborating_users: Option<Vec<String>>,
    collaborating_teams: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct VulnerabilityBody {
    pub(super) package: PackageBody,
    vulnerable_version_range: Option<String>,
    patched_versions: Option<String>,
    #[serde(default)]
    vulnerable_functions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PackageBody {
    pub(super) ecosystem: String,
    pub(super) name: Option<String>,
}

pub(super) fn parse_body(body: &[u8]) -> Result<AdvisoryBody> {
    serde_json::from_slice(body).map_err(|e| invalid(format!("Problems parsing JSON: {e}")))
}

fn state_of(text: &str) -> Result<AdvisoryState> {
    Ok(match text {
        "draft" | "triage" => AdvisoryState::Draft,
        "published" => AdvisoryState::Published,
        "withdrawn" | "closed" => AdvisoryState::Withdrawn,
        other => {
            return Err(invalid(format!(
                "`{other}` is not a state: use draft, published or withdrawn (closed reads as withdrawn)"
            )));
        }
    })
}

impl AdvisoryBody {
    /// The changes the body asks for on `package`.
    pub(super) fn changes(self, state: &AppState, package: &Package) -> Result<AdvisoryChanges> {
        let _ = (
            self.start_private_fork,
            self.collaborating_users,
            self.collaborating_teams,
        );
        let vulnerabilities = match self.vulnerabilities {
            None => None,
            Some(list) => {
                let mut out = Vec::new();
                for v in list {
                    let ecosystem: Ecosystem = v.package.ecosystem.parse().map_err(|_| {
                        invalid(format!(
                            "`{}` is not an ecosystem Entrepot serves",
                            v.package.ecosystem
                        ))
                    })?;
                    out.push(Vulnerability {
                        package: AdvisoryPackage {
                            ecosystem,
                            name: stored_name(
                                state,
                                package,
                                v.package.name.as_deref().unwrap_or(""),
                            ),
                        },
                        vulnerable_version_range: v.vulnerable_version_range,
                        patched_versions: v.patched_versions,
                        vulnerable_functions: v.vulnerable_functions.unwrap_or_default(),
                    });
                }
                Some(out)
            }
        };
        let severity = match self.severity {
            None => None,
            Some(None) => Some(None),
            Some(Some(s)) => Some(Some(
                s.parse::<Severity>()
                    .map_err(|_| invalid(format!("`{s}` is not a severity")))?,
            )),
        };
        Ok(AdvisoryChanges {
            summary: self.summary,
            description: self.description,
            cve_id: self.cve_id,
            vulnerabilities,
            cwe_ids: self.cwe_ids,
            credits: self.credits,
            severity,
            cvss_vector_string: self.cvss_vector_string,
            state: self.state.as_deref().map(state_of).transpose()?,
        })
    }
}

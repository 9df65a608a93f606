//! Advisories on the web: an advisory's own page (`/advisories/GHSA-…`, the
//! `html_url` the REST API and OSV documents point at), and the warnings a
//! package page shows on affected versions, pointing at the fix of the
//! range that covers the version shown.

use std::cmp::Ordering;

use axum::extract::{Path, State};
use axum::response::Response;
use entrepot_core::advisory::{affects, compare};
use entrepot_core::{Actor, AdvisoryState, Ecosystem, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::Serialize;

use crate::session::Viewer;
use crate::{day, display_name, not_found, package_path, page, render, server_error};

/// An advisory as the package page lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AdvisoryRow {
    pub ghsa_id: String,
    pub summary: String,
    pub severity: Option<&'static str>,
    pub state: &'static str,
    /// Each affected range's first patched version, in order and once
    /// each: the side column's "fixed in".
    pub fixed: Vec<String>,
    /// The affected versions, by name.
    #[serde(skip)]
    pub affected: Vec<String>,
    /// Each affected range (`None`: every version) and its first patched
    /// version.
    #[serde(skip)]
    ranges: Vec<(Option<String>, Option<String>)>,
    #[serde(skip)]
    ecosystem: Ecosystem,
    /// Of the patched versions, those published here (a banner links them).
    #[serde(skip)]
    fixed_here: Vec<String>,
}

/// The banner on a version an advisory affects.
#[derive(Debug, Serialize)]
pub(crate) struct Banner<'a> {
    ghsa_id: &'a str,
    summary: &'a str,
    severity: Option<&'static str>,
    /// The version to upgrade to, if one is known.
    fixed: Option<&'a str>,
    /// Whether it is published here (the banner links to it).
    fixed_here: bool,
}

impl AdvisoryRow {
    /// The fix for `version`, from the ranges that cover it (as the format
    /// orders versions): the highest of their first patched versions, so
    /// that it leaves every one of them; none if one has no fix.
    fn fix_for(&self, version: &str) -> Option<&str> {
        let mut fix: Option<&str> = None;
        for (range, patched) in &self.ranges {
            if !range
                .as_deref()
                .is_none_or(|r| affects(self.ecosystem, r, version))
            {
                continue;
            }
            let patched = patched.as_deref()?;
            fix = match fix {
                Some(f) if compare(self.ecosystem, f, patched) != Some(Ordering::Less) => Some(f),
                _ => Some(patched),
            };
        }
        fix
    }

    /// The banner this advisory puts on `version` (one it affects).
    pub(crate) fn banner(&self, version: &str) -> Banner<'_> {
        let fixed = self.fix_for(version);
        Banner {
            ghsa_id: &self.ghsa_id,
            summary: &self.summary,
            severity: self.severity,
            fixed,
            fixed_here: fixed.is_some_and(|f| self.fixed_here.iter().any(|h| h == f)),
        }
    }
}

/// The published advisories on `package` the viewer may read, with the
/// versions each affects.
pub(crate) async fn package_advisories(
    state: &AppState,
    actor: &Actor,
    package: &Package,
) -> Result<Vec<AdvisoryRow>, ServiceError> {
    let affected = match state
        .registry
        .advisories()
        .affected_versions(actor, package)
        .await
    {
        Ok(a) => a,
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut rows = Vec::with_capacity(affected.len());
    for (advisory, hit) in affected {
        let ranges: Vec<(Option<String>, Option<String>)> = advisory
            .vulnerabilities
            .iter()
            .map(|v| {
                (
                    v.vulnerable_version_range.clone(),
                    v.first_patched_version().map(str::to_owned),
                )
            })
            .collect();
        let mut fixed: Vec<String> = Vec::new();
        for patched in ranges.iter().filter_map(|(_, p)| p.as_ref()) {
            if !fixed.contains(patched) {
                fixed.push(patched.clone());
            }
        }
        let mut fixed_here = Vec::new();
        for f in &fixed {
            if state
                .registry
                .packages()
                .version(package.id, f)
                .await?
                .is_some_and(|v| v.deleted_at.is_none())
            {
                fixed_here.push(f.clone());
            }
        }
        rows.push(AdvisoryRow {
            fixed_here,
            fixed,
            ranges,
            ecosystem: advisory.ecosystem,
            ghsa_id: advisory.ghsa_id,
            summary: advisory.summary,
            severity: advisory.severity.map(entrepot_core::Severity::as_str),
            state: advisory.state.as_str(),
            affected: hit.into_iter().map(|v| v.name).collect(),
        });
    }
    Ok(rows)
}

/// `GET /advisories/{ghsa_id}`.
pub(crate) async fn advisory_page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(ghsa_id): Path<String>,
) -> Response {
    let registry = &state.registry;
    let (advisory, package) = match registry
        .advisories()
        .advisory(&viewer.actor, &ghsa_id)
        .await
    {
        Ok(found) => found,
        Err(ServiceError::NotFound(_) | ServiceError::Unauthenticated) => {
            return not_found(&viewer);
        }
        Err(e) => return server_error(&e),
    };
    let rendered = async {
        let owner = registry
            .accounts().account_by_id(package.owner_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("Not Found"))?;
        let publisher = match advisory.publisher_id {
            Some(id) => registry.accounts().account_by_id(id).await?.map(|a| a.login),
            None => None,
        };
        let versions = registry.packages().versions(package.id, false).await?;
        let affected: Vec<String> = if advisory.state == AdvisoryState::Withdrawn {
            Vec::new()
        } else {
            versions
                .iter()
                .filter(|v| advisory.affects(&v.name))
                .map(|v| v.name.clone())
                .collect()
        };
        let description = render::html(advisory.description.clone(), None).await?;
        let mut credits = Vec::new();
        for c in &advisory.credits {
            credits.push(context! { login => c.login, kind => c.credit_type.replace('_', " ") });
        }
        Ok::<_, ServiceError>(context! {
            advisory => context! {
                ghsa_id => advisory.ghsa_id,
                cve_id => advisory.cve_id,
                summary => advisory.summary,
                severity => advisory.severity.map(entrepot_core::Severity::as_str),
                cvss_vector => advisory.cvss_vector,
                cwe_ids => advisory.cwe_ids,
                state => advisory.state.as_str(),
                published => advisory.published_at.as_ref().map(day),
                publisher => publisher,
                withdrawn => advisory.withdrawn_at.as_ref().map(day),
                updated => day(&advisory.updated_at),
                vulnerabilities => advisory.vulnerabilities.iter().map(|v| context! {
                    range => v.vulnerable_version_range.clone().unwrap_or_else(|| "every version".into()),
                    patched => v.patched_versions,
                }).collect::<Vec<_>>(),
                credits => credits,
            },
            description => &*description,
            package => context! {
                display_name => display_name(&state, &package),
                url => package_path(&owner, &package),
                ecosystem => advisory.ecosystem.as_str(),
            },
            affected => affected,
        })
    }
    .await;
    match rendered {
        Ok(ctx) => page(&viewer, "advisory.html", ctx),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

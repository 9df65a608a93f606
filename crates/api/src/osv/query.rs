//! Reads osv.dev's queries (by name and ecosystem, by purl, or by commit)
//! and matches them against an index of the caller's readable published
//! advisories.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use entrepot_core::osv::{self, canonical_name, ecosystem_from_label};
use entrepot_core::{Account, Actor, Advisory, AdvisoryState, Ecosystem, Id, Package, Version};
use entrepot_http::AppState;
use entrepot_service::advisories::AdvisoryQuery;
use serde::Deserialize;
use serde_json::Value;

use super::document::{document, package_facts};
use super::error::{OsvError, Result};
use crate::shared::client_name;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PackageRef {
    name: Option<String>,
    ecosystem: Option<String>,
    purl: Option<String>,
}

/// One query, as `/v1/query` takes it and `/v1/querybatch` lists them.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub(super) struct Query {
    package: Option<PackageRef>,
    version: Option<String>,
    commit: Option<String>,
    #[allow(dead_code)] // Accepted: one page holds every answer.
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Batch {
    pub(super) queries: Vec<Query>,
}

/// What a query asks about, read: ecosystems (all when it names none), a
/// canonical name, and a version if any. `None` for a commit query, which
/// no advisory here can match.
pub(super) struct Wanted {
    ecosystems: Vec<Ecosystem>,
    name: String,
    version: Option<String>,
}

pub(super) fn read_query(q: Query) -> Result<Option<Wanted>> {
    let package = q.package.unwrap_or_default();
    if let Some(purl) = package.purl.as_deref().filter(|p| !p.is_empty()) {
        if package.name.is_some() || package.ecosystem.is_some() {
            return Err(OsvError::invalid(
                "name/ecosystem specified in a purl query",
            ));
        }
        let Some((ecosystem, name, purl_version)) = osv::parse_purl(purl) else {
            return Err(OsvError::invalid(format!(
                "`{purl}` is not a purl this server reads"
            )));
        };
        if purl_version.is_some() && q.version.is_some() {
            return Err(OsvError::invalid(
                "version specified in params and purl query",
            ));
        }
        return Ok(Some(Wanted {
            ecosystems: vec![ecosystem],
            name: canonical_name(ecosystem, &name),
            version: purl_version.or(q.version),
        }));
    }
    let Some(name) = package.name.filter(|n| !n.trim().is_empty()) else {
        if q.commit.is_some() {
            return Ok(None);
        }
        return Err(OsvError::invalid(
            "Invalid query: a package name, a purl or a commit is required",
        ));
    };
    let ecosystems = match package.ecosystem.as_deref().filter(|e| !e.is_empty()) {
        Some(label) => match ecosystem_from_label(label) {
            Some(e) => vec![e],
            // An ecosystem nothing here publishes in has no advisories here.
            None => Vec::new(),
        },
        None => osv::ECOSYSTEMS.to_vec(),
    };
    Ok(Some(Wanted {
        name,
        ecosystems,
        version: q.version.filter(|v| !v.trim().is_empty()),
    }))
}

/// The readable published advisories, keyed by ecosystem and canonical
/// package name, read once per request.
pub(super) struct Index<'a> {
    state: &'a AppState,
    by_name: HashMap<(Ecosystem, String), Vec<(Advisory, Package)>>,
    packages: HashMap<Id, (Account, Vec<Version>)>,
}

impl<'a> Index<'a> {
    pub(super) async fn load(state: &'a AppState, actor: &Actor) -> Result<Index<'a>> {
        let mut by_name: HashMap<(Ecosystem, String), Vec<(Advisory, Package)>> = HashMap::new();
        for (advisory, package) in state
            .registry
            .advisories()
            .readable_advisories(actor, &AdvisoryQuery::default())
            .await?
        {
            if advisory.state != AdvisoryState::Published {
                continue;
            }
            let name = client_name(state, &package);
            by_name
                .entry((
                    advisory.ecosystem,
                    canonical_name(advisory.ecosystem, &name),
                ))
                .or_default()
                .push((advisory, package));
        }
        Ok(Index {
            state,
            by_name,
            packages: HashMap::new(),
        })
    }

    /// The advisories a query matches, in the order they were published.
    pub(super) fn matches(&self, wanted: &Wanted) -> Vec<&(Advisory, Package)> {
        let mut out = Vec::new();
        for ecosystem in &wanted.ecosystems {
            let key = (*ecosystem, canonical_name(*ecosystem, &wanted.name));
            for entry in self.by_name.get(&key).into_iter().flatten() {
                if wanted
                    .version
                    .as_deref()
                    .is_none_or(|v| entry.0.affects(v.trim()))
                {
                    out.push(entry);
                }
            }
        }
        out
    }

    /// The OSV document of a matched advisory.
    pub(super) async fn document(
        &mut self,
        advisory: &Advisory,
        package: &Package,
    ) -> Result<Value> {
        let (owner, versions) = match self.packages.entry(package.id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(package_facts(self.state, package).await?),
        };
        Ok(document(self.state, advisory, package, owner, versions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(json: &str) -> Result<Option<Wanted>> {
        read_query(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn queries_name_a_package_by_name_or_purl() {
        let w = q(r#"{"package": {"name": "@alice/lib", "ecosystem": "npm"}, "version": "1.0.0"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(w.ecosystems, vec![Ecosystem::Npm]);
        assert_eq!(w.version.as_deref(), Some("1.0.0"));
        let w = q(r#"{"package": {"purl": "pkg:pypi/My_Lib@2.0"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (w.ecosystems, w.name, w.version.as_deref()),
            (vec![Ecosystem::Pip], "my-lib".to_owned(), Some("2.0"))
        );
        let w = q(r#"{"package": {"name": "x", "ecosystem": "Go"}}"#)
            .unwrap()
            .unwrap();
        assert!(w.ecosystems.is_empty());
        assert!(q(r#"{"commit": "abc"}"#).unwrap().is_none());
        assert!(q("{}").is_err());
        assert!(q(r#"{"package": {"purl": "pkg:npm/x@1"}, "version": "1"}"#).is_err());
    }
}

//! `GET /repos/{owner}/{repo}/dependency-graph/sbom`: the dependency graph
//! of the packages connected to a repository, as GitHub exports one, an
//! SPDX 2.3 document: each package's newest version, and what it depends
//! on (versions as the ranges it declares), with package URLs.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use entrepot_core::dependency::Dependency;
use entrepot_core::{Ecosystem, Scope};
use entrepot_http::{ApiError, AppState, Caller};
use serde_json::{Value, json};

use crate::shared::{client_name, param, require_scope};

pub fn routes() -> Router<AppState> {
    Router::new().route("/repos/{owner}/{repo}/dependency-graph/sbom", get(sbom))
}

/// An SPDX identifier: letters, digits, `.` and `-` only.
fn spdx_id(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{cleaned}")
}

fn node(ecosystem: Ecosystem, name: &str, version: &str, id: &str) -> Value {
    json!({
        "name": format!("{}:{name}", ecosystem.as_str()),
        "SPDXID": id,
        "versionInfo": version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "externalRefs": [{
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": entrepot_core::osv::purl_at(ecosystem, name, version),
        }],
    })
}

async fn sbom(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    require_scope(&actor, Scope::ReadPackages)?;
    let full = format!("{}/{}", param(&params, "owner")?, param(&params, "repo")?);
    let (repository, graph) = state
        .registry
        .graph()
        .repository_graph(&actor, &full)
        .await?;
    let mut packages: Vec<Value> = Vec::new();
    let mut relationships: Vec<Value> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (package, version, dependencies) in &graph {
        let Some(ecosystem) = Ecosystem::of(package.package_type) else {
            continue;
        };
        let name = client_name(&state, package);
        let version_name = version.as_ref().map_or("", |v| v.name.as_str());
        let root = spdx_id(&format!("{}-{name}-{version_name}", ecosystem.as_str()));
        if seen.insert(root.clone()) {
            packages.push(node(ecosystem, &name, version_name, &root));
        }
        relationships.push(json!({
            "relationshipType": "DESCRIBES",
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relatedSpdxElement": root,
        }));
        for Dependency {
            ecosystem,
            name,
            range,
            ..
        } in dependencies
        {
            let id = spdx_id(&format!("{}-{name}-{range}", ecosystem.as_str()));
            if seen.insert(id.clone()) {
                packages.push(node(*ecosystem, name, range, &id));
            }
            relationships.push(json!({
                "relationshipType": "DEPENDS_ON",
                "spdxElementId": root,
                "relatedSpdxElement": id,
            }));
        }
    }
    let now = Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    Ok(Json(json!({"sbom": {
        "SPDXID": "SPDXRef-DOCUMENT",
        "spdxVersion": "SPDX-2.3",
        "creationInfo": {"created": now, "creators": ["Tool: Entrepot-Dependency-Graph"]},
        "name": format!("{}/{}", state.config.host(), repository.full_name()),
        "dataLicense": "CC0-1.0",
        "documentNamespace": state.config.url(&format!(
            "/{}/dependency_graph/sbom-{}",
            repository.full_name(),
            Utc::now().timestamp_micros()
        )),
        "packages": packages,
        "relationships": relationships,
    }})))
}

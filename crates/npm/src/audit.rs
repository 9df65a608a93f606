//! `npm audit`: the bulk advisory endpoint npm 7+ posts package versions
//! to, and the older quick audit, both answered from the published
//! advisories of packages the caller may read.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use entrepot_core::{Actor, Advisory, AdvisoryState, PackageType, Severity};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use serde_json::{Map, Value, json};

use crate::endpoint::Audit;
use crate::error::{NpmError, NpmResult, invalid};
use crate::name::NpmName;
use crate::reply;

/// The most a request body may hold, compressed or not.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Reads the JSON body, inflating it if `Content-Encoding: gzip`.
pub(crate) async fn read_json(headers: &HeaderMap, body: Body) -> NpmResult<Value> {
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| invalid("audit body too large"))?;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let plain = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| invalid(format!("invalid gzip body: {e}")))?;
        if out.len() > MAX_BODY {
            return Err(invalid("audit body too large"));
        }
        out
    } else {
        bytes.to_vec()
    };
    serde_json::from_slice(&plain).map_err(|e| invalid(format!("invalid audit body: {e}")))
}

/// GitHub's `vulnerable_version_range` (`>= 1.0.0, < 1.0.1`) as an npm
/// range (`>=1.0.0 <1.0.1`); several vulnerabilities join with `||`.
pub fn npm_range(advisory: &Advisory) -> String {
    let ranges: Vec<String> = advisory
        .vulnerabilities
        .iter()
        .map(|v| match v.vulnerable_version_range.as_deref() {
            None => "*".to_owned(),
            Some(range) => range
                .split(',')
                .map(|part| {
                    let part = part.trim();
                    let op_len = part
                        .find(|c: char| !matches!(c, '<' | '>' | '='))
                        .unwrap_or(part.len());
                    let (op, version) = part.split_at(op_len);
                    let op = if op == "=" || op == "==" { "" } else { op };
                    format!("{op}{}", version.trim())
                })
                .collect::<Vec<_>>()
                .join(" "),
        })
        .collect();
    ranges.join(" || ")
}

/// npm's severities: GitHub's `medium` is npm's `moderate`.
fn npm_severity(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Low) => "low",
        Some(Severity::High) => "high",
        Some(Severity::Critical) => "critical",
        Some(Severity::Medium) | None => "moderate",
    }
}

/// The published advisories of a readable package `name` that affect any
/// of `versions`; nothing for unknown or unreadable packages.
async fn advisories_for(
    state: &AppState,
    actor: &Actor,
    name: &str,
    versions: &BTreeSet<String>,
) -> NpmResult<Vec<Advisory>> {
    let Ok(name) = NpmName::parse(name) else {
        return Ok(Vec::new());
    };
    let package = match state
        .registry
        .packages()
        .readable_package(actor, &name.scope, PackageType::Npm, &name.name)
        .await
    {
        Ok(package) => package,
        Err(ServiceError::Internal(e)) => return Err(NpmError(ServiceError::Internal(e))),
        Err(_) => return Ok(Vec::new()),
    };
    let advisories = match state
        .registry
        .advisories()
        .advisories_for_package(actor, &package)
        .await
    {
        Ok(list) => list,
        Err(ServiceError::Internal(e)) => return Err(NpmError(ServiceError::Internal(e))),
        Err(_) => return Ok(Vec::new()),
    };
    Ok(advisories
        .into_iter()
        .filter(|a| a.state == AdvisoryState::Published)
        .filter(|a| versions.iter().any(|v| a.affects(v)))
        .collect())
}

fn bulk_entry(state: &AppState, advisory: &Advisory) -> Value {
    json!({
        "id": advisory.id,
        "url": state.config.url(&format!("/advisories/{}", advisory.ghsa_id)),
        "title": advisory.summary,
        "severity": npm_severity(advisory.severity),
        "vulnerable_versions": npm_range(advisory),
        "cwe": advisory.cwe_ids,
        "cvss": {"score": 0, "vectorString": advisory.cvss_vector},
    })
}

/// Package names to the versions asked about.
fn requested(body: &Value) -> NpmResult<BTreeMap<String, BTreeSet<String>>> {
    let object = body
        .as_object()
        .ok_or_else(|| invalid("the audit body is an object of package names to versions"))?;
    Ok(object
        .iter()
        .map(|(name, versions)| {
            let versions = match versions {
                Value::Array(list) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Value::String(one) => BTreeSet::from([one.clone()]),
                _ => BTreeSet::new(),
            };
            (name.clone(), versions)
        })
        .collect())
}

/// Answers an audit of either kind from its JSON body.
pub async fn answer(
    state: &AppState,
    actor: &Actor,
    kind: Audit,
    headers: &HeaderMap,
    body: Body,
) -> NpmResult<Response> {
    let body = read_json(headers, body).await?;
    let answer = match kind {
        Audit::Bulk => bulk(state, actor, &body).await?,
        Audit::Quick => quick(state, actor, &body).await?,
    };
    Ok(reply::json(StatusCode::OK, answer))
}

/// `POST /-/npm/v1/security/advisories/bulk`.
async fn bulk(state: &AppState, actor: &Actor, body: &Value) -> NpmResult<Value> {
    let mut out = Map::new();
    for (name, versions) in requested(body)? {
        let advisories = advisories_for(state, actor, &name, &versions).await?;
        if !advisories.is_empty() {
            let entries = advisories.iter().map(|a| bulk_entry(state, a)).collect();
            out.insert(name, Value::Array(entries));
        }
    }
    Ok(Value::Object(out))
}

/// Collects `name → versions` from a quick-audit tree's `dependencies`.
fn collect_tree(node: &Value, into: &mut BTreeMap<String, BTreeSet<String>>, depth: usize) {
    let Some(deps) = node.get("dependencies").and_then(Value::as_object) else {
        return;
    };
    if depth > 256 {
        return;
    }
    for (name, dep) in deps {
        if let Some(version) = dep.get("version").and_then(Value::as_str) {
            into.entry(name.clone())
                .or_default()
                .insert(version.to_owned());
        }
        collect_tree(dep, into, depth + 1);
    }
}

/// `POST /-/npm/v1/security/audits/quick`: npm's older audit, answered
/// minimally (advisories and counts; no suggested actions).
async fn quick(state: &AppState, actor: &Actor, body: &Value) -> NpmResult<Value> {
    let mut tree = BTreeMap::new();
    collect_tree(body, &mut tree, 0);
    let total: usize = tree.values().map(BTreeSet::len).sum();
    let mut advisories = Map::new();
    let mut counts: BTreeMap<&str, u64> = ["info", "low", "moderate", "high", "critical"]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for (name, versions) in &tree {
        for advisory in advisories_for(state, actor, name, versions).await? {
            let mut entry = bulk_entry(state, &advisory);
            let findings: Vec<Value> = versions
                .iter()
                .filter(|v| advisory.affects(v))
                .map(|v| json!({"version": v, "paths": [name]}))
                .collect();
            *counts.entry(npm_severity(advisory.severity)).or_default() += findings.len() as u64;
            let patched = advisory
                .vulnerabilities
                .iter()
                .filter_map(|v| v.first_patched_version())
                .map(|p| format!(">={p}"))
                .collect::<Vec<_>>()
                .join(" || ");
            if let Value::Object(m) = &mut entry {
                m.insert("module_name".into(), json!(name));
                m.insert("patched_versions".into(), json!(patched));
                m.insert("overview".into(), json!(advisory.description));
                m.insert("findings".into(), Value::Array(findings));
            }
            advisories.insert(advisory.id.to_string(), entry);
        }
    }
    Ok(json!({
        "actions": [],
        "advisories": advisories,
        "muted": [],
        "metadata": {
            "vulnerabilities": counts,
            "dependencies": total,
            "devDependencies": 0,
            "optionalDependencies": 0,
            "totalDependencies": total,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrepot_core::Ecosystem;
    use entrepot_core::advisory::{AdvisoryPackage, Vulnerability};

    fn with_ranges(ranges: &[Option<&str>]) -> Advisory {
        let now = chrono::Utc::now();
        Advisory {
            id: 7,
            ghsa_id: "GHSA-2222-3333-4444".into(),
            package_id: 1,
            ecosystem: Ecosystem::Npm,
            package_name: "lib".into(),
            summary: "s".into(),
            description: "d".into(),
            severity: None,
            cvss_vector: None,
            cve_id: None,
            cwe_ids: Vec::new(),
            vulnerabilities: ranges
                .iter()
                .map(|r| Vulnerability {
                    package: AdvisoryPackage {
                        ecosystem: Ecosystem::Npm,
                        name: "@alice/lib".into(),
                    },
                    vulnerable_version_range: r.map(str::to_owned),
                    patched_versions: None,
                    vulnerable_functions: Vec::new(),
                })
                .collect(),
            credits: Vec::new(),
            state: AdvisoryState::Published,
            author_id: None,
            publisher_id: None,
            created_at: now,
            updated_at: now,
            published_at: None,
            withdrawn_at: None,
        }
    }

    #[test]
    fn github_ranges_become_npm_ranges() {
        assert_eq!(npm_range(&with_ranges(&[Some("< 1.0.1")])), "<1.0.1");
        assert_eq!(
            npm_range(&with_ranges(&[Some(">= 1.0.0, < 1.0.1")])),
            ">=1.0.0 <1.0.1"
        );
        assert_eq!(npm_range(&with_ranges(&[Some("= 1.2.3")])), "1.2.3");
        assert_eq!(
            npm_range(&with_ranges(&[Some("<= 0.9.0"), None])),
            "<=0.9.0 || *"
        );
    }

    #[test]
    fn medium_is_moderate() {
        assert_eq!(npm_severity(Some(Severity::Medium)), "moderate");
        assert_eq!(npm_severity(Some(Severity::Critical)), "critical");
    }
}

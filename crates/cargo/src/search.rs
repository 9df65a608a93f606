//! `cargo search`: the owner's crates the caller may read whose name or
//! description contains the query, exact names first, each with the
//! version cargo shows.

use axum::response::Response;
use entrepot_core::{Account, Actor, Version};
use entrepot_http::AppState;
use entrepot_http::owner::form_fields;
use serde_json::{Value, json};

use crate::metadata::VersionMetadata;
use crate::names;
use crate::namespace::crates_of;
use crate::reply::{self, Result};

/// The version `cargo search` shows: the newest release not yanked, else
/// the newest prerelease not yanked, else the newest.
fn max_version(versions: &[Version]) -> Option<String> {
    let parsed: Vec<(semver::Version, bool)> = versions
        .iter()
        .filter_map(|v| {
            semver::Version::parse(&v.name)
                .ok()
                .map(|s| (s, VersionMetadata::is_yanked(v)))
        })
        .collect();
    let newest = |keep: &dyn Fn(&(semver::Version, bool)) -> bool| {
        parsed
            .iter()
            .filter(|p| keep(p))
            .map(|(v, _)| v)
            .max()
            .map(ToString::to_string)
    };
    newest(&|(v, y)| !y && v.pre.is_empty())
        .or_else(|| newest(&|(_, y)| !y))
        .or_else(|| newest(&|_| true))
}

/// `GET api/v1/crates?q=QUERY&per_page=N&page=P`.
pub async fn search(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    query: Option<&str>,
) -> Result<Response> {
    let fields = form_fields(query.unwrap_or(""));
    let q = fields
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    let number = |key: &str, default: usize| {
        fields
            .get(key)
            .and_then(|p| p.parse().ok())
            .unwrap_or(default)
    };
    let per_page = number("per_page", 10).clamp(1, 100);
    let page = number("page", 1).max(1);
    let canonical_q = names::canonical(&q);
    let mut hits = Vec::new();
    for package in crates_of(state, owner).await? {
        let matches = q.is_empty()
            || names::canonical(&package.name).contains(&canonical_q)
            || package
                .description
                .as_deref()
                .is_some_and(|d| d.to_lowercase().contains(&q));
        if !matches || !state.registry.can_read(actor, &package).await? {
            continue;
        }
        let versions = state
            .registry
            .packages()
            .versions(package.id, false)
            .await?;
        if let Some(max) = max_version(&versions) {
            let exact = names::canonical(&package.name) == canonical_q;
            hits.push((!exact, package.name, max, package.description));
        }
    }
    hits.sort();
    let total = hits.len();
    let crates: Vec<Value> = hits
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|(_, name, max_version, description)| {
            json!({ "name": name, "max_version": max_version, "description": description })
        })
        .collect();
    Ok(reply::ok(
        &json!({ "crates": crates, "meta": { "total": total } }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, yanked: bool) -> Version {
        let t = chrono::Utc::now();
        Version {
            id: 1,
            package_id: 1,
            name: name.into(),
            metadata: json!({
                "name": "tiny", "vers": name, "deps": [], "cksum": "00",
                "features": {}, "yanked": yanked
            }),
            publisher_id: None,
            created_at: t,
            updated_at: t,
            deleted_at: None,
        }
    }

    #[test]
    fn search_shows_the_newest_release_not_yanked() {
        let vs = [
            version("1.0.0", false),
            version("1.2.0", true),
            version("1.1.0", false),
            version("2.0.0-rc.1", false),
        ];
        assert_eq!(max_version(&vs).as_deref(), Some("1.1.0"));
        assert_eq!(
            max_version(&[version("2.0.0-rc.1", false)]).as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(
            max_version(&[version("1.0.0", true)]).as_deref(),
            Some("1.0.0")
        );
    }
}

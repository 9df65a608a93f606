//! rubygems.org's API under `api/v1`: the dependency API Bundler asks
//! first, the JSON documents of a gem and its versions, and `gem signin`,
//! which trades a password for a key.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use entrepot_core::{Id, Package, Scopes};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use serde_json::{Value, json};

use crate::index::{self, Entry};
use crate::metadata::GemSpec;
use crate::respond::{Result, binary, text_response};
use crate::spec::requirement_text;
use crate::version::{compare, is_prerelease};
use crate::view::{Rendered, View};

/// `api/v1/dependencies[.json]?gems=…`: the live versions of the named
/// gems with their runtime dependencies, in Marshal or JSON. Bundler asks
/// without names to learn whether the API exists.
pub async fn dependencies(view: &View<'_>, names: &[String], json: bool) -> Result<Response> {
    if names.is_empty() {
        return Ok(binary(view.head, "application/octet-stream", Bytes::new()));
    }
    let rendered = view.rendered().await?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let deps = rendered.index.dependencies(&names);
    if json {
        let list: Vec<Value> = deps
            .iter()
            .map(|(s, d)| {
                json!({ "name": s.name, "number": s.version, "platform": s.platform, "dependencies": d })
            })
            .collect();
        Ok(Json(list).into_response())
    } else {
        Ok(binary(
            view.head,
            "application/octet-stream",
            index::dependencies_marshal(&deps).into(),
        ))
    }
}

/// The newest live release, or the newest prerelease when there is none.
fn latest(entries: &[Entry]) -> Option<&Entry> {
    let newest = |pre: bool| {
        entries
            .iter()
            .filter(|e| e.live() && is_prerelease(&e.spec.version) == pre)
            .max_by(|a, b| compare(&a.spec.version, &b.spec.version).then(a.id.cmp(&b.id)))
    };
    newest(false).or_else(|| newest(true))
}

/// `api/v1/versions/NAME/latest.json`: `unknown` where the caller sees no
/// live version.
pub async fn latest_version(view: &View<'_>, name: &str) -> Result<Response> {
    let rendered = view.rendered().await?;
    let latest = latest(rendered.index.gems.get(name).map_or(&[][..], Vec::as_slice));
    Ok(
        Json(json!({ "version": latest.map_or("unknown".to_owned(), |e| e.spec.version.clone()) }))
            .into_response(),
    )
}

/// A gem the caller may read, its downloads by version, and the index.
async fn gem(view: &View<'_>, name: &str) -> Result<(Package, HashMap<Id, i64>, Arc<Rendered>)> {
    let package = view.package(name).await?;
    let counts = view
        .registry()
        .packages()
        .downloads_by_version(&package)
        .await?;
    let rendered = view.rendered().await?;
    Ok((package, counts, rendered))
}

fn requirements_json(spec: &GemSpec, kind: &str) -> Vec<Value> {
    spec.dependencies
        .iter()
        .filter(|d| d.kind == kind)
        .map(|d| json!({ "name": d.name, "requirements": requirement_text(&d.requirements, ", ") }))
        .collect()
}

/// `api/v1/gems/NAME.json`, shaped like rubygems.org's.
pub async fn gem_json(view: &View<'_>, name: &str) -> Result<Response> {
    let (package, counts, rendered) = gem(view, name).await?;
    let entries = rendered.index.gems.get(name).map_or(&[][..], Vec::as_slice);
    let Some(entry) = latest(entries) else {
        return Err(view.missing(name).await.into());
    };
    let spec = &entry.spec;
    let meta = |k: &str| spec.metadata.get(k);
    let segment = view
        .registry()
        .accounts()
        .account(view.owner)
        .await?
        .kind
        .url_segment();
    let config = &view.state.config;
    let source = format!(
        "/rubygems/{}/gems/{}.gem",
        package.owner_login,
        spec.full_name()
    );
    Ok(Json(json!({
        "name": spec.name,
        "downloads": counts.values().sum::<i64>(),
        "version": spec.version,
        "version_created_at": entry.published_at,
        "version_downloads": counts.get(&entry.id).copied().unwrap_or(0),
        "platform": spec.platform,
        "authors": spec.authors.join(", "),
        "info": spec.description.clone().or_else(|| spec.summary.clone()),
        "licenses": spec.licenses,
        "metadata": spec.metadata,
        "yanked": false,
        "sha": spec.sha256,
        "project_uri": config.url(&format!("/{segment}/{}/packages/rubygems/package/{}", package.owner_login, package.name)),
        "gem_uri": config.url(&source),
        "homepage_uri": spec.homepage,
        "wiki_uri": meta("wiki_uri"),
        "documentation_uri": meta("documentation_uri"),
        "mailing_list_uri": meta("mailing_list_uri"),
        "source_code_uri": meta("source_code_uri"),
        "bug_tracker_uri": meta("bug_tracker_uri"),
        "changelog_uri": meta("changelog_uri"),
        "funding_uri": meta("funding_uri"),
        "dependencies": {
            "development": requirements_json(spec, "development"),
            "runtime": requirements_json(spec, "runtime"),
        },
    }))
    .into_response())
}

/// `api/v1/versions/NAME.json`: every live version, newest first.
pub async fn versions_json(view: &View<'_>, name: &str) -> Result<Response> {
    let (_, counts, rendered) = gem(view, name).await?;
    let mut entries: Vec<&Entry> = rendered
        .index
        .gems
        .get(name)
        .map(|e| e.iter().filter(|e| e.live()).collect())
        .unwrap_or_default();
    entries.sort_by(|a, b| compare(&b.spec.version, &a.spec.version).then(b.id.cmp(&a.id)));
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let s = &e.spec;
            json!({
                "authors": s.authors.join(", "),
                "built_at": s.date,
                "created_at": e.published_at,
                "description": s.description,
                "downloads_count": counts.get(&e.id).copied().unwrap_or(0),
                "metadata": s.metadata,
                "number": s.version,
                "summary": s.summary,
                "platform": s.platform,
                "rubygems_version": requirement_text(&s.required_rubygems_version, ", "),
                "ruby_version": requirement_text(&s.required_ruby_version, ", "),
                "prerelease": is_prerelease(&s.version),
                "licenses": s.licenses,
                "requirements": [],
                "sha": s.sha256,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

/// `gem signin`: a user name and password (HTTP Basic) buy a new key with
/// the package scopes, as `npm login` does.
pub async fn api_key(
    state: &AppState,
    headers: &HeaderMap,
    from: Option<std::net::IpAddr>,
) -> Result<Response> {
    let decoded = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(ServiceError::Unauthenticated.into());
    };
    let scopes =
        Scopes::parse_list("read:packages,write:packages,delete:packages").expect("known scopes");
    let actor = state
        .registry
        .sessions()
        .check_password(login, password, from, scopes)
        .await?;
    let login = actor.login().unwrap_or(login).to_owned();
    let issued = state
        .registry
        .accounts()
        .create_token(&login, scopes, None, Some("gem signin".into()))
        .await?;
    Ok(text_response(false, issued.secret))
}

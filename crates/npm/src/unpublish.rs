//! `npm unpublish`: of some versions (the packument sent back without
//! them), or of the whole package.

use axum::response::Response;
use entrepot_core::Actor;
use entrepot_http::AppState;
use serde_json::{Map, Value};

use crate::error::NpmResult;
use crate::name::NpmName;
use crate::reply;
use crate::view::{View, highest, readable};

/// `npm unpublish NAME@VERSION`: every live version the document omits is
/// deleted; `latest` moves to the highest remaining version.
pub async fn missing_versions(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    kept: &Map<String, Value>,
) -> NpmResult<Response> {
    let registry = &state.registry;
    let view = View::readable(registry, actor, name).await?;
    let (remaining, removed): (Vec<_>, Vec<_>) = view
        .versions
        .iter()
        .map(|(v, _)| v)
        .partition(|v| kept.contains_key(&v.name));
    for version in removed {
        registry
            .packages()
            .delete_version(actor, &view.package, version)
            .await?;
    }
    let tags = registry.packages().tags(view.package.id).await?;
    if !remaining.is_empty()
        && !tags.iter().any(|t| t.name == "latest")
        && let Some(latest) = highest(remaining.iter().map(|v| v.name.as_str()))
        && let Some(v) = remaining.iter().find(|v| v.name == latest)
    {
        registry
            .packages()
            .set_tag(actor, &view.package, "latest", v)
            .await?;
    }
    Ok(reply::ok_for(name))
}

/// `npm unpublish NAME --force`: the package and every version.
pub async fn all(state: &AppState, actor: &Actor, name: &NpmName) -> NpmResult<Response> {
    let package = readable(&state.registry, actor, name).await?;
    state
        .registry
        .packages()
        .delete_package(actor, &package)
        .await?;
    Ok(reply::ok_for(name))
}

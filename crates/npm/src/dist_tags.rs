//! `npm dist-tag`: list, point a tag at a version, remove a tag; and
//! `npm access`, which reads and sets whether the package is public.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Actor, Visibility};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use serde_json::{Value, json};

use crate::error::{NpmError, NpmResult, invalid};
use crate::name::NpmName;
use crate::reply;
use crate::view::{View, readable};

pub async fn list(state: &AppState, actor: &Actor, name: &NpmName) -> NpmResult<Response> {
    let view = View::readable(&state.registry, actor, name).await?;
    Ok(reply::json(StatusCode::OK, Value::Object(view.dist_tags())))
}

/// `PUT …/dist-tags/TAG` with the version as a JSON string.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    tag: &str,
    body: Body,
) -> NpmResult<Response> {
    if semver::Version::parse(tag).is_ok() || tag.is_empty() {
        return Err(invalid(format!("tag names cannot be versions: {tag}")));
    }
    let bytes = reply::small_body(body, 4096, "tag").await?;
    let version: String = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("the body must be a JSON string naming a version"))?;
    let package = readable(&state.registry, actor, name).await?;
    let v = state
        .registry
        .packages()
        .live_version(&package, &version)
        .await?
        .ok_or_else(|| {
            NpmError(ServiceError::not_found(format!(
                "version not found: {version}"
            )))
        })?;
    state
        .registry
        .packages()
        .set_tag(actor, &package, tag, &v)
        .await?;
    Ok(reply::ok(StatusCode::CREATED))
}

/// `DELETE …/dist-tags/TAG`; `latest` stays, as npm requires one.
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    tag: &str,
) -> NpmResult<Response> {
    if tag == "latest" {
        return Err(invalid("the latest tag cannot be removed"));
    }
    let package = readable(&state.registry, actor, name).await?;
    state
        .registry
        .packages()
        .remove_tag(actor, &package, tag)
        .await?;
    Ok(reply::ok(StatusCode::OK))
}

/// `npm access set status=public|private`: `public` or `restricted`.
pub async fn set_access(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    body: Body,
) -> NpmResult<Response> {
    let bytes = reply::small_body(body, 4096, "access").await?;
    let doc: Value =
        serde_json::from_slice(&bytes).map_err(|_| invalid("the body must be {\"access\": …}"))?;
    let visibility = match doc.get("access").and_then(Value::as_str) {
        Some("public") => Visibility::Public,
        Some("restricted" | "private") => Visibility::Private,
        _ => return Err(invalid("access must be public or restricted")),
    };
    let package = readable(&state.registry, actor, name).await?;
    state
        .registry
        .packages()
        .set_visibility(actor, &package, visibility)
        .await?;
    Ok(reply::ok(StatusCode::OK))
}

/// `npm access get status`.
pub async fn visibility(state: &AppState, actor: &Actor, name: &NpmName) -> NpmResult<Response> {
    let package = readable(&state.registry, actor, name).await?;
    Ok(reply::json(
        StatusCode::OK,
        json!({ "public": package.visibility == Visibility::Public }),
    ))
}

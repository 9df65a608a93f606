//! `GET /v2/_catalog`: every image, sorted and paged, for site
//! administrators (whose registry token, if they use one, must grant it).

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Actor, PackageType};
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{Code, OciError, OciResult};
use crate::response::paged;

pub async fn list(ctx: &Ctx) -> OciResult<Response> {
    let admin = matches!(
        ctx.access.actor,
        Actor::User {
            site_admin: true,
            ..
        }
    ) && ctx
        .access
        .claims
        .as_ref()
        .is_none_or(|c| c.allows("registry", "catalog", "*"));
    if !admin {
        return Err(match ctx.access.actor {
            Actor::Anonymous => OciError::unauthorized(ctx.challenge(Some("registry:catalog:*"))),
            Actor::User { .. } => OciError::new(
                StatusCode::FORBIDDEN,
                Code::Denied,
                "the catalog is for site administrators",
            ),
        });
    }
    let filter = entrepot_store::PackageFilter {
        package_type: Some(PackageType::Container),
        ..Default::default()
    };
    let mut names: Vec<String> = ctx
        .state
        .registry
        .packages()
        .list_packages(filter)
        .await?
        .into_iter()
        .map(|p| format!("{}/{}", p.owner_login, p.name))
        .collect();
    names.sort();
    Ok(paged(
        ctx,
        names,
        "/v2/_catalog",
        |shown| json!({ "repositories": shown }),
    ))
}

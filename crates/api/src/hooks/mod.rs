//! Webhooks in GitHub's shapes (`org-hook`, `hook-delivery-item`,
//! `hook-delivery`): an organization's hooks at `/orgs/{org}/hooks` as on
//! GitHub, and, beyond GitHub, a user's own at `/user/hooks` and one
//! package's at `…/packages/{type}/{name}/hooks`. This file owns the
//! routes and handlers; `body` reads the request bodies. The rules live
//! in the service; this module reads requests and renders.

mod body;

use std::collections::HashMap;

use axum::extract::{Extension, FromRequestParts, Path, Query};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entrepot_core::{Actor, Hook as StoredHook, Package};
use entrepot_http::{AppState, Caller};
use entrepot_service::webhooks::{HookChanges, HookScope};

use crate::model::Empty;
use crate::model::hook::{DeliveryItem, Hook, HookConfig, HookDelivery};
use crate::shared::{
    OwnerRoute, Params, UnprocessableResult as Result, body_of, id_param, live_package, not_found,
    param,
};
use body::{changes_of, config_changes};

/// The hook routes under one owner prefix (`/user`, `/users/{username}`,
/// `/orgs/{org}`) and under a package's path there.
pub fn owner_routes() -> Router<AppState> {
    let hooks = |prefix: &str| {
        Router::new()
            .route(&format!("{prefix}/hooks"), get(list).post(create))
            .route(
                &format!("{prefix}/hooks/{{hook_id}}"),
                get(show).patch(update).delete(remove),
            )
            .route(
                &format!("{prefix}/hooks/{{hook_id}}/config"),
                get(show_config).patch(update_config),
            )
            .route(
                &format!("{prefix}/hooks/{{hook_id}}/deliveries"),
                get(deliveries),
            )
            .route(
                &format!("{prefix}/hooks/{{hook_id}}/deliveries/{{delivery_id}}"),
                get(delivery),
            )
            .route(
                &format!("{prefix}/hooks/{{hook_id}}/deliveries/{{delivery_id}}/attempts"),
                post(redeliver),
            )
            .route(&format!("{prefix}/hooks/{{hook_id}}/pings"), post(ping))
    };
    hooks("").merge(hooks("/packages/{package_type}/{package_name}"))
}

/// Where a request's hooks are: an organization's, a package's, or the
/// caller's own.
struct Place {
    package: Option<Package>,
    org: Option<String>,
    /// The request's path up to `/hooks`, for the URLs in responses.
    base: String,
}

impl Place {
    fn scope(&self) -> HookScope<'_> {
        match (&self.package, &self.org) {
            (Some(p), _) => HookScope::Package(p),
            (None, Some(org)) => HookScope::Org(org),
            (None, None) => HookScope::Mine,
        }
    }

    fn hook_type(&self) -> &'static str {
        match (&self.package, &self.org) {
            (Some(_), _) => "Package",
            (None, Some(_)) => "Organization",
            (None, None) => "User",
        }
    }
}

async fn place(
    state: &AppState,
    actor: &Actor,
    route: OwnerRoute,
    params: &HashMap<String, String>,
) -> Result<Place> {
    let segment = match route {
        OwnerRoute::Me => "/user".to_owned(),
        OwnerRoute::User => format!("/users/{}", param(params, "username")?),
        OwnerRoute::Org => format!("/orgs/{}", param(params, "org")?),
    };
    if params.contains_key("package_name") {
        let (_, package) = live_package(state, actor, route, params).await?;
        let base = format!(
            "{segment}/packages/{}/{}",
            package.package_type, package.name
        );
        return Ok(Place {
            package: Some(package),
            org: None,
            base,
        });
    }
    match route {
        OwnerRoute::Me => Ok(Place {
            package: None,
            org: None,
            base: segment,
        }),
        // GitHub has no hooks on another user: only one's own.
        OwnerRoute::User => Err(not_found().into()),
        OwnerRoute::Org => Ok(Place {
            package: None,
            org: Some(param(params, "org")?.to_owned()),
            base: segment,
        }),
    }
}

/// What every hook route starts from: the caller and where the hooks are,
/// found (and permission to see them checked) before the handler runs.
struct AtHooks {
    state: AppState,
    actor: Actor,
    place: Place,
    params: HashMap<String, String>,
}

impl FromRequestParts<AppState> for AtHooks {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Response> {
        let Caller(actor) = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Extension(route) = Extension::<OwnerRoute>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(params) = Params::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let place = place(state, &actor, route, &params)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(AtHooks {
            state: state.clone(),
            actor,
            place,
            params,
        })
    }
}

impl AtHooks {
    fn scope(&self) -> HookScope<'_> {
        self.place.scope()
    }

    fn hook_id(&self) -> Result<i64> {
        Ok(id_param(&self.params, "hook_id")?)
    }

    fn delivery_id(&self) -> Result<i64> {
        Ok(id_param(&self.params, "delivery_id")?)
    }

    /// The API URL of the place's hooks, then `rest`.
    fn url(&self, rest: &str) -> String {
        self.state
            .config
            .url(&format!("/api/v3{}/hooks/{rest}", self.place.base))
    }

    fn hook(&self, hook: &StoredHook) -> Hook {
        Hook::new(hook, self.url(&hook.id.to_string()), self.place.hook_type())
    }
}

async fn list(at: AtHooks) -> Result<Json<Vec<Hook>>> {
    let hooks = at
        .state
        .registry
        .webhooks()
        .list_hooks(&at.actor, at.scope())
        .await?;
    Ok(Json(hooks.iter().map(|h| at.hook(h)).collect()))
}

async fn create(at: AtHooks, body: axum::body::Bytes) -> Result<(StatusCode, Json<Hook>)> {
    let changes = changes_of(body_of(&body)?)?;
    let hook = at
        .state
        .registry
        .webhooks()
        .create_hook(&at.actor, at.scope(), changes)
        .await?;
    Ok((StatusCode::CREATED, Json(at.hook(&hook))))
}

async fn show(at: AtHooks) -> Result<Json<Hook>> {
    let hook = at
        .state
        .registry
        .webhooks()
        .hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(Json(at.hook(&hook)))
}

async fn update(at: AtHooks, body: axum::body::Bytes) -> Result<Json<Hook>> {
    let changes = changes_of(body_of(&body)?)?;
    let hook = at
        .state
        .registry
        .webhooks()
        .update_hook(&at.actor, at.scope(), at.hook_id()?, changes)
        .await?;
    Ok(Json(at.hook(&hook)))
}

async fn remove(at: AtHooks) -> Result<StatusCode> {
    at.state
        .registry
        .webhooks()
        .delete_hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn show_config(at: AtHooks) -> Result<Json<HookConfig>> {
    let hook = at
        .state
        .registry
        .webhooks()
        .hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(Json(HookConfig::new(&hook)))
}

async fn update_config(at: AtHooks, body: axum::body::Bytes) -> Result<Json<HookConfig>> {
    let mut changes = HookChanges::default();
    config_changes(body_of(&body)?, &mut changes)?;
    let hook = at
        .state
        .registry
        .webhooks()
        .update_hook(&at.actor, at.scope(), at.hook_id()?, changes)
        .await?;
    Ok(Json(HookConfig::new(&hook)))
}

async fn deliveries(
    at: AtHooks,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<DeliveryItem>>> {
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let list = at
        .state
        .registry
        .webhooks()
        .hook_deliveries(&at.actor, at.scope(), at.hook_id()?, per_page)
        .await?;
    Ok(Json(list.iter().map(DeliveryItem::new).collect()))
}

async fn delivery(at: AtHooks) -> Result<Json<HookDelivery>> {
    let d = at
        .state
        .registry
        .webhooks()
        .hook_delivery(&at.actor, at.scope(), at.hook_id()?, at.delivery_id()?)
        .await?;
    let url = at.url(&format!("{}/deliveries/{}", d.hook_id, d.id));
    Ok(Json(HookDelivery::new(&d, url)))
}

async fn redeliver(at: AtHooks) -> Result<(StatusCode, Json<Empty>)> {
    at.state
        .registry
        .webhooks()
        .redeliver(&at.actor, at.scope(), at.hook_id()?, at.delivery_id()?)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Empty {})))
}

async fn ping(at: AtHooks) -> Result<StatusCode> {
    at.state
        .registry
        .webhooks()
        .ping_hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

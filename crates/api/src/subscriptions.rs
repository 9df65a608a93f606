//! Package subscriptions (beyond GitHub) at `/user/subscriptions` and
//! `/orgs/{org}/subscriptions`: who hears about which packages'
//! advisories.

use std::collections::HashMap;

use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use entrepot_core::Subscription as Stored;
use entrepot_http::{AppState, Caller};
use entrepot_service::notifications::Subscriber;
use serde::Deserialize;

use crate::model::iso;
use crate::model::subscription::{SubscribedPackage, Subscription};
use crate::shared::{
    OwnerRoute, Params, UnprocessableResult as Result, body_of, client_name, id_param, not_found,
    package_type_of, param, unprocessable,
};

/// The subscription routes under one owner prefix.
pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route("/subscriptions", get(subscriptions).post(subscribe))
        .route(
            "/subscriptions/{subscription_id}",
            axum::routing::delete(unsubscribe),
        )
}

/// Who a subscription route is for.
fn subscriber(route: OwnerRoute, params: &HashMap<String, String>) -> Result<Subscriber<'_>> {
    match route {
        OwnerRoute::Me => Ok(Subscriber::Me),
        OwnerRoute::Org => Ok(Subscriber::Org(param(params, "org")?)),
        OwnerRoute::User => Err(not_found().into()),
    }
}

async fn subscription(state: &AppState, s: &Stored) -> Result<Subscription> {
    let package = match s.package_id {
        Some(id) => state.registry.packages().package_by_id(id).await?,
        None => None,
    };
    Ok(Subscription {
        id: s.id,
        all: s.package_id.is_none(),
        package: package.map(|p| SubscribedPackage {
            id: p.id,
            name: client_name(state, &p),
            package_type: p.package_type.as_str(),
            owner: p.owner_login,
        }),
        created_at: iso(&s.created_at),
    })
}

/// `{"all": true}` or `{"package_type", "owner", "package_name"}`.
#[derive(Debug, Default, Deserialize)]
struct SubscribeBody {
    #[serde(default)]
    all: bool,
    package_type: Option<String>,
    owner: Option<String>,
    package_name: Option<String>,
}

async fn subscriptions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Json<Vec<Subscription>>> {
    let who = subscriber(route, &params)?;
    let mut out = Vec::new();
    for s in state
        .registry
        .advisories()
        .subscriptions(&actor, who)
        .await?
    {
        out.push(subscription(&state, &s).await?);
    }
    Ok(Json(out))
}

async fn subscribe(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Subscription>)> {
    let who = subscriber(route, &params)?;
    let body: SubscribeBody = body_of(&body)?;
    let package = if body.all {
        None
    } else {
        let (Some(t), Some(owner), Some(name)) = (body.package_type, body.owner, body.package_name)
        else {
            return Err(unprocessable(
                "give `package_type`, `owner` and `package_name`, or `all: true`",
            ));
        };
        let package_type = package_type_of(&t)?;
        // npm's `@owner/name` is the stored `name`.
        let name = name
            .strip_prefix('@')
            .and_then(|n| n.split_once('/'))
            .filter(|(scope, _)| scope.eq_ignore_ascii_case(&owner))
            .map_or(name.as_str(), |(_, rest)| rest)
            .to_owned();
        Some(
            state
                .registry
                .packages()
                .readable_package(&actor, &owner, package_type, &name)
                .await?,
        )
    };
    let created = state
        .registry
        .advisories()
        .subscribe(&actor, who, package.as_ref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(subscription(&state, &created).await?),
    ))
}

async fn unsubscribe(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<StatusCode> {
    let who = subscriber(route, &params)?;
    state
        .registry
        .advisories()
        .unsubscribe(&actor, who, id_param(&params, "subscription_id")?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

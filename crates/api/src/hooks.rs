//! Webhooks and package subscriptions in GitHub's shapes (`org-hook`,
//! `hook-delivery-item`, `hook-delivery`): an organization's hooks at
//! `/orgs/{org}/hooks` as on GitHub, and, beyond GitHub, a user's own at
//! `/user/hooks`, one package's at `…/packages/{type}/{name}/hooks`, and
//! subscriptions at `/user/subscriptions` and `/orgs/{org}/subscriptions`,
//! and the caller's notifications at `/notifications`.
//! The rules live in the service; this file reads requests and renders.

use std::collections::HashMap;

use axum::extract::{Extension, FromRequestParts, Path, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entrepot_core::{Actor, Delivery, Hook, HookContentType, Notification, Package, Subscription};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::notifications::{NotificationQuery, Subscriber};
use entrepot_service::webhooks::{HookChanges, HookScope};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::advisories::AdvisoryError;
use crate::packages::{OwnerRoute, Params, live_package, package_type_of, param};

/// Validation errors are GitHub's 422 here, as for advisories.
type Result<T> = std::result::Result<T, AdvisoryError>;

/// The hook and subscription routes under one owner prefix (`/user`,
/// `/users/{username}`, `/orgs/{org}`).
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
    hooks("")
        .merge(hooks("/packages/{package_type}/{package_name}"))
        .route("/subscriptions", get(subscriptions).post(subscribe))
        .route(
            "/subscriptions/{subscription_id}",
            axum::routing::delete(unsubscribe),
        )
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
        OwnerRoute::User => Err(ApiError(ServiceError::not_found("Not Found")).into()),
        OwnerRoute::Org => Ok(Place {
            package: None,
            org: Some(param(params, "org")?.to_owned()),
            base: segment,
        }),
    }
}

fn id_param(params: &HashMap<String, String>, name: &str) -> Result<i64> {
    param(params, name)?
        .parse()
        .map_err(|_| ApiError(ServiceError::not_found("Not Found")).into())
}

fn iso(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn config_json(hook: &Hook) -> Value {
    let mut config = json!({
        "url": hook.url,
        "content_type": hook.content_type.as_str(),
        "insecure_ssl": if hook.insecure_ssl { "1" } else { "0" },
    });
    if hook.secret.is_some() {
        // GitHub never shows a secret again.
        config["secret"] = json!("********");
    }
    config
}

/// GitHub's `org-hook` (also for user and package hooks).
fn hook_json(state: &AppState, place: &Place, hook: &Hook) -> Value {
    let url = state
        .config
        .url(&format!("/api/v3{}/hooks/{}", place.base, hook.id));
    json!({
        "id": hook.id,
        "url": url,
        "ping_url": format!("{url}/pings"),
        "deliveries_url": format!("{url}/deliveries"),
        "name": "web",
        "events": hook.events,
        "active": hook.active,
        "config": config_json(hook),
        "updated_at": iso(&hook.updated_at),
        "created_at": iso(&hook.created_at),
        "type": place.hook_type(),
    })
}

/// GitHub's `hook-delivery-item`.
fn delivery_item(d: &Delivery) -> Value {
    json!({
        "id": d.id,
        "guid": d.guid,
        "delivered_at": iso(d.delivered_at.as_ref().unwrap_or(&d.created_at)),
        "redelivery": d.redelivery,
        "duration": d.duration_ms.map_or(0.0, |ms| ms as f64 / 1000.0),
        "status": if d.attempts == 0 { "pending".to_owned() } else { d.status.clone() },
        "status_code": d.status_code.unwrap_or(0),
        "event": d.event,
        "action": d.action,
        "installation_id": null,
        "repository_id": null,
        "throttled_at": null,
        // Beyond GitHub: where the delivery is in its retries.
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.as_ref().filter(|_| d.state == entrepot_core::DeliveryState::Pending).map(iso),
    })
}

/// GitHub's `hook-delivery`: the item with the request and response.
fn delivery_json(state: &AppState, place: &Place, d: &Delivery) -> Value {
    let mut v = delivery_item(d);
    v["url"] = json!(state.config.url(&format!(
        "/api/v3{}/hooks/{}/deliveries/{}",
        place.base, d.hook_id, d.id
    )));
    v["request"] = json!({
        "headers": d.request_headers.clone().unwrap_or_else(|| json!({})),
        "payload": serde_json::from_str::<Value>(&d.payload).unwrap_or(Value::Null),
    });
    v["response"] = json!({
        "headers": d.response_headers.clone().unwrap_or_else(|| json!({})),
        "payload": d.response_body,
    });
    v
}

/// GitHub's hook `config` object in a request.
#[derive(Debug, Default, Deserialize)]
struct ConfigBody {
    url: Option<String>,
    content_type: Option<String>,
    secret: Option<String>,
    /// `"0"`/`"1"` as GitHub documents, or a number.
    insecure_ssl: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct HookBody {
    #[serde(default)]
    config: Option<ConfigBody>,
    events: Option<Vec<String>>,
    #[serde(default)]
    add_events: Vec<String>,
    #[serde(default)]
    remove_events: Vec<String>,
    active: Option<bool>,
    name: Option<String>,
}

fn unprocessable(message: impl Into<String>) -> AdvisoryError {
    ApiError(ServiceError::Invalid(message.into())).into()
}

fn config_changes(config: ConfigBody, changes: &mut HookChanges) -> Result<()> {
    changes.url = config.url;
    if let Some(secret) = config.secret {
        changes.secret = Some(Some(secret));
    }
    if let Some(ct) = config.content_type {
        changes.content_type = Some(match ct.as_str() {
            "json" => HookContentType::Json,
            "form" => HookContentType::Form,
            other => {
                return Err(unprocessable(format!(
                    "`{other}` is not a content type: json or form"
                )));
            }
        });
    }
    if let Some(insecure) = config.insecure_ssl {
        changes.insecure_ssl = Some(match insecure {
            Value::String(s) if s == "0" => false,
            Value::String(s) if s == "1" => true,
            Value::Number(n) if n.as_u64() == Some(0) => false,
            Value::Number(n) if n.as_u64() == Some(1) => true,
            other => {
                return Err(unprocessable(format!(
                    "`{other}` is not an insecure_ssl value: \"0\" or \"1\""
                )));
            }
        });
    }
    Ok(())
}

fn changes_of(body: HookBody) -> Result<HookChanges> {
    if body.name.as_deref().is_some_and(|n| n != "web") {
        return Err(unprocessable("hooks are named `web`"));
    }
    let mut changes = HookChanges {
        events: body.events,
        add_events: body.add_events,
        remove_events: body.remove_events,
        active: body.active,
        ..HookChanges::default()
    };
    if let Some(config) = body.config {
        config_changes(config, &mut changes)?;
    }
    Ok(changes)
}

fn body_of<T: for<'de> Deserialize<'de> + Default>(body: &axum::body::Bytes) -> Result<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError(ServiceError::Invalid(format!("Problems parsing JSON: {e}"))).into())
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
        id_param(&self.params, "hook_id")
    }

    fn delivery_id(&self) -> Result<i64> {
        id_param(&self.params, "delivery_id")
    }

    fn hook_json(&self, hook: &Hook) -> Value {
        hook_json(&self.state, &self.place, hook)
    }
}

async fn list(at: AtHooks) -> Result<Response> {
    let hooks = at.state.registry.list_hooks(&at.actor, at.scope()).await?;
    let body: Vec<Value> = hooks.iter().map(|h| at.hook_json(h)).collect();
    Ok(Json(body).into_response())
}

async fn create(at: AtHooks, body: axum::body::Bytes) -> Result<Response> {
    let changes = changes_of(body_of(&body)?)?;
    let hook = at
        .state
        .registry
        .create_hook(&at.actor, at.scope(), changes)
        .await?;
    Ok((StatusCode::CREATED, Json(at.hook_json(&hook))).into_response())
}

async fn show(at: AtHooks) -> Result<Response> {
    let hook = at
        .state
        .registry
        .hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(Json(at.hook_json(&hook)).into_response())
}

async fn update(at: AtHooks, body: axum::body::Bytes) -> Result<Response> {
    let changes = changes_of(body_of(&body)?)?;
    let hook = at
        .state
        .registry
        .update_hook(&at.actor, at.scope(), at.hook_id()?, changes)
        .await?;
    Ok(Json(at.hook_json(&hook)).into_response())
}

async fn remove(at: AtHooks) -> Result<Response> {
    at.state
        .registry
        .delete_hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn show_config(at: AtHooks) -> Result<Response> {
    let hook = at
        .state
        .registry
        .hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(Json(config_json(&hook)).into_response())
}

async fn update_config(at: AtHooks, body: axum::body::Bytes) -> Result<Response> {
    let mut changes = HookChanges::default();
    config_changes(body_of(&body)?, &mut changes)?;
    let hook = at
        .state
        .registry
        .update_hook(&at.actor, at.scope(), at.hook_id()?, changes)
        .await?;
    Ok(Json(config_json(&hook)).into_response())
}

async fn deliveries(at: AtHooks, Query(query): Query<HashMap<String, String>>) -> Result<Response> {
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let list = at
        .state
        .registry
        .hook_deliveries(&at.actor, at.scope(), at.hook_id()?, per_page)
        .await?;
    let body: Vec<Value> = list.iter().map(delivery_item).collect();
    Ok(Json(body).into_response())
}

async fn delivery(at: AtHooks) -> Result<Response> {
    let d = at
        .state
        .registry
        .hook_delivery(&at.actor, at.scope(), at.hook_id()?, at.delivery_id()?)
        .await?;
    Ok(Json(delivery_json(&at.state, &at.place, &d)).into_response())
}

async fn redeliver(at: AtHooks) -> Result<Response> {
    at.state
        .registry
        .redeliver(&at.actor, at.scope(), at.hook_id()?, at.delivery_id()?)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(json!({}))).into_response())
}

async fn ping(at: AtHooks) -> Result<Response> {
    at.state
        .registry
        .ping_hook(&at.actor, at.scope(), at.hook_id()?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Who a subscription route is for.
fn subscriber(route: OwnerRoute, params: &HashMap<String, String>) -> Result<Subscriber<'_>> {
    match route {
        OwnerRoute::Me => Ok(Subscriber::Me),
        OwnerRoute::Org => Ok(Subscriber::Org(param(params, "org")?)),
        OwnerRoute::User => Err(ApiError(ServiceError::not_found("Not Found")).into()),
    }
}

async fn subscription_json(state: &AppState, s: &Subscription) -> Result<Value> {
    let package = match s.package_id {
        Some(id) => state.registry.meta.package_by_id(id).await?,
        None => None,
    };
    Ok(json!({
        "id": s.id,
        "all": s.package_id.is_none(),
        "package": package.map(|p| json!({
            "id": p.id,
            "name": state.format(p.package_type).map_or_else(|| p.name.clone(), |f| f.full_name(&p)),
            "package_type": p.package_type.as_str(),
            "owner": p.owner_login,
        })),
        "created_at": iso(&s.created_at),
    }))
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
) -> Result<Response> {
    let who = subscriber(route, &params)?;
    let mut out = Vec::new();
    for s in state.registry.subscriptions(&actor, who).await? {
        out.push(subscription_json(&state, &s).await?);
    }
    Ok(Json(out).into_response())
}

async fn subscribe(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
    body: axum::body::Bytes,
) -> Result<Response> {
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
                .readable_package(&actor, &owner, package_type, &name)
                .await?,
        )
    };
    let created = state
        .registry
        .subscribe(&actor, who, package.as_ref())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(subscription_json(&state, &created).await?),
    )
        .into_response())
}

async fn unsubscribe(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Params,
) -> Result<Response> {
    let who = subscriber(route, &params)?;
    state
        .registry
        .unsubscribe(&actor, who, id_param(&params, "subscription_id")?)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The caller's notifications (GitHub's `/notifications`, in a simpler
/// shape: Entrepot's notifications are about advisories, not threads).
pub fn notification_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/notifications",
            get(notifications).put(mark_all_notifications_read),
        )
        .route(
            "/notifications/threads/{thread_id}",
            axum::routing::patch(mark_notification_read),
        )
}

fn notification_json(n: &Notification) -> Value {
    json!({
        "id": n.id.to_string(),
        "unread": n.unread,
        "reason": n.reason,
        "updated_at": iso(&n.updated_at),
        "last_read_at": if n.unread { None } else { Some(iso(&n.updated_at)) },
        "subject": {
            "title": n.title,
            "url": n.url,
            "type": "SecurityAdvisory",
        },
        "ghsa_id": n.ghsa_id,
        "package_id": n.package_id,
    })
}

async fn notifications(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let all = query.get("all").is_some_and(|a| a == "true");
    let per_page = query
        .get("per_page")
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(50);
    let list = state
        .registry
        .notifications(
            &actor,
            NotificationQuery {
                unread_only: !all,
                limit: per_page,
            },
        )
        .await?;
    Ok(Json(list.iter().map(notification_json).collect::<Vec<_>>()).into_response())
}

async fn mark_notification_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(params): Params,
) -> Result<Response> {
    state
        .registry
        .mark_notification_read(&actor, id_param(&params, "thread_id")?)
        .await?;
    Ok(StatusCode::RESET_CONTENT.into_response())
}

async fn mark_all_notifications_read(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Response> {
    state.registry.mark_all_notifications_read(&actor).await?;
    Ok(StatusCode::RESET_CONTENT.into_response())
}

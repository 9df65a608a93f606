//! Site administration beyond GitHub's API: the upstream registries
//! Entrepot proxies, at `/api/v3/admin/upstreams`. Anyone but a site
//! administrator is told there is nothing here.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use entrepot_http::{AppState, Caller};
use entrepot_service::upstreams::UpstreamRequest;
use serde::Deserialize;

use crate::model::upstream::Upstream;
use crate::shared::{UnprocessableResult as Result, body_of, unprocessable};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/upstreams", get(list).post(add))
        .route("/admin/upstreams/{name}", get(one).delete(remove))
}

/// What `POST /admin/upstreams` takes; `metadata_ttl` as `admin upstream
/// add --metadata-ttl` does (`30s`, `10m`, `0`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddBody {
    name: Option<String>,
    format: Option<String>,
    url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    metadata_ttl: Option<String>,
    #[serde(default)]
    default: bool,
}

async fn list(State(state): State<AppState>, Caller(actor): Caller) -> Result<Json<Vec<Upstream>>> {
    let upstreams = state.registry.upstreams().list_as(&actor).await?;
    Ok(Json(upstreams.iter().map(Upstream::from).collect()))
}

async fn one(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<Json<Upstream>> {
    let upstream = state.registry.upstreams().get_as(&actor, &name).await?;
    Ok(Json(Upstream::from(&upstream)))
}

async fn add(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Upstream>)> {
    let body: AddBody = body_of(&body)?;
    let (Some(name), Some(format), Some(url)) = (body.name, body.format, body.url) else {
        return Err(unprocessable("give `name`, `format` and `url`"));
    };
    let upstream = state
        .registry
        .upstreams()
        .add_as(
            &actor,
            UpstreamRequest {
                name,
                format,
                url,
                username: body.username,
                password: body.password,
                metadata_ttl: body.metadata_ttl,
                is_default: body.default,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Upstream::from(&upstream))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<StatusCode> {
    state.registry.upstreams().remove_as(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

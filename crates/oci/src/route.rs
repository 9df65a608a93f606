//! Every `/v2/` request: who calls, which endpoint it is, and the handler
//! that answers it, with the API version header on every answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::Actor;
use entrepot_http::AppState;

use crate::caller::{SigningKey, access_of};
use crate::ctx::{Ctx, challenge, query_pairs};
use crate::endpoint::Endpoint;
use crate::error::{Code, OciError, OciResult};
use crate::kept::Manifests;
use crate::{blobs, catalog, manifests, referrers, tags, uploads, upstream};

pub async fn handle(
    State(state): State<AppState>,
    key: SigningKey,
    manifests: Arc<Manifests>,
    request: Request,
) -> Response {
    let path = request.uri().path().trim_start_matches("/v2").to_owned();
    let endpoint = Endpoint::parse(request.method(), &path);
    let query = query_pairs(request.uri());
    let headers = request.headers().clone();
    let body = request.into_body();
    let Ok(access) = access_of(&state, &key, &headers).await else {
        return with_version(OciError::unauthorized(challenge(&state, None)).into_response());
    };
    let ctx = Ctx {
        state,
        access,
        headers,
        query,
        manifests,
    };
    let result = route(&ctx, endpoint, body).await;
    with_version(result.unwrap_or_else(IntoResponse::into_response))
}

fn with_version(mut response: Response) -> Response {
    response.headers_mut().insert(
        "docker-distribution-api-version",
        HeaderValue::from_static("registry/2.0"),
    );
    response
}

async fn route(ctx: &Ctx, endpoint: Endpoint, body: Body) -> OciResult<Response> {
    use Endpoint as E;
    if let Some(repo) = endpoint.repo()
        && let Some(upstream) = upstream::of(&ctx.state, &repo.owner).await?
    {
        return upstream::route(ctx, &upstream, endpoint).await;
    }
    match endpoint {
        E::Base => base(ctx),
        E::Catalog => catalog::list(ctx).await,
        E::GetBlob { repo, digest, head } => blobs::get(ctx, &repo, &digest, head).await,
        E::DeleteBlob { repo, digest } => blobs::delete(ctx, &repo, &digest).await,
        E::StartUpload { repo } => uploads::start(ctx, &repo, body).await,
        E::UploadStatus { repo, id } => uploads::status(ctx, &repo, &id).await,
        E::AppendUpload { repo, id } => uploads::patch(ctx, &repo, &id, body).await,
        E::FinishUpload { repo, id } => uploads::finish(ctx, &repo, &id, body).await,
        E::CancelUpload { repo, id } => uploads::cancel(ctx, &repo, &id).await,
        E::GetManifest {
            repo,
            reference,
            head,
        } => manifests::get(ctx, &repo, &reference, head).await,
        E::PutManifest { repo, reference } => manifests::put(ctx, &repo, &reference, body).await,
        E::DeleteManifest { repo, reference } => manifests::delete(ctx, &repo, &reference).await,
        E::Tags { repo } => tags::list(ctx, &repo).await,
        E::Referrers { repo, digest } => referrers::list(ctx, &repo, &digest).await,
        E::InvalidName(name) => Err(OciError::new(
            StatusCode::NOT_FOUND,
            Code::NameInvalid,
            format!("invalid repository name: {name}"),
        )),
        E::NotFound => Err(OciError::new(
            StatusCode::NOT_FOUND,
            Code::NameUnknown,
            "no such endpoint",
        )),
        E::MethodNotAllowed => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unsupported,
            "the operation is unsupported",
        )),
    }
}

/// `GET /v2/`: anyone signed in, or holding a registry token, is told the
/// API is here; everyone else is asked to sign in.
fn base(ctx: &Ctx) -> OciResult<Response> {
    match ctx.access.actor {
        Actor::Anonymous if ctx.access.claims.is_none() => {
            Err(OciError::unauthorized(ctx.challenge(None)))
        }
        _ => Ok((StatusCode::OK, axum::Json(serde_json::json!({}))).into_response()),
    }
}

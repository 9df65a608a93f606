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
use crate::signatures::Verdicts;
use crate::{blobs, catalog, manifests, referrers, signatures, tags, uploads, upstream};

/// What every request shares: the signing key of registry tokens and the
/// caches kept per router.
#[derive(Clone, Default)]
pub struct Shared {
    pub key: SigningKey,
    pub manifests: Arc<Manifests>,
    pub verdicts: Arc<Verdicts>,
}

pub async fn handle(State(state): State<AppState>, shared: Shared, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let query = query_pairs(request.uri());
    let headers = request.headers().clone();
    let body = request.into_body();
    let Ok(access) = access_of(&state, &shared.key, &headers).await else {
        return with_version(OciError::unauthorized(challenge(&state, None)).into_response());
    };
    let ctx = Ctx {
        state,
        access,
        headers,
        query,
        manifests: shared.manifests,
        verdicts: shared.verdicts,
    };
    let result = if let Some(rest) = path.strip_prefix("/extensions/v2/") {
        signatures::extension(&ctx, &method, rest, body).await
    } else {
        let endpoint = Endpoint::parse(&method, path.trim_start_matches("/v2"));
        route(&ctx, endpoint, body).await
    };
    with_version(result.unwrap_or_else(IntoResponse::into_response))
}

/// containers/image reads this off its first `/v2/` answer (a 401 too)
/// and then pushes and reads simple-signing signatures here.
fn with_signatures(mut response: Response) -> Response {
    response.headers_mut().insert(
        "x-registry-supports-signatures",
        HeaderValue::from_static("1"),
    );
    response
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
        E::Base => Ok(base(ctx)),
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
fn base(ctx: &Ctx) -> Response {
    let response = match ctx.access.actor {
        Actor::Anonymous if ctx.access.claims.is_none() => {
            OciError::unauthorized(ctx.challenge(None)).into_response()
        }
        _ => (StatusCode::OK, axum::Json(serde_json::json!({}))).into_response(),
    };
    with_signatures(response)
}

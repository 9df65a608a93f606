//! Blobs from an upstream registry: the kept copy, else the upstream's
//! bytes streamed to the first client while they are stored, checked
//! against the digest and linked for good.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{PackageType, Upstream};
use entrepot_service::proxy::{BlobFetch, WantedBlob};

use super::{remote, scope};
use crate::blobs::digest_of;
use crate::ctx::{Act, Ctx};
use crate::error::{Code, OciError, OciResult};
use crate::name::RepoName;
use crate::response::set;

/// `GET`/`HEAD /v2/NAME/IMAGE/blobs/DIGEST`.
pub async fn get(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    digest: &str,
    head: bool,
) -> OciResult<Response> {
    ctx.check(repo, Act::Pull, Code::BlobUnknown).await?;
    let parsed = digest_of(digest)?;
    let text = parsed.to_text();
    let upstreams = ctx.state.registry.upstreams();
    let unknown = |e: entrepot_service::ServiceError| OciError::from_service(&e, Code::BlobUnknown);
    let linked = ctx
        .state
        .registry
        .blobs()
        .blob_link(
            upstream.account_id,
            PackageType::Container,
            &repo.image,
            &text,
        )
        .await?;
    if linked.is_some() {
        return crate::blobs::get(ctx, repo, digest, head).await;
    }
    let wanted = WantedBlob {
        package_type: PackageType::Container,
        name: repo.image.clone(),
        digest: text.clone(),
        expected: parsed.expected(),
        path: format!("v2/{}/blobs/{text}", remote(upstream, repo)),
        scope: scope(upstream, repo),
    };
    if head {
        // Asked of the upstream, not fetched: a client that only checks
        // whether a layer exists does not pull it through.
        let answered = upstreams
            .ask_now(upstream, true, &wanted.path, "*/*", &wanted.scope, 0)
            .await
            .map_err(unknown)?
            .ok_or_else(OciError::blob_unknown)?;
        let mut response = StatusCode::OK.into_response();
        if let Some(length) = answered.headers.get(header::CONTENT_LENGTH) {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, length.clone());
        }
        return Ok(blob_headers(response, &text));
    }
    // A range of a blob not kept yet (a resumed pull) gets the whole
    // blob, as HTTP allows: it streams now rather than after the fetch.
    match upstreams
        .fetch_blob(upstream, wanted)
        .await
        .map_err(unknown)?
    {
        BlobFetch::Kept(_) => crate::blobs::get(ctx, repo, digest, false).await,
        BlobFetch::Streaming { size, body } => {
            let mut response = Body::from_stream(body).into_response();
            if let Some(size) = size {
                response
                    .headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            }
            Ok(blob_headers(response, &text))
        }
    }
}

fn blob_headers(mut response: Response, digest: &str) -> Response {
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    set(&mut response, "docker-content-digest", digest);
    response
}

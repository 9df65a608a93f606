//! Blobs a repository holds: `HEAD`/`GET` with ranges, and `DELETE`,
//! which unlinks the blob from the repository (the collector removes bytes
//! nothing references).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_service::ServiceError;
use entrepot_service::links::Holder;

use crate::ctx::{Act, Ctx};
use crate::error::{Code, OciError, OciResult};
use crate::name::{Digest, RepoName};
use crate::response::set;

/// A blob digest from a path or query, which must be one this registry
/// verifies.
pub fn digest_of(text: &str) -> OciResult<Digest> {
    Digest::parse(text)
        .ok_or_else(|| OciError::digest_invalid(format!("invalid or unsupported digest: {text}")))
}

/// The caller's access to `repo` for `act`, then the digest.
async fn checked(
    ctx: &Ctx,
    repo: &RepoName,
    digest: &str,
    act: Act,
) -> OciResult<(Holder, Digest)> {
    let holder = ctx.check(repo, act, Code::BlobUnknown).await?;
    Ok((holder, digest_of(digest)?))
}

/// `GET`/`HEAD /v2/<name>/blobs/<digest>`.
pub async fn get(ctx: &Ctx, repo: &RepoName, digest: &str, head: bool) -> OciResult<Response> {
    let (holder, digest) = checked(ctx, repo, digest, Act::Pull).await?;
    let link = ctx
        .state
        .registry
        .blob_link(
            holder.owner.id,
            PackageType::Container,
            &repo.image,
            &digest.to_text(),
        )
        .await?
        .ok_or_else(OciError::blob_unknown)?;
    let mut response = entrepot_http::download::serve_blob(
        &ctx.state,
        &link.sha256,
        &ctx.headers,
        "application/octet-stream",
        head,
    )
    .await
    .map_err(|e| match e {
        ServiceError::RangeNotSatisfiable { size } => OciError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            Code::RangeInvalid,
            format!("the range is outside the blob's {size} bytes"),
        ),
        other => OciError::from_service(&other, Code::BlobUnknown),
    })?;
    set(&mut response, "docker-content-digest", &digest.to_text());
    Ok(response)
}

/// `DELETE /v2/<name>/blobs/<digest>`.
pub async fn delete(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let (holder, digest) = checked(ctx, repo, digest, Act::Delete).await?;
    let unlinked = ctx
        .state
        .registry
        .unlink_blob(
            holder.owner.id,
            PackageType::Container,
            &repo.image,
            &digest.to_text(),
        )
        .await?;
    if unlinked {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(OciError::blob_unknown())
    }
}

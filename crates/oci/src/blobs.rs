//! Blobs a repository holds: `HEAD`/`GET` with ranges, and `DELETE`,
//! which unlinks the blob from the repository (the collector removes bytes
//! nothing references).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::{Id, PackageType};
use entrepot_service::ServiceError;

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

/// The caller's access to `repo` for `act`, then the digest: the
/// repository's owner and the digest as the repository's links name it.
async fn checked(ctx: &Ctx, repo: &RepoName, digest: &str, act: Act) -> OciResult<(Id, String)> {
    let holder = ctx.check(repo, act, Code::BlobUnknown).await?;
    Ok((holder.owner.id, digest_of(digest)?.to_text()))
}

/// `GET`/`HEAD /v2/<name>/blobs/<digest>`.
pub async fn get(ctx: &Ctx, repo: &RepoName, digest: &str, head: bool) -> OciResult<Response> {
    let (owner, digest) = checked(ctx, repo, digest, Act::Pull).await?;
    let registry = &ctx.state.registry;
    let link = registry
        .blobs()
        .blob_link(owner, PackageType::Container, &repo.image, &digest)
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
    set(&mut response, "docker-content-digest", &digest);
    Ok(response)
}

/// `DELETE /v2/<name>/blobs/<digest>`.
pub async fn delete(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let (owner, digest) = checked(ctx, repo, digest, Act::Delete).await?;
    let registry = &ctx.state.registry;
    if registry
        .blobs()
        .unlink_blob(owner, PackageType::Container, &repo.image, &digest)
        .await?
    {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(OciError::blob_unknown())
    }
}

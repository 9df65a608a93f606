//! Pushing blobs: cross-repository mount, monolithic upload, and upload
//! sessions (streamed `PATCH` chunks, status, cancel, the closing `PUT`).
//! Sessions and their parts live in the shared stores, so an upload begun
//! on one node can finish on another.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, PackageType};
use entrepot_service::ServiceError;
use entrepot_store::{BlobInfo, BlobLink, ByteStream, UploadSession};
use futures::TryStreamExt;

use crate::blobs::digest_of;
use crate::ctx::{Act, Ctx, repo_access};
use crate::error::{Code, OciError, OciResult};
use crate::name::{Digest, RepoName};
use crate::response::{created, set};

fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

/// How a failed store of pushed bytes reads to the client.
fn store_error(e: ServiceError) -> OciError {
    match e {
        ServiceError::DigestMismatch(m) => OciError::digest_invalid(m),
        other => OciError::from_service(&other, Code::BlobUploadInvalid),
    }
}

fn blob_created(repo: &RepoName, digest: &Digest) -> Response {
    let digest = digest.to_text();
    created(&format!("/v2/{}/blobs/{digest}", repo.full()), &digest)
}

fn upload_state(status: StatusCode, repo: &RepoName, id: &str, size: u64) -> Response {
    let mut response = status.into_response();
    set(
        &mut response,
        "location",
        &format!("/v2/{}/blobs/uploads/{id}", repo.full()),
    );
    set(
        &mut response,
        "range",
        &format!("0-{}", size.saturating_sub(1)),
    );
    set(&mut response, "docker-upload-uuid", id);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
}

/// `POST /v2/<name>/blobs/uploads/`: mount, monolithic upload, or a session.
pub async fn start(ctx: &Ctx, repo: &RepoName, body: Body) -> OciResult<Response> {
    let owner = ctx.check(repo, Act::Push, Code::NameUnknown).await?.owner;
    let registry = &ctx.state.registry;
    let pushed = if let Some(mount) = ctx.query("mount")
        && let Some(digest) = Digest::parse(mount)
        && let Some(source) = mountable(ctx, &digest, ctx.query("from")).await?
    {
        let blob = BlobInfo {
            sha256: source.sha256,
            size: source.size,
            sha512: None,
            sha1: None,
            md5: None,
        };
        Some((digest, blob))
    } else if let Some(digest) = ctx.query("digest") {
        let digest = digest_of(digest)?;
        // Before the body is read: a layer the owner's quota has no room
        // for stores nothing (one already linked here adds nothing).
        if !linked(ctx, (&owner, repo), Some(&digest.to_text())).await? {
            entrepot_http::quota::check_declared(
                registry,
                (&ctx.access.actor, &owner),
                (PackageType::Container, Some(&repo.image)),
                &ctx.headers,
            )
            .await?;
        }
        let limit = registry.limits.max_layer_bytes;
        let blob = registry
            .blobs()
            .store_blob_limited(body_stream(body), digest.expected(), limit)
            .await
            .map_err(store_error)?;
        Some((digest, blob))
    } else {
        None
    };
    let Some((digest, blob)) = pushed else {
        let id = registry
            .blobs()
            .create_upload(owner.id, &repo.image)
            .await?;
        return Ok(upload_state(StatusCode::ACCEPTED, repo, &id, 0));
    };
    registry
        .blobs()
        .link_blob(
            owner.id,
            PackageType::Container,
            &repo.image,
            &digest.to_text(),
            &blob,
        )
        .await?;
    Ok(blob_created(repo, &digest))
}

/// The blob a mount may take: from the named repository if the caller may
/// pull it, or (without `from`) from any repository the caller may pull.
async fn mountable(ctx: &Ctx, digest: &Digest, from: Option<&str>) -> OciResult<Option<BlobLink>> {
    let links = ctx
        .state
        .registry
        .blobs()
        .links_of(&digest.to_text())
        .await?;
    for (owner, candidate) in links {
        let source = RepoName {
            owner,
            image: candidate.repository.clone(),
        };
        if from.is_some_and(|f| f != source.full()) {
            continue;
        }
        if repo_access(&ctx.state, &ctx.access.actor, &source, Act::Pull)
            .await
            .is_ok()
        {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// `Content-Range: START-END` (inclusive), as the spec writes it.
pub fn content_range(headers: &HeaderMap) -> Option<(u64, u64)> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let value = value
        .trim_start_matches("bytes=")
        .trim_start_matches("bytes ");
    let value = value.split('/').next()?;
    let (start, end) = value.split_once('-')?;
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?))
}

fn range_invalid(size: u64) -> OciError {
    OciError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        Code::RangeInvalid,
        format!("the chunk does not continue the upload at byte {size}"),
    )
}

/// The caller's session `id` of `repo`, for pushers only.
async fn session(ctx: &Ctx, repo: &RepoName, id: &str) -> OciResult<(UploadSession, Account)> {
    let owner = ctx
        .check(repo, Act::Push, Code::BlobUploadUnknown)
        .await?
        .owner;
    let session = ctx
        .state
        .registry
        .blobs()
        .upload_of(id, owner.id, &repo.image)
        .await?
        .ok_or_else(OciError::upload_unknown)?;
    Ok((session, owner))
}

/// Whether `digest` (when known) is linked in `owner`'s `repo` already:
/// pushing it again adds nothing to what the owner stores.
async fn linked(
    ctx: &Ctx,
    (owner, repo): (&Account, &RepoName),
    digest: Option<&str>,
) -> OciResult<bool> {
    let Some(digest) = digest else {
        return Ok(false);
    };
    Ok(ctx
        .state
        .registry
        .blobs()
        .blob_link(owner.id, PackageType::Container, &repo.image, digest)
        .await?
        .is_some())
}

/// Appends a request body as the next part of `owner`'s session `id` of
/// `repo`, which is `at` bytes long; a `Content-Range` must continue it
/// exactly.
async fn append(
    ctx: &Ctx,
    (owner, repo): (&Account, &RepoName),
    id: &str,
    at: u64,
    body: Body,
) -> OciResult<u64> {
    let range = content_range(&ctx.headers);
    if let Some((start, _)) = range
        && start != at
    {
        return Err(range_invalid(at));
    }
    // A range that ends before it starts declares no length a body has.
    let declared = range.map(|(start, end)| end.wrapping_add(1).wrapping_sub(start));
    let registry = &ctx.state.registry;
    // Before the part is read: the session so far and this part must fit
    // the owner's quota (a bad range is refused as such below).
    let sane = range
        .filter(|(start, end)| end >= start)
        .map(|(start, end)| end - start + 1);
    if let Some(length) = sane.or_else(|| entrepot_http::quota::declared_length(&ctx.headers))
        && length > 0
        && !linked(ctx, (owner, repo), ctx.query("digest")).await?
    {
        registry
            .governance()
            .check_upload(
                &ctx.access.actor,
                owner,
                (PackageType::Container, Some(&repo.image)),
                at.saturating_add(length),
            )
            .await?;
    }
    let limit = registry.limits.max_layer_bytes;
    registry
        .blobs()
        .append_upload(id, at, body_stream(body), declared, limit)
        .await
        .map_err(store_error)?
        .ok_or_else(|| range_invalid(at))
}

/// `GET`/`HEAD` on an upload session: how far it has come.
pub async fn status(ctx: &Ctx, repo: &RepoName, id: &str) -> OciResult<Response> {
    let (session, _) = session(ctx, repo, id).await?;
    Ok(upload_state(StatusCode::NO_CONTENT, repo, id, session.size))
}

/// `PATCH` on an upload session: the next chunk.
pub async fn patch(ctx: &Ctx, repo: &RepoName, id: &str, body: Body) -> OciResult<Response> {
    let (session, owner) = session(ctx, repo, id).await?;
    let size = append(ctx, (&owner, repo), id, session.size, body).await?;
    Ok(upload_state(StatusCode::ACCEPTED, repo, id, size))
}

/// `DELETE` on an upload session: the client gives up.
pub async fn cancel(ctx: &Ctx, repo: &RepoName, id: &str) -> OciResult<Response> {
    let (session, _) = session(ctx, repo, id).await?;
    ctx.state.registry.blobs().cancel_upload(&session).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The closing `PUT ?digest=`: an optional last chunk, then the parts
/// joined into one blob verified against the whole digest.
pub async fn finish(ctx: &Ctx, repo: &RepoName, id: &str, body: Body) -> OciResult<Response> {
    let (session, owner) = session(ctx, repo, id).await?;
    let digest = digest_of(ctx.query("digest").unwrap_or(""))?;
    append(ctx, (&owner, repo), id, session.size, body).await?;
    let registry = &ctx.state.registry;
    registry
        .blobs()
        .finish_upload(
            id,
            (session.owner_id, PackageType::Container, &repo.image),
            &digest.to_text(),
            digest.expected(),
            registry.limits.max_layer_bytes,
        )
        .await
        .map_err(store_error)?
        .ok_or_else(OciError::upload_unknown)?;
    Ok(blob_created(repo, &digest))
}

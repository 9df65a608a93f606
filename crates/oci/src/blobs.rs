//! Blobs and uploads: HEAD/GET with ranges, DELETE, monolithic and chunked
//! uploads, streamed PATCH, status, cancel, and cross-repository mount.
//! Upload sessions and their parts live in the shared stores, so an upload
//! begun on one node can finish on another.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Id, PackageType};
use entrepot_store::{BlobInfo, BlobLink, ByteStream, Expected};
use futures::{StreamExt, TryStreamExt};

use crate::error::{Code, OciError, OciResult};
use crate::name::{Digest, RepoName};
use crate::{Act, Ctx};

fn digest_of(text: &str) -> OciResult<Digest> {
    Digest::parse(text).ok_or_else(|| {
        OciError::new(
            StatusCode::BAD_REQUEST,
            Code::DigestInvalid,
            format!("invalid or unsupported digest: {text}"),
        )
    })
}

async fn owner_id(ctx: &Ctx, repo: &RepoName) -> OciResult<Id> {
    Ok(ctx
        .state
        .registry
        .meta
        .account_by_login(&repo.owner)
        .await?
        .ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::NameUnknown,
                "repository name not known to registry",
            )
        })?
        .id)
}

fn body_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

/// `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`.
pub async fn blob(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let act = if ctx.method == Method::DELETE {
        Act::Delete
    } else {
        Act::Pull
    };
    ctx.check(repo, act, Code::BlobUnknown).await?;
    let digest = digest_of(digest)?;
    let owner = owner_id(ctx, repo).await?;
    let meta = &ctx.state.registry.meta;
    if act == Act::Delete {
        return if meta
            .unlink_blob(
                owner,
                PackageType::Container,
                &repo.image,
                &digest.to_text(),
            )
            .await?
        {
            Ok(StatusCode::ACCEPTED.into_response())
        } else {
            Err(OciError::new(
                StatusCode::NOT_FOUND,
                Code::BlobUnknown,
                "blob unknown to registry",
            ))
        };
    }
    let link = meta
        .blob_link(
            owner,
            PackageType::Container,
            &repo.image,
            &digest.to_text(),
        )
        .await?
        .ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::BlobUnknown,
                "blob unknown to registry",
            )
        })?;
    let head = ctx.method == Method::HEAD;
    let mut response = entrepot_http::download::serve_blob(
        &ctx.state,
        &link.sha256,
        &ctx.headers,
        "application/octet-stream",
        head,
    )
    .await
    .map_err(|e| match e {
        entrepot_service::ServiceError::RangeNotSatisfiable { size } => OciError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            Code::RangeInvalid,
            format!("the range is outside the blob's {size} bytes"),
        ),
        other => OciError::from_service(&other, Code::BlobUnknown),
    })?;
    set(&mut response, "docker-content-digest", &digest.to_text());
    Ok(response)
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, v);
    }
}

fn created(repo: &RepoName, digest: &str) -> Response {
    let mut response = StatusCode::CREATED.into_response();
    set(
        &mut response,
        "location",
        &format!("/v2/{}/blobs/{digest}", repo.full()),
    );
    set(&mut response, "docker-content-digest", digest);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    response
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

async fn link(
    ctx: &Ctx,
    owner: Id,
    repo: &RepoName,
    digest: &str,
    info: &BlobInfo,
) -> OciResult<()> {
    let link = BlobLink {
        owner_id: owner,
        package_type: PackageType::Container,
        repository: repo.image.clone(),
        digest: digest.to_owned(),
        sha256: info.sha256.clone(),
        size: info.size,
    };
    Ok(ctx
        .state
        .registry
        .meta
        .link_blob(&link, chrono::Utc::now())
        .await?)
}

async fn store(ctx: &Ctx, body: ByteStream, expected: Expected) -> OciResult<BlobInfo> {
    let limit = ctx.state.registry.limits.max_layer_bytes;
    ctx.state
        .registry
        .store_blob_limited(body, expected, limit)
        .await
        .map_err(|e| match e {
            entrepot_service::ServiceError::DigestMismatch(m) => {
                OciError::new(StatusCode::BAD_REQUEST, Code::DigestInvalid, m)
            }
            other => OciError::from_service(&other, Code::BlobUploadInvalid),
        })
}

/// `POST /v2/<name>/blobs/uploads/`: mount, monolithic upload, or a session.
pub async fn start_upload(ctx: &Ctx, repo: &RepoName, body: Body) -> OciResult<Response> {
    ctx.check(repo, Act::Push, Code::NameUnknown).await?;
    let owner = owner_id(ctx, repo).await?;
    if let Some(mount) = ctx.query("mount")
        && let Some(digest) = Digest::parse(mount)
        && let Some(source) = mountable(ctx, &digest, ctx.query("from")).await?
    {
        link(
            ctx,
            owner,
            repo,
            &digest.to_text(),
            &BlobInfo {
                sha256: source.sha256,
                size: source.size,
                sha512: None,
                sha1: None,
                md5: None,
            },
        )
        .await?;
        return Ok(created(repo, &digest.to_text()));
    }
    if let Some(digest) = ctx.query("digest") {
        let digest = digest_of(digest)?;
        let info = store(ctx, body_stream(body), digest.expected()).await?;
        link(ctx, owner, repo, &digest.to_text(), &info).await?;
        return Ok(created(repo, &digest.to_text()));
    }
    let id = hex::encode(rand::random::<[u8; 16]>());
    ctx.state
        .registry
        .meta
        .create_upload(&id, owner, &repo.image, chrono::Utc::now())
        .await?;
    Ok(upload_state(StatusCode::ACCEPTED, repo, &id, 0))
}

/// The blob a mount may take: from the named repository if the caller may
/// pull it, or (without `from`) from any repository the caller may pull.
async fn mountable(ctx: &Ctx, digest: &Digest, from: Option<&str>) -> OciResult<Option<BlobLink>> {
    let links = ctx.state.registry.meta.links_of(&digest.to_text()).await?;
    for candidate in links {
        let Some(account) = ctx
            .state
            .registry
            .meta
            .account_by_id(candidate.owner_id)
            .await?
        else {
            continue;
        };
        let source = RepoName {
            owner: account.login,
            image: candidate.repository.clone(),
        };
        if from.is_some_and(|f| f != source.full()) {
            continue;
        }
        if crate::repo_access(&ctx.state, &ctx.access.actor, &source, Act::Pull)
            .await
            .is_ok()
        {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

/// `Content-Range: START-END` (inclusive), as the spec writes it.
pub(crate) fn content_range(headers: &HeaderMap) -> Option<(u64, u64)> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let value = value
        .trim_start_matches("bytes=")
        .trim_start_matches("bytes ");
    let value = value.split('/').next()?;
    let (start, end) = value.split_once('-')?;
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?))
}

fn range_invalid(repo: &RepoName, id: &str, size: u64) -> OciError {
    let _ = (repo, id);
    OciError::new(
        StatusCode::RANGE_NOT_SATISFIABLE,
        Code::RangeInvalid,
        format!("the chunk does not continue the upload at byte {size}"),
    )
}

/// Appends a request body as the next part of an upload.
async fn append(ctx: &Ctx, repo: &RepoName, id: &str, at: u64, body: Body) -> OciResult<u64> {
    let range = content_range(&ctx.headers);
    if let Some((start, _)) = range
        && start != at
    {
        return Err(range_invalid(repo, id, at));
    }
    let info = store(ctx, body_stream(body), Expected::default()).await?;
    if info.size == 0 {
        return Ok(at);
    }
    if let Some((start, end)) = range
        && end + 1 - start != info.size
    {
        discard(ctx, &info.sha256).await;
        return Err(range_invalid(repo, id, at));
    }
    let appended = ctx
        .state
        .registry
        .meta
        .append_upload_part(id, at, &info.sha256, info.size, chrono::Utc::now())
        .await?;
    if !appended {
        discard(ctx, &info.sha256).await;
        return Err(range_invalid(repo, id, at));
    }
    Ok(at + info.size)
}

/// Drops an upload part; a failure only leaves it to the collector.
async fn discard(ctx: &Ctx, sha256: &str) {
    let _ = ctx.state.registry.discard_upload(sha256).await;
}

/// `GET`/`PATCH`/`PUT`/`DELETE` on an upload session.
pub async fn upload(ctx: &Ctx, repo: &RepoName, id: &str, body: Body) -> OciResult<Response> {
    ctx.check(repo, Act::Push, Code::BlobUploadUnknown).await?;
    let owner = owner_id(ctx, repo).await?;
    let meta = &ctx.state.registry.meta;
    let unknown = || {
        OciError::new(
            StatusCode::NOT_FOUND,
            Code::BlobUploadUnknown,
            "blob upload unknown to registry",
        )
    };
    let session = meta
        .upload(id)
        .await?
        .filter(|s| s.owner_id == owner && s.repository == repo.image)
        .ok_or_else(unknown)?;
    match ctx.method {
        Method::GET | Method::HEAD => {
            Ok(upload_state(StatusCode::NO_CONTENT, repo, id, session.size))
        }
        Method::DELETE => {
            meta.delete_upload(id).await?;
            for (sha, _) in &session.parts {
                discard(ctx, sha).await;
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Method::PATCH => {
            let size = append(ctx, repo, id, session.size, body).await?;
            Ok(upload_state(StatusCode::ACCEPTED, repo, id, size))
        }
        _ => finish(ctx, repo, owner, id, session.size, body).await,
    }
}

/// The closing `PUT ?digest=`: an optional last chunk, then the parts
/// joined into one blob verified against the whole digest.
async fn finish(
    ctx: &Ctx,
    repo: &RepoName,
    owner: Id,
    id: &str,
    size: u64,
    body: Body,
) -> OciResult<Response> {
    let digest = digest_of(ctx.query("digest").unwrap_or(""))?;
    append(ctx, repo, id, size, body).await?;
    let meta = &ctx.state.registry.meta;
    let session = meta.upload(id).await?.ok_or_else(|| {
        OciError::new(
            StatusCode::NOT_FOUND,
            Code::BlobUploadUnknown,
            "blob upload unknown to registry",
        )
    })?;
    let single = match (&digest, session.parts.as_slice()) {
        (Digest::Sha256(hex), [(sha, size)]) if hex == sha => Some(BlobInfo {
            sha256: sha.clone(),
            size: *size,
            sha512: None,
            sha1: None,
            md5: None,
        }),
        _ => None,
    };
    let result = if let Some(info) = single {
        Ok(info)
    } else {
        {
            let blobs = ctx.state.registry.blobs.clone();
            let parts: Vec<String> = session.parts.iter().map(|(s, _)| s.clone()).collect();
            let joined = futures::stream::iter(parts)
                .then(move |sha| {
                    let blobs = blobs.clone();
                    async move { blobs.get(&sha, None).await.map_err(std::io::Error::other) }
                })
                .map_ok(|read| read.stream)
                .try_flatten();
            store(ctx, Box::pin(joined), digest.expected()).await
        }
    };
    // Whatever the outcome, the session is over and its parts can go.
    meta.delete_upload(id).await?;
    let info = result?;
    link(ctx, owner, repo, &digest.to_text(), &info).await?;
    for (sha, _) in &session.parts {
        if *sha != info.sha256 {
            discard(ctx, sha).await;
        }
    }
    Ok(created(repo, &digest.to_text()))
}

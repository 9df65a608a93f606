//! Manifests, by tag and by digest, stored byte-exact as versions: pull,
//! push (which checks the blobs an image needs and moves tags when the same
//! manifest comes again) and delete.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, Package, PackageType, Version};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;
use entrepot_store::blob::stream_of;

use crate::ctx::{Act, Ctx};
use crate::document::{
    MANIFEST_TYPES, MAX_MANIFEST_BYTES, Needs, Pushed, config_and_layers, is_index, needs,
};
use crate::error::{Code, OciError, OciResult};
use crate::kept::{Kept, MAX_KEPT_BYTES};
use crate::labels::ImageInfo;
use crate::metadata::ManifestMetadata;
use crate::name::{Digest, Reference, RepoName};
use crate::response::{created, set};

/// The live version `reference` names: a digest (sha256 as stored, or
/// sha512 as the manifest's metadata remembers it), or a tag.
pub(crate) async fn find_version(
    ctx: &Ctx,
    package: &Package,
    reference: &Reference,
) -> OciResult<Version> {
    let registry = &ctx.state.registry;
    let version = match reference {
        Reference::Digest(digest @ Digest::Sha256(_)) => {
            registry
                .packages()
                .version(package.id, &digest.to_text())
                .await?
        }
        Reference::Digest(Digest::Sha512(hex)) => registry
            .packages()
            .versions(package.id, false)
            .await?
            .into_iter()
            .find(|v| ManifestMetadata::of(v).sha512.as_ref() == Some(hex)),
        Reference::Tag(tag) => {
            let tag = registry
                .packages()
                .tags(package.id)
                .await?
                .into_iter()
                .find(|t| t.name == *tag)
                .ok_or_else(OciError::manifest_unknown)?;
            return registry
                .packages()
                .version_by_id(tag.version_id)
                .await?
                .ok_or_else(OciError::manifest_unknown);
        }
    };
    version
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(OciError::manifest_unknown)
}

/// `GET`/`HEAD /v2/<name>/manifests/<reference>`: from the manifests kept
/// until the repository changes, else from the store (and then kept).
pub async fn get(ctx: &Ctx, repo: &RepoName, reference: &str, head: bool) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Pull, Code::ManifestUnknown)
        .await?
        .package
        .ok_or_else(OciError::manifest_unknown)?;
    let parsed = Reference::parse(reference)?;
    let key = (
        package.id,
        reference.to_owned(),
        package.updated_at.timestamp_micros(),
    );
    // A range is rare: the blob store answers it.
    let ranged = ctx.headers.contains_key(header::RANGE);
    if !ranged && let Some(kept) = ctx.manifests.get(&key) {
        crate::signatures::enforce(ctx, &package, &kept.version).await?;
        let response = kept.respond(&ctx.headers, head);
        return Ok(answer(
            ctx,
            response,
            (&kept.version, &kept.digest),
            &parsed,
            head,
        ));
    }
    let version = find_version(ctx, &package, &parsed).await?;
    crate::signatures::enforce(ctx, &package, &version).await?;
    // A digest reference is echoed; a tag reports the digest it was pushed
    // by (sha512 when the client chose it), else the manifest's first one.
    let digest = match &parsed {
        Reference::Digest(_) => reference.to_owned(),
        Reference::Tag(tag) => ManifestMetadata::of(&version)
            .digest_of_tag(tag)
            .map_or_else(|| version.name.clone(), str::to_owned),
    };
    let file = ctx
        .state
        .registry
        .packages()
        .files(version.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(OciError::manifest_unknown)?;
    let content_type = file
        .content_type
        .clone()
        .unwrap_or_else(|| MANIFEST_TYPES[0].to_owned());
    let unavailable = |e: ServiceError| OciError::from_service(&e, Code::ManifestUnknown);
    if !ranged && file.size <= MAX_KEPT_BYTES {
        let read = Kept::read(
            &ctx.state,
            (version.clone(), digest.clone()),
            &file.sha256,
            &content_type,
        )
        .await
        .map_err(unavailable)?;
        if let Some(kept) = read.map(Arc::new) {
            ctx.manifests.put(key, Arc::clone(&kept));
            let response = kept.respond(&ctx.headers, head);
            return Ok(answer(
                ctx,
                response,
                (&kept.version, &kept.digest),
                &parsed,
                head,
            ));
        }
    }
    let response = entrepot_http::download::serve_blob(
        &ctx.state,
        &file.sha256,
        &ctx.headers,
        &content_type,
        head,
    )
    .await
    .map_err(unavailable)?;
    Ok(answer(ctx, response, (&version, &digest), &parsed, head))
}

/// What every answer to a pull carries beside the manifest: the digest it
/// is known by, how long it may be cached (what a digest names never
/// changes; what a tag names may), and the download it counts.
fn answer(
    ctx: &Ctx,
    mut response: Response,
    (version, digest): (&Version, &str),
    parsed: &Reference,
    head: bool,
) -> Response {
    set(&mut response, "docker-content-digest", digest);
    let caching = match parsed {
        Reference::Digest(_) => "private, max-age=31536000, immutable",
        Reference::Tag(_) => "private, no-cache",
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    if !head && response.status() == StatusCode::OK {
        ctx.state
            .registry
            .packages()
            .count_download(entrepot_core::PackageType::Container, version);
    }
    response
}

/// An image manifest's config and layers must be in the repository
/// (non-distributable layers excepted); an index's children need not be.
async fn check_references(
    ctx: &Ctx,
    owner: &Account,
    repo: &RepoName,
    pushed: &Pushed,
) -> OciResult<()> {
    if is_index(&pushed.media_type) {
        return Ok(());
    }
    let (config, layers) = config_and_layers(&pushed.doc);
    for descriptor in layers.iter().chain(config) {
        let d = match needs(descriptor) {
            Needs::Blob(d) => d,
            Needs::Nothing => continue,
            Needs::NoDigest => {
                return Err(OciError::manifest_invalid("a descriptor has no digest"));
            }
        };
        let linked = ctx
            .state
            .registry
            .blobs()
            .blob_link(owner.id, PackageType::Container, &repo.image, d)
            .await?;
        if linked.is_none() {
            return Err(OciError::new(
                StatusCode::BAD_REQUEST,
                Code::ManifestBlobUnknown,
                format!("blob unknown to registry: {d}"),
            ));
        }
    }
    Ok(())
}

/// `PUT /v2/<name>/manifests/<reference>`.
pub async fn put(ctx: &Ctx, repo: &RepoName, reference: &str, body: Body) -> OciResult<Response> {
    let owner = ctx.check(repo, Act::Push, Code::NameUnknown).await?.owner;
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|_| {
            OciError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::SizeInvalid,
                "the manifest is too large",
            )
        })?;
    let content_type = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let pushed = Pushed::parse(reference, content_type, ctx.query_all("tag"), bytes)?;
    check_references(ctx, &owner, repo, &pushed).await?;
    record(ctx, repo, &owner, &pushed).await?;
    let mut response = created(
        &format!("/v2/{}/manifests/{}", repo.full(), pushed.named_digest),
        &pushed.named_digest,
    );
    if let Some(subject) = pushed.subject() {
        set(&mut response, "oci-subject", subject);
    }
    for tag in &pushed.extra {
        set(&mut response, "oci-tag", tag);
    }
    Ok(response)
}

/// Stores the manifest as a version (or, pushed again, moves its tags).
async fn record(ctx: &Ctx, repo: &RepoName, owner: &Account, pushed: &Pushed) -> OciResult<()> {
    let registry = &ctx.state.registry;
    let digest = format!("sha256:{}", pushed.sha256);
    let ImageInfo {
        source,
        description,
        licenses,
    } = ImageInfo::of(ctx, owner, repo, &pushed.doc).await;
    let repository = match source {
        Some(url) => entrepot_http::repo_link::resolve(&ctx.state, &url, &repo.owner).await?,
        None => None,
    };
    let mut metadata = ManifestMetadata::describe(
        &pushed.doc,
        &pushed.media_type,
        pushed.bytes.len(),
        &pushed.sha512,
        &pushed.named_digest,
    );
    metadata.remember_tag_digests(&pushed.named_digest, &pushed.tags);
    metadata.license = licenses;
    let expected = Expected {
        sha256: Some(pushed.sha256.clone()),
        ..Expected::default()
    };
    let blob = registry
        .blobs()
        .store_blob(stream_of(pushed.bytes.clone()), expected)
        .await?;
    let publication = Publication {
        owner: repo.owner.clone(),
        package_type: PackageType::Container,
        name: repo.image.clone(),
        version: digest.clone(),
        metadata: metadata.to_json(),
        files: vec![StagedFile {
            name: "manifest.json".into(),
            blob,
            content_type: Some(pushed.media_type.clone()),
        }],
        tags: pushed.tags.clone(),
        repository: repository.clone(),
        description,
        readme: None,
    };
    let actor = &ctx.access.actor;
    match registry.packages().publish(actor, publication).await {
        Ok((package, _)) => {
            if let Some(repo) = repository {
                registry
                    .packages()
                    .connect_repository(&package, &repo)
                    .await?;
            }
            Ok(())
        }
        // The same manifest again: only its tags move.
        Err(ServiceError::Conflict(_)) => {
            let package = registry
                .packages()
                .package_named(owner.id, PackageType::Container, &repo.image, false)
                .await?
                .ok_or_else(OciError::manifest_unknown)?;
            let version = registry
                .packages()
                .version(package.id, &digest)
                .await?
                .ok_or_else(OciError::manifest_unknown)?;
            if version.deleted_at.is_some() {
                match registry
                    .packages()
                    .restore_version(actor, &package, &version)
                    .await
                {
                    // NotFound: a concurrent push restored it a moment ago.
                    Ok(()) | Err(ServiceError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let version = registry
                .packages()
                .version_by_id(version.id)
                .await?
                .ok_or_else(OciError::manifest_unknown)?;
            for tag in &pushed.tags {
                registry
                    .packages()
                    .set_tag(actor, &package, tag, &version)
                    .await?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// `DELETE /v2/<name>/manifests/<reference>`: by digest, the version; by
/// tag, only the tag.
pub async fn delete(ctx: &Ctx, repo: &RepoName, reference: &str) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Delete, Code::ManifestUnknown)
        .await?
        .package
        .ok_or_else(OciError::manifest_unknown)?;
    let actor = &ctx.access.actor;
    let registry = &ctx.state.registry;
    match Reference::parse(reference)? {
        digest @ Reference::Digest(_) => {
            let version = find_version(ctx, &package, &digest).await?;
            registry
                .packages()
                .delete_version_of(actor, &package, &version, true)
                .await?;
        }
        Reference::Tag(tag) => registry
            .packages()
            .remove_tag(actor, &package, &tag)
            .await
            .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?,
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

//! Manifests from an upstream registry: by digest, fetched once, checked
//! and kept for good; by tag, the digest the upstream's tag names now (a
//! `HEAD` after the TTL), the manifest fetched if it is new here, and the
//! kept tag moved to it; served as last seen while the upstream is down.

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Package, PackageType, Upstream, Version};
use entrepot_service::packages::StagedFile;
use entrepot_service::proxy::{Answered, KeptVersion};
use entrepot_store::Expected;
use entrepot_store::blob::stream_of;

use super::{remote, scope};
use crate::ctx::{Act, Ctx};
use crate::document::{MANIFEST_TYPES, MAX_MANIFEST_BYTES, Pushed};
use crate::error::{Code, OciError, OciResult};
use crate::metadata::ManifestMetadata;
use crate::name::{Digest, Reference, RepoName};

/// `GET`/`HEAD /v2/NAME/IMAGE/manifests/REFERENCE`: the manifest brought
/// up to date with the upstream, then served as any kept manifest is.
pub async fn get(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    reference: &str,
    head: bool,
) -> OciResult<Response> {
    ctx.check(repo, Act::Pull, Code::ManifestUnknown).await?;
    match Reference::parse(reference)? {
        Reference::Digest(digest) => {
            if kept(ctx, upstream, repo, &digest).await?.is_none() {
                let key = format!("oci:{}:{}@{}", upstream.account_id, repo.image, reference);
                let _turn = ctx.state.registry.upstreams().turn(&key).await;
                if kept(ctx, upstream, repo, &digest).await?.is_none() {
                    fetch(ctx, upstream, repo, reference, None).await?;
                }
            }
        }
        Reference::Tag(tag) => revalidate(ctx, upstream, repo, &tag).await?,
    }
    crate::manifests::get(ctx, repo, reference, head).await
}

/// The upstream's package for `repo`, if anything of it was kept.
async fn package(ctx: &Ctx, upstream: &Upstream, repo: &RepoName) -> OciResult<Option<Package>> {
    Ok(ctx
        .state
        .registry
        .packages()
        .package_named(
            upstream.account_id,
            PackageType::Container,
            &repo.image,
            false,
        )
        .await?)
}

/// The manifest kept for `digest`, if it was fetched before.
async fn kept(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    digest: &Digest,
) -> OciResult<Option<Version>> {
    let Some(package) = package(ctx, upstream, repo).await? else {
        return Ok(None);
    };
    let reference = Reference::Digest(digest.clone());
    match crate::manifests::find_version(ctx, &package, &reference).await {
        Ok(version) => Ok(Some(version)),
        Err(e) if e.code == Code::ManifestUnknown => Ok(None),
        Err(e) => Err(e),
    }
}

/// The digest the kept `tag` names, if it was kept.
async fn kept_tag(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    tag: &str,
) -> OciResult<Option<String>> {
    let Some(package) = package(ctx, upstream, repo).await? else {
        return Ok(None);
    };
    let reference = Reference::Tag(tag.to_owned());
    match crate::manifests::find_version(ctx, &package, &reference).await {
        Ok(version) => Ok(Some(version.name)),
        Err(e) if e.code == Code::ManifestUnknown => Ok(None),
        Err(e) => Err(e),
    }
}

/// Brings the kept `tag` up to date with the upstream's, unless it was
/// checked within the TTL; keeps it as it is while the upstream is down.
async fn revalidate(ctx: &Ctx, upstream: &Upstream, repo: &RepoName, tag: &str) -> OciResult<()> {
    let upstreams = ctx.state.registry.upstreams();
    let path = format!("v2/{}/manifests/{tag}", remote(upstream, repo));
    let current = |noted: Option<(String, bool)>, local: &Option<String>| {
        noted.is_some_and(|(said, fresh)| fresh && local.as_deref() == Some(said.as_str()))
    };
    let local = kept_tag(ctx, upstream, repo, tag).await?;
    if current(upstreams.noted(upstream, &path).await?, &local) {
        return Ok(());
    }
    let _turn = upstreams
        .turn(&format!("oci:{}:{}:{tag}", upstream.account_id, repo.image))
        .await;
    let local = kept_tag(ctx, upstream, repo, tag).await?;
    if current(upstreams.noted(upstream, &path).await?, &local) {
        return Ok(());
    }
    // An upstream that just failed is not asked again for a while when
    // there is a copy: each pull would wait for it to time out.
    if local.is_some() && upstreams.recently_down(upstream) {
        return Ok(());
    }
    let version = match renew(ctx, upstream, repo, tag, &path).await {
        Ok(version) => version,
        Err(e) => {
            if e.code == Code::Unavailable {
                upstreams.note_down(upstream);
            }
            // The upstream failed (not: it has no such tag): the copy holds.
            let failed = e.status.is_server_error() || e.code == Code::Toomanyrequests;
            if local.is_some() && failed {
                tracing::warn!(upstream = %upstream.name, image = %repo.image, tag,
                    error = %e.message, "upstream unavailable: serving the tag as last seen");
                return Ok(());
            }
            return Err(e);
        }
    };
    if local.as_deref() != Some(version.name.as_str()) {
        let package = package(ctx, upstream, repo)
            .await?
            .ok_or_else(OciError::manifest_unknown)?;
        upstreams
            .tag_kept(upstream, &package, tag, &version)
            .await?;
    }
    upstreams.note(upstream, &path, &version.name).await?;
    Ok(())
}

/// The manifest the upstream's `tag` names now: asked with a `HEAD`, and
/// fetched when it is not kept yet.
async fn renew(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    tag: &str,
    path: &str,
) -> OciResult<Version> {
    let accept = MANIFEST_TYPES.join(", ");
    let answered = ctx
        .state
        .registry
        .upstreams()
        .ask_now(upstream, true, path, &accept, &scope(upstream, repo), 0)
        .await
        .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?
        .ok_or_else(OciError::manifest_unknown)?;
    match said_digest(&answered) {
        Some(d) => match kept(ctx, upstream, repo, &d).await? {
            Some(version) => Ok(version),
            None => fetch(ctx, upstream, repo, &d.to_text(), Some(tag)).await,
        },
        // No digest in the answer to a `HEAD`: the manifest itself says.
        None => fetch(ctx, upstream, repo, tag, Some(tag)).await,
    }
}

/// The sha256 digest an upstream's answer names in `Docker-Content-Digest`.
fn said_digest(answered: &Answered) -> Option<Digest> {
    answered
        .headers
        .get("docker-content-digest")
        .and_then(|v| v.to_str().ok())
        .and_then(Digest::parse)
        .filter(|d| matches!(d, Digest::Sha256(_)))
}

/// Fetches the manifest `reference` names from the upstream, checks it as
/// a push is checked (by digest, against it), and keeps it; a manifest
/// asked for by tag is checked against the digest the upstream names.
async fn fetch(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    reference: &str,
    tag: Option<&str>,
) -> OciResult<Version> {
    let upstreams = ctx.state.registry.upstreams();
    let path = format!("v2/{}/manifests/{reference}", remote(upstream, repo));
    let accept = MANIFEST_TYPES.join(", ");
    let answered = upstreams
        .ask_now(
            upstream,
            false,
            &path,
            &accept,
            &scope(upstream, repo),
            MAX_MANIFEST_BYTES,
        )
        .await
        .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?
        .ok_or_else(OciError::manifest_unknown)?;
    let content_type = answered
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let tags = tag.map(|t| vec![t.to_owned()]).unwrap_or_default();
    let refused = |why: &str| {
        tracing::warn!(upstream = %upstream.name, image = %repo.image, reference,
            error = why, "an upstream's manifest was refused");
        OciError::new(
            StatusCode::BAD_GATEWAY,
            Code::ManifestInvalid,
            format!(
                "the upstream registry `{}` sent a manifest this registry refuses: {why}",
                upstream.name
            ),
        )
    };
    let pushed = Pushed::parse(reference, content_type, Vec::new(), answered.body.clone())
        .map_err(|e| refused(&e.message))?;
    if let Some(said) = said_digest(&answered)
        && said.to_text() != format!("sha256:{}", pushed.sha256)
    {
        return Err(refused(
            "the manifest does not match the digest it is named by",
        ));
    }
    // Known by its sha256, as the upstream names it, however it was asked.
    let version = format!("sha256:{}", pushed.sha256);
    let mut metadata = ManifestMetadata::describe(
        &pushed.doc,
        &pushed.media_type,
        pushed.bytes.len(),
        &pushed.sha512,
        &version,
    );
    metadata.remember_tag_digests(&version, &tags);
    let expected = Expected {
        sha256: Some(pushed.sha256.clone()),
        ..Expected::default()
    };
    let blob = ctx
        .state
        .registry
        .blobs()
        .store_blob(stream_of(pushed.bytes.clone()), expected)
        .await?;
    let file = StagedFile {
        name: "manifest.json".into(),
        blob,
        content_type: Some(pushed.media_type.clone()),
    };
    let metadata = metadata.to_json();
    let (_, version, _) = upstreams
        .keep_version(
            upstream,
            KeptVersion {
                package_type: PackageType::Container,
                package: &repo.image,
                version: &version,
                metadata: &metadata,
                file: &file,
            },
        )
        .await?;
    Ok(version)
}

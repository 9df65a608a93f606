//! `PUT /NAME`: a publish (one version and its tarball), or, without a
//! tarball, a change of what may change after publication (`npm
//! deprecate`); `PUT /NAME/-rev/REV` hands over to `unpublish`.

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use entrepot_core::{Actor, PackageType, Repository};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::access::PublishTarget;
use entrepot_service::packages::{Publication, StagedFile};
use serde_json::{Map, Value, json};

use crate::document::{self, PublishBody, StoredAttachment};
use crate::error::{NpmError, NpmResult, invalid};
use crate::metadata::Manifest;
use crate::name::NpmName;
use crate::view::View;
use crate::{reply, tarball, unpublish};

/// `PUT /NAME` (publish, or deprecate when no tarball is attached) and
/// `PUT /NAME/-rev/REV` (unpublish the versions the document leaves out).
pub async fn put_document(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    body: Body,
    unpublish: bool,
) -> NpmResult<Response> {
    if actor.user_id().is_none() {
        return Err(NpmError(ServiceError::Unauthenticated));
    }
    let max_file = state.registry.limits.max_upload_bytes;
    let max_body = max_file.saturating_mul(4) / 3 + 1024 * 1024;
    // The tarball stops as soon as it crosses the owner's quota.
    let owner = state
        .registry
        .accounts()
        .account_by_login(&name.scope)
        .await?;
    let room = match &owner {
        Some(owner) => {
            state
                .registry
                .governance()
                .room(actor, owner, (PackageType::Npm, &name.name))
                .await?
        }
        None => None,
    };
    let parsed = document::read(body, state.registry.clone(), (max_body, room)).await;
    let parsed = match (parsed, &owner, room) {
        (Err(NpmError(ServiceError::TooLarge { .. })), Some(owner), Some(room))
            if room < max_file =>
        {
            // Crossed the quota: say which, as a publish that fit the
            // upload limit would hear.
            state
                .registry
                .governance()
                .check_upload(actor, owner, (PackageType::Npm, Some(&name.name)), room + 1)
                .await?;
            return Err(NpmError(ServiceError::TooLarge { limit: max_file }));
        }
        (parsed, _, _) => parsed.map_err(|e| match e {
            NpmError(ServiceError::TooLarge { .. }) => {
                NpmError(ServiceError::TooLarge { limit: max_file })
            }
            other => other,
        })?,
    };
    let blobs: Vec<_> = parsed.attachments.iter().map(|a| a.blob.clone()).collect();
    let result = if parsed.name().is_some_and(|n| n != name.full()) {
        Err(invalid("the document's name does not match the URL"))
    } else if parsed.attachments.is_empty() {
        if unpublish {
            unpublish::missing_versions(state, actor, name, &parsed.versions()).await
        } else {
            deprecate(state, actor, name, &parsed.versions()).await
        }
    } else if unpublish {
        Err(invalid("an unpublish carries no tarball"))
    } else {
        publish_version(state, actor, name, parsed).await
    };
    if result.is_err() {
        // Nothing half-written: blobs of a refused publish go again.
        for blob in &blobs {
            document::discard(&state.registry, blob).await;
        }
    }
    result
}

/// A publish document that passed every check.
struct ValidPublish {
    version: String,
    manifest: Manifest,
    attachment: StoredAttachment,
}

/// Checks that a publish document carries one well-formed version with its
/// tarball, and that the stored tarball has the digests the version names.
fn validate_publish(
    name: &NpmName,
    versions: Map<String, Value>,
    attachments: Vec<StoredAttachment>,
) -> NpmResult<ValidPublish> {
    let (version, manifest) = match (versions.len(), attachments.len()) {
        (1, 1) => versions.into_iter().next().expect("one version"),
        _ => {
            return Err(invalid(
                "a publish carries exactly one version and one tarball",
            ));
        }
    };
    let manifest = Manifest::from_value(manifest);
    if semver::Version::parse(&version).is_err() {
        return Err(invalid(format!("invalid version: {version} is not semver")));
    }
    if manifest.version.as_deref() != Some(version.as_str())
        || manifest.name.as_deref() != Some(name.full().as_str())
    {
        return Err(invalid(
            "the version's name and version do not match the document",
        ));
    }
    let attachment = attachments.into_iter().next().expect("one attachment");
    if !attachment.filename.ends_with(&format!("-{version}.tgz")) {
        return Err(invalid(format!(
            "the tarball {} does not belong to version {version}",
            attachment.filename
        )));
    }
    if attachment
        .declared_length
        .is_some_and(|l| l != attachment.blob.size)
    {
        return Err(invalid(
            "the tarball's length does not match its declared length",
        ));
    }
    let dist = manifest.dist.clone().unwrap_or_default();
    let (sha512, sha1) = (dist.sha512(), dist.sha1());
    if sha512.is_none() && sha1.is_none() {
        return Err(invalid(
            "dist.integrity (sha512) or dist.shasum is required",
        ));
    }
    // Normally the blob store already refused a mismatch; this covers a
    // document whose tarball came before its version.
    if sha512.is_some_and(|d| Some(d) != attachment.blob.sha512)
        || sha1.is_some_and(|d| Some(d) != attachment.blob.sha1)
    {
        return Err(invalid(
            "the tarball does not match dist.integrity / dist.shasum",
        ));
    }
    Ok(ValidPublish {
        version,
        manifest,
        attachment,
    })
}

async fn publish_version(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    mut parsed: PublishBody,
) -> NpmResult<Response> {
    let attachments = std::mem::take(&mut parsed.attachments);
    let ValidPublish {
        version,
        manifest,
        attachment,
    } = validate_publish(name, parsed.versions(), attachments)?;
    let repository = match manifest.repository_url() {
        Some(url) => entrepot_http::repo_link::resolve(state, url, &name.scope).await?,
        None => None,
    };
    let mut tags = parsed.tags_of(&version);
    if !tags.iter().any(|t| t == "latest")
        && !has_latest(state, actor, name, repository.as_ref()).await?
    {
        tags.push("latest".into());
    }
    let readme = match tarball::readme_of(&state.registry, &attachment.blob).await {
        Some(readme) => Some(readme),
        None => manifest.readme.clone(),
    };
    let description = manifest.description.clone();
    let (package, _) = state
        .registry
        .packages()
        .publish(
            actor,
            Publication {
                owner: name.scope.clone(),
                package_type: PackageType::Npm,
                name: name.name.clone(),
                version: version.clone(),
                metadata: manifest.for_storage().to_value(),
                files: vec![StagedFile {
                    name: name.tarball(&version),
                    blob: attachment.blob,
                    content_type: Some("application/octet-stream".into()),
                }],
                tags,
                repository: repository.clone(),
                description,
                readme,
            },
        )
        .await?;
    if let Some(repo) = repository {
        state
            .registry
            .packages()
            .connect_repository(&package, &repo)
            .await?;
    }
    Ok(reply::json(
        StatusCode::CREATED,
        json!({ "ok": true, "id": name.full(), "success": true }),
    ))
}

/// Whether the package this publish lands in already has a `latest`
/// dist-tag: npm requires one, so the first publish sets it. A refusal
/// to publish comes from here as it would from the publish itself.
async fn has_latest(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    repository: Option<&Repository>,
) -> NpmResult<bool> {
    let registry = &state.registry;
    let owner = registry.accounts().account(&name.scope).await?;
    let target = registry
        .publish_target(actor, &owner, PackageType::Npm, &name.name, repository)
        .await?;
    Ok(match target {
        PublishTarget::Existing(package) => registry
            .packages()
            .tags(package.id)
            .await?
            .iter()
            .any(|t| t.name == "latest"),
        PublishTarget::New | PublishTarget::Hidden => false,
    })
}

/// A PUT without a tarball: only `deprecated` may change, nothing else
/// that was published.
async fn deprecate(
    state: &AppState,
    actor: &Actor,
    name: &NpmName,
    versions: &Map<String, Value>,
) -> NpmResult<Response> {
    let view = View::readable(&state.registry, actor, name).await?;
    for (version, manifest) in versions {
        let Some((stored, _)) = view.version(version) else {
            return Err(invalid(format!(
                "version {version} has no tarball attached"
            )));
        };
        let wanted = Manifest::from_value(manifest.clone())
            .deprecated
            .filter(|d| !d.is_empty());
        let mut current = Manifest::of(stored);
        if wanted == current.deprecated {
            continue;
        }
        current.deprecated = wanted;
        state
            .registry
            .packages()
            .update_version_metadata(
                actor,
                &view.package,
                stored,
                current.to_value(),
                "version.deprecate",
            )
            .await?;
    }
    Ok(reply::ok_for(name))
}

//! `gem push`: the `.gem` is streamed into the blob store, read back once
//! to load its gemspec and check its checksums, then published and
//! connected to the repository its `github_repo` metadata names (GitHub's
//! default: the owner's repository named like the gem); a refused gem
//! leaves nothing behind.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, PackageType};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{BlobInfo, Expected};
use futures::TryStreamExt;

use crate::gem::read_gem;
use crate::respond::{GemError, Result};
use crate::view::View;

/// `POST api/v1/gems`.
pub async fn push(view: &View<'_>, body: Body) -> Result<Response> {
    let registry = view.registry();
    if view.actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = registry.accounts().account(view.owner).await?;
    // Before the body is read: a gem the owner's quota has no room for
    // stores nothing (its name is not known yet).
    entrepot_http::quota::check_declared(
        registry,
        (view.actor, &owner),
        (PackageType::Rubygems, None),
        view.headers,
    )
    .await?;
    let stream = Box::pin(
        body.into_data_stream()
            .map_err(|e| std::io::Error::other(e.to_string())),
    );
    let blob = registry
        .blobs()
        .store_blob(stream, Expected::default())
        .await?;
    let result = publish(view, &owner, &blob).await;
    if result.is_err() {
        let _ = registry.blobs().discard_upload(&blob.sha256).await;
    }
    result
}

async fn publish(view: &View<'_>, owner: &Account, blob: &BlobInfo) -> Result<Response> {
    let registry = view.registry();
    let read = registry.blobs().read_blob(&blob.sha256, None).await?;
    let handle = tokio::runtime::Handle::current();
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(read.stream),
        handle,
    );
    let contents = tokio::task::spawn_blocking(move || read_gem(std::io::BufReader::new(reader)))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|m| GemError::new(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let mut spec = contents.spec;
    spec.sha256.clone_from(&blob.sha256);
    let repository = match spec.metadata.get("github_repo") {
        Some(url) => entrepot_http::repo_link::resolve(view.state, url, &owner.login).await?,
        None => {
            registry
                .accounts()
                .repository_of(owner.id, &spec.name)
                .await?
        }
    };
    let description = spec.summary.clone().or_else(|| spec.description.clone());
    let readme = contents.readme.or_else(|| spec.description.clone());
    let published = registry
        .packages()
        .publish(
            view.actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Rubygems,
                name: spec.name.clone(),
                version: spec.full_version(),
                metadata: spec.to_json(),
                files: vec![StagedFile {
                    name: format!("{}.gem", spec.full_name()),
                    blob: blob.clone(),
                    content_type: Some("application/octet-stream".into()),
                }],
                tags: Vec::new(),
                repository: repository.clone(),
                description,
                readme,
            },
        )
        .await;
    let (package, _) = match published {
        Ok(p) => p,
        Err(ServiceError::Conflict(_)) => {
            return Err(GemError::new(
                StatusCode::CONFLICT,
                format!(
                    "Repushing of gem versions is not allowed: {} exists.\nPlease bump the version number and push a new release.",
                    spec.full_name()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if let Some(repo) = repository {
        registry
            .packages()
            .connect_repository(&package, &repo)
            .await?;
    }
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!(
            "Successfully registered gem: {} ({})",
            spec.name,
            spec.full_version()
        ),
    )
        .into_response())
}

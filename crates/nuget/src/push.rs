//! `nuget push` and symbol packages (`PackagePublish`,
//! `SymbolPackagePublish`): the package is spooled, read and checked, then
//! stored with its nuspec, README and icon as files of the new version; a
//! symbol package joins a version already pushed. A refused push leaves
//! nothing behind.

use std::io::{Seek, SeekFrom};

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entrepot_core::PackageType;
use entrepot_http::spool::store_spooled;
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{BlobInfo, Expected};

use crate::flatcontainer::icon_type;
use crate::metadata::VersionMetadata;
use crate::package::{self, Contents};
use crate::respond::{NuGetError, Result};
use crate::upload::spool;
use crate::view::View;

/// `PUT api/v2/package` (or `api/v2/symbolpackage` with `symbols`).
pub async fn push(view: &View<'_>, body: Body, symbols: bool) -> Result<Response> {
    let registry = view.registry();
    if view.actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let mut file = spool(view.headers, body, registry.limits.max_upload_bytes).await?;
    let (file, contents) = tokio::task::spawn_blocking(move || {
        file.seek(SeekFrom::Start(0))?;
        let contents = package::read(&mut file);
        file.seek(SeekFrom::Start(0))?;
        Ok::<_, std::io::Error>((file, contents))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let contents = contents.map_err(NuGetError::bad_request)?;
    // Before it is stored: a package the owner's quota has no room for.
    entrepot_http::quota::check_spooled(
        registry,
        (view.actor, &view.owner),
        (PackageType::Nuget, None),
        &file,
    )
    .await?;
    let blob = store_spooled(
        registry,
        file,
        Expected {
            want_sha512: true,
            ..Expected::default()
        },
    )
    .await?;
    let mut stored = Vec::new();
    let result = if symbols {
        push_symbols(view, &contents, &blob).await
    } else {
        publish(view, contents, &blob, &mut stored).await
    };
    if result.is_err() {
        for sha in std::iter::once(&blob.sha256).chain(&stored) {
            let _ = registry.blobs().discard_upload(sha).await;
        }
    }
    result
}

fn created() -> Response {
    (StatusCode::CREATED, "Created").into_response()
}

async fn publish(
    view: &View<'_>,
    contents: Contents,
    blob: &BlobInfo,
    stored: &mut Vec<String>,
) -> Result<Response> {
    let registry = view.registry();
    let owner = &view.owner;
    let n = contents.nuspec.clone();
    if n.package_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case("SymbolsPackage"))
    {
        return Err(NuGetError::bad_request(
            "a symbol package is pushed to the symbol package resource",
        ));
    }
    let version = n.parsed_version();
    let lid = n.id.to_ascii_lowercase();
    let lver = version.key();
    let mut files = vec![StagedFile {
        name: format!("{lid}.{lver}.nupkg"),
        blob: blob.clone(),
        content_type: Some("application/octet-stream".into()),
    }];
    let (icon_file, readme_file) = stage_extras(view, &lid, &contents, &mut files, stored).await?;
    let repository = match &n.repository_url {
        Some(url) => entrepot_http::repo_link::resolve(view.state, url, &owner.login).await?,
        None => None,
    };
    let description =
        Some(n.summary.clone().unwrap_or_else(|| n.description.clone())).filter(|d| !d.is_empty());
    let readme = contents.readme.or_else(|| Some(n.description.clone()));
    let metadata = VersionMetadata {
        listed: true,
        size: blob.size,
        sha512: blob.sha512.clone().unwrap_or_default(),
        icon_file,
        readme_file,
        nuspec: n.clone(),
    };
    let published = registry
        .packages()
        .publish(
            view.actor,
            Publication {
                owner: owner.login.clone(),
                package_type: PackageType::Nuget,
                name: lid.clone(),
                version: lver.clone(),
                metadata: metadata.to_json(),
                files,
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
            return Err(NuGetError::new(
                StatusCode::CONFLICT,
                format!(
                    "Conflict: {} {} already exists and cannot be modified.",
                    n.id,
                    version.normalized()
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
    Ok(created())
}

/// Stores the nuspec, icon and README beside the package, as files of the
/// version; returns the icon's and README's file names.
async fn stage_extras(
    view: &View<'_>,
    lid: &str,
    contents: &Contents,
    files: &mut Vec<StagedFile>,
    stored: &mut Vec<String>,
) -> Result<(Option<String>, Option<String>)> {
    let mut stage = async |name: String, bytes: Vec<u8>, content_type: &str| {
        let blob = view
            .registry()
            .blobs()
            .store_blob(entrepot_store::blob::stream_of(bytes), Expected::default())
            .await?;
        stored.push(blob.sha256.clone());
        files.push(StagedFile {
            name,
            blob,
            content_type: Some(content_type.into()),
        });
        Ok::<_, NuGetError>(())
    };
    stage(
        format!("{lid}.nuspec"),
        contents.nuspec_bytes.clone(),
        "application/xml",
    )
    .await?;
    let mut icon_file = None;
    if let Some((name, bytes)) = &contents.icon {
        let file = format!("icon/{name}");
        stage(file.clone(), bytes.clone(), icon_type(name)).await?;
        icon_file = Some(file);
    }
    let mut readme_file = None;
    if let Some(text) = &contents.readme {
        let file = "readme/README.md".to_owned();
        stage(file.clone(), text.clone().into_bytes(), "text/markdown").await?;
        readme_file = Some(file);
    }
    Ok((icon_file, readme_file))
}

/// A symbol package joins the version it was built with, which must have
/// been pushed first.
async fn push_symbols(view: &View<'_>, contents: &Contents, blob: &BlobInfo) -> Result<Response> {
    let registry = view.registry();
    let n = &contents.nuspec;
    let lid = n.id.to_ascii_lowercase();
    let lver = n.parsed_version().key();
    let package = view.package(&lid).await?;
    let Some(version) = registry.packages().live_version(&package, &lver).await? else {
        return Err(NuGetError::not_found(format!(
            "{} {} must be pushed before its symbols",
            n.id, lver
        )));
    };
    let file = StagedFile {
        name: format!("{lid}.{lver}.snupkg"),
        blob: blob.clone(),
        content_type: Some("application/octet-stream".into()),
    };
    match registry
        .packages()
        .attach_file(view.actor, &package, &version, file)
        .await
    {
        Ok(_) => Ok(created()),
        Err(ServiceError::Conflict(_)) => Err(NuGetError::new(
            StatusCode::CONFLICT,
            format!("Conflict: the symbols of {} {lver} already exist.", n.id),
        )),
        Err(e) => Err(e.into()),
    }
}

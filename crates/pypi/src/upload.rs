//! twine's upload (`POST /` or `/legacy`, the legacy upload API): one
//! distribution per request, checked against the digests and names the
//! form gives, published with its core metadata; a wheel's METADATA file
//! is stored beside it (PEP 658).

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Account, Actor, PackageType, Repository};
use entrepot_http::AppState;
use entrepot_http::spool::store_spooled;
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;

use crate::distribution::{check_filename, wheel_metadata};
use crate::error::{PypiError, Result};
use crate::form::{Form, read_form};
use crate::metadata::{CoreMetadata, Yank};
use crate::pep440::{Version, is_valid_name, normalize_name};

/// An upload form's claims, checked: a valid project name, a PEP 440
/// version, a distribution named for both.
struct Upload<'a> {
    form: &'a Form,
    /// The project's name as the publisher spells it.
    name: &'a str,
    version: Version,
    filetype: &'a str,
}

impl<'a> Upload<'a> {
    fn check(form: &'a Form, filename: &str) -> Result<Upload<'a>> {
        match form.first(":action") {
            Some("file_upload") | None => {}
            Some(other) => {
                return Err(PypiError::bad_request(format!(
                    "unsupported :action {other}"
                )));
            }
        }
        let name = form
            .first("name")
            .ok_or_else(|| PypiError::bad_request("name is required"))?;
        if !is_valid_name(name) {
            return Err(PypiError::bad_request(format!(
                "invalid project name {name:?}"
            )));
        }
        let raw_version = form
            .first("version")
            .ok_or_else(|| PypiError::bad_request("version is required"))?;
        let version = Version::parse(raw_version).ok_or_else(|| {
            PypiError::bad_request(format!("invalid version {raw_version:?} (PEP 440)"))
        })?;
        let filetype = form.first("filetype").unwrap_or("");
        check_filename(filename, name, &version, filetype)?;
        Ok(Upload {
            form,
            name,
            version,
            filetype,
        })
    }

    /// The release's core metadata, as the index and pages read it.
    fn core_metadata(&self) -> CoreMetadata {
        let text = |k: &str| self.form.first(k).map(str::to_owned);
        CoreMetadata {
            name: Some(self.name.to_owned()),
            version: Some(self.version.normalized()),
            summary: text("summary"),
            description_content_type: text("description_content_type"),
            author: text("author"),
            author_email: text("author_email"),
            license: text("license"),
            keywords: text("keywords"),
            home_page: text("home_page"),
            requires_python: text("requires_python"),
            requires_dist: self.form.all("requires_dist"),
            project_urls: self.form.all("project_urls"),
            classifiers: self.form.all("classifiers"),
            yanked: Yank::Flag(false),
            other: serde_json::Map::new(),
        }
    }

    /// The digests the form promises for the file (an `md5_digest` that
    /// is not one is ignored).
    fn expected(&self) -> Expected {
        Expected {
            sha256: self
                .form
                .first("sha256_digest")
                .map(str::to_ascii_lowercase),
            md5: self
                .form
                .first("md5_digest")
                .filter(|m| m.len() == 32 && m.chars().all(|c| c.is_ascii_hexdigit()))
                .map(str::to_ascii_lowercase),
            ..Expected::default()
        }
    }
}

/// The repository `project_urls` (`Label, URL`) or the home page name,
/// preferring a source link.
async fn repository(state: &AppState, form: &Form, owner: &str) -> Result<Option<Repository>> {
    let mut urls: Vec<(bool, String)> = form
        .all("project_urls")
        .iter()
        .filter_map(|entry| {
            let (label, url) = entry.split_once(',')?;
            let label = label.trim().to_ascii_lowercase();
            let source = ["source", "repository", "code", "source code"].contains(&label.as_str());
            Some((source, url.trim().to_owned()))
        })
        .collect();
    if let Some(home) = form.first("home_page") {
        urls.push((false, home.to_owned()));
    }
    urls.sort_by_key(|(source, _)| !source);
    for (_, url) in urls {
        if let Some(repo) = entrepot_http::repo_link::resolve(state, &url, owner).await? {
            return Ok(Some(repo));
        }
    }
    Ok(None)
}

pub async fn upload(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let owner = state.registry.accounts().account(owner).await?;
    let (form, spooled) = read_form(headers, body, state.registry.limits.max_upload_bytes).await?;
    let upload = Upload::check(&form, &spooled.filename)?;
    if let Some(want) = form.first("blake2_256_digest")
        && !want.eq_ignore_ascii_case(&spooled.blake2_256)
    {
        return Err(PypiError::bad_request(
            "the file does not match its blake2_256_digest",
        ));
    }
    let metadata_file = if upload.filetype == "bdist_wheel" {
        let file = spooled
            .file
            .try_clone()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || {
            let mut file = file;
            wheel_metadata(&mut file)
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(PypiError::bad_request)?
    } else {
        None
    };
    // Before it is stored: a file the owner's quota has no room for.
    entrepot_http::quota::check_spooled(
        &state.registry,
        (actor, &owner),
        (PackageType::Pypi, None),
        &spooled.file,
    )
    .await?;
    let blob = store_spooled(&state.registry, spooled.file, upload.expected())
        .await
        .map_err(|e| match e {
            ServiceError::DigestMismatch(_) => {
                PypiError::bad_request("the file does not match its sha256_digest or md5_digest")
            }
            other => other.into(),
        })?;
    let mut stored = vec![blob.sha256.clone()];
    let dist = StagedFile {
        name: spooled.filename.clone(),
        blob,
        content_type: Some("application/octet-stream".into()),
    };
    let result = publish(
        state,
        actor,
        &owner,
        &upload,
        dist,
        metadata_file,
        &mut stored,
    )
    .await;
    if result.is_err() {
        for sha in &stored {
            let _ = state.registry.blobs().discard_upload(sha).await;
        }
    }
    result
}

/// Publishes the distribution, then its core metadata file; `stored`
/// gathers the blobs written, for the caller to discard on failure.
async fn publish(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    upload: &Upload<'_>,
    dist: StagedFile,
    metadata_file: Option<Vec<u8>>,
    stored: &mut Vec<String>,
) -> Result<Response> {
    let project = normalize_name(upload.name);
    let repository = repository(state, upload.form, &owner.login).await?;
    let description = upload.form.first("description").map(str::to_owned);
    let publication = |file: StagedFile| Publication {
        owner: owner.login.clone(),
        package_type: PackageType::Pypi,
        name: project.clone(),
        version: upload.version.normalized(),
        metadata: upload.core_metadata().to_value(),
        files: vec![file],
        tags: Vec::new(),
        repository: repository.clone(),
        description: upload.form.first("summary").map(str::to_owned),
        readme: description.clone(),
    };
    let filename = dist.name.clone();
    let added = state
        .registry
        .packages().publish_file(actor, publication(dist))
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(_) => PypiError::new(
                StatusCode::CONFLICT,
                format!("File already exists: {filename}. A file name is never reused; publish a new version."),
            ),
            other => other.into(),
        })?;
    if let Some(bytes) = metadata_file {
        let blob = state
            .registry
            .blobs()
            .store_blob(entrepot_store::blob::stream_of(bytes), Expected::default())
            .await?;
        stored.push(blob.sha256.clone());
        // Without its metadata file the wheel is still served, just without
        // `core-metadata`: never a state the index cannot describe.
        if let Err(e) = state
            .registry
            .packages()
            .publish_file(
                actor,
                publication(StagedFile {
                    name: format!("{filename}.metadata"),
                    blob,
                    content_type: Some("text/plain".into()),
                }),
            )
            .await
        {
            tracing::warn!(error = %e, file = %filename, "core metadata not stored");
        }
    }
    if let Some(repo) = repository {
        state
            .registry
            .packages()
            .connect_repository(&added.package, &repo)
            .await?;
    }
    Ok((StatusCode::OK, "OK\n").into_response())
}

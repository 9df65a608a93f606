//! `PUT` of the layout: a file is stored once and never replaced (the POM
//! read back for its facts, SNAPSHOT builds kept to the newest few); a
//! client's `maven-metadata.xml` and checksum files are checked against
//! their path and what the server computed, and set aside.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Action, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{BlobInfo, Expected};
use futures::TryStreamExt;

use crate::checksums::{checksum_text, file_digest};
use crate::error::{MavenError, Result, not_found};
use crate::maven_metadata;
use crate::metadata::VersionMetadata;
use crate::path::{Checksum, Coordinates, MavenPath, content_type};
use crate::stored::{file_names, stored_file, version_of};
use crate::target::Target;
use crate::xml::{DeclaredMetadata, MAX_XML_BYTES, Pom};

pub async fn deploy(
    state: &AppState,
    t: &Target,
    parsed: &MavenPath,
    (headers, body): (&HeaderMap, Body),
    snapshot_builds: usize,
) -> Result<Response> {
    if t.actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    // Before the body is read: a refusal goes out instead of `100 Continue`.
    t.allow(state, Action::Publish).await?;
    match parsed {
        MavenPath::ArtifactMetadata { checksum, .. } => {
            check_metadata(t, None, *checksum, body).await
        }
        MavenPath::SnapshotMetadata {
            version, checksum, ..
        } => check_metadata(t, Some(version), *checksum, body).await,
        MavenPath::File {
            version,
            file,
            checksum: Some(checksum),
            ..
        } => check_checksum(state, t, (version, file), *checksum, body).await,
        MavenPath::File {
            version,
            file,
            checksum: None,
            ..
        } => store_file(state, t, (version, file), (headers, body), snapshot_builds).await,
    }
}

/// Reads a small body whole (checksums, metadata, POMs), refusing more
/// than `limit` bytes.
async fn small_body(body: Body, limit: usize) -> Result<bytes::Bytes> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        MavenError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("this file may be at most {limit} bytes"),
        )
    })
}

/// The server writes its own metadata: a client's copy (and its
/// checksums) is checked against its path and set aside.
async fn check_metadata(
    t: &Target,
    version: Option<&String>,
    checksum: Option<Checksum>,
    body: Body,
) -> Result<Response> {
    let c = &t.coordinates;
    let bytes = small_body(body, MAX_XML_BYTES).await?;
    if let Some(checksum) = checksum {
        checksum_text(&bytes, checksum)?;
        return Ok(StatusCode::CREATED.into_response());
    }
    let declared = DeclaredMetadata::parse(&bytes).map_err(MavenError::bad_request)?;
    if declared.group.as_deref() != Some(c.group.as_str())
        || declared.artifact.as_deref() != Some(c.artifact.as_str())
        || (version.is_some() && declared.version.as_ref() != version)
    {
        return Err(MavenError::bad_request(
            "maven-metadata.xml names another groupId, artifactId or version than its path",
        ));
    }
    Ok(StatusCode::CREATED.into_response())
}

/// A checksum file is checked against what the server computed while
/// storing the file; nothing is kept either way.
async fn check_checksum(
    state: &AppState,
    t: &Target,
    (version, file): (&str, &str),
    checksum: Checksum,
    body: Body,
) -> Result<Response> {
    let bytes = small_body(body, 1024).await?;
    let sent = checksum_text(&bytes, checksum)?;
    let package = t.package.as_ref().ok_or_else(not_found)?;
    let (_, stored) = stored_file(state, package, version, file).await?;
    let ours = file_digest(state, &stored, checksum).await?;
    if ours != sent {
        return Err(MavenError::bad_request(format!(
            "{} checksum mismatch for {file}: the server computed {ours}",
            checksum.extension()
        )));
    }
    Ok(StatusCode::CREATED.into_response())
}

async fn store_file(
    state: &AppState,
    t: &Target,
    (version, file): (&str, &str),
    (headers, body): (&HeaderMap, Body),
    snapshot_builds: usize,
) -> Result<Response> {
    if let Some(package) = &t.package
        && let Some(v) = version_of(state, package, version).await?
        && file_names(state, &v).await?.iter().any(|n| n == file)
    {
        return Err(MavenError::new(
            StatusCode::CONFLICT,
            format!(
                "{file} of {} {version} exists; published files cannot be replaced",
                t.package_name()
            ),
        ));
    }
    if t.package.is_none() {
        refuse_case_twin(state, t).await?;
    }
    // Before the body is read: a file its quota has no room for is
    // refused before a byte of it is stored.
    entrepot_http::quota::check_declared(
        &state.registry,
        (&t.actor, &t.owner),
        (PackageType::Maven, Some(&t.package_name())),
        headers,
    )
    .await?;
    let stream: entrepot_store::ByteStream =
        Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let blob = state
        .registry
        .blobs()
        .store_blob(
            stream,
            Expected {
                want_md5: true,
                want_sha1: true,
                want_sha512: true,
                ..Expected::default()
            },
        )
        .await?;
    match publish(state, t, (version, file), &blob, snapshot_builds).await {
        Ok(()) => Ok(StatusCode::CREATED.into_response()),
        Err(e) => {
            let _ = state.registry.blobs().discard_upload(&blob.sha256).await;
            Err(e)
        }
    }
}

/// Refuses a new artifact whose package name differs only in case from
/// one the owner has (`xercesImpl` beside `xercesimpl`): Maven itself
/// tells them apart, but not the case-insensitive disks many local
/// repositories live on, nor people reading the REST API.
async fn refuse_case_twin(state: &AppState, t: &Target) -> Result<()> {
    let name = t.package_name();
    let twin = state
        .registry
        .packages()
        .namespace_packages(&t.owner, PackageType::Maven)
        .await?
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(&name) && p.name != name);
    match twin {
        Some(twin) if state.registry.can_read(&t.actor, &twin).await? => Err(MavenError::new(
            StatusCode::CONFLICT,
            format!(
                "{name} differs only in case from {}, which exists: deploy it under that name",
                twin.name
            ),
        )),
        Some(_) => Err(MavenError::new(
            StatusCode::CONFLICT,
            format!("{name} differs only in case from an artifact that exists"),
        )),
        None => Ok(()),
    }
}

/// Records a stored file in its version, with the POM's facts when it is
/// the POM, and keeps only the newest SNAPSHOT builds.
async fn publish(
    state: &AppState,
    t: &Target,
    (version, file): (&str, &str),
    blob: &BlobInfo,
    snapshot_builds: usize,
) -> Result<()> {
    let c = &t.coordinates;
    let pom = if std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pom"))
    {
        let mut pom = read_pom(state, c, version, blob).await?;
        if let Some(parent) = &pom.parent
            && let Some(inherited) = crate::parents::inherited(state, t, parent).await?
        {
            pom.inherit(&inherited);
        }
        Some(pom)
    } else {
        None
    };
    let metadata = VersionMetadata {
        group_id: c.group.clone(),
        artifact_id: c.artifact.clone(),
        repository: t.repository.full_name(),
        pom: pom.as_ref().map(|p| p.facts.clone()),
    }
    .to_json();
    let publication = Publication {
        owner: t.owner.login.clone(),
        package_type: PackageType::Maven,
        name: t.package_name(),
        version: version.to_owned(),
        metadata: metadata.clone(),
        files: vec![StagedFile {
            name: file.to_owned(),
            blob: blob.clone(),
            content_type: Some(content_type(file).to_owned()),
        }],
        tags: Vec::new(),
        repository: Some(t.repository.clone()),
        description: pom
            .as_ref()
            .and_then(|p| p.facts.description.clone().or_else(|| p.facts.name.clone())),
        readme: pom.as_ref().map(|p| p.readme(&t.package_name())),
    };
    let added = state
        .registry
        .packages()
        .publish_file(&t.actor, publication)
        .await?;
    // The version took the metadata of its first file; the POM's facts
    // join it when the POM comes later.
    if pom.is_some() && added.version.metadata != metadata {
        state
            .registry
            .packages()
            .set_version_metadata(&t.actor, &added.package, &added.version, metadata)
            .await?;
    }
    if let Some(base) = version.strip_suffix("-SNAPSHOT") {
        // The owner's cleanup rules may keep fewer (or more) builds.
        let snapshot_builds = state
            .registry
            .governance()
            .snapshot_builds(&t.owner, &t.package_name())
            .await?
            .unwrap_or(snapshot_builds);
        let names = file_names(state, &added.version).await?;
        let numbers = maven_metadata::build_numbers(&names, &c.artifact, base);
        if numbers.len() > snapshot_builds {
            let keep = &numbers[..snapshot_builds];
            let old: Vec<String> = names
                .into_iter()
                .filter(|n| {
                    maven_metadata::build(n, &c.artifact, base)
                        .is_some_and(|b| !keep.contains(&b.number))
                })
                .collect();
            state
                .registry
                .packages()
                .prune_files(&t.actor, &added.package, &added.version, &old)
                .await?;
        }
    }
    Ok(())
}

/// Reads a just-stored POM back and checks that it describes the
/// artifact and version of its path.
async fn read_pom(
    state: &AppState,
    c: &Coordinates,
    version: &str,
    blob: &BlobInfo,
) -> Result<Pom> {
    // The caller discards the blob of a refused POM.
    let refuse = MavenError::bad_request;
    if blob.size > MAX_XML_BYTES as u64 {
        return Err(refuse(format!(
            "a POM may be at most {MAX_XML_BYTES} bytes"
        )));
    }
    let read = state.registry.blobs().read_blob(&blob.sha256, None).await?;
    let chunks: Vec<bytes::Bytes> = read
        .stream
        .try_collect()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let bytes = chunks.concat();
    let pom = Pom::parse(&bytes).map_err(refuse)?;
    if pom.artifact.as_deref() != Some(c.artifact.as_str())
        || pom.group.as_deref() != Some(c.group.as_str())
        || pom.version.as_deref() != Some(version)
    {
        return Err(refuse(format!(
            "the POM describes {}:{}:{}, not {}:{}:{version}",
            pom.group.as_deref().unwrap_or("?"),
            pom.artifact.as_deref().unwrap_or("?"),
            pom.version.as_deref().unwrap_or("?"),
            c.group,
            c.artifact
        )));
    }
    Ok(pom)
}

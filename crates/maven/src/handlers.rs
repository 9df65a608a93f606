//! GET, HEAD and PUT of any path of a repository's Maven layout.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use entrepot_core::{
    Action, Actor, Package, PackageFile, PackageType, Repository, Version, authorize,
};
use entrepot_http::{ApiError, AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{BlobInfo, Expected};
use futures::TryStreamExt;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use entrepot_http::error::{Challenge, PlainError};

use crate::metadata;
use crate::path::{self, Checksum, Coordinates, MavenPath, PathError};
use crate::xml::{DeclaredMetadata, MAX_XML_BYTES, Pom};

/// How Maven and Gradle are asked for the credentials of their settings.
pub struct MavenChallenge;

impl Challenge for MavenChallenge {
    const WWW_AUTHENTICATE: &'static str = "Basic realm=\"Entrepot Maven\"";
}

/// A refusal, as Maven and Gradle show it: a status and one line of text.
pub type MavenError = PlainError<MavenChallenge>;

type Result<T> = std::result::Result<T, MavenError>;

/// Everything a request is about, resolved once.
struct Target {
    actor: Actor,
    repository: Repository,
    owner: entrepot_core::Account,
    coordinates: Coordinates,
    package: Option<Package>,
}

impl Target {
    fn package_name(&self) -> String {
        self.coordinates.package_name()
    }
}

pub async fn handle(
    snapshot_builds: usize,
    State(state): State<AppState>,
    caller: std::result::Result<Caller, ApiError>,
    method: Method,
    Path((owner, repo, rest)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match dispatch(
        &state,
        caller,
        &method,
        (&owner, &repo, &rest),
        &headers,
        body,
        snapshot_builds,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn dispatch(
    state: &AppState,
    caller: std::result::Result<Caller, ApiError>,
    method: &Method,
    (owner, repo, rest): (&str, &str, &str),
    headers: &HeaderMap,
    body: Body,
    snapshot_builds: usize,
) -> Result<Response> {
    let actor = match caller {
        Ok(c) => c.0,
        Err(_) => {
            return Err(MavenError::new(
                StatusCode::UNAUTHORIZED,
                "Bad credentials: use your user name and a personal access token",
            ));
        }
    };
    if owner.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(MavenError::bad_request(format!(
            "write the owner in lowercase: /maven/{}/{repo}/",
            owner.to_ascii_lowercase()
        )));
    }
    let parsed = path::parse(rest).map_err(|e| match e {
        PathError::Invalid(m) => MavenError::bad_request(m),
        PathError::UppercaseArtifact(a) => MavenError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("artifactId `{a}` must be lowercase letters, digits and hyphens"),
        ),
    })?;
    let target = resolve(state, actor, owner, repo, &parsed).await?;
    match *method {
        Method::GET | Method::HEAD => {
            read(state, &target, &parsed, headers, *method == Method::HEAD).await
        }
        Method::PUT => write(state, &target, &parsed, body, snapshot_builds).await,
        _ => Err(MavenError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the Maven repository takes GET, HEAD and PUT",
        )),
    }
}

fn coordinates_of(parsed: &MavenPath) -> &Coordinates {
    match parsed {
        MavenPath::ArtifactMetadata { coordinates, .. }
        | MavenPath::SnapshotMetadata { coordinates, .. }
        | MavenPath::File { coordinates, .. } => coordinates,
    }
}

/// Finds the repository and the package the path names. What the caller
/// may not know about answers like nothing there: 401 to the anonymous
/// (Maven then signs in), 404 to the signed in.
async fn resolve(
    state: &AppState,
    actor: Actor,
    owner: &str,
    repo: &str,
    parsed: &MavenPath,
) -> Result<Target> {
    let registry = &state.registry;
    let hidden = |actor: &Actor| {
        if actor.user_id().is_some() {
            MavenError::new(StatusCode::NOT_FOUND, "Not Found")
        } else {
            MavenError::new(StatusCode::UNAUTHORIZED, "Requires authentication")
        }
    };
    let repository = match registry.repository(&format!("{owner}/{repo}")).await {
        Ok(r) => r,
        Err(ServiceError::NotFound(_) | ServiceError::Invalid(_)) => return Err(hidden(&actor)),
        Err(e) => return Err(e.into()),
    };
    let owner = registry
        .meta
        .account_by_id(repository.owner_id)
        .await?
        .ok_or_else(|| hidden(&actor))?;
    let coordinates = coordinates_of(parsed).clone();
    let package = registry
        .meta
        .package(
            owner.id,
            PackageType::Maven,
            &coordinates.package_name(),
            false,
        )
        .await?
        // A package of another repository is not in this one.
        .filter(|p| p.repository_id == Some(repository.id));
    Ok(Target {
        actor,
        repository,
        owner,
        coordinates,
        package,
    })
}

/// Checks `action` on the package, or (before it exists) on the
/// repository it would be created in.
async fn allowed(state: &AppState, t: &Target, action: Action) -> Result<()> {
    let registry = &state.registry;
    let outcome = if let Some(p) = &t.package {
        registry.authorize_package(&t.actor, action, p).await
    } else {
        let facts = registry
            .namespace_facts(&t.actor, &t.owner, PackageType::Maven, Some(&t.repository))
            .await?;
        let action = if action == Action::Publish {
            Action::Create
        } else {
            action
        };
        authorize(&registry.policy, &t.actor, action, &facts).map_err(ServiceError::from)
    };
    outcome.map_err(MavenError::from)
}

fn not_found() -> MavenError {
    MavenError::new(StatusCode::NOT_FOUND, "Not Found")
}

fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "pom" | "xml" => "application/xml",
        "jar" | "war" | "ear" | "aar" => "application/java-archive",
        "md5" | "sha1" | "sha256" | "sha512" => "text/plain",
        "asc" => "application/pgp-signature",
        "module" | "json" => "application/json",
        _ => "application/octet-stream",
    }
}

fn digest_hex(c: Checksum, bytes: &[u8]) -> String {
    match c {
        Checksum::Md5 => hex::encode(Md5::digest(bytes)),
        Checksum::Sha1 => hex::encode(Sha1::digest(bytes)),
        Checksum::Sha256 => hex::encode(Sha256::digest(bytes)),
        Checksum::Sha512 => hex::encode(Sha512::digest(bytes)),
    }
}

fn stored_digest(file: &PackageFile, c: Checksum) -> Option<String> {
    match c {
        Checksum::Md5 => file.digests.md5.clone(),
        Checksum::Sha1 => file.digests.sha1.clone(),
        Checksum::Sha256 => Some(file.sha256.clone()),
        Checksum::Sha512 => file.digests.sha512.clone(),
    }
}

/// A small generated document (metadata, a checksum), with its length.
fn document(body: String, content_type: &'static str, head: bool) -> Response {
    let length = body.len();
    let mut response = if head {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body))
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    // Metadata changes with every deploy; checksums follow it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

async fn live_versions(state: &AppState, package: &Package) -> Result<Vec<Version>> {
    let mut versions = state.registry.meta.versions(package.id, false).await?;
    versions.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(versions)
}

async fn version_of(state: &AppState, package: &Package, name: &str) -> Result<Option<Version>> {
    Ok(state
        .registry
        .meta
        .version(package.id, name)
        .await?
        .filter(|v| v.deleted_at.is_none()))
}

/// A live version's file, or 404.
async fn stored_file(
    state: &AppState,
    package: &Package,
    version: &str,
    file: &str,
) -> Result<(Version, PackageFile)> {
    let v = version_of(state, package, version)
        .await?
        .ok_or_else(not_found)?;
    let stored = state
        .registry
        .meta
        .files(v.id)
        .await?
        .into_iter()
        .find(|f| f.name == file)
        .ok_or_else(not_found)?;
    Ok((v, stored))
}

async fn read(
    state: &AppState,
    t: &Target,
    parsed: &MavenPath,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    allowed(state, t, Action::Read).await?;
    let package = t.package.as_ref().ok_or_else(not_found)?;
    let c = &t.coordinates;
    match parsed {
        MavenPath::ArtifactMetadata { checksum, .. } => {
            let versions: Vec<(String, chrono::DateTime<Utc>)> = live_versions(state, package)
                .await?
                .into_iter()
                .map(|v| (v.name, v.updated_at))
                .collect();
            if versions.is_empty() {
                return Err(not_found());
            }
            let xml = metadata::artifact(&c.group, &c.artifact, &versions);
            Ok(metadata_or_checksum(xml, *checksum, head))
        }
        MavenPath::SnapshotMetadata {
            version, checksum, ..
        } => {
            let v = version_of(state, package, version)
                .await?
                .ok_or_else(not_found)?;
            let names = file_names(state, &v).await?;
            let xml =
                metadata::snapshot(&c.group, &c.artifact, version, &names).ok_or_else(not_found)?;
            Ok(metadata_or_checksum(xml, *checksum, head))
        }
        MavenPath::File {
            version,
            file,
            checksum,
            ..
        } => {
            let (v, stored) = stored_file(state, package, version, file).await?;
            if let Some(c) = checksum {
                let hex = match stored_digest(&stored, *c) {
                    Some(h) => h,
                    // Stored before this digest was kept: compute it once.
                    None => digest_of_blob(state, &stored.sha256, *c).await?,
                };
                return Ok(document(hex, "text/plain", head));
            }
            let response = match entrepot_http::download::serve_blob(
                state,
                &stored.sha256,
                headers,
                content_type(file),
                head,
            )
            .await
            {
                Ok(r) => r,
                Err(ServiceError::RangeNotSatisfiable { size }) => {
                    return Ok(entrepot_http::download::range_not_satisfiable(size));
                }
                Err(e) => return Err(e.into()),
            };
            if !head && response.status() == StatusCode::OK && is_main_artifact(c, &v, file) {
                state.registry.count_download(&v);
            }
            Ok(response)
        }
    }
}

fn metadata_or_checksum(xml: String, checksum: Option<Checksum>, head: bool) -> Response {
    match checksum {
        Some(c) => document(digest_hex(c, xml.as_bytes()), "text/plain", head),
        None => document(xml, "application/xml", head),
    }
}

async fn file_names(state: &AppState, v: &Version) -> Result<Vec<String>> {
    Ok(state
        .registry
        .meta
        .files(v.id)
        .await?
        .into_iter()
        .map(|f| f.name)
        .collect())
}

async fn digest_of_blob(state: &AppState, sha256: &str, c: Checksum) -> Result<String> {
    let read = state.registry.blobs.get(sha256, None).await?;
    let mut md5 = Md5::new();
    let mut sha1 = Sha1::new();
    let mut sha512 = Sha512::new();
    let mut stream = read.stream;
    while let Some(chunk) = stream
        .try_next()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
    {
        match c {
            Checksum::Md5 => md5.update(&chunk),
            Checksum::Sha1 => sha1.update(&chunk),
            Checksum::Sha512 => sha512.update(&chunk),
            Checksum::Sha256 => {}
        }
    }
    Ok(match c {
        Checksum::Md5 => hex::encode(md5.finalize()),
        Checksum::Sha1 => hex::encode(sha1.finalize()),
        Checksum::Sha512 => hex::encode(sha512.finalize()),
        Checksum::Sha256 => sha256.to_owned(),
    })
}

/// Whether a download of `file` counts as a download of the version: its
/// main artifact (the packaging's file without classifier), not the POM of
/// a jar, sources, signatures or checksums.
fn is_main_artifact(c: &Coordinates, v: &Version, file: &str) -> bool {
    let packaging = v
        .metadata
        .get("packaging")
        .and_then(|p| p.as_str())
        .unwrap_or("jar");
    let wanted = match packaging {
        "pom" => "pom",
        "war" => "war",
        "ear" => "ear",
        "aar" => "aar",
        _ => "jar",
    };
    let parts = match v.name.strip_suffix("-SNAPSHOT") {
        Some(base) => metadata::build(file, &c.artifact, base).map(|b| (b.classifier, b.extension)),
        None => path::classifier_and_extension(file, &c.artifact, &v.name),
    };
    matches!(parts, Some((None, ext)) if ext == wanted)
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

/// The hex digest a checksum file holds (its first word, as `sha1sum`
/// writes it), if it is one.
fn checksum_text(body: &[u8], c: Checksum) -> Result<String> {
    let text = std::str::from_utf8(body)
        .map_err(|_| MavenError::bad_request("a checksum file is text"))?;
    let word = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if word.len() != c.hex_len() || !word.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MavenError::bad_request(format!(
            "not a {} checksum",
            c.extension()
        )));
    }
    Ok(word)
}

async fn write(
    state: &AppState,
    t: &Target,
    parsed: &MavenPath,
    body: Body,
    snapshot_builds: usize,
) -> Result<Response> {
    if t.actor.user_id().is_none() {
        return Err(MavenError::new(
            StatusCode::UNAUTHORIZED,
            "Requires authentication",
        ));
    }
    // Before the body is read: a refusal goes out instead of `100 Continue`.
    allowed(state, t, Action::Publish).await?;
    match parsed {
        MavenPath::ArtifactMetadata { checksum, .. } => {
            write_metadata(t, None, *checksum, body).await
        }
        MavenPath::SnapshotMetadata {
            version, checksum, ..
        } => write_metadata(t, Some(version), *checksum, body).await,
        MavenPath::File {
            version,
            file,
            checksum: Some(checksum),
            ..
        } => write_checksum(state, t, version, file, *checksum, body).await,
        MavenPath::File {
            version,
            file,
            checksum: None,
            ..
        } => write_file(state, t, version, file, body, snapshot_builds).await,
    }
}

/// The server writes its own metadata: a client's copy (and its
/// checksums) is checked against its path and set aside.
async fn write_metadata(
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
async fn write_checksum(
    state: &AppState,
    t: &Target,
    version: &str,
    file: &str,
    checksum: Checksum,
    body: Body,
) -> Result<Response> {
    let bytes = small_body(body, 1024).await?;
    let sent = checksum_text(&bytes, checksum)?;
    let package = t.package.as_ref().ok_or_else(not_found)?;
    let (_, stored) = stored_file(state, package, version, file).await?;
    let ours = match stored_digest(&stored, checksum) {
        Some(h) => h,
        None => digest_of_blob(state, &stored.sha256, checksum).await?,
    };
    if ours != sent {
        return Err(MavenError::bad_request(format!(
            "{} checksum mismatch for {file}: the server computed {ours}",
            checksum.extension()
        )));
    }
    Ok(StatusCode::CREATED.into_response())
}

async fn write_file(
    state: &AppState,
    t: &Target,
    version: &str,
    file: &str,
    body: Body,
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
    let stream: entrepot_store::ByteStream =
        Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let blob = state
        .registry
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
    match publish(state, t, version, file, &blob, snapshot_builds).await {
        Ok(()) => Ok(StatusCode::CREATED.into_response()),
        Err(e) => {
            let _ = state.registry.discard_upload(&blob.sha256).await;
            Err(e)
        }
    }
}

/// Records a stored file in its version, with the POM's facts when it is
/// the POM, and keeps only the newest SNAPSHOT builds.
async fn publish(
    state: &AppState,
    t: &Target,
    version: &str,
    file: &str,
    blob: &BlobInfo,
    snapshot_builds: usize,
) -> Result<()> {
    let c = &t.coordinates;
    let pom = if std::path::Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pom"))
    {
        Some(read_pom(state, c, version, blob).await?)
    } else {
        None
    };
    let mut metadata = serde_json::json!({
        "group_id": c.group,
        "artifact_id": c.artifact,
        "repository": t.repository.full_name(),
    });
    if let Some(p) = &pom
        && let (Some(m), serde_json::Value::Object(extra)) = (metadata.as_object_mut(), p.to_json())
    {
        m.extend(extra);
    }
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
            .and_then(|p| p.description.clone().or_else(|| p.name.clone())),
        readme: pom.as_ref().map(|p| p.readme(&t.package_name())),
    };
    let added = state.registry.publish_file(&t.actor, publication).await?;
    if pom.is_some() && added.version.metadata != metadata {
        state
            .registry
            .set_version_metadata(&t.actor, &added.package, &added.version, metadata)
            .await?;
    }
    if let Some(base) = version.strip_suffix("-SNAPSHOT") {
        let names = file_names(state, &added.version).await?;
        let numbers = metadata::build_numbers(&names, &c.artifact, base);
        if numbers.len() > snapshot_builds {
            let keep = &numbers[..snapshot_builds];
            let old: Vec<String> = names
                .into_iter()
                .filter(|n| {
                    metadata::build(n, &c.artifact, base).is_some_and(|b| !keep.contains(&b.number))
                })
                .collect();
            state
                .registry
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
    let read = state.registry.blobs.get(&blob.sha256, None).await?;
    let chunks: Vec<bytes::Bytes> = read
        .stream
        .try_collect()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let bytes = chunks.concat();
    let pom = match Pom::parse(&bytes) {
        Ok(p) => p,
        Err(m) => return Err(refuse(m)),
    };
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

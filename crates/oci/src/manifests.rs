//! Manifests (by tag and by digest, stored byte-exact), tag listing, the
//! referrers API and the catalog.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Actor, Package, PackageType, Version};
use entrepot_service::ServiceError;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::Expected;
use entrepot_store::blob::stream_of;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::error::{Code, OciError, OciResult};
use crate::name::{Digest, RepoName, is_tag};
use crate::{Act, Ctx};

/// Manifests larger than this are refused (the spec asks for at least 4 MB).
const MAX_MANIFEST_BYTES: usize = 8 * 1024 * 1024;
/// `?tag=` parameters accepted on one push.
const MAX_TAGS: usize = 100;

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
pub(crate) const INDEX_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

fn manifest_unknown() -> OciError {
    OciError::new(
        StatusCode::NOT_FOUND,
        Code::ManifestUnknown,
        "manifest unknown to registry",
    )
}

fn invalid(message: impl Into<String>) -> OciError {
    OciError::new(StatusCode::BAD_REQUEST, Code::ManifestInvalid, message)
}

fn set(response: &mut Response, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(name, v);
    }
}

/// Non-distributable ("foreign") layers need not be in the registry.
pub(crate) fn non_distributable(media_type: &str) -> bool {
    media_type.contains("nondistributable") || media_type.contains("foreign")
}

async fn find_version(ctx: &Ctx, package: &Package, reference: &str) -> OciResult<Version> {
    let meta = &ctx.state.registry.meta;
    if Digest::looks_like(reference) {
        let digest = Digest::parse(reference).ok_or_else(|| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                Code::DigestInvalid,
                format!("invalid digest: {reference}"),
            )
        })?;
        let version = match &digest {
            Digest::Sha256(_) => meta.version(package.id, reference).await?,
            Digest::Sha512(hex) => meta
                .versions(package.id, false)
                .await?
                .into_iter()
                .find(|v| v.metadata.get("sha512").and_then(Value::as_str) == Some(hex)),
        };
        return version
            .filter(|v| v.deleted_at.is_none())
            .ok_or_else(manifest_unknown);
    }
    if !is_tag(reference) {
        return Err(OciError::new(
            StatusCode::BAD_REQUEST,
            Code::ManifestInvalid,
            format!("invalid tag: {reference}"),
        ));
    }
    let tag = meta
        .tags(package.id)
        .await?
        .into_iter()
        .find(|t| t.name == reference)
        .ok_or_else(manifest_unknown)?;
    meta.version_by_id(tag.version_id)
        .await?
        .ok_or_else(manifest_unknown)
}

/// `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`.
pub async fn manifest(
    ctx: &Ctx,
    repo: &RepoName,
    reference: &str,
    body: Body,
) -> OciResult<Response> {
    match ctx.method {
        Method::PUT => put(ctx, repo, reference, body).await,
        Method::DELETE => delete(ctx, repo, reference).await,
        _ => get(ctx, repo, reference).await,
    }
}

async fn get(ctx: &Ctx, repo: &RepoName, reference: &str) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Pull, Code::ManifestUnknown)
        .await?
        .ok_or_else(manifest_unknown)?;
    let version = find_version(ctx, &package, reference).await?;
    let file = ctx
        .state
        .registry
        .meta
        .files(version.id)
        .await?
        .into_iter()
        .next()
        .ok_or_else(manifest_unknown)?;
    let content_type = file
        .content_type
        .clone()
        .unwrap_or_else(|| MANIFEST_TYPES[0].to_owned());
    let head = ctx.method == Method::HEAD;
    let mut response = entrepot_http::download::serve_blob(
        &ctx.state,
        &file.sha256,
        &ctx.headers,
        &content_type,
        head,
    )
    .await
    .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?;
    // A digest reference is echoed; a tag reports the digest it was pushed
    // by (sha512 when the client chose it), else the manifest's first one.
    let digest = if Digest::looks_like(reference) {
        reference.to_owned()
    } else {
        let m = &version.metadata;
        m.pointer(&format!("/tag_digests/{reference}"))
            .or_else(|| m.get("digest"))
            .and_then(Value::as_str)
            .map_or_else(|| version.name.clone(), str::to_owned)
    };
    set(&mut response, "docker-content-digest", &digest);
    if !head && response.status() == StatusCode::OK {
        ctx.state.registry.count_download(&version);
    }
    Ok(response)
}

/// What a manifest says about itself, kept as the version's metadata.
fn describe(doc: &Value, media_type: &str, size: usize, sha512: &str, digest: &str) -> Value {
    let digests = |list: &Value| -> Vec<Value> {
        list.as_array()
            .map(|a| a.iter().filter_map(|d| d.get("digest").cloned()).collect())
            .unwrap_or_default()
    };
    let artifact_type = doc
        .get("artifactType")
        .cloned()
        .or_else(|| doc.pointer("/config/mediaType").cloned())
        .unwrap_or(Value::Null);
    json!({
        "mediaType": media_type,
        "artifactType": artifact_type,
        "subject": doc.pointer("/subject/digest").cloned().unwrap_or(Value::Null),
        "annotations": doc.get("annotations").cloned().unwrap_or(Value::Null),
        "config": doc.pointer("/config/digest").cloned().unwrap_or(Value::Null),
        "layers": digests(doc.get("layers").unwrap_or(&Value::Null)),
        "manifests": digests(doc.get("manifests").unwrap_or(&Value::Null)),
        "size": size,
        "sha512": sha512,
        "digest": digest,
        "tag_digests": {},
    })
}

/// A pushed manifest that passed every check of its own.
struct Pushed {
    doc: Value,
    bytes: bytes::Bytes,
    media_type: String,
    sha256: String,
    sha512: String,
    /// The digest the client named it by (sha256 or sha512).
    named_digest: String,
    /// The reference tag and every `?tag=`.
    tags: Vec<String>,
    /// The `?tag=` tags alone, echoed as `OCI-Tag`.
    extra: Vec<String>,
}

fn parse_pushed(ctx: &Ctx, reference: &str, bytes: bytes::Bytes) -> OciResult<Pushed> {
    let doc: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("the manifest is not JSON: {e}")))?;
    let header_type = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned());
    let body_type = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let media_type = match (&header_type, &body_type) {
        (Some(h), Some(b)) if MANIFEST_TYPES.contains(&h.as_str()) && h != b => {
            return Err(invalid("the mediaType does not match the Content-Type"));
        }
        (Some(h), _) if MANIFEST_TYPES.contains(&h.as_str()) => h.clone(),
        (_, Some(b)) if MANIFEST_TYPES.contains(&b.as_str()) => b.clone(),
        _ => return Err(invalid("unsupported manifest media type")),
    };
    if doc.get("schemaVersion").and_then(Value::as_i64) != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    check_shape(&media_type, &doc).map_err(invalid)?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let sha512 = hex::encode(sha2::Sha512::digest(&bytes));
    let mut tags = Vec::new();
    let named_digest = if Digest::looks_like(reference) {
        let wanted = Digest::parse(reference).ok_or_else(|| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                Code::DigestInvalid,
                format!("invalid digest: {reference}"),
            )
        })?;
        let matches = match &wanted {
            Digest::Sha256(h) => *h == sha256,
            Digest::Sha512(h) => *h == sha512,
        };
        if !matches {
            return Err(OciError::new(
                StatusCode::BAD_REQUEST,
                Code::DigestInvalid,
                "the manifest does not match its digest",
            ));
        }
        reference.to_owned()
    } else if is_tag(reference) {
        tags.push(reference.to_owned());
        format!("sha256:{sha256}")
    } else {
        return Err(invalid(format!("invalid tag: {reference}")));
    };
    let extra: Vec<String> = ctx
        .query
        .iter()
        .filter(|(k, _)| k == "tag")
        .map(|(_, v)| v.clone())
        .collect();
    if extra.len() > MAX_TAGS {
        return Err(OciError::new(
            StatusCode::URI_TOO_LONG,
            Code::ManifestInvalid,
            "too many tags",
        ));
    }
    if let Some(bad) = extra.iter().find(|t| !is_tag(t)) {
        return Err(invalid(format!("invalid tag: {bad}")));
    }
    tags.extend(extra.iter().cloned());
    Ok(Pushed {
        doc,
        bytes,
        media_type,
        sha256,
        sha512,
        named_digest,
        tags,
        extra,
    })
}

/// A descriptor: a media type, a valid digest and a size.
fn check_descriptor(d: &Value, what: &str) -> Result<(), String> {
    let ok = d.get("mediaType").is_some_and(Value::is_string)
        && d.get("digest")
            .and_then(Value::as_str)
            .is_some_and(|t| Digest::parse(t).is_some())
        && d.get("size").is_some_and(Value::is_u64);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} is not a descriptor (mediaType, digest and size)"
        ))
    }
}

/// The structure the image and index specifications require: an image
/// manifest's `config` and `layers`, an index's `manifests`, each entry
/// a descriptor. Clients and garbage collection rely on it.
pub(crate) fn check_shape(media_type: &str, doc: &Value) -> Result<(), String> {
    let list = |key: &str| -> Result<(), String> {
        let items = doc
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("`{key}` must be an array of descriptors"))?;
        for (i, item) in items.iter().enumerate() {
            check_descriptor(item, &format!("{key}[{i}]"))?;
        }
        Ok(())
    };
    if INDEX_TYPES.contains(&media_type) {
        return list("manifests");
    }
    let config = doc
        .get("config")
        .ok_or("an image manifest needs a `config` descriptor")?;
    check_descriptor(config, "config")?;
    list("layers")
}

/// An image manifest's config and layers must be in the repository
/// (non-distributable layers excepted); an index's children need not be.
async fn check_references(
    ctx: &Ctx,
    owner: &entrepot_core::Account,
    repo: &RepoName,
    pushed: &Pushed,
) -> OciResult<()> {
    if INDEX_TYPES.contains(&pushed.media_type.as_str()) {
        return Ok(());
    }
    let doc = &pushed.doc;
    let mut referenced: Vec<&Value> = doc
        .get("layers")
        .and_then(Value::as_array)
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    if let Some(config) = doc.get("config") {
        referenced.push(config);
    }
    for descriptor in referenced {
        let mt = descriptor
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some(d) = descriptor.get("digest").and_then(Value::as_str) else {
            return Err(invalid("a descriptor has no digest"));
        };
        if non_distributable(mt) {
            continue;
        }
        let linked = ctx
            .state
            .registry
            .meta
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

async fn put(ctx: &Ctx, repo: &RepoName, reference: &str, body: Body) -> OciResult<Response> {
    ctx.check(repo, Act::Push, Code::NameUnknown).await?;
    let bytes = axum::body::to_bytes(body, MAX_MANIFEST_BYTES)
        .await
        .map_err(|_| {
            OciError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::SizeInvalid,
                "the manifest is too large",
            )
        })?;
    let pushed = parse_pushed(ctx, reference, bytes)?;
    let owner = ctx
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
        })?;
    check_references(ctx, &owner, repo, &pushed).await?;
    record(ctx, repo, &owner, &pushed).await?;
    let mut response = StatusCode::CREATED.into_response();
    set(
        &mut response,
        "location",
        &format!("/v2/{}/manifests/{}", repo.full(), pushed.named_digest),
    );
    set(&mut response, "docker-content-digest", &pushed.named_digest);
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(0));
    if let Some(subject) = pushed
        .doc
        .pointer("/subject/digest")
        .and_then(Value::as_str)
    {
        set(&mut response, "oci-subject", subject);
    }
    for tag in &pushed.extra {
        set(&mut response, "oci-tag", tag);
    }
    Ok(response)
}

/// Tags pushed with a sha512 digest report that digest; returns whether
/// anything changed.
fn remember_tag_digests(metadata: &mut Value, pushed: &Pushed) -> bool {
    let mut changed = false;
    if let Some(map) = metadata
        .get_mut("tag_digests")
        .and_then(Value::as_object_mut)
    {
        if pushed.named_digest.starts_with("sha256:") {
            return false;
        }
        for tag in &pushed.tags {
            let named = json!(pushed.named_digest);
            changed |= map.get(tag) != Some(&named);
            map.insert(tag.clone(), named);
        }
    }
    changed
}

/// Stores the manifest as a version (or, pushed again, moves its tags).
async fn record(
    ctx: &Ctx,
    repo: &RepoName,
    owner: &entrepot_core::Account,
    pushed: &Pushed,
) -> OciResult<()> {
    let digest = format!("sha256:{}", pushed.sha256);
    let ImageInfo {
        source,
        description,
        licenses,
    } = annotations_and_labels(ctx, owner, repo, &pushed.doc).await;
    let repository = match source {
        Some(url) => entrepot_http::repo_link::resolve(&ctx.state, &url, &repo.owner).await?,
        None => None,
    };
    let expected = Expected {
        sha256: Some(pushed.sha256.clone()),
        ..Expected::default()
    };
    let mut metadata = describe(
        &pushed.doc,
        &pushed.media_type,
        pushed.bytes.len(),
        &pushed.sha512,
        &pushed.named_digest,
    );
    remember_tag_digests(&mut metadata, pushed);
    if let Some(licenses) = licenses {
        metadata["license"] = json!(licenses);
    }
    let blob = ctx
        .state
        .registry
        .store_blob(stream_of(pushed.bytes.clone()), expected)
        .await?;
    let publication = Publication {
        owner: repo.owner.clone(),
        package_type: PackageType::Container,
        name: repo.image.clone(),
        version: digest.clone(),
        metadata,
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
    match ctx.state.registry.publish(actor, publication).await {
        Ok((package, _)) => {
            if let Some(repo) = repository {
                ctx.state
                    .registry
                    .connect_repository(&package, &repo)
                    .await?;
            }
            Ok(())
        }
        // The same manifest again: only its tags move.
        Err(ServiceError::Conflict(_)) => {
            let meta = &ctx.state.registry.meta;
            let package = meta
                .package(owner.id, PackageType::Container, &repo.image, false)
                .await?
                .ok_or_else(manifest_unknown)?;
            let version = meta
                .version(package.id, &digest)
                .await?
                .ok_or_else(manifest_unknown)?;
            if version.deleted_at.is_some() {
                match ctx
                    .state
                    .registry
                    .restore_version(actor, &package, &version)
                    .await
                {
                    // NotFound: a concurrent push restored it a moment ago.
                    Ok(()) | Err(ServiceError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let version = meta
                .version_by_id(version.id)
                .await?
                .ok_or_else(manifest_unknown)?;
            for tag in &pushed.tags {
                ctx.state
                    .registry
                    .set_tag(actor, &package, tag, &version)
                    .await?;
            }
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The source repository URL and description a manifest's annotations or
/// its image config's labels declare (GitHub reads both).
async fn annotations_and_labels(
    ctx: &Ctx,
    owner: &entrepot_core::Account,
    repo: &RepoName,
    doc: &Value,
) -> ImageInfo {
    let pick = |map: Option<&Value>, key: &str| {
        map.and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let annotations = doc.get("annotations");
    let mut info = ImageInfo {
        source: pick(annotations, SOURCE),
        description: pick(annotations, DESCRIPTION),
        licenses: pick(annotations, LICENSES),
    };
    let incomplete = info.source.is_none() || info.description.is_none() || info.licenses.is_none();
    if incomplete
        && let Some(config) = doc.pointer("/config/digest").and_then(Value::as_str)
        && let Ok(Some(link)) = ctx
            .state
            .registry
            .meta
            .blob_link(owner.id, PackageType::Container, &repo.image, config)
            .await
        && link.size <= 1024 * 1024
        && let Ok(read) = ctx.state.registry.blobs.get(&link.sha256, None).await
    {
        use futures::TryStreamExt;
        if let Ok(chunks) = read.stream.try_collect::<Vec<bytes::Bytes>>().await
            && let Ok(config) = serde_json::from_slice::<Value>(&chunks.concat())
        {
            let labels = config.pointer("/config/Labels");
            info.source = info.source.or_else(|| pick(labels, SOURCE));
            info.description = info.description.or_else(|| pick(labels, DESCRIPTION));
            info.licenses = info.licenses.or_else(|| pick(labels, LICENSES));
        }
    }
    // GitHub's limits: 512 characters of description, 256 of licenses.
    info.description = info.description.map(|d| d.chars().take(512).collect());
    info.licenses = info.licenses.map(|l| l.chars().take(256).collect());
    info
}

const SOURCE: &str = "org.opencontainers.image.source";
const DESCRIPTION: &str = "org.opencontainers.image.description";
const LICENSES: &str = "org.opencontainers.image.licenses";

/// What an image declares about itself for its package page.
struct ImageInfo {
    source: Option<String>,
    description: Option<String>,
    licenses: Option<String>,
}

async fn delete(ctx: &Ctx, repo: &RepoName, reference: &str) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Delete, Code::ManifestUnknown)
        .await?
        .ok_or_else(manifest_unknown)?;
    let actor = &ctx.access.actor;
    if Digest::looks_like(reference) {
        let version = find_version(ctx, &package, reference).await?;
        ctx.state
            .registry
            .delete_version_of(actor, &package, &version, true)
            .await?;
    } else {
        if !is_tag(reference) {
            return Err(invalid(format!("invalid tag: {reference}")));
        }
        ctx.state
            .registry
            .remove_tag(actor, &package, reference)
            .await
            .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?;
    }
    Ok(StatusCode::ACCEPTED.into_response())
}

/// `n` and `last` pagination over a sorted list, with the `Link` header.
fn page(ctx: &Ctx, items: Vec<String>, url: &str) -> (Vec<String>, Option<String>) {
    let after: Vec<String> = match ctx.query("last") {
        Some(last) => items.into_iter().filter(|t| t.as_str() > last).collect(),
        None => items,
    };
    match ctx.query("n").and_then(|n| n.parse::<usize>().ok()) {
        Some(n) if n < after.len() => {
            let shown: Vec<String> = after.into_iter().take(n).collect();
            let link = shown
                .last()
                .map(|last| format!("<{url}?n={n}&last={last}>; rel=\"next\""));
            (shown, link)
        }
        _ => (after, None),
    }
}

/// `GET /v2/<name>/tags/list`.
pub async fn tags(ctx: &Ctx, repo: &RepoName) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Pull, Code::NameUnknown)
        .await?
        .ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::NameUnknown,
                "repository name not known to registry",
            )
        })?;
    let mut names: Vec<String> = ctx
        .state
        .registry
        .meta
        .tags(package.id)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    let (shown, link) = page(ctx, names, &format!("/v2/{}/tags/list", repo.full()));
    let mut response = axum::Json(json!({ "name": repo.full(), "tags": shown })).into_response();
    if let Some(link) = link {
        set(&mut response, "link", &link);
    }
    Ok(response)
}

/// `GET /v2/<name>/referrers/<digest>`: the manifests whose `subject` is
/// that digest, as an image index.
pub async fn referrers(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let Some(digest) = Digest::parse(digest) else {
        return Err(OciError::new(
            StatusCode::BAD_REQUEST,
            Code::DigestInvalid,
            format!("invalid digest: {digest}"),
        ));
    };
    let package = ctx.check(repo, Act::Pull, Code::NameUnknown).await?;
    let filter = ctx.query("artifactType");
    let mut manifests = Vec::new();
    if let Some(package) = package {
        for v in ctx.state.registry.meta.versions(package.id, false).await? {
            let m = &v.metadata;
            if m.get("subject").and_then(Value::as_str) != Some(digest.to_text().as_str()) {
                continue;
            }
            let artifact_type = m.get("artifactType").and_then(Value::as_str);
            if filter.is_some() && artifact_type != filter {
                continue;
            }
            let mut descriptor = json!({
                "mediaType": m.get("mediaType").cloned().unwrap_or(Value::Null),
                "digest": v.name,
                "size": m.get("size").cloned().unwrap_or(Value::Null),
            });
            if let Some(t) = artifact_type {
                descriptor["artifactType"] = json!(t);
            }
            if let Some(a) = m.get("annotations").filter(|a| !a.is_null()) {
                descriptor["annotations"] = a.clone();
            }
            manifests.push(descriptor);
        }
    }
    let body = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    });
    let mut response = (
        StatusCode::OK,
        serde_json::to_vec(&body).expect("index serializes"),
    )
        .into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.oci.image.index.v1+json"),
    );
    if filter.is_some() {
        set(&mut response, "oci-filters-applied", "artifactType");
    }
    Ok(response)
}

/// `GET /v2/_catalog`: every image, for site administrators.
pub async fn catalog(ctx: &Ctx) -> OciResult<Response> {
    let admin = matches!(
        ctx.access.actor,
        Actor::User {
            site_admin: true,
            ..
        }
    ) && ctx
        .access
        .claims
        .as_ref()
        .is_none_or(|c| c.allows("registry", "catalog", "*"));
    if !admin {
        return Err(match ctx.access.actor {
            Actor::Anonymous => {
                OciError::unauthorized(ctx.challenge(Some("registry:catalog:*".into())))
            }
            Actor::User { .. } => OciError::new(
                StatusCode::FORBIDDEN,
                Code::Denied,
                "the catalog is for site administrators",
            ),
        });
    }
    let filter = entrepot_store::PackageFilter {
        package_type: Some(PackageType::Container),
        ..Default::default()
    };
    let mut names: Vec<String> = ctx
        .state
        .registry
        .meta
        .list_packages(filter)
        .await?
        .into_iter()
        .map(|p| format!("{}/{}", p.owner_login, p.name))
        .collect();
    names.sort();
    let (shown, link) = page(ctx, names, "/v2/_catalog");
    let mut response = axum::Json(json!({ "repositories": shown })).into_response();
    if let Some(link) = link {
        set(&mut response, "link", &link);
    }
    Ok(response)
}

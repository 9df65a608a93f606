//! Image signatures: the signature extension API containers/image (skopeo,
//! podman, buildah) pushes simple-signing signatures to, cosign's
//! `sha256-<hex>.sig` attachments read as signatures, and the policy that
//! withholds a manifest no required key signed.
//!
//! The extension (`OpenShift`'s, which containers/image uses whenever `/v2/`
//! answers `X-Registry-Supports-Signatures: 1`):
//! `GET /extensions/v2/NAME/signatures/DIGEST` answers
//! `{"signatures":[{"schemaVersion":2,"name":…,"type":"atomic","content":…}]}`;
//! `PUT` the same path with one such object adds it (`201`).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use entrepot_core::image_signing::{MAX_SIGNATURE_BYTES, is_attachment_tag};
use entrepot_core::{Package, Version};
use entrepot_http::AppState;
use entrepot_service::ServiceResult;
use serde::{Deserialize, Serialize};

use crate::ctx::{Act, Ctx};
use crate::error::{Code, OciError, OciResult};
use crate::metadata::ManifestMetadata;
use crate::name::{Digest, RepoName};

/// Verdicts by repository, manifest digest and the repository's last
/// change (a key or signature added changes it).
pub type Verdicts =
    entrepot_http::cache::Renderings<(i64, String, i64), Arc<Result<(), String>>, 4096>;

/// The largest extension request body: one signature, base64, in JSON.
const MAX_BODY: usize = MAX_SIGNATURE_BYTES * 2;

#[derive(Serialize, Deserialize)]
struct ExtensionSignature {
    #[serde(rename = "schemaVersion", default)]
    version: u32,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// The OpenPGP message, base64 (Go's `[]byte` in JSON).
    content: String,
}

/// `/extensions/v2/NAME/signatures/DIGEST`, read or added to.
pub async fn extension(ctx: &Ctx, method: &Method, path: &str, body: Body) -> OciResult<Response> {
    let not_found = || OciError::new(StatusCode::NOT_FOUND, Code::NameUnknown, "no such endpoint");
    let (name, digest) = path.rsplit_once("/signatures/").ok_or_else(not_found)?;
    let repo = RepoName::parse(name).ok_or_else(not_found)?;
    let digest = match Digest::parse(digest) {
        Some(d @ Digest::Sha256(_)) => d.to_text(),
        _ => {
            return Err(OciError::digest_invalid(format!(
                "invalid digest: {digest}"
            )));
        }
    };
    match *method {
        Method::GET | Method::HEAD => list(ctx, &repo, &digest).await,
        Method::PUT => add(ctx, &repo, &digest, body).await,
        _ => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unsupported,
            "the operation is unsupported",
        )),
    }
}

async fn list(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Pull, Code::NameUnknown)
        .await?
        .package
        .ok_or_else(OciError::name_unknown)?;
    let kept = ctx
        .state
        .registry
        .image_signing()
        .signatures(&package, digest)
        .await?;
    let signatures: Vec<ExtensionSignature> = kept
        .into_iter()
        .map(|s| ExtensionSignature {
            version: 2,
            name: s.name,
            kind: "atomic".into(),
            content: STANDARD.encode(s.content),
        })
        .collect();
    Ok(axum::Json(serde_json::json!({ "signatures": signatures })).into_response())
}

async fn add(ctx: &Ctx, repo: &RepoName, digest: &str, body: Body) -> OciResult<Response> {
    let holder = ctx.check(repo, Act::Push, Code::NameUnknown).await?;
    let package = holder.package.ok_or_else(OciError::manifest_unknown)?;
    let registry = &ctx.state.registry;
    registry
        .packages()
        .version(package.id, digest)
        .await?
        .filter(|v| v.deleted_at.is_none())
        .ok_or_else(OciError::manifest_unknown)?;
    let invalid = |m: String| OciError::new(StatusCode::BAD_REQUEST, Code::Unsupported, m);
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        OciError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::SizeInvalid,
            format!("a signature is at most {MAX_SIGNATURE_BYTES} bytes"),
        )
    })?;
    let signature: ExtensionSignature = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("not a signature of the extension API: {e}")))?;
    if signature.version != 2 || signature.kind != "atomic" {
        return Err(invalid(format!(
            "only schemaVersion 2 signatures of type \"atomic\" are kept, not {} {:?}",
            signature.version, signature.kind
        )));
    }
    let content = STANDARD
        .decode(signature.content.as_bytes())
        .map_err(|e| invalid(format!("the signature's content is not base64: {e}")))?;
    registry
        .image_signing()
        .add_signature(
            &ctx.access.actor,
            &package,
            (digest, &signature.name),
            content,
        )
        .await
        .map_err(|e| OciError::from_service(&e, Code::ManifestUnknown))?;
    Ok(StatusCode::CREATED.into_response())
}

/// Whether the caller may have `version` of `package`, pulled as
/// `reference`: always, unless the package requires keys and no signature
/// of the manifest (or of an index holding it) verifies with one.
pub async fn enforce(ctx: &Ctx, package: &Package, version: &Version) -> OciResult<()> {
    let verdicts = &ctx.verdicts;
    let key = (
        package.id,
        version.name.clone(),
        package.updated_at.timestamp_micros(),
    );
    let verdict = if let Some(verdict) = verdicts.get(&key) {
        verdict
    } else {
        let verdict = Arc::new(verdict(&ctx.state, package, version).await?);
        verdicts.put(key, Arc::clone(&verdict));
        verdict
    };
    verdict
        .as_ref()
        .clone()
        .map_err(|reason| OciError::new(StatusCode::FORBIDDEN, Code::Denied, reason))
}

async fn verdict(
    state: &AppState,
    package: &Package,
    version: &Version,
) -> ServiceResult<Result<(), String>> {
    let signing = state.registry.image_signing();
    let keys = signing.required_keys(package).await?;
    if keys.is_empty() || is_attachment(state, package, version).await? {
        return Ok(Ok(()));
    }
    let reports = signing
        .reports(package, &version.name, keys.clone())
        .await?;
    if reports.iter().any(|r| r.checked.verified_by.is_some()) {
        return Ok(Ok(()));
    }
    // A platform's manifest is pulled by digest after its signed index.
    for index in state
        .registry
        .packages()
        .versions(package.id, false)
        .await?
    {
        if ManifestMetadata::of(&index)
            .manifests
            .contains(&version.name)
        {
            let of_index = signing.reports(package, &index.name, keys.clone()).await?;
            if of_index.iter().any(|r| r.checked.verified_by.is_some()) {
                return Ok(Ok(()));
            }
        }
    }
    let why = reports
        .first()
        .and_then(|r| r.checked.problem.clone())
        .map_or_else(
            || "it has no signature".to_owned(),
            |p| format!("its signature: {p}"),
        );
    Ok(Err(format!(
        "manifest {} is not signed by a key this package requires ({why})",
        version.name
    )))
}

/// Signatures and referrers (SBOMs, attestations) are never withheld, or
/// no one could verify what they sign.
async fn is_attachment(
    state: &AppState,
    package: &Package,
    version: &Version,
) -> ServiceResult<bool> {
    if ManifestMetadata::of(version).subject.is_some() {
        return Ok(true);
    }
    let tags = state.registry.packages().tags(package.id).await?;
    let mut named = tags
        .iter()
        .filter(|t| t.version_id == version.id)
        .peekable();
    Ok(named.peek().is_some() && named.all(|t| is_attachment_tag(&t.name)))
}

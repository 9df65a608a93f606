//! `GET /v2/<name>/referrers/<digest>`: the manifests whose `subject` is
//! that digest, as an image index, optionally only those of one
//! `artifactType`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::ctx::{Act, Ctx};
use crate::error::{Code, OciError, OciResult};
use crate::metadata::ManifestMetadata;
use crate::name::{Digest, RepoName};
use crate::response::set;

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub async fn list(ctx: &Ctx, repo: &RepoName, digest: &str) -> OciResult<Response> {
    let Some(digest) = Digest::parse(digest) else {
        return Err(OciError::digest_invalid(format!(
            "invalid digest: {digest}"
        )));
    };
    let package = ctx.check(repo, Act::Pull, Code::NameUnknown).await?.package;
    let filter = ctx.query("artifactType");
    let subject = digest.to_text();
    let mut manifests = Vec::new();
    if let Some(package) = package {
        for v in ctx
            .state
            .registry
            .packages()
            .versions(package.id, false)
            .await?
        {
            let m = ManifestMetadata::of(&v);
            if m.subject.as_deref() != Some(subject.as_str()) {
                continue;
            }
            let artifact_type = m.artifact_type.as_deref();
            if filter.is_some() && artifact_type != filter {
                continue;
            }
            let mut descriptor = json!({
                "mediaType": m.media_type,
                "digest": v.name,
                "size": m.size,
            });
            if let Some(t) = artifact_type {
                descriptor["artifactType"] = json!(t);
            }
            if let Some(a) = &m.annotations {
                descriptor["annotations"] = a.clone();
            }
            manifests.push(descriptor);
        }
    }
    let body: Value = json!({
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": manifests,
    });
    let mut response = (
        StatusCode::OK,
        serde_json::to_vec(&body).expect("index serializes"),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(INDEX));
    if filter.is_some() {
        set(&mut response, "oci-filters-applied", "artifactType");
    }
    Ok(response)
}

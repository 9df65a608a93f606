//! `PUT NAME/VERSION/FILE`: the body streamed into the blob store (checked
//! against the digests the client declares in `X-Checksum-Sha256`, `-Sha1`
//! or `-Md5`, as Artifactory's clients send them), then added to its
//! version, which is created with its first file, as is the package. A
//! file name is written once; a deleted version is never filled again.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Actor, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::access::PublishTarget;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_store::{ByteStream, Expected};
use futures::TryStreamExt;

use crate::endpoint::FilePath;
use crate::error::{GenericError, Result};

pub async fn upload(
    state: &AppState,
    actor: &Actor,
    owner: &str,
    file: &FilePath,
    (headers, body): (&HeaderMap, Body),
) -> Result<Response> {
    if actor.user_id().is_none() {
        return Err(ServiceError::Unauthenticated.into());
    }
    let registry = &state.registry;
    let account = registry
        .accounts()
        .account_by_login(owner)
        .await?
        .ok_or_else(|| ServiceError::unseen(actor, "Not Found"))?;
    // Before the body is read: a refusal goes out instead of `100 Continue`.
    let target = registry
        .publish_target(actor, &account, PackageType::Generic, &file.name, None)
        .await?;
    match target {
        PublishTarget::Existing(package) => {
            if let Some(v) = registry
                .packages()
                .version(package.id, &file.version)
                .await?
            {
                let taken = v.deleted_at.is_some()
                    || registry
                        .packages()
                        .files(v.id)
                        .await?
                        .iter()
                        .any(|f| f.name == file.file);
                if taken {
                    return Err(conflict(file, v.deleted_at.is_some()));
                }
            }
        }
        PublishTarget::New => {}
        // A member who may create packages here but not see this one: as
        // for a package of another repository, nothing is confirmed.
        PublishTarget::Hidden => {
            return Err(ServiceError::unseen(actor, "Not Found").into());
        }
    }
    entrepot_http::quota::check_declared(
        registry,
        (actor, &account),
        (PackageType::Generic, Some(&file.name)),
        headers,
    )
    .await?;
    let stream: ByteStream = Box::pin(body.into_data_stream().map_err(std::io::Error::other));
    let blob = registry
        .blobs()
        .store_blob(stream, expected(headers)?)
        .await?;
    let publication = Publication {
        owner: account.login.clone(),
        package_type: PackageType::Generic,
        name: file.name.clone(),
        version: file.version.clone(),
        metadata: serde_json::json!({}),
        files: vec![StagedFile {
            name: file.file.clone(),
            blob: blob.clone(),
            content_type: Some(crate::download::CONTENT_TYPE.to_owned()),
        }],
        tags: Vec::new(),
        repository: None,
        description: None,
        readme: None,
    };
    match registry.packages().publish_file(actor, publication).await {
        Ok(_) => Ok((
            StatusCode::CREATED,
            format!("{} {} {} stored\n", file.name, file.version, file.file),
        )
            .into_response()),
        Err(e) => {
            let _ = registry.blobs().discard_upload(&blob.sha256).await;
            Err(e.into())
        }
    }
}

fn conflict(file: &FilePath, deleted: bool) -> GenericError {
    let message = if deleted {
        format!(
            "version {} of {} was deleted; restore it or upload another version",
            file.version, file.name
        )
    } else {
        format!(
            "{} of {} {} exists; uploaded files cannot be replaced",
            file.file, file.name, file.version
        )
    };
    GenericError::new(StatusCode::CONFLICT, message)
}

/// The digests the client declares, each checked while the body is
/// stored; and every digest computed, for the download's headers.
fn expected(headers: &HeaderMap) -> Result<Expected> {
    let declared = |name: &str, hex_len: usize| -> Result<Option<String>> {
        let Some(value) = headers.get(name) else {
            return Ok(None);
        };
        let text = value
            .to_str()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if text.len() == hex_len && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Some(text))
        } else {
            Err(GenericError::bad_request(format!(
                "{name} must be {hex_len} hexadecimal digits"
            )))
        }
    };
    Ok(Expected {
        sha256: declared("x-checksum-sha256", 64)?,
        sha1: declared("x-checksum-sha1", 40)?,
        md5: declared("x-checksum-md5", 32)?,
        want_sha1: true,
        want_md5: true,
        ..Expected::default()
    })
}

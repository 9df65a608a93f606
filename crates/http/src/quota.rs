//! Quotas checked before an upload's bytes are stored: where the client
//! declares its length, before they are read; where the format spools an
//! upload to a temporary file first, once it is there. Either way a
//! refused upload stores nothing at all.

use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use entrepot_core::{Account, Actor, PackageType};
use entrepot_service::{Registry, ServiceResult};

/// The body's length as the request declares it.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Refuses an upload spooled to `file` that would put `owner` (or its
/// package `name` of `package_type`, when known) over a quota.
pub async fn check_spooled(
    registry: &Registry,
    (actor, owner): (&Actor, &Account),
    (package_type, name): (PackageType, Option<&str>),
    file: &std::fs::File,
) -> ServiceResult<()> {
    // One `fstat` of an open file.
    let bytes = file.metadata()?.len();
    registry
        .governance()
        .check_upload(actor, owner, (package_type, name), bytes)
        .await
}

/// Refuses an upload whose declared length would put `owner` (or its
/// package `name` of `package_type`, when known) over a quota.
pub async fn check_declared(
    registry: &Registry,
    (actor, owner): (&Actor, &Account),
    (package_type, name): (PackageType, Option<&str>),
    headers: &HeaderMap,
) -> ServiceResult<()> {
    match declared_length(headers) {
        Some(bytes) if bytes > 0 => {
            registry
                .governance()
                .check_upload(actor, owner, (package_type, name), bytes)
                .await
        }
        _ => Ok(()),
    }
}

//! `cargo yank` and `cargo yank --undo`: a flag on the version, which
//! stays downloadable; new resolutions skip it.

use axum::response::Response;
use entrepot_core::{Account, Action, Actor};
use entrepot_http::AppState;
use serde_json::json;

use crate::metadata::VersionMetadata;
use crate::namespace::{live_version, readable_crate};
use crate::reply::{self, Result, internal, signed_in};

/// Sets the version's `yanked` flag. Admins only (`Delete`, as NuGet's
/// unlist), with `delete:packages`; setting it again changes nothing.
pub async fn set_yanked(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    (name, version): (&str, &str),
    yanked: bool,
) -> Result<Response> {
    signed_in(actor)?;
    let package = readable_crate(state, actor, owner, name).await?;
    state
        .registry
        .authorize_package(actor, Action::Delete, &package)
        .await?;
    let v = live_version(state, &package, version).await?;
    let mut metadata = VersionMetadata::of(&v).map_err(internal)?;
    if metadata.line.yanked != yanked {
        metadata.line.yanked = yanked;
        let event = if yanked {
            "version.yank"
        } else {
            "version.unyank"
        };
        state
            .registry
            .packages()
            .update_version_metadata(
                actor,
                &package,
                &v,
                metadata.to_json().map_err(internal)?,
                event,
            )
            .await?;
    }
    Ok(reply::ok(&json!({ "ok": true })))
}

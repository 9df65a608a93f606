//! `GET api/v1/crates/NAME/VERSION/download`: the `.crate`, yanked or not
//! (lockfiles keep building); each full download is counted.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entrepot_core::{Account, Actor};
use entrepot_http::AppState;

use crate::namespace::{crate_file, live_version, no_version, readable_crate};
use crate::reply::Result;

pub async fn download(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    (name, version): (&str, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let package = readable_crate(state, actor, owner, name).await?;
    let v = live_version(state, &package, version).await?;
    let file = crate_file(state, &v)
        .await?
        .ok_or_else(|| no_version(&package, version))?;
    let response = entrepot_http::download::serve_download(
        state,
        &file.sha256,
        headers,
        "application/gzip",
        head,
    )
    .await?;
    if response.status() == StatusCode::OK && !head {
        state
            .registry
            .packages()
            .count_download(entrepot_core::PackageType::Cargo, &v);
    }
    Ok(response)
}

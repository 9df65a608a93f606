//! `gems/NAME-VERSION[-PLATFORM].gem`: a live version's gem file, served
//! from its blob (ranges and `HEAD` included); a whole download counts.

use axum::http::StatusCode;
use axum::response::Response;
use entrepot_service::ServiceError;

use crate::respond::Result;
use crate::view::View;

pub async fn gem(view: &View<'_>, stem: &str) -> Result<Response> {
    let registry = view.registry();
    let rendered = view.rendered().await?;
    let entry = rendered
        .index
        .find(stem)
        .ok_or_else(|| ServiceError::unseen(view.actor, format!("Could not find {stem}")))?;
    let response = entrepot_http::download::serve_download(
        view.state,
        &entry.spec.sha256,
        view.headers,
        "application/octet-stream",
        view.head,
    )
    .await?;
    if response.status() == StatusCode::OK
        && !view.head
        && let Some(version) = registry.packages().version_by_id(entry.id).await?
    {
        registry
            .packages()
            .count_download(entrepot_core::PackageType::Rubygems, &version);
    }
    Ok(response)
}

//! The legacy indexes older `gem` paths still read: the Marshal lists of
//! specs (`specs.4.8.gz`, `latest_specs.4.8.gz`,
//! `prerelease_specs.4.8.gz`) and one gem's quick spec
//! (`quick/Marshal.4.8/NAME-VERSION.gemspec.rz`).

use axum::response::Response;
use entrepot_service::ServiceError;

use crate::endpoint::Specs;
use crate::index;
use crate::respond::{Result, binary};
use crate::view::View;

/// A list of specs, rendered once per index.
pub async fn specs(view: &View<'_>, specs: Specs) -> Result<Response> {
    let rendered = view.rendered().await?;
    let body = rendered.specs[specs.slot()]
        .get_or_init(|| {
            rendered
                .index
                .specs(specs.prerelease(), specs.latest())
                .into()
        })
        .clone();
    Ok(binary(view.head, "application/octet-stream", body))
}

/// The deflated spec of the live version whose file stem is `stem`.
pub async fn quick_spec(view: &View<'_>, stem: &str) -> Result<Response> {
    let rendered = view.rendered().await?;
    let entry = rendered
        .index
        .find(stem)
        .ok_or_else(|| ServiceError::unseen(view.actor, format!("Could not find {stem}")))?;
    Ok(binary(
        view.head,
        "application/octet-stream",
        index::quick_spec(&entry.spec).into(),
    ))
}

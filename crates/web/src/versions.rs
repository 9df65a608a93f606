//! Every version of a package, as GitHub lists them
//! (`/{users|orgs}/OWNER/packages/TYPE/NAME/versions`): newest first, a
//! page of them at a time read from the store, each with its tags,
//! publisher, downloads and badges, linked to its view on the package's
//! page.

use std::collections::HashMap;

use axum::response::Response;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;

use crate::package_page::{publishers, readable, version_rows, versions_path};
use crate::session::Viewer;
use crate::{advisories, display_name, not_found, package_path, page, server_error};

/// Versions a page.
const PER_PAGE: u32 = 50;

/// `GET …/packages/TYPE/NAME/versions[?page=N]`.
pub(crate) async fn page_of(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
    page_number: Option<&str>,
) -> Response {
    let number = page_number
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    match render(state, viewer, owner, package_type, name, number).await {
        Ok(Some(ctx)) => page(viewer, "versions.html", ctx),
        Ok(None) => not_found(viewer),
        Err(e) => server_error(&e),
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    owner: &str,
    package_type: &str,
    name: &str,
    number: u64,
) -> Result<Option<minijinja::Value>, ServiceError> {
    let Some(package) = readable(state, &viewer.actor, owner, package_type, name).await? else {
        return Ok(None);
    };
    let packages = state.registry.packages();
    let offset = (number - 1).saturating_mul(u64::from(PER_PAGE));
    let (versions, count) = packages.versions_page(package.id, PER_PAGE, offset).await?;
    if versions.is_empty() && number > 1 {
        return Ok(None);
    }
    let shown: Vec<_> = versions.iter().collect();
    let publishers = publishers(state, &shown).await?;
    let ids: Vec<i64> = versions.iter().map(|v| v.id).collect();
    let summary = packages
        .download_summary(&package, chrono::Utc::now().date_naive(), &ids)
        .await?;
    let downloads: HashMap<i64, i64> = summary.by_version.into_iter().collect();
    let tags = packages.tags(package.id).await?;
    let advisories = advisories::package_advisories(state, &viewer.actor, &package).await?;
    let rows = version_rows(
        state,
        &package,
        &versions,
        &publishers,
        &downloads,
        &tags,
        &advisories,
    );
    let Some(owner_account) = state
        .registry
        .accounts()
        .account_by_id(package.owner_id)
        .await?
    else {
        return Ok(None);
    };
    let package_url = package_path(&owner_account, &package);
    let pages = count.div_ceil(u64::from(PER_PAGE)).max(1);
    let here = versions_path(&owner_account, &package);
    Ok(Some(context! {
        package => context! {
            name => package.name,
            display_name => display_name(state, &package),
            owner => package.owner_login,
            type => package.package_type.as_str(),
            url => package_url,
        },
        versions => rows,
        count => count,
        page => number,
        pages => pages,
        newer => (number > 1).then(|| format!("{here}?page={}", number - 1)),
        older => (number < pages).then(|| format!("{here}?page={}", number + 1)),
    }))
}

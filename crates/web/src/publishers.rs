//! The trusted publishers section of a package's settings page: the CI
//! runs that may publish the package without a stored token, added and
//! removed by its administrators.

use entrepot_core::trusted::PublisherSpec;
use entrepot_core::{Account, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::{Value, context};

use crate::session::{Fields, Viewer};

/// The package's publishers, as the page lists them, and the issuers a
/// new one may name.
pub async fn section(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
) -> Result<Value, ServiceError> {
    let trusted = state.registry.trusted();
    let found = trusted
        .list(
            Some(&viewer.actor),
            &owner.login,
            package.package_type,
            &package.name,
        )
        .await?;
    let rows: Vec<Value> = found
        .iter()
        .map(|p| {
            context! {
                id => p.id,
                issuer => p.spec.issuer,
                repository => p.spec.repository,
                workflow => p.spec.workflow,
                git_ref => p.spec.git_ref,
                environment => p.spec.environment,
            }
        })
        .collect();
    Ok(context! { rows => rows, issuers => trusted.issuers() })
}

/// `publisher_add` or `publisher_remove`, from the page's forms.
pub async fn apply(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
    action: &str,
    fields: &Fields,
) -> Result<(), ServiceError> {
    let trusted = state.registry.trusted();
    let optional = |name: &str| {
        fields
            .get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if action == "publisher_remove" {
        let id = fields
            .get("publisher_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ServiceError::Invalid("no trusted publisher given".into()))?;
        return trusted
            .remove(
                Some(&viewer.actor),
                &owner.login,
                package.package_type,
                &package.name,
                id,
            )
            .await;
    }
    let spec = PublisherSpec {
        issuer: optional("issuer")
            .ok_or_else(|| ServiceError::Invalid("choose the CI's issuer".into()))?,
        repository: optional("ci_repository")
            .ok_or_else(|| ServiceError::Invalid("give the CI repository, as OWNER/NAME".into()))?,
        workflow: optional("workflow"),
        git_ref: optional("git_ref"),
        environment: optional("environment"),
    };
    trusted
        .add(
            Some(&viewer.actor),
            &owner.login,
            package.package_type,
            &package.name,
            spec,
        )
        .await
        .map(drop)
}

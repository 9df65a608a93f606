//! Many versions at once on a package's settings page: versions ticked one
//! by one, or those a cleanup rule's filter selects, are previewed, then
//! deleted on one confirmation; ticked deleted versions are restored.
//! Each goes through the service's bulk deletion, which checks them all
//! before touching any.

use entrepot_core::cleanup::RuleSpec;
use entrepot_core::{Action, Id, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::accounts::parse_lifetime;
use entrepot_service::bulk::Bulk;
use minijinja::context;

use crate::session::{Fields, Viewer};

/// The versions ticked.
fn ticked(fields: &Fields) -> Result<Vec<Id>, ServiceError> {
    fields
        .all("version_ids")
        .map(|id| {
            id.trim()
                .parse()
                .map_err(|_| ServiceError::Invalid(format!("`{id}` is not a version")))
        })
        .collect()
}

/// The filter filled in, if any: a cleanup rule's settings that decide
/// versions.
fn filter(fields: &Fields) -> Result<Option<RuleSpec>, ServiceError> {
    let text = |name: &str| fields.get(name).filter(|v| !v.is_empty());
    let seconds = |name: &str| {
        text(name)
            .map(|d| parse_lifetime(d).map(|t| t.num_seconds()))
            .transpose()
    };
    let spec = RuleSpec {
        keep_newest: text("keep_newest")
            .map(|n| {
                n.parse().map_err(|_| {
                    ServiceError::Invalid(format!("`{n}` is not a number of versions"))
                })
            })
            .transpose()?,
        keep_pattern: text("keep_pattern").map(str::to_owned),
        older_than: seconds("older_than")?,
        not_downloaded_for: seconds("not_downloaded_for")?,
        ..RuleSpec::default()
    };
    Ok((spec != RuleSpec::default()).then_some(spec))
}

/// What a deletion of the ticked versions, or of those the filter
/// selects, would take: the page's `bulk` rows, to confirm.
pub(crate) async fn preview(
    state: &AppState,
    viewer: &Viewer,
    package: &Package,
    fields: &Fields,
) -> Result<minijinja::Value, ServiceError> {
    let registry = &state.registry;
    let ids = match (ticked(fields)?, filter(fields)?) {
        (ids, Some(_)) if !ids.is_empty() => {
            return Err(ServiceError::Invalid(
                "tick versions or fill in the filter, not both".into(),
            ));
        }
        (_, Some(spec)) => {
            // Who may not delete hears so before learning what matches.
            registry
                .authorize_package(&viewer.actor, Action::Delete, package)
                .await?;
            let ids = registry
                .governance()
                .matching_versions(package, &spec)
                .await?;
            if ids.is_empty() {
                return Err(ServiceError::Invalid(
                    "no version matches the filter now".into(),
                ));
            }
            ids
        }
        (ids, None) => ids,
    };
    let versions = registry
        .packages()
        .bulk_versions(&viewer.actor, package, (Bulk::Delete, &ids), true)
        .await?;
    let rows: Vec<_> = versions
        .iter()
        .map(|v| context! { id => v.id, name => v.name })
        .collect();
    // The filter as filled in, shown with what it selected.
    let filter = context! {
        keep_newest => fields.get("keep_newest"),
        keep_pattern => fields.get("keep_pattern"),
        older_than => fields.get("older_than"),
        not_downloaded_for => fields.get("not_downloaded_for"),
    };
    Ok(context! { bulk => rows, filter => filter })
}

/// Deletes (once confirmed) or restores the versions ticked.
pub(crate) async fn apply(
    state: &AppState,
    viewer: &Viewer,
    package: &Package,
    bulk: Bulk,
    fields: &Fields,
) -> Result<(), ServiceError> {
    state
        .registry
        .packages()
        .bulk_versions(&viewer.actor, package, (bulk, &ticked(fields)?), false)
        .await
        .map(drop)
}

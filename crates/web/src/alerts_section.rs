//! A package page's "Dependency alerts", for those who may manage the
//! package: its open alerts, each with the advisory, the dependency's
//! range and whether a fresh install fixes it.

use entrepot_core::{Actor, AlertState, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::alerts::AlertQuery;
use minijinja::{Value, context};

/// The open alerts, or none for a viewer who may not manage the package.
pub async fn section(
    state: &AppState,
    actor: &Actor,
    package: &Package,
    manages: bool,
) -> Result<Vec<Value>, ServiceError> {
    if !manages {
        return Ok(Vec::new());
    }
    let query = AlertQuery {
        states: vec![AlertState::Open],
        ..AlertQuery::default()
    };
    let views = state
        .registry
        .alerts()
        .alerts_of(actor, vec![package.clone()], &query)
        .await?;
    Ok(views
        .iter()
        .map(|v| {
            context! {
                ghsa_id => v.advisory.ghsa_id,
                summary => v.advisory.summary,
                severity => v.advisory.severity.map(entrepot_core::Severity::as_str),
                dependency => v.alert.dependency.name,
                requirement => v.alert.dependency.range,
                fix => if v.alert.admits_patched {
                    "a fresh install takes the patched version"
                } else {
                    "the range must change to take the patched version"
                },
            }
        })
        .collect())
}

//! A package page's "Used by": the first packages here whose newest
//! version depends on it, among those the viewer may read, and how many
//! there are in all (the REST API pages through the rest).

use entrepot_core::{Actor, Package};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::{Value, context};

/// Dependents a page names at most.
const SHOWN: usize = 10;
/// Declarations a page looks at, at most, to count dependents.
const SCANNED: u32 = 500;

pub async fn section(
    state: &AppState,
    actor: &Actor,
    package: &Package,
) -> Result<Value, ServiceError> {
    let registry = &state.registry;
    let used_by = registry
        .graph()
        .used_by(actor, package, (0, SHOWN), SCANNED)
        .await?;
    let mut rows = Vec::with_capacity(used_by.shown.len());
    for d in &used_by.shown {
        let Some(owner) = registry
            .accounts()
            .account_by_id(d.package.owner_id)
            .await?
        else {
            continue;
        };
        rows.push(context! {
            name => crate::display_name(state, &d.package),
            path => crate::package_path(&owner, &d.package),
            requirement => d.dependency.range,
            scope => d.dependency.kind.as_str(),
        });
    }
    let total = used_by.total;
    Ok(context! {
        rows => rows,
        count => total,
        total => if used_by.complete { total.to_string() } else { format!("{total}+") },
        more => total.saturating_sub(rows.len()),
    })
}

//! A package's settings page, for its admins: visibility, repository,
//! access grants, deleting and restoring versions and the package itself.
//! Each form posts back to the page with an `action`; every change goes
//! through the service, which authorises it and writes the audit log.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use entrepot_core::{Account, AccountKind, Action, Package, PackageType, Role, Visibility};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::bulk::Bulk;
use minijinja::context;
use serde::Serialize;

use crate::account::sign_in_redirect;
use crate::session::{Fields, Viewer};
use crate::{
    day, display_name, not_found, package_path, page_with_status, server_error, settings_path,
};

/// The messages a finished action leaves; the query names one, so nothing
/// a visitor types is ever reflected into the page.
const NOTICES: [(&str, &str); 16] = [
    ("visibility", "Visibility changed."),
    ("connect", "Repository connected."),
    ("disconnect", "Repository disconnected."),
    ("inherit", "Access inheritance saved."),
    ("grant", "Access granted."),
    ("revoke", "Access removed."),
    (
        "delete_version",
        "Version deleted. It can be restored below.",
    ),
    ("restore_version", "Version restored."),
    (
        "bulk_delete",
        "Versions deleted. They can be restored below.",
    ),
    ("bulk_restore", "Versions restored."),
    ("delete_package", "Package deleted."),
    ("restore_package", "Package restored."),
    ("publisher_add", "Trusted publisher added."),
    ("publisher_remove", "Trusted publisher removed."),
    (
        "image_key_add",
        "Signing key required: images not signed with a required key are no longer served.",
    ),
    ("image_key_remove", "Signing key removed."),
];

/// Splits `NAME/settings` (GitHub's settings URL) into the package name.
fn settings_target(rest: &str) -> Option<&str> {
    rest.strip_suffix("/settings").filter(|n| !n.is_empty())
}

/// The package (live, or else the most recently deleted one) and its
/// owner, if the viewer may administer it; otherwise the page to show.
async fn administered(
    state: &AppState,
    viewer: &Viewer,
    uri: &Uri,
    (owner, package_type, rest): &(String, String, String),
) -> Result<(Account, Package), Response> {
    let (Some(name), Ok(package_type)) =
        (settings_target(rest), package_type.parse::<PackageType>())
    else {
        return Err(not_found(viewer));
    };
    // Before any lookup: without a session, an existing private package
    // and a missing one must look the same.
    if viewer.session.is_none() {
        return Err(sign_in_redirect(uri.path()));
    }
    let registry = &state.registry;
    let account = match registry.accounts().account_by_login(owner).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(not_found(viewer)),
        Err(e) => return Err(server_error(&e)),
    };
    let package = match registry
        .packages()
        .package_named(account.id, package_type, name, true)
        .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return Err(not_found(viewer)),
        Err(e) => return Err(server_error(&e)),
    };
    let action = if package.deleted_at.is_some() {
        Action::Restore
    } else {
        Action::Manage
    };
    match registry
        .authorize_package(&viewer.actor, action, &package)
        .await
    {
        Ok(()) => Ok((account, package)),
        // Those who may read a live package but not administer it are told
        // so; everyone else sees nothing there.
        Err(ServiceError::Forbidden(_)) if package.deleted_at.is_none() => Err(page_with_status(
            StatusCode::FORBIDDEN,
            viewer,
            "message.html",
            context! {
                heading => "You cannot change this package",
                message => "Only the package's admins can change its settings.",
            },
        )),
        Err(e @ (ServiceError::Internal(_) | ServiceError::SsoRequired { .. })) => {
            Err(server_error(&e))
        }
        Err(_) => Err(not_found(viewer)),
    }
}

#[derive(Serialize)]
struct VersionRow {
    id: i64,
    name: String,
    published: String,
    downloads: i64,
}

#[derive(Serialize)]
struct DeletedRow {
    id: i64,
    name: String,
    deleted: String,
    deleted_iso: String,
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
    status: StatusCode,
    message: minijinja::Value,
) -> Response {
    match render(state, viewer, owner, package, status, message).await {
        Ok(r) => r,
        Err(e) => server_error(&e),
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
    status: StatusCode,
    message: minijinja::Value,
) -> Result<Response, ServiceError> {
    let registry = &state.registry;
    let granular = package.package_type.registry_kind() == entrepot_core::RegistryKind::Granular;
    let retention = registry.limits.retention;
    let mut live = Vec::new();
    let mut deleted = Vec::new();
    let mut versions = registry.packages().versions(package.id, true).await?;
    versions.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let shown: Vec<i64> = versions
        .iter()
        .filter(|v| v.deleted_at.is_none())
        .map(|v| v.id)
        .collect();
    let downloads = registry
        .packages()
        .version_downloads(package, &shown)
        .await?;
    let now = Utc::now();
    for v in versions {
        match v.deleted_at {
            None => live.push(VersionRow {
                id: v.id,
                published: day(&v.created_at),
                downloads: downloads.get(&v.id).copied().unwrap_or(0),
                name: v.name,
            }),
            Some(at) if now - at <= retention => deleted.push(DeletedRow {
                id: v.id,
                deleted: day(&at),
                deleted_iso: at.to_rfc3339(),
                name: v.name,
            }),
            Some(_) => {}
        }
    }
    let grants = if granular && package.deleted_at.is_none() {
        registry
            .packages()
            .package_grants(&viewer.actor, package)
            .await?
            .into_iter()
            .map(|g| context! { login => g.user.login, role => g.role.as_str() })
            .collect()
    } else {
        Vec::new()
    };
    let repository = match package.repository_id {
        Some(id) => registry
            .accounts()
            .repository_by_id(id)
            .await?
            .map(|r| r.full_name()),
        None => None,
    };
    let stored = registry.governance().package_bytes(package).await?;
    let (publishers, image_keys) = if package.deleted_at.is_none() {
        (
            Some(crate::publishers::section(state, viewer, owner, package).await?),
            crate::image_keys::section(state, viewer, owner, package).await?,
        )
    } else {
        (None, None)
    };
    let mut visibilities = vec!["private", "public"];
    if owner.kind == AccountKind::Organization {
        visibilities.insert(1, "internal");
    }
    Ok(page_with_status(
        status,
        viewer,
        "settings.html",
        context! {
            package => context! {
                name => package.name,
                display_name => display_name(state, package),
                owner => owner.login,
                type => package.package_type.as_str(),
                visibility => package.visibility.as_str(),
                url => package_path(owner, package),
                repository => repository,
                inherit_access => package.inherit_access,
                deleted => package.deleted_at.as_ref().map(day),
                deleted_iso => package.deleted_at.map(|d| d.to_rfc3339()),
                restorable_until => package.deleted_at.map(|d| day(&(d + retention))),
            },
            granular => granular,
            grants => grants,
            visibilities => visibilities,
            versions => live,
            deleted_versions => deleted,
            retention_days => retention.num_days(),
            stored => entrepot_service::quota::size_text(stored),
            publishers => publishers,
            image_keys => image_keys,
            ..message
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Path(target): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    // The same URL shape lists a package's versions: `…/NAME/versions`.
    if let Some(name) = target.2.strip_suffix("/versions") {
        return crate::versions::page_of(
            &state,
            &viewer,
            &target.0,
            &target.1,
            name,
            query.get("page").map(String::as_str),
        )
        .await;
    }
    // …and its webhooks and security advisories, as GitHub's do.
    if let Some(page) = crate::manage::package_page(&state, &viewer, &target, &query).await {
        return page;
    }
    let (account, package) = match administered(&state, &viewer, &uri, &target).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let notice = query
        .get("done")
        .and_then(|d| NOTICES.iter().find(|(k, _)| k == d))
        .map(|(_, text)| *text);
    settings_page(
        &state,
        &viewer,
        &account,
        &package,
        StatusCode::OK,
        context! { notice => notice },
    )
    .await
}

pub async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    Path(target): Path<(String, String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if let Some(done) = crate::manage::package_form(&state, &viewer, &target, &fields).await {
        return done;
    }
    let (account, package) = match administered(&state, &viewer, &uri, &target).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let fields = Fields(fields);
    let action = fields.get("action").unwrap_or("");
    let outcome = if viewer.csrf_ok(fields.get("csrf")) {
        if action == "bulk_preview" && package.deleted_at.is_none() {
            // The page again, with what the deletion would take to confirm.
            match crate::bulk::preview(&state, &viewer, &package, &fields).await {
                Ok(shown) => {
                    return settings_page(
                        &state,
                        &viewer,
                        &account,
                        &package,
                        StatusCode::OK,
                        shown,
                    )
                    .await;
                }
                Err(e) => Err(e),
            }
        } else {
            apply(&state, &viewer, &account, &package, action, &fields).await
        }
    } else {
        Err(ServiceError::Invalid(
            "This form expired; please try again.".into(),
        ))
    };
    match outcome {
        Ok(()) => {
            let settings = settings_path(&account, &package);
            Redirect::to(&format!("{settings}?done={action}")).into_response()
        }
        Err(ServiceError::Internal(e)) => server_error(&ServiceError::Internal(e)),
        Err(e) => {
            // Show the page as it now is, with what went wrong.
            let current = state
                .registry
                .packages()
                .package_by_id(package.id)
                .await
                .ok()
                .flatten()
                .unwrap_or(package);
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            settings_page(
                &state,
                &viewer,
                &account,
                &current,
                status,
                context! { error => entrepot_http::error::public_message(&e) },
            )
            .await
        }
    }
}

fn confirmed(typed: Option<&str>, expected: &str) -> Result<(), ServiceError> {
    if typed == Some(expected) {
        Ok(())
    } else {
        Err(ServiceError::Invalid(format!(
            "Type {expected} exactly to confirm."
        )))
    }
}

async fn apply(
    state: &AppState,
    viewer: &Viewer,
    owner: &Account,
    package: &Package,
    action: &str,
    fields: &Fields,
) -> Result<(), ServiceError> {
    let field = |name: &str| fields.get(name);
    let registry = &state.registry;
    let actor = &viewer.actor;
    let version = || async {
        let id: i64 = field("version_id")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| ServiceError::Invalid("no version given".into()))?;
        match registry.packages().version_by_id(id).await? {
            Some(v) if v.package_id == package.id => Ok(v),
            _ => Err(ServiceError::not_found("Package version not found")),
        }
    };
    match action {
        "restore_package" => registry.packages().restore_package(actor, package).await,
        _ if package.deleted_at.is_some() => Err(ServiceError::not_found("Package not found")),
        "visibility" => {
            let wanted: Visibility = field("visibility")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ServiceError::Invalid("choose a visibility".into()))?;
            if wanted == Visibility::Public && package.visibility != Visibility::Public {
                confirmed(field("confirm"), &package.name)?;
            }
            registry
                .packages()
                .set_visibility(actor, package, wanted)
                .await
                .map(drop)
        }
        "connect" => {
            let text = field("repository").unwrap_or("");
            let name = text
                .strip_prefix(&format!("{}/", owner.login))
                .unwrap_or(text);
            let repository = registry
                .accounts()
                .repository(&format!("{}/{name}", owner.login))
                .await?;
            registry
                .packages()
                .set_package_repository(actor, package, Some(&repository))
                .await
                .map(drop)
        }
        "disconnect" => registry
            .packages()
            .set_package_repository(actor, package, None)
            .await
            .map(drop),
        "inherit" => registry
            .packages()
            .set_inherit_access(actor, package, field("inherit") == Some("on"))
            .await
            .map(drop),
        "grant" => {
            let role: Role = field("role")
                .and_then(|r| r.parse().ok())
                .ok_or_else(|| ServiceError::Invalid("choose read, write or admin".into()))?;
            let login = field("login").unwrap_or("");
            registry
                .packages()
                .set_package_access(actor, package, login, Some(role))
                .await
        }
        "revoke" => {
            registry
                .packages()
                .set_package_access(actor, package, field("login").unwrap_or(""), None)
                .await
        }
        "delete_version" => {
            let v = version().await?;
            confirmed(field("confirm"), &v.name)?;
            registry.packages().delete_version(actor, package, &v).await
        }
        "restore_version" => {
            let v = version().await?;
            registry
                .packages()
                .restore_version(actor, package, &v)
                .await
        }
        "publisher_add" | "publisher_remove" => {
            crate::publishers::apply(state, viewer, owner, package, action, fields).await
        }
        "image_key_add" | "image_key_remove" => {
            crate::image_keys::apply(state, viewer, owner, package, action, fields).await
        }
        "bulk_delete" => crate::bulk::apply(state, viewer, package, Bulk::Delete, fields).await,
        "bulk_restore" => crate::bulk::apply(state, viewer, package, Bulk::Restore, fields).await,
        "delete_package" => {
            confirmed(field("confirm"), &package.name)?;
            registry.packages().delete_package(actor, package).await
        }
        _ => Err(ServiceError::Invalid(format!("unknown action `{action}`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_urls_name_the_package_before_settings() {
        assert_eq!(settings_target("hello/settings"), Some("hello"));
        assert_eq!(settings_target("app/sub/settings"), Some("app/sub"));
        assert_eq!(settings_target("settings"), None);
        assert_eq!(settings_target("/settings"), None);
        assert_eq!(settings_target("hello"), None);
    }
}

//! The page where an owner governs its packages' lifecycle
//! (`/settings/cleanup?owner=NAME`, the signed-in user by default): what
//! it stores, its cleanup rules (a rule previewed before it is saved, all
//! of them previewed or run now) and its immutable tags. Those who may
//! change an owner's rules (the user themself, an organization's owners,
//! site administrators) see and use it.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::cleanup::RuleSpec;
use entrepot_core::quota::Limits;
use entrepot_core::{Account, PackageType};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::accounts::parse_lifetime;
use entrepot_service::quota::size_text;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error, urlencode};

const PAGE: &str = "/settings/cleanup";

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    owner: Option<String>,
    done: Option<String>,
}

/// Every form of the page: `action` says which.
#[derive(Deserialize, Default)]
pub(crate) struct ChangeForm {
    csrf: Option<String>,
    owner: String,
    action: String,
    id: Option<i64>,
    format: Option<String>,
    pattern: Option<String>,
    keep_newest: Option<String>,
    keep_pattern: Option<String>,
    older_than: Option<String>,
    not_downloaded_for: Option<String>,
    untagged_older_than: Option<String>,
    keep_snapshot_builds: Option<String>,
    tag_pattern: Option<String>,
    bytes: Option<String>,
    package_bytes: Option<String>,
    versions: Option<String>,
}

fn text(field: Option<&String>) -> Option<String> {
    field.map(|f| f.trim().to_owned()).filter(|f| !f.is_empty())
}

/// A whole number of `what`, if the field is filled in.
fn number<N: std::str::FromStr>(
    field: Option<&String>,
    what: &str,
) -> Result<Option<N>, ServiceError> {
    text(field)
        .map(|n| {
            n.parse()
                .map_err(|_| ServiceError::Invalid(format!("`{n}` is not a number of {what}")))
        })
        .transpose()
}

/// Removals as the page's table rows.
fn removal_rows(removals: &[entrepot_service::cleanup::Removal]) -> Vec<Value> {
    removals
        .iter()
        .map(|r| context! { format => r.package_type.as_str(), package => r.package, version => r.version })
        .collect()
}

impl ChangeForm {
    /// The quota limits the form sets.
    fn limits(&self) -> Result<Limits, ServiceError> {
        let size = |field: Option<&String>| {
            text(field)
                .map(|s| entrepot_service::quota::parse_size(&s).map_err(ServiceError::Invalid))
                .transpose()
        };
        Ok(Limits {
            bytes: size(self.bytes.as_ref())?,
            package_bytes: size(self.package_bytes.as_ref())?,
            versions: number(self.versions.as_ref(), "versions")?,
        })
    }

    /// The format the form names, if any.
    fn format(&self) -> Result<Option<PackageType>, ServiceError> {
        text(self.format.as_ref())
            .map(|f| {
                f.parse()
                    .map_err(|_| ServiceError::Invalid(format!("`{f}` is not a format")))
            })
            .transpose()
    }

    /// The rule the form describes.
    fn spec(&self) -> Result<RuleSpec, ServiceError> {
        let seconds = |field: Option<&String>| -> Result<Option<i64>, ServiceError> {
            text(field)
                .map(|d| parse_lifetime(&d).map(|t| t.num_seconds()))
                .transpose()
        };
        Ok(RuleSpec {
            format: self.format()?,
            pattern: text(self.pattern.as_ref()),
            keep_newest: number(self.keep_newest.as_ref(), "versions")?,
            keep_pattern: text(self.keep_pattern.as_ref()),
            older_than: seconds(self.older_than.as_ref())?,
            not_downloaded_for: seconds(self.not_downloaded_for.as_ref())?,
            untagged_older_than: seconds(self.untagged_older_than.as_ref())?,
            keep_snapshot_builds: number(self.keep_snapshot_builds.as_ref(), "builds")?,
        })
    }
}

/// `GET /settings/cleanup`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Response {
    let Some(login) = viewer.login().map(str::to_owned) else {
        return sign_in_redirect(PAGE);
    };
    let owner = query.owner.unwrap_or(login);
    let account = match state.registry.accounts().account_by_login(&owner).await {
        Ok(Some(account)) => account,
        Ok(None) => return not_found(&viewer),
        Err(e) => return server_error(&e),
    };
    let shown = Shown {
        notice: query.done,
        ..Shown::default()
    };
    show(&state, &viewer, &account, StatusCode::OK, shown).await
}

/// What a page shows beyond the owner's settings.
#[derive(Default)]
struct Shown {
    notice: Option<String>,
    error: Option<String>,
    /// A preview's removals, and the rule previewed (the form refilled).
    preview: Option<Vec<Value>>,
    form: Option<Value>,
    /// What a run of every rule would remove, to confirm.
    run_preview: Option<Vec<Value>>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    account: &Account,
    status: StatusCode,
    shown: Shown,
) -> Response {
    let governance = state.registry.governance();
    let usage = match governance.usage_as(&viewer.actor, account).await {
        Ok(usage) => usage,
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Unauthenticated)) => {
            return page_with_status(
                StatusCode::FORBIDDEN,
                viewer,
                "message.html",
                context! { heading => "Cleanup", message => entrepot_http::error::public_message(&e) },
            );
        }
        Err(e) => return server_error(&e),
    };
    let (rules, tags, quotas) = match (
        governance.cleanup_rules(account).await,
        governance.immutable_tags(account).await,
        quota_rows(state, account, &usage).await,
    ) {
        (Ok(rules), Ok(tags), Ok(quotas)) => (rules, tags, quotas),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return server_error(&e),
    };
    let packages: Vec<Value> = usage
        .packages
        .iter()
        .map(|p| {
            context! {
                format => p.package_type.as_str(), name => p.name, size => size_text(p.bytes),
                versions => p.versions, deleted_versions => p.deleted_versions, deleted => p.deleted,
            }
        })
        .collect();
    page_with_status(
        status,
        viewer,
        "cleanup.html",
        context! {
            owner => account.login,
            total => size_text(usage.bytes),
            by_format => usage.by_format.iter()
                .map(|(f, b)| context! { format => f.as_str(), size => size_text(*b) })
                .collect::<Vec<_>>(),
            packages => packages,
            rules => rules.iter()
                .map(|r| context! { id => r.id, description => r.spec.to_string() })
                .collect::<Vec<_>>(),
            tags => tags.iter()
                .map(|t| context! {
                    id => t.id, pattern => t.pattern,
                    format => t.format.map_or("all formats", PackageType::as_str),
                })
                .collect::<Vec<_>>(),
            formats => PackageType::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
            quotas => quotas,
            site_admin => viewer.actor.is_site_admin(),
            preview => shown.preview,
            run_preview => shown.run_preview,
            form => shown.form,
            notice => shown.notice,
            error => shown.error,
        },
    )
}

/// The quotas in force for `account`, each with what it uses now.
async fn quota_rows(
    state: &AppState,
    account: &Account,
    usage: &entrepot_store::Usage,
) -> Result<Vec<Value>, ServiceError> {
    let governance = state.registry.governance();
    let own = governance.quotas(account).await?;
    let rows = governance
        .quotas_in_force(account)
        .await?
        .iter()
        .map(|q| {
            let used = match q.format {
                None => usage.bytes,
                Some(f) => usage
                    .by_format
                    .iter()
                    .find(|(g, _)| *g == f)
                    .map_or(0, |(_, b)| *b),
            };
            let size = |n: Option<u64>| n.map(size_text);
            context! {
                scope => q.format.map_or("all", PackageType::as_str),
                applies => q.format.map_or_else(|| "All packages".to_owned(), |f| format!("{f} packages")),
                used => size_text(used),
                bytes => size(q.limits.bytes),
                package_bytes => size(q.limits.package_bytes),
                versions => q.limits.versions,
                default => !own.contains(q),
            }
        })
        .collect();
    Ok(rows)
}

/// `POST /settings/cleanup`: preview or save a rule, remove one, run the
/// rules now, add or remove an immutable tag, set or remove a quota (site
/// administrators).
pub(crate) async fn change(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ChangeForm>,
) -> Response {
    if viewer.login().is_none() {
        return sign_in_redirect(PAGE);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let account = match state
        .registry
        .accounts()
        .account_by_login(&form.owner)
        .await
    {
        Ok(Some(account)) => account,
        Ok(None) => return not_found(&viewer),
        Err(e) => return server_error(&e),
    };
    match act(&state, &viewer, &account, &form).await {
        Ok(Act::Done(notice)) => Redirect::to(&format!(
            "{PAGE}?owner={}&done={}",
            urlencode(&account.login),
            urlencode(&notice)
        ))
        .into_response(),
        Ok(Act::Show(shown)) => show(&state, &viewer, &account, StatusCode::OK, shown).await,
        Err(
            e @ (ServiceError::Invalid(_)
            | ServiceError::NotFound(_)
            | ServiceError::Forbidden(_)
            | ServiceError::Unauthenticated),
        ) => {
            let shown = Shown {
                error: Some(entrepot_http::error::public_message(&e)),
                ..Shown::default()
            };
            let status = entrepot_http::error::status_of(&e);
            show(&state, &viewer, &account, status, shown).await
        }
        Err(e) => server_error(&e),
    }
}

enum Act {
    /// Done: back to the page with this notice.
    Done(String),
    /// The page again, with this.
    Show(Shown),
}

async fn act(
    state: &AppState,
    viewer: &Viewer,
    account: &Account,
    form: &ChangeForm,
) -> Result<Act, ServiceError> {
    let governance = state.registry.governance();
    let actor = &viewer.actor;
    Ok(match form.action.as_str() {
        "preview" => {
            let preview = governance
                .preview_as(actor, account, Some(form.spec()?))
                .await?;
            let rows = preview
                .rules
                .last()
                .map(|(_, removes)| removal_rows(removes))
                .unwrap_or_default();
            Act::Show(Shown {
                preview: Some(rows),
                form: Some(context! {
                    format => form.format, pattern => form.pattern, keep_newest => form.keep_newest,
                    keep_pattern => form.keep_pattern, older_than => form.older_than,
                    not_downloaded_for => form.not_downloaded_for,
                    untagged_older_than => form.untagged_older_than,
                    keep_snapshot_builds => form.keep_snapshot_builds,
                }),
                ..Shown::default()
            })
        }
        "save" => {
            let rule = governance
                .add_cleanup_rule_as(actor, account, form.spec()?)
                .await?;
            Act::Done(format!("Rule {} saved: {}.", rule.id, rule.spec))
        }
        "remove" => {
            let id = form
                .id
                .ok_or_else(|| ServiceError::not_found("no such rule"))?;
            governance
                .remove_cleanup_rule_as(actor, account, id)
                .await?;
            Act::Done(format!("Rule {id} removed."))
        }
        "preview_run" => {
            let preview = governance.preview_as(actor, account, None).await?;
            Act::Show(Shown {
                run_preview: Some(removal_rows(&preview.all)),
                ..Shown::default()
            })
        }
        "run" => {
            let report = governance.run_as(actor, account).await?;
            Act::Done(format!(
                "The rules removed {} versions; they can be restored for the retention period.",
                report.removed.len()
            ))
        }
        "set_quota" => {
            let format = form.format()?;
            let quota = governance
                .set_quota_as(actor, account, format, form.limits()?)
                .await?;
            Act::Done(format!(
                "The quota of {} is set.",
                quota.scope(&account.login)
            ))
        }
        "remove_quota" => {
            let format = form.format()?;
            governance.remove_quota_as(actor, account, format).await?;
            Act::Done("The quota is removed.".into())
        }
        "add_tag" => {
            let format = form.format()?;
            let pattern = text(form.tag_pattern.as_ref()).unwrap_or_default();
            let rule = governance
                .add_immutable_tag_as(actor, account, format, &pattern)
                .await?;
            Act::Done(format!("Tags matching {} are immutable now.", rule.pattern))
        }
        "remove_tag" => {
            let id = form
                .id
                .ok_or_else(|| ServiceError::not_found("no such rule"))?;
            governance
                .remove_immutable_tag_as(actor, account, id)
                .await?;
            Act::Done("The immutable-tag rule is removed.".into())
        }
        _ => return Err(ServiceError::not_found("no such action")),
    })
}

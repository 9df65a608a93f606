//! An owner's cleanup rules (an Entrepot extension), under each owner
//! prefix: `GET|POST /user/cleanup/rules`, `DELETE
//! /user/cleanup/rules/{id}`, `POST /user/cleanup/preview` (with an
//! unsaved rule in the body, if any) and `POST /user/cleanup/run`; the
//! same under `/users/{username}` and `/orgs/{org}` (`admin cleanup` on
//! the command line); and the owner's storage usage, `GET /user/usage`
//! (`admin usage`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use entrepot_core::cleanup::{CleanupRule, RuleSpec, duration_text};
use entrepot_http::{AppState, Caller};
use entrepot_service::accounts::parse_lifetime;
use entrepot_service::cleanup::Removal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::shared::{
    OwnerRoute, UnprocessableResult as Result, body_of, format_field, id_param, resolve_owner,
    unprocessable,
};

pub fn owner_routes() -> Router<AppState> {
    Router::new()
        .route("/cleanup/rules", get(list).post(add))
        .route("/cleanup/rules/{id}", delete(remove))
        .route("/cleanup/preview", post(preview))
        .route("/cleanup/run", post(run))
        .route("/usage", get(usage))
}

/// A rule as the API takes it: durations as `30d`, `12h`, `2w`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleBody {
    format: Option<String>,
    pattern: Option<String>,
    keep_newest: Option<u32>,
    keep_pattern: Option<String>,
    older_than: Option<String>,
    not_downloaded_for: Option<String>,
    untagged_older_than: Option<String>,
    keep_snapshot_builds: Option<u32>,
}

impl RuleBody {
    /// The rule as a filter of one package's versions: what it keeps and
    /// removes, not which packages it selects.
    pub(crate) fn package_spec(self) -> Result<RuleSpec> {
        if self.format.is_some() || self.pattern.is_some() || self.keep_snapshot_builds.is_some() {
            return Err(unprocessable(
                "a filter of one package's versions takes no `format`, `pattern` or `keep_snapshot_builds`",
            ));
        }
        self.spec()
    }

    fn is_empty(&self) -> bool {
        self.format.is_none()
            && self.pattern.is_none()
            && self.keep_newest.is_none()
            && self.keep_pattern.is_none()
            && self.older_than.is_none()
            && self.not_downloaded_for.is_none()
            && self.untagged_older_than.is_none()
            && self.keep_snapshot_builds.is_none()
    }

    fn spec(self) -> Result<RuleSpec> {
        let seconds = |d: Option<String>| -> Result<Option<i64>> {
            d.map(|d| parse_lifetime(&d).map(|t| t.num_seconds()))
                .transpose()
                .map_err(Into::into)
        };
        Ok(RuleSpec {
            format: format_field(self.format.as_deref())?,
            pattern: self.pattern,
            keep_newest: self.keep_newest,
            keep_pattern: self.keep_pattern,
            older_than: seconds(self.older_than)?,
            not_downloaded_for: seconds(self.not_downloaded_for)?,
            untagged_older_than: seconds(self.untagged_older_than)?,
            keep_snapshot_builds: self.keep_snapshot_builds,
        })
    }
}

/// A rule as the API shows it.
#[derive(Debug, Serialize)]
struct Shown {
    id: i64,
    format: Option<&'static str>,
    pattern: Option<String>,
    keep_newest: Option<u32>,
    keep_pattern: Option<String>,
    older_than: Option<String>,
    not_downloaded_for: Option<String>,
    untagged_older_than: Option<String>,
    keep_snapshot_builds: Option<u32>,
    /// The rule in words.
    description: String,
    created_at: String,
}

impl Shown {
    fn of(rule: CleanupRule) -> Shown {
        let text = |s: Option<i64>| s.map(duration_text);
        Shown {
            id: rule.id,
            description: rule.spec.to_string(),
            format: rule.spec.format.map(entrepot_core::PackageType::as_str),
            older_than: text(rule.spec.older_than),
            not_downloaded_for: text(rule.spec.not_downloaded_for),
            untagged_older_than: text(rule.spec.untagged_older_than),
            pattern: rule.spec.pattern,
            keep_newest: rule.spec.keep_newest,
            keep_pattern: rule.spec.keep_pattern,
            keep_snapshot_builds: rule.spec.keep_snapshot_builds,
            created_at: crate::model::iso(&rule.created_at),
        }
    }
}

fn removal(r: &Removal) -> Value {
    json!({
        "package_type": r.package_type.as_str(),
        "package": r.package,
        "version_id": r.version_id,
        "version": r.version,
        "rules": r.rules,
    })
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<Shown>>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let rules = state
        .registry
        .governance()
        .cleanup_rules_as(&actor, &owner)
        .await?;
    Ok(Json(rules.into_iter().map(Shown::of).collect()))
}

async fn add(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Shown>)> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let spec = body_of::<RuleBody>(&body)?.spec()?;
    let rule = state
        .registry
        .governance()
        .add_cleanup_rule_as(&actor, &owner, spec)
        .await?;
    Ok((StatusCode::CREATED, Json(Shown::of(rule))))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let id = id_param(&params, "id")?;
    state
        .registry
        .governance()
        .remove_cleanup_rule_as(&actor, &owner, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the owner's rules (and the body's, unsaved, if any) remove now:
/// `{ "rules": [{ "id", "description", "removes": [...] }], "all": [...] }`,
/// the unsaved rule with id 0.
async fn preview(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
    body: axum::body::Bytes,
) -> Result<Json<Value>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let body: RuleBody = body_of(&body)?;
    let unsaved = if body.is_empty() {
        None
    } else {
        Some(body.spec()?)
    };
    let preview = state
        .registry
        .governance()
        .preview_as(&actor, &owner, unsaved)
        .await?;
    let rules: Vec<Value> = preview
        .rules
        .iter()
        .map(|(rule, removes)| {
            json!({
                "id": rule.id,
                "description": rule.spec.to_string(),
                "removes": removes.iter().map(removal).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "rules": rules,
        "all": preview.all.iter().map(removal).collect::<Vec<_>>(),
    })))
}

/// Removes now what the owner's rules remove: `{ "removed": [...] }`.
async fn run(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let report = state.registry.governance().run_as(&actor, &owner).await?;
    let removed: Vec<Value> = report.removed.iter().map(|(_, r)| removal(r)).collect();
    Ok(Json(json!({ "removed": removed })))
}

/// What the owner stores, each blob once: `{ "bytes", "versions",
/// "by_format": [{ "format", "bytes" }], "packages": [{ "package_type",
/// "name", "bytes", "versions", "deleted_versions", "deleted" }] }`;
/// deleted versions count until they are purged.
async fn usage(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Extension(route): Extension<OwnerRoute>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Value>> {
    let owner = resolve_owner(&state, &actor, route, &params).await?;
    let usage = state.registry.governance().usage_as(&actor, &owner).await?;
    let packages: Vec<Value> = usage
        .packages
        .iter()
        .map(|p| {
            json!({
                "package_type": p.package_type.as_str(),
                "name": p.name,
                "bytes": p.bytes,
                "versions": p.versions,
                "deleted_versions": p.deleted_versions,
                "deleted": p.deleted,
            })
        })
        .collect();
    let by_format: Vec<Value> = usage
        .by_format
        .iter()
        .map(|(f, bytes)| json!({ "format": f.as_str(), "bytes": bytes }))
        .collect();
    Ok(Json(json!({
        "owner": owner.login,
        "bytes": usage.bytes,
        "versions": usage.packages.iter().map(|p| p.versions).sum::<u64>(),
        "by_format": by_format,
        "packages": packages,
    })))
}

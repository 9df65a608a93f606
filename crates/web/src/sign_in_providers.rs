//! `/admin/sign-in-providers`: the OpenID Connect providers people sign
//! in with, for site administrators: the configuration file's (read only)
//! and those added here, which they add, change and remove. Anyone else
//! finds nothing there.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::oidc_admin::OidcSettings;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::sign_in_redirect;
use crate::session::Viewer;
use crate::{not_found, page_with_status, server_error};

const PATH: &str = "/admin/sign-in-providers";

#[derive(Serialize)]
struct Row {
    name: String,
    display_name: String,
    issuer: String,
    client_id: String,
    scopes: String,
    login_claim: String,
    groups_claim: String,
    auto_provision: bool,
    groups: String,
    callback: String,
    /// Added here (otherwise from the file).
    editable: bool,
}

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    done: Option<String>,
}

/// `GET /admin/sign-in-providers`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PageQuery>,
) -> Response {
    let notice = match query.done.as_deref() {
        Some("saved") => Some("Saved. Every node of this server uses it from the next request."),
        Some("deleted") => Some("Removed."),
        _ => None,
    };
    render(&state, &viewer, StatusCode::OK, notice, None).await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PATH);
    }
    let identity = state.registry.identity();
    let listed = match identity.listed_oidc_providers_as(&viewer.actor).await {
        Ok(listed) => listed,
        Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_)) => return not_found(viewer),
        Err(e) => return server_error(&e),
    };
    let rows: Vec<Row> = listed
        .into_iter()
        .map(|l| {
            let p = l.provider;
            Row {
                callback: identity.callback_url(&p.rules.name),
                issuer: p.issuer,
                client_id: p.client_id,
                scopes: p.scopes.join(" "),
                login_claim: p.login_claim,
                groups_claim: p.groups_claim.unwrap_or_default(),
                auto_provision: p.rules.auto_provision,
                groups: l
                    .settings
                    .as_ref()
                    .map(|s| {
                        s.groups
                            .iter()
                            .map(|(g, t)| format!("{g} = {t}"))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                    .unwrap_or_default(),
                editable: l.settings.is_some(),
                name: p.rules.name,
                display_name: p.rules.display_name,
            }
        })
        .collect();
    page_with_status(
        status,
        viewer,
        "admin_providers.html",
        context! {
            providers => rows,
            callback_base => identity.callback_url("NAME"),
            notice => notice,
            error => error,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct ProviderForm {
    csrf: Option<String>,
    /// `save` or `delete`.
    action: String,
    name: String,
    display_name: Option<String>,
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    scopes: Option<String>,
    login_claim: Option<String>,
    groups_claim: Option<String>,
    auto_provision: Option<String>,
    /// One `GROUP = ORG[:owner]` a line.
    groups: Option<String>,
}

fn filled(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl ProviderForm {
    fn settings(self) -> Result<OidcSettings, String> {
        let mut groups = BTreeMap::new();
        for line in self.groups.unwrap_or_default().lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((group, target)) = line.split_once('=') else {
                return Err(format!(
                    "`{line}`: a group mapping is GROUP = ORG or ORG:owner"
                ));
            };
            groups.insert(group.trim().to_owned(), target.trim().to_owned());
        }
        Ok(OidcSettings {
            name: self.name.trim().to_owned(),
            display_name: filled(self.display_name),
            issuer: self.issuer.unwrap_or_default().trim().to_owned(),
            client_id: self.client_id.unwrap_or_default().trim().to_owned(),
            client_secret: filled(self.client_secret),
            scopes: filled(self.scopes).map(|s| s.split_whitespace().map(str::to_owned).collect()),
            login_claim: filled(self.login_claim),
            groups_claim: filled(self.groups_claim),
            auto_provision: self.auto_provision.is_some(),
            groups,
        })
    }
}

/// `POST /admin/sign-in-providers`.
pub(crate) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<ProviderForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(PATH);
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return crate::form_expired();
    }
    let identity = state.registry.identity();
    let (done, result) = if form.action == "delete" {
        let name = form.name.clone();
        (
            "deleted",
            identity.delete_oidc_provider_as(&viewer.actor, &name).await,
        )
    } else {
        match form.settings() {
            Ok(settings) => (
                "saved",
                identity
                    .save_oidc_provider_as(&viewer.actor, settings)
                    .await,
            ),
            Err(m) => ("", Err(ServiceError::Invalid(m))),
        }
    };
    match result {
        Ok(()) => Redirect::to(&format!("{PATH}?done={done}")).into_response(),
        Err(ServiceError::NotFound(_) | ServiceError::Forbidden(_))
            if !viewer.actor.is_site_admin() =>
        {
            not_found(&viewer)
        }
        Err(ServiceError::Invalid(m) | ServiceError::Conflict(m) | ServiceError::NotFound(m)) => {
            render(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&m),
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

//! An organization's single sign-on in the pages: `/orgs/{org}/sso` shows
//! members whether their browser signed on and sends them through the
//! provider; owners choose the provider there (or none) and revoke
//! members' identities. Tokens are authorized for the organization on the
//! tokens page, from a browser that signed on.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_core::OrgRole;
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::account::{TokenRow, sign_in_redirect};
use crate::session::{Viewer, safe_return_to};
use crate::{form_expired, not_found, page_with_status, server_error};

fn sso_path(org: &str) -> String {
    format!("/orgs/{org}/sso")
}

#[derive(Serialize)]
struct IdentityRow {
    login: String,
    subject: String,
    linked: String,
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    return_to: Option<String>,
    done: Option<String>,
}

/// `GET /orgs/{org}/sso`.
pub(crate) async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&sso_path(&org));
    }
    let notice = match query.done.as_deref() {
        Some("saved") => Some("Saved."),
        Some("revoked") => {
            Some("Revoked the identity, with its sign-ons and token authorizations.")
        }
        _ => None,
    };
    let return_to = query.return_to.as_deref().map(|r| safe_return_to(Some(r)));
    render(
        &state,
        &viewer,
        &org,
        StatusCode::OK,
        notice,
        None,
        return_to.as_deref(),
    )
    .await
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    org: &str,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<&str>,
    return_to: Option<&str>,
) -> Response {
    let accounts = state.registry.accounts();
    let (org_account, role) = match crate::members::org_role(state, viewer, org).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let sso = match accounts.org_sso_as(&viewer.actor, org).await {
        Ok(sso) => sso,
        Err(e) => return server_error(&e),
    };
    let owner = role == Some(OrgRole::Owner) || viewer.actor.is_site_admin();
    let signed_on = match accounts.my_sso_orgs(&viewer.actor).await {
        Ok(orgs) => orgs
            .iter()
            .any(|m| m.org.id == org_account.id && m.signed_on),
        Err(e) => return server_error(&e),
    };
    let identities: Vec<IdentityRow> = if owner && sso.is_some() {
        match accounts.sso_identities_as(&viewer.actor, org).await {
            Ok(found) => found
                .into_iter()
                .map(|(a, i)| IdentityRow {
                    login: a.login,
                    subject: i.subject,
                    linked: i.linked_at.format("%Y-%m-%d").to_string(),
                })
                .collect(),
            Err(e) => return server_error(&e),
        }
    } else {
        Vec::new()
    };
    let providers = match state.registry.identity().providers().await {
        Ok(found) => found,
        Err(e) => return server_error(&e),
    };
    let saml = sso.as_ref().and_then(|s| s.saml.as_ref()).map(|s| {
        context! { sso_url => s.sso_url, issuer => s.issuer, certificates => s.certificates }
    });
    let (sp_entity, acs) = state.registry.identity().saml_endpoints(&org_account.login);
    let provider_name = sso.as_ref().map(|s| {
        if s.saml.is_some() {
            return "the organization's SAML identity provider".to_owned();
        }
        providers
            .iter()
            .find(|p| p.name == s.provider)
            .map_or_else(|| s.provider.clone(), |p| p.display_name.clone())
    });
    let choices: Vec<_> = providers
        .iter()
        .map(|p| context! { name => p.name, display_name => p.display_name })
        .collect();
    page_with_status(
        status,
        viewer,
        "sso.html",
        context! {
            org => org_account.login,
            enforced => sso.as_ref().map(|s| s.provider.clone()),
            provider_name => provider_name,
            member => role.is_some(),
            owner => owner,
            signed_on => signed_on,
            identities => identities,
            providers => choices,
            saml => saml,
            sp_entity => sp_entity,
            acs => acs,
            return_to => return_to.unwrap_or("/settings/tokens"),
            notice => notice,
            error => error,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct BeginQuery {
    csrf: Option<String>,
    return_to: Option<String>,
}

/// `GET /orgs/{org}/sso/begin?csrf=…`: to the organization's provider (a
/// link, as connecting a provider is, for the page's `form-action`).
pub(crate) async fn begin(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Query(query): Query<BeginQuery>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&sso_path(&org));
    }
    if !viewer.csrf_ok(query.csrf.as_deref()) {
        return form_expired();
    }
    let return_to = safe_return_to(query.return_to.as_deref());
    match state
        .registry
        .identity()
        .begin_org_sso(&viewer.actor, &org, &return_to)
        .await
    {
        Ok(started) => crate::external::to_provider(&state, &started),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub(crate) struct SsoForm {
    csrf: Option<String>,
    /// `enforce`, `off` or `revoke`.
    action: String,
    provider: Option<String>,
    login: Option<String>,
    sso_url: Option<String>,
    issuer: Option<String>,
    certificate: Option<String>,
}

/// `POST /orgs/{org}/sso`: the owners' changes.
pub(crate) async fn act(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
    Form(form): Form<SsoForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&sso_path(&org));
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let accounts = state.registry.accounts();
    let (done, result) = match form.action.as_str() {
        "enforce" => (
            "saved",
            accounts
                .set_org_sso_as(&viewer.actor, &org, form.provider.as_deref())
                .await,
        ),
        "saml" => (
            "saved",
            accounts
                .set_org_saml_as(
                    &viewer.actor,
                    &org,
                    form.sso_url.as_deref().unwrap_or_default(),
                    form.issuer.as_deref().unwrap_or_default(),
                    form.certificate.as_deref().unwrap_or_default(),
                )
                .await,
        ),
        "off" => (
            "saved",
            accounts.set_org_sso_as(&viewer.actor, &org, None).await,
        ),
        "revoke" => (
            "revoked",
            accounts
                .revoke_sso_identity_as(
                    &viewer.actor,
                    &org,
                    form.login.as_deref().unwrap_or_default(),
                )
                .await,
        ),
        _ => ("", Err(ServiceError::Invalid("no such action".into()))),
    };
    match result {
        Ok(()) => Redirect::to(&format!("{}?done={done}", sso_path(&org))).into_response(),
        Err(
            ServiceError::Invalid(m)
            | ServiceError::Forbidden(m)
            | ServiceError::Conflict(m)
            | ServiceError::NotFound(m),
        ) => {
            render(
                &state,
                &viewer,
                &org,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&m),
                None,
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

/// An organization with single sign-on, as the tokens page offers it.
#[derive(Serialize)]
pub(crate) struct SsoOrg {
    login: String,
    signed_on: bool,
}

/// The tokens' authorizations, and the viewer's organizations with
/// single sign-on, for the tokens page.
pub(crate) async fn token_rows(
    state: &AppState,
    viewer: &Viewer,
    mut tokens: Vec<TokenRow>,
) -> Result<(Vec<TokenRow>, Vec<SsoOrg>), ServiceError> {
    let accounts = state.registry.accounts();
    let orgs = accounts.my_sso_orgs(&viewer.actor).await?;
    if orgs.is_empty() {
        return Ok((tokens, Vec::new()));
    }
    for token in &mut tokens {
        let authorized = accounts
            .token_sso_orgs_as(&viewer.actor, token.id)
            .await
            .unwrap_or_default();
        token.sso = orgs
            .iter()
            .filter(|m| authorized.contains(&m.org.id))
            .map(|m| m.org.login.clone())
            .collect();
    }
    let orgs = orgs
        .into_iter()
        .map(|m| SsoOrg {
            login: m.org.login,
            signed_on: m.signed_on,
        })
        .collect();
    Ok((tokens, orgs))
}

#[derive(Deserialize)]
pub(crate) struct TokenSsoForm {
    csrf: Option<String>,
    org: String,
    /// `authorize` or `deauthorize`.
    action: String,
}

/// `POST /settings/tokens/{id}/sso`: authorizes a token for an
/// organization (from a browser that signed on to it), or takes it back.
pub(crate) async fn authorize_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<TokenSsoForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/settings/tokens");
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return form_expired();
    }
    let accounts = state.registry.accounts();
    let done = if form.action == "deauthorize" {
        accounts
            .deauthorize_token_as(&viewer.actor, id, &form.org)
            .await
    } else {
        accounts
            .authorize_token_as(&viewer.actor, id, &form.org)
            .await
    };
    match done {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        // Not signed on (or it expired): sign on, then come back.
        Err(ServiceError::Forbidden(_)) => Redirect::to(&format!(
            "{}?return_to=/settings/tokens",
            sso_path(&form.org)
        ))
        .into_response(),
        Err(ServiceError::NotFound(_)) => not_found(&viewer),
        Err(e) => server_error(&e),
    }
}

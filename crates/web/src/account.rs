//! Signing in and out, and the personal-access-token settings page.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{TimeDelta, Utc};
use entrepot_core::{Actor, Scope, Scopes};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use entrepot_service::sessions::{SESSION_LIFETIME, SignInError, random_secret};
use entrepot_service::throttle::WINDOW;
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::session::{
    Fields, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer, cookie, safe_return_to, same, set_cookie,
    with_cookie,
};
use crate::{day, page_with_status, server_error, urlencode};

#[derive(Serialize)]
struct Provider {
    display_name: String,
    path: String,
}

/// The sign-in buttons of the external providers.
/// (none when they cannot be read: the password form still works).
async fn providers(state: &AppState) -> Vec<Provider> {
    match state.registry.identity().providers().await {
        Ok(found) => found
            .into_iter()
            .map(|p| Provider {
                display_name: p.display_name,
                path: p.path,
            })
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "sign-in providers could not be read");
            Vec::new()
        }
    }
}

/// Where a browser without a session is sent to sign in first.
pub fn sign_in_redirect(return_to: &str) -> Response {
    Redirect::to(&format!("/login?return_to={}", urlencode(return_to))).into_response()
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref());
    if viewer.session.is_some() {
        return Redirect::to(&return_to).into_response();
    }
    let (csrf, fresh) = match cookie(&headers, LOGIN_CSRF_COOKIE) {
        Some(c) if c.len() == 43 => (c.to_owned(), false),
        _ => (random_secret(), true),
    };
    let html = login_page(
        &state,
        &viewer,
        &csrf,
        &return_to,
        None,
        None,
        StatusCode::OK,
    )
    .await;
    if fresh {
        with_cookie(html, set_cookie(&state, LOGIN_CSRF_COOKIE, &csrf, 3600))
    } else {
        html
    }
}

async fn login_page(
    state: &AppState,
    viewer: &Viewer,
    csrf: &str,
    return_to: &str,
    login: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    page_with_status(
        status,
        viewer,
        "login.html",
        context! {
            login_csrf => csrf, return_to => return_to, login => login, error => error,
            providers => providers(state).await,
            directories => state.registry.identity().directories(),
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    csrf: String,
    return_to: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let return_to = safe_return_to(form.return_to.as_deref());
    let Some(expected) = cookie(&headers, LOGIN_CSRF_COOKIE).filter(|c| same(c, &form.csrf)) else {
        // A form from another site, or one older than its cookie.
        let csrf = random_secret();
        let html = login_page(
            &state,
            &viewer,
            &csrf,
            &return_to,
            Some(&form.login),
            Some("This form expired. Please sign in again."),
            StatusCode::BAD_REQUEST,
        )
        .await;
        return with_cookie(html, set_cookie(&state, LOGIN_CSRF_COOKIE, &csrf, 3600));
    };
    match state
        .registry
        .sessions()
        .sign_in(&form.login, &form.password, from)
        .await
    {
        Ok(session) => {
            let mut response = with_cookie(
                Redirect::to(&return_to),
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &session.secret,
                    SESSION_LIFETIME.num_seconds(),
                ),
            );
            response
                .headers_mut()
                .append("set-cookie", set_cookie(&state, LOGIN_CSRF_COOKIE, "", 0));
            response
        }
        Err(SignInError::Refused) => {
            login_page(
                &state,
                &viewer,
                expected,
                &return_to,
                Some(&form.login),
                Some("Incorrect user name or password."),
                StatusCode::UNAUTHORIZED,
            )
            .await
        }
        Err(SignInError::Throttled(message)) => {
            let mut response = login_page(
                &state,
                &viewer,
                expected,
                &return_to,
                Some(&form.login),
                Some(&message),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await;
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(WINDOW.num_seconds()));
            response
        }
        Err(SignInError::External(message)) => {
            login_page(
                &state,
                &viewer,
                expected,
                &return_to,
                Some(&form.login),
                Some(&message),
                StatusCode::FORBIDDEN,
            )
            .await
        }
        Err(SignInError::Service(e)) => server_error(&e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(secret) = &viewer.session {
        if !viewer.csrf_ok(form.csrf.as_deref()) {
            return (
                StatusCode::BAD_REQUEST,
                "This form expired; reload the page.",
            )
                .into_response();
        }
        if let Err(e) = state.registry.sessions().sign_out(secret).await {
            return server_error(&e);
        }
    }
    with_cookie(Redirect::to("/"), set_cookie(&state, SESSION_COOKIE, "", 0))
}

#[derive(Serialize)]
pub(crate) struct TokenRow {
    pub(crate) id: i64,
    note: String,
    prefix: String,
    scopes: Vec<&'static str>,
    created: String,
    created_iso: String,
    last_used: String,
    expires: String,
    state: &'static str,
    /// What a bounded token reaches, in a few words.
    reach: Option<String>,
    /// The organizations with single sign-on this token is authorized for.
    pub(crate) sso: Vec<String>,
}

#[derive(Serialize)]
struct ScopeChoice {
    name: &'static str,
    help: &'static str,
}

#[derive(Serialize)]
struct Expiration {
    value: &'static str,
    label: &'static str,
}

const EXPIRATIONS: [Expiration; 5] = [
    Expiration {
        value: "7",
        label: "7 days",
    },
    Expiration {
        value: "30",
        label: "30 days",
    },
    Expiration {
        value: "60",
        label: "60 days",
    },
    Expiration {
        value: "90",
        label: "90 days",
    },
    Expiration {
        value: "none",
        label: "No expiration",
    },
];

fn scope_help(scope: Scope) -> &'static str {
    match scope {
        Scope::ReadPackages => "download packages and read their metadata",
        Scope::WritePackages => "publish packages (includes read:packages)",
        Scope::DeletePackages => "delete and restore packages",
        Scope::Repo => "use packages of private repositories",
        Scope::ReadOrg => "what GitHub's CLI (gh) asks of a token; grants nothing more here",
        Scope::AdminOrg => "manage the members of organizations you own",
        Scope::SiteAdmin => "administer the site through the REST API (site administrators only)",
    }
}

/// The scopes the token form offers: `site_admin` to site administrators
/// only, since it grants no one else anything.
fn offered_scopes(actor: &Actor) -> Vec<ScopeChoice> {
    let admin = matches!(
        actor,
        Actor::User {
            site_admin: true,
            ..
        }
    );
    Scope::ALL
        .iter()
        .filter(|s| admin || **s != Scope::SiteAdmin)
        .map(|s| ScopeChoice {
            name: s.as_str(),
            help: scope_help(*s),
        })
        .collect()
}

/// A bounded token's reach, as its row names it.
fn reach_of(grant: &entrepot_core::trusted::Grant) -> String {
    if grant.is_minted() {
        return "trusted publishing".to_owned();
    }
    let mut parts: Vec<String> = grant
        .packages
        .iter()
        .map(|p| format!("{}/{}", p.package_type, p.name))
        .collect();
    let count = |n: usize, what: &str| match n {
        0 => None,
        1 => Some(format!("1 {what}")),
        n => Some(format!("{n} {what}s")),
    };
    parts.extend(count(grant.owners.len(), "owner"));
    parts.extend(
        count(grant.repositories.len(), "repository")
            .map(|r| r.replace("repositorys", "repositories")),
    );
    format!("only {}", parts.join(", "))
}

/// The names in a reach field: separated by commas or spaces.
fn names_in(text: Option<&str>) -> Vec<String> {
    text.unwrap_or("")
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    extra: minijinja::Value,
) -> Response {
    let records = match state.registry.accounts().own_tokens(&viewer.actor).await {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let now = Utc::now();
    let tokens: Vec<TokenRow> = records
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| TokenRow {
            id: t.id,
            note: t.note.clone().unwrap_or_default(),
            prefix: t.prefix.clone(),
            scopes: t.scopes.iter().map(Scope::as_str).collect(),
            created: day(&t.created_at),
            created_iso: t.created_at.to_rfc3339(),
            last_used: t
                .last_used_at
                .map_or_else(|| "Never used".to_owned(), |u| day(&u)),
            expires: t.expires_at.map_or_else(|| "Never".to_owned(), |e| day(&e)),
            state: if t.is_usable_at(now) {
                "active"
            } else {
                "expired"
            },
            reach: t.bound_to.as_ref().map(reach_of),
            sso: Vec::new(),
        })
        .collect();
    let (tokens, sso_orgs) = match crate::sso::token_rows(state, viewer, tokens).await {
        Ok(found) => found,
        Err(e) => return server_error(&e),
    };
    page_with_status(
        status,
        viewer,
        "tokens.html",
        context! {
            tokens => tokens,
            sso_orgs => sso_orgs,
            expirations => EXPIRATIONS,
            scopes => offered_scopes(&viewer.actor),
            ..extra
        },
    )
}

pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/settings/tokens");
    }
    tokens_page(&state, &viewer, StatusCode::OK, context! {}).await
}

/// A classic token, or a narrow one when the form names what it reaches
/// (which must then expire).
async fn make_token(
    state: &AppState,
    viewer: &Viewer,
    login: &str,
    (scopes, lifetime): (Scopes, Option<TimeDelta>),
    note: String,
    fields: &Fields,
) -> Result<entrepot_service::accounts::IssuedToken, ServiceError> {
    let field = |name: &str| fields.get(name);
    let reach = entrepot_service::narrow::Reach {
        owners: names_in(field("reach_owners")),
        repositories: names_in(field("reach_repositories")),
        packages: names_in(field("reach_packages")),
    };
    let accounts = state.registry.accounts();
    if reach.is_empty() {
        return accounts
            .create_token(login, scopes, lifetime, Some(note))
            .await;
    }
    let lifetime = lifetime.ok_or_else(|| {
        ServiceError::Invalid("A token with a reach must expire: choose an expiration.".into())
    })?;
    accounts
        .create_bounded_token(
            Some(&viewer.actor),
            login,
            (scopes, lifetime),
            Some(note),
            &reach,
        )
        .await
}

pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(login) = viewer.login().filter(|_| viewer.session.is_some()) else {
        return sign_in_redirect("/settings/tokens");
    };
    let fields = Fields(fields);
    let field = |name: &str| fields.get(name);
    if !viewer.csrf_ok(field("csrf")) {
        return tokens_page(
            &state,
            &viewer,
            StatusCode::BAD_REQUEST,
            context! { error => "This form expired; please try again." },
        )
        .await;
    }
    let note = field("note").unwrap_or("").trim().to_owned();
    let mut scopes = Scopes::NONE;
    for value in fields.all("scope") {
        match value.parse::<Scope>() {
            Ok(s) => scopes = scopes.with(s),
            Err(e) => {
                return tokens_page(
                    &state,
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    context! { error => e.to_string(), note => note },
                )
                .await;
            }
        }
    }
    let lifetime = match field("expiration").unwrap_or("30") {
        "none" => None,
        days => match days.parse::<i64>() {
            Ok(d) if (1..=366).contains(&d) => Some(TimeDelta::days(d)),
            _ => {
                return tokens_page(
                    &state,
                    &viewer,
                    StatusCode::BAD_REQUEST,
                    context! { error => "Choose an expiration from the list.", note => note },
                )
                .await;
            }
        },
    };
    let problem = if note.is_empty() || note.chars().count() > 100 {
        Some("Give the token a note of at most 100 characters, to tell it apart later.")
    } else if scopes == Scopes::NONE {
        Some("Select at least one scope.")
    } else {
        None
    };
    if let Some(problem) = problem {
        return tokens_page(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { error => problem, note => note },
        )
        .await;
    }
    let made = make_token(
        &state,
        &viewer,
        login,
        (scopes, lifetime),
        note.clone(),
        &fields,
    )
    .await;
    match made {
        Ok(issued) => {
            tokens_page(
                &state,
                &viewer,
                StatusCode::CREATED,
                context! { new_token => context! { note => note, secret => issued.secret } },
            )
            .await
        }
        Err(ServiceError::Internal(e)) => server_error(&ServiceError::Internal(e)),
        Err(e) => {
            tokens_page(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                context! { error => entrepot_http::error::public_message(&e), note => note },
            )
            .await
        }
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect("/settings/tokens");
    }
    if !viewer.csrf_ok(form.csrf.as_deref()) {
        return tokens_page(
            &state,
            &viewer,
            StatusCode::BAD_REQUEST,
            context! { error => "This form expired; please try again." },
        )
        .await;
    }
    match state
        .registry
        .accounts()
        .revoke_own_token(&viewer.actor, id)
        .await
    {
        Ok(()) => Redirect::to("/settings/tokens").into_response(),
        Err(entrepot_service::ServiceError::NotFound(_)) => {
            tokens_page(
                &state,
                &viewer,
                StatusCode::NOT_FOUND,
                context! { error => "No such token." },
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

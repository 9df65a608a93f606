//! An organization's SAML identity provider answers here: the consumer
//! (`POST /orgs/{org}/saml/consume`, the provider's cross-site form, so
//! with no cookies and no form token: the response's signature is its
//! credential), the completion in the browser that began the sign-on
//! (`GET /orgs/{org}/saml/complete`, with its cookies), and our metadata
//! for the provider's administrator (`GET /orgs/{org}/saml/metadata`).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use entrepot_http::AppState;
use entrepot_http::auth::ClientAddress;
use entrepot_service::ServiceError;
use entrepot_service::sessions::SignInError;
use serde::Deserialize;

use crate::account::sign_in_redirect;
use crate::external::{FLOW_COOKIE, failed};
use crate::session::{Viewer, cookie, set_cookie, with_cookie};

#[derive(Deserialize)]
pub(crate) struct Posted {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
}

/// Keeps the sealed result out of the next page's `Referer`.
fn no_referrer(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// `POST /orgs/{org}/saml/consume`.
pub(crate) async fn consume(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(from): ClientAddress,
    Path(org): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    let Some(saml_response) = posted.saml_response else {
        return failed(
            &viewer,
            SignInError::External("The identity provider sent no SAMLResponse.".into()),
        );
    };
    match state
        .registry
        .identity()
        .consume_saml(&org, &saml_response, from)
        .await
    {
        // 303: the browser follows with a GET, a top-level navigation of
        // our own that carries the session's cookie.
        Ok(complete) => no_referrer(Redirect::to(&complete).into_response()),
        Err(e) => failed(&viewer, e),
    }
}

#[derive(Deserialize)]
pub(crate) struct Completion {
    result: Option<String>,
}

/// `GET /orgs/{org}/saml/complete?result=…`.
pub(crate) async fn complete(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(org): Path<String>,
    Query(completion): Query<Completion>,
) -> Response {
    if viewer.session.is_none() {
        return sign_in_redirect(&format!("/orgs/{org}/sso"));
    }
    let finished = state
        .registry
        .identity()
        .complete_saml(
            &org,
            completion.result.as_deref().unwrap_or_default(),
            cookie(&headers, FLOW_COOKIE),
            &viewer.actor,
        )
        .await;
    let response = match finished {
        Ok(finished) => Redirect::to(&finished.return_to).into_response(),
        Err(e) => failed(&viewer, e),
    };
    no_referrer(with_cookie(
        response,
        set_cookie(&state, FLOW_COOKIE, "", 0),
    ))
}

/// `GET /orgs/{org}/saml/metadata`: our service provider's metadata.
pub(crate) async fn metadata(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(org): Path<String>,
) -> Response {
    match state.registry.identity().saml_metadata(&org).await {
        Ok(xml) => ([(CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response(),
        Err(ServiceError::NotFound(_)) => crate::not_found(&viewer),
        Err(e) => crate::server_error(&e),
    }
}

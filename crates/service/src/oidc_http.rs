//! `openidconnect`'s HTTP client, as the outbound client: internal
//! addresses refused unless allowed, no redirects (OpenID Connect needs
//! none), a deadline on each exchange, and answers read only up to a bound.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest_hooks as reqwest;

use crate::outbound::ClientKind;
use crate::{Registry, ServiceResult};

/// The most a provider's answer (a discovery document, its keys, tokens,
/// claims) may hold.
const MAX_ANSWER: usize = 1 << 20;
/// How long one exchange with a provider may take.
const DEADLINE: Duration = Duration::from_secs(20);

pub(crate) struct Http {
    client: reqwest::Client,
    outbound: std::sync::Arc<crate::outbound::Outbound>,
}

/// Why an exchange with a provider failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    #[error(transparent)]
    Request(#[from] reqwest::Error),
    #[error("the answer is larger than {MAX_ANSWER} bytes")]
    TooLarge,
    #[error("no answer within {} seconds", DEADLINE.as_secs())]
    Timeout,
    #[error("{0}")]
    Http(#[from] http::Error),
    #[error(transparent)]
    Refused(#[from] crate::outbound::Refused),
    #[error("bad URL: {0}")]
    Url(#[from] url::ParseError),
}

impl Http {
    pub(crate) fn new(registry: &Registry) -> ServiceResult<Http> {
        let client = registry.outbound.client(ClientKind {
            insecure: false,
            follow_redirects: false,
        })?;
        Ok(Http {
            client: client.clone(),
            outbound: registry.outbound.clone(),
        })
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        // Names are checked as they resolve; an address literal here.
        self.outbound
            .check_url(&url::Url::parse(&request.uri().to_string())?)?;
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.client.execute(request).await?;
        let mut answer = http::Response::builder().status(response.status());
        if let Some(headers) = answer.headers_mut() {
            *headers = response.headers().clone();
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(answer.body(body)?)
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            tokio::time::timeout(DEADLINE, self.send(request))
                .await
                .map_err(|_| HttpError::Timeout)?
        })
    }
}

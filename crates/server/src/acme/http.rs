//! instant-acme's requests sent through the registry's own outbound client
//! (the one for addresses an administrator gave), so that ACME is no
//! exception to the rule that every request the server sends goes through
//! one place.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use instant_acme::{BodyWrapper, BytesResponse, HttpClient};

use super::MAX_ANSWER;

#[derive(Clone)]
pub(super) struct AcmeHttp(reqwest_hooks::Client);

impl AcmeHttp {
    pub(super) fn new(client: reqwest_hooks::Client) -> Self {
        AcmeHttp(client)
    }
}

fn other(e: impl std::error::Error + Send + Sync + 'static) -> instant_acme::Error {
    instant_acme::Error::Other(Box::new(e))
}

#[derive(Debug, thiserror::Error)]
#[error("the ACME server's answer is larger than {MAX_ANSWER} bytes")]
struct TooLarge;

impl HttpClient for AcmeHttp {
    fn request(
        &self,
        req: http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let Ok(body) = body
                .collect()
                .await
                .map(http_body_util::Collected::to_bytes);
            let mut answer = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(other)?;
            let mut response = http::Response::builder().status(answer.status());
            if let Some(headers) = response.headers_mut() {
                *headers = std::mem::take(answer.headers_mut());
            }
            // Read in bounded steps: the CA is trusted, its path is not.
            let mut collected = Vec::new();
            while let Some(chunk) = answer.chunk().await.map_err(other)? {
                if collected.len() + chunk.len() > MAX_ANSWER {
                    return Err(other(TooLarge));
                }
                collected.extend_from_slice(&chunk);
            }
            let response = response
                .body(Full::new(Bytes::from(collected)))
                .map_err(other)?;
            Ok(BytesResponse::from(response))
        })
    }
}

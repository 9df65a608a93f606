//! The request body of trusted publishing's exchanges (PyPI, Cargo,
//! RubyGems): a small JSON object carrying the CI provider's token under
//! a name each client chooses, read within a bound.

use axum::body::Body;
use entrepot_service::ServiceError;
use serde_json::Value;

/// The largest exchange request read: a token and its JSON around it.
pub const MAX_REQUEST: usize = 32 * 1024;

/// The string `field` of the JSON object `body` carries.
pub async fn from_json_body(body: Body, field: &str) -> Result<String, ServiceError> {
    let bytes = axum::body::to_bytes(body, MAX_REQUEST).await.map_err(|_| {
        ServiceError::Invalid(format!("the request is larger than {MAX_REQUEST} bytes"))
    })?;
    let request: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ServiceError::Invalid(format!("the request is not JSON: {e}")))?;
    request
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ServiceError::Invalid(format!("the request has no `{field}`")))
}

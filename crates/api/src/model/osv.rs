//! osv.dev's API shapes: the answers of `/v1/query` and `/v1/querybatch`
//! and its error, `{"code", "message"}`. The vulnerability documents
//! themselves are OSV's schema, built by `entrepot_core::osv`.

use serde::Serialize;
use serde_json::Value;

/// The answer to a query: the matching documents, or `{}` for none.
#[derive(Debug, Default, Serialize)]
pub struct QueryResponse {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulns: Vec<Value>,
}

/// The answer to a batch: one result per query, in the queries' order.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    pub results: Vec<BatchResult>,
}

/// One query's matches in a batch, or `{}` for none.
#[derive(Debug, Default, Serialize)]
pub struct BatchResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vulns: Vec<VulnId>,
}

/// A match in a batch: its id and when it last changed.
#[derive(Debug, Serialize)]
pub struct VulnId {
    pub id: String,
    pub modified: String,
}

/// osv.dev's error: a gRPC status code and a message.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub code: u8,
    pub message: String,
}

//! An OSV-compatible API (`/osv/v1/query`, `/querybatch`, `/vulns/{id}`)
//! and OSV's bulk layout (`/osv/ECOSYSTEM/all.zip`), answered from the
//! published advisories of packages the caller may read, so that
//! OSV-speaking scanners check lockfiles against private advisories.
//! This file owns the routes; `query` reads queries and matches them,
//! `document` builds the documents, `error` is the error.
//!
//! Errors take osv.dev's shape, `{"code", "message"}` with gRPC codes.

mod document;
mod error;
mod query;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use entrepot_core::osv::{self, ecosystem_from_label, ecosystem_label};
use entrepot_core::{Account, Advisory, AdvisoryState, Id, Package, Version};
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryQuery;
use serde_json::Value;

use crate::model::osv::{BatchResponse, BatchResult, QueryResponse, VulnId};
use crate::shared::MAX_BODY_BYTES;
use document::{document, package_facts};
use error::{OsvError, Result};
use query::{Batch, Index, Query, read_query};

/// osv.dev's limit on one batch.
const MAX_BATCH: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/osv/v1/query", post(query))
        .route("/osv/v1/querybatch", post(query_batch))
        .route("/osv/v1/vulns/{id}", get(vuln))
        .route("/osv/ecosystems.txt", get(ecosystems))
        .route("/osv/{ecosystem}/all.zip", get(all_zip))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| OsvError::invalid(format!("Invalid JSON: {e}")))
}

/// `POST /osv/v1/query`: the full documents of the matching advisories,
/// or `{}` when none match, as osv.dev answers.
async fn query(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Json<QueryResponse>> {
    let q: Query = parse(&body)?;
    let Some(wanted) = read_query(q)? else {
        return Ok(Json(QueryResponse::default()));
    };
    let mut index = Index::load(&state, &actor).await?;
    let found: Vec<(Advisory, Package)> = index.matches(&wanted).into_iter().cloned().collect();
    let mut vulns = Vec::new();
    for (advisory, package) in &found {
        vulns.push(index.document(advisory, package).await?);
    }
    Ok(Json(QueryResponse { vulns }))
}

/// `POST /osv/v1/querybatch`: per query, the ids and modification times
/// of the matching advisories (`{}` for none), in the queries' order.
async fn query_batch(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Json<BatchResponse>> {
    let batch: Batch = parse(&body)?;
    if batch.queries.len() > MAX_BATCH {
        return Err(OsvError::invalid(format!(
            "Too many queries: at most {MAX_BATCH} in one batch"
        )));
    }
    let wanted = batch
        .queries
        .into_iter()
        .map(read_query)
        .collect::<Result<Vec<_>>>()?;
    let index = Index::load(&state, &actor).await?;
    let results = wanted
        .iter()
        .map(|w| BatchResult {
            vulns: w
                .as_ref()
                .map(|w| index.matches(w))
                .unwrap_or_default()
                .into_iter()
                .map(|(a, _)| VulnId {
                    id: a.ghsa_id.clone(),
                    modified: osv::timestamp(&a.updated_at),
                })
                .collect(),
        })
        .collect();
    Ok(Json(BatchResponse { results }))
}

/// `GET /osv/v1/vulns/{id}`: one advisory, withdrawn ones included (with
/// their `withdrawn` time); drafts are not vulnerabilities yet.
async fn vuln(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>> {
    let (advisory, package) = match state.registry.advisories().advisory(&actor, &id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return Err(OsvError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if advisory.state == AdvisoryState::Draft {
        return Err(OsvError::not_found());
    }
    let (owner, versions) = package_facts(&state, &package).await?;
    Ok(Json(document(
        &state, &advisory, &package, &owner, &versions,
    )))
}

/// `GET /osv/ecosystems.txt`, as OSV's bucket lists its ecosystems.
async fn ecosystems() -> Response {
    let mut text = String::new();
    for e in osv::ECOSYSTEMS {
        text.push_str(ecosystem_label(*e));
        text.push('\n');
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// `GET /osv/{ecosystem}/all.zip`: every readable advisory of the
/// ecosystem, one `ID.json` each, as OSV's bucket serves them for offline
/// scanners.
async fn all_zip(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(label): Path<String>,
) -> Result<Response> {
    let Some(ecosystem) = ecosystem_from_label(&label) else {
        return Err(OsvError {
            status: StatusCode::NOT_FOUND,
            code: 5,
            message: format!("no ecosystem `{label}` here"),
        });
    };
    let query = AdvisoryQuery {
        ecosystem: Some(ecosystem),
        ..AdvisoryQuery::default()
    };
    let mut facts: HashMap<Id, (Account, Vec<Version>)> = HashMap::new();
    let mut docs = Vec::new();
    for (advisory, package) in state
        .registry
        .advisories()
        .readable_advisories(&actor, &query)
        .await?
    {
        if advisory.state == AdvisoryState::Draft {
            continue;
        }
        let (owner, versions) = match facts.entry(package.id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(package_facts(&state, &package).await?),
        };
        let doc = document(&state, &advisory, &package, owner, versions);
        docs.push((advisory.ghsa_id, doc));
    }
    let zip = tokio::task::spawn_blocking(move || zip_documents(&docs))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CACHE_CONTROL, "private, no-cache"),
        ],
        zip,
    )
        .into_response())
}

fn zip_documents(docs: &[(String, Value)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (id, doc) in docs {
        writer.start_file(format!("{id}.json"), options)?;
        writer.write_all(&serde_json::to_vec_pretty(doc).unwrap_or_default())?;
    }
    Ok(writer.finish()?.into_inner())
}

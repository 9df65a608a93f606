//! An OSV-compatible API (`/osv/v1/query`, `/querybatch`, `/vulns/{id}`)
//! and OSV's bulk layout (`/osv/ECOSYSTEM/all.zip`), answered from the
//! published advisories of packages the caller may read, so that
//! OSV-speaking scanners check lockfiles against private advisories.
//!
//! Errors take osv.dev's shape, `{"code", "message"}` with gRPC codes.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use entrepot_core::osv::{self, canonical_name, ecosystem_from_label, ecosystem_label};
use entrepot_core::{Account, Actor, Advisory, AdvisoryState, Ecosystem, Id, Package, Version};
use entrepot_http::{AppState, Caller};
use entrepot_service::ServiceError;
use entrepot_service::advisories::AdvisoryQuery;
use serde::Deserialize;
use serde_json::{Value, json};

/// osv.dev's limit on one batch.
const MAX_BATCH: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/osv/v1/query", post(query))
        .route("/osv/v1/querybatch", post(query_batch))
        .route("/osv/v1/vulns/{id}", get(vuln))
        .route("/osv/ecosystems.txt", get(ecosystems))
        .route("/osv/{ecosystem}/all.zip", get(all_zip))
        .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
}

/// osv.dev's error: a gRPC status code and a message.
#[derive(Debug)]
struct OsvError {
    status: StatusCode,
    code: u8,
    message: String,
}

impl OsvError {
    fn invalid(message: impl Into<String>) -> Self {
        OsvError {
            status: StatusCode::BAD_REQUEST,
            code: 3,
            message: message.into(),
        }
    }

    fn not_found() -> Self {
        OsvError {
            status: StatusCode::NOT_FOUND,
            code: 5,
            message: "Bug not found.".into(),
        }
    }
}

impl From<ServiceError> for OsvError {
    fn from(e: ServiceError) -> Self {
        let status = entrepot_http::error::status_of(&e);
        let code = match status {
            StatusCode::UNAUTHORIZED => 16,
            StatusCode::FORBIDDEN => 7,
            StatusCode::NOT_FOUND => 5,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => 3,
            _ => 13,
        };
        OsvError {
            status,
            code,
            message: entrepot_http::error::public_message(&e),
        }
    }
}

impl IntoResponse for OsvError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            axum::Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Entrepot\", charset=\"UTF-8\""),
            );
        }
        response
    }
}

type Result<T> = std::result::Result<T, OsvError>;

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct PackageRef {
    name: Option<String>,
    ecosystem: Option<String>,
    purl: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
struct Query {
    package: Option<PackageRef>,
    version: Option<String>,
    commit: Option<String>,
    #[allow(dead_code)] // Accepted: one page holds every answer.
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Batch {
    queries: Vec<Query>,
}

/// What a query asks about, read: ecosystems (all when it names none), a
/// canonical name, and a version if any. `None` for a commit query, which
/// no advisory here can match.
struct Wanted {
    ecosystems: Vec<Ecosystem>,
    name: String,
    version: Option<String>,
}

fn read_query(q: Query) -> Result<Option<Wanted>> {
    let package = q.package.unwrap_or_default();
    if let Some(purl) = package.purl.as_deref().filter(|p| !p.is_empty()) {
        if package.name.is_some() || package.ecosystem.is_some() {
            return Err(OsvError::invalid(
                "name/ecosystem specified in a purl query",
            ));
        }
        let Some((ecosystem, name, purl_version)) = osv::parse_purl(purl) else {
            return Err(OsvError::invalid(format!(
                "`{purl}` is not a purl this server reads"
            )));
        };
        if purl_version.is_some() && q.version.is_some() {
            return Err(OsvError::invalid(
                "version specified in params and purl query",
            ));
        }
        return Ok(Some(Wanted {
            ecosystems: vec![ecosystem],
            name: canonical_name(ecosystem, &name),
            version: purl_version.or(q.version),
        }));
    }
    let Some(name) = package.name.filter(|n| !n.trim().is_empty()) else {
        if q.commit.is_some() {
            return Ok(None);
        }
        return Err(OsvError::invalid(
            "Invalid query: a package name, a purl or a commit is required",
        ));
    };
    let ecosystems = match package.ecosystem.as_deref().filter(|e| !e.is_empty()) {
        Some(label) => match ecosystem_from_label(label) {
            Some(e) => vec![e],
            // An ecosystem nothing here publishes in has no advisories here.
            None => Vec::new(),
        },
        None => osv::ECOSYSTEMS.to_vec(),
    };
    Ok(Some(Wanted {
        name,
        ecosystems,
        version: q.version.filter(|v| !v.trim().is_empty()),
    }))
}

/// The readable published advisories, keyed by ecosystem and canonical
/// package name, read once per request.
struct Index<'a> {
    state: &'a AppState,
    by_name: HashMap<(Ecosystem, String), Vec<(Advisory, Package)>>,
    packages: HashMap<Id, (Account, Vec<Version>)>,
}

/// What a package's documents need: its owner and its live versions.
async fn package_facts(state: &AppState, package: &Package) -> Result<(Account, Vec<Version>)> {
    let meta = &state.registry.meta;
    let owner = meta
        .account_by_id(package.owner_id)
        .await
        .map_err(ServiceError::from)?
        .ok_or_else(OsvError::not_found)?;
    let versions = meta
        .versions(package.id, false)
        .await
        .map_err(ServiceError::from)?;
    Ok((owner, versions))
}

impl<'a> Index<'a> {
    async fn load(state: &'a AppState, actor: &Actor) -> Result<Index<'a>> {
        let mut by_name: HashMap<(Ecosystem, String), Vec<(Advisory, Package)>> = HashMap::new();
        for (advisory, package) in state
            .registry
            .readable_advisories(actor, &AdvisoryQuery::default())
            .await?
        {
            if advisory.state != AdvisoryState::Published {
                continue;
            }
            let name = state
                .format(package.package_type)
                .map_or_else(|| package.name.clone(), |f| f.full_name(&package));
            by_name
                .entry((
                    advisory.ecosystem,
                    canonical_name(advisory.ecosystem, &name),
                ))
                .or_default()
                .push((advisory, package));
        }
        Ok(Index {
            state,
            by_name,
            packages: HashMap::new(),
        })
    }

    /// The advisories a query matches, in the order they were published.
    fn matches(&self, wanted: &Wanted) -> Vec<&(Advisory, Package)> {
        let mut out = Vec::new();
        for ecosystem in &wanted.ecosystems {
            let key = (*ecosystem, canonical_name(*ecosystem, &wanted.name));
            for entry in self.by_name.get(&key).into_iter().flatten() {
                if wanted
                    .version
                    .as_deref()
                    .is_none_or(|v| entry.0.affects(v.trim()))
                {
                    out.push(entry);
                }
            }
        }
        out
    }

    async fn document(&mut self, advisory: &Advisory, package: &Package) -> Result<Value> {
        let (owner, versions) = match self.packages.entry(package.id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(package_facts(self.state, package).await?),
        };
        Ok(document(self.state, advisory, package, owner, versions))
    }
}

/// The OSV document of an advisory on `package`, whose live versions are
/// `versions`.
fn document(
    state: &AppState,
    advisory: &Advisory,
    package: &Package,
    owner: &Account,
    versions: &[Version],
) -> Value {
    let newest = versions.iter().max_by_key(|v| v.created_at);
    let format = state.format(package.package_type);
    let name = format.map_or_else(
        || package.name.clone(),
        |f| f.ecosystem_name(package, newest),
    );
    let context = osv::Context {
        name,
        affected_versions: versions
            .iter()
            .filter(|v| advisory.affects(&v.name))
            .map(|v| v.name.clone())
            .collect(),
        references: vec![
            (
                "ADVISORY",
                state
                    .config
                    .url(&format!("/advisories/{}", advisory.ghsa_id)),
            ),
            (
                "PACKAGE",
                crate::packages::package_urls(&state.config, owner, package).html,
            ),
        ],
    };
    osv::to_osv(advisory, &context)
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
) -> Result<Response> {
    let q: Query = parse(&body)?;
    let Some(wanted) = read_query(q)? else {
        return Ok(axum::Json(json!({})).into_response());
    };
    let mut index = Index::load(&state, &actor).await?;
    let found: Vec<(Advisory, Package)> = index.matches(&wanted).into_iter().cloned().collect();
    if found.is_empty() {
        return Ok(axum::Json(json!({})).into_response());
    }
    let mut vulns = Vec::new();
    for (advisory, package) in &found {
        vulns.push(index.document(advisory, package).await?);
    }
    Ok(axum::Json(json!({ "vulns": vulns })).into_response())
}

/// `POST /osv/v1/querybatch`: per query, the ids and modification times
/// of the matching advisories (`{}` for none), in the queries' order.
async fn query_batch(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Bytes,
) -> Result<Response> {
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
    let results: Vec<Value> = wanted
        .iter()
        .map(|w| {
            let vulns: Vec<Value> = w
                .as_ref()
                .map(|w| index.matches(w))
                .unwrap_or_default()
                .into_iter()
                .map(|(a, _)| json!({"id": a.ghsa_id, "modified": osv::timestamp(&a.updated_at)}))
                .collect();
            if vulns.is_empty() {
                json!({})
            } else {
                json!({ "vulns": vulns })
            }
        })
        .collect();
    Ok(axum::Json(json!({ "results": results })).into_response())
}

/// `GET /osv/v1/vulns/{id}`: one advisory, withdrawn ones included (with
/// their `withdrawn` time); drafts are not vulnerabilities yet.
async fn vuln(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (advisory, package) = match state.registry.advisory(&actor, &id).await {
        Ok(found) => found,
        Err(ServiceError::NotFound(_)) => return Err(OsvError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if advisory.state == AdvisoryState::Draft {
        return Err(OsvError::not_found());
    }
    let (owner, versions) = package_facts(&state, &package).await?;
    Ok(axum::Json(document(&state, &advisory, &package, &owner, &versions)).into_response())
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
    for (advisory, package) in state.registry.readable_advisories(&actor, &query).await? {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q(value: Value) -> Result<Option<Wanted>> {
        read_query(serde_json::from_value(value).unwrap())
    }

    #[test]
    fn queries_name_a_package_by_name_or_purl() {
        let w =
            q(json!({"package": {"name": "@alice/lib", "ecosystem": "npm"}, "version": "1.0.0"}))
                .unwrap()
                .unwrap();
        assert_eq!(w.ecosystems, vec![Ecosystem::Npm]);
        assert_eq!(w.version.as_deref(), Some("1.0.0"));
        let w = q(json!({"package": {"purl": "pkg:pypi/My_Lib@2.0"}}))
            .unwrap()
            .unwrap();
        assert_eq!(
            (w.ecosystems, w.name, w.version.as_deref()),
            (vec![Ecosystem::Pip], "my-lib".to_owned(), Some("2.0"))
        );
        let w = q(json!({"package": {"name": "x", "ecosystem": "Go"}}))
            .unwrap()
            .unwrap();
        assert!(w.ecosystems.is_empty());
        assert!(q(json!({"commit": "abc"})).unwrap().is_none());
        assert!(q(json!({})).is_err());
        assert!(q(json!({"package": {"purl": "pkg:npm/x@1"}, "version": "1"})).is_err());
    }
}

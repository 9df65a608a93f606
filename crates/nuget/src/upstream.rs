//! Packages served from an upstream NuGet v3 feed at `BASE/nuget/NAME/`,
//! where NAME is the upstream's reserved owner: a mirror for NuGet
//! clients (`-Source BASE/nuget/NAME/index.json`). The service index is
//! this feed's own; registrations are the upstream's, with its URLs
//! rewritten to this feed's (kept, revalidated after the TTL, stale while
//! it is down); the flat container's version lists pass through; a
//! `.nupkg` is fetched once, checked against the `packageHash` of its
//! catalog entry (what nuget.org's catalog and Entrepot's declare), kept
//! under the upstream's name and served from the blob store; its
//! `.nuspec` is read from the kept package. Searches are asked of the
//! upstream's search service as they come (never kept), their links
//! rewritten likewise. An owner's feed that falls through to the upstream
//! is served the same way, with its own URLs (`fallthrough.rs`).

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use entrepot_core::{Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{FileAnswer, mark, parse_json, serve_found, serve_rendered};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, Found, Rendered, WantedFile};
use entrepot_store::Expected;
use serde_json::Value;

use crate::endpoint::{Document, Endpoint, FileName};
use crate::feed::{self, Hive, Urls};
use crate::respond::{Result, json_response};
use crate::version::NuGetVersion;

/// The most registration pages searched for one version's catalog entry.
const MAX_PAGES: usize = 200;

/// The most bytes of one page of the upstream's search results.
const MAX_SEARCH_BYTES: usize = 8 * 1024 * 1024;

/// The NuGet upstream `owner` is the reserved name of, if it is one.
pub async fn mirror(state: &AppState, owner: &str) -> Result<Option<Upstream>> {
    Ok(state
        .registry
        .upstreams()
        .mirror_named(owner, PackageType::Nuget)
        .await?)
}

/// Where the upstream keeps what a client reads, from its service index.
struct Resources {
    /// `PackageBaseAddress/3.0.0`, with its trailing slash.
    flat: String,
    /// The upstream's registration hives by this feed's: the plain one,
    /// `3.4.0` (gzip) and `3.6.0` (SemVer 2), each the closest the
    /// upstream has.
    registrations: [String; 3],
    /// `SearchQueryService`, when the upstream has one.
    search: Option<String>,
}

impl Resources {
    fn registration(&self, hive: Hive) -> &str {
        match hive {
            Hive::Plain => &self.registrations[0],
            Hive::Gzip => &self.registrations[1],
            Hive::SemVer2 => &self.registrations[2],
        }
    }
}

async fn resources(state: &AppState, upstream: &Upstream) -> Result<Resources> {
    let index = state
        .registry
        .upstreams()
        .document(upstream, "index.json")
        .await?;
    let unreadable = |what: &str| {
        ServiceError::Upstream(format!(
            "the upstream feed `{}` has no {what} in its service index",
            upstream.name
        ))
    };
    let doc: Value = serde_json::from_str(&index.body).map_err(|_| unreadable("JSON"))?;
    let resources = doc["resources"].as_array().map_or(&[][..], Vec::as_slice);
    let of_type = |wanted: &str| {
        resources.iter().find_map(|r| {
            let t = r["@type"].as_str()?;
            (t == wanted).then(|| r["@id"].as_str()).flatten()
        })
    };
    let slash = |url: &str| {
        if url.ends_with('/') {
            url.to_owned()
        } else {
            format!("{url}/")
        }
    };
    let flat =
        of_type("PackageBaseAddress/3.0.0").ok_or_else(|| unreadable("PackageBaseAddress"))?;
    let first = |types: &[&str]| types.iter().find_map(|t| of_type(t));
    let plain = ["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-rc"];
    let semver2 = ["RegistrationsBaseUrl/3.6.0"];
    let gzip = ["RegistrationsBaseUrl/3.4.0"];
    let any = first(&semver2)
        .or_else(|| first(&gzip))
        .or_else(|| first(&plain))
        .ok_or_else(|| unreadable("RegistrationsBaseUrl"))?;
    let search = [
        "SearchQueryService/3.5.0",
        "SearchQueryService/3.0.0-rc",
        "SearchQueryService",
    ];
    Ok(Resources {
        search: first(&search).map(str::to_owned),
        flat: slash(flat),
        registrations: [
            slash(first(&plain).or_else(|| first(&gzip)).unwrap_or(any)),
            slash(first(&gzip).or_else(|| first(&plain)).unwrap_or(any)),
            slash(any),
        ],
    })
}

/// Answers `endpoint` from the upstream: reads as the instance lets anyone
/// read; nothing is pushed or unlisted here.
pub async fn route(
    state: &AppState,
    (actor, upstream): (&Actor, &Upstream),
    endpoint: Endpoint,
    (headers, head): (&HeaderMap, bool),
) -> Result<Response> {
    state.registry.upstreams().may_read(actor)?;
    let urls = Urls {
        feed: state.config.url(&format!("/nuget/{}", upstream.name)),
        page: String::new(),
    };
    match endpoint {
        Endpoint::ServiceIndex => Ok(json_response(&service_index(&urls))),
        Endpoint::Push { .. } | Endpoint::SetListed { .. } => {
            Err(ServiceError::Forbidden(format!(
                "`{}` is a read-only mirror of an upstream feed: push to your own owner",
                upstream.name
            ))
            .into())
        }
        Endpoint::Search(query) => {
            let page = search(
                state,
                upstream,
                &urls.feed,
                &query,
                (query.skip, query.take),
            )
            .await?;
            Ok(mark(json_response(&page), &upstream.name, false))
        }
        endpoint => serve(state, upstream, &endpoint, &urls.feed, (headers, head)).await,
    }
}

/// A read of the upstream's packages (version lists, registrations,
/// packages and their nuspecs) for the feed at `feed`, the mirror's or an
/// owner's that falls through: the links of registrations point at it.
pub(crate) async fn serve(
    state: &AppState,
    upstream: &Upstream,
    endpoint: &Endpoint,
    feed: &str,
    (headers, head): (&HeaderMap, bool),
) -> Result<Response> {
    if !safe(endpoint) {
        return Err(not_found(upstream));
    }
    match endpoint {
        Endpoint::Versions { lid } => {
            let res = resources(state, upstream).await?;
            let path = below(&res.flat, &format!("{lid}/index.json"))?;
            let rendered = passed(state, upstream, &path, "versions", Vec::new()).await?;
            Ok(respond(upstream, &rendered, headers, head))
        }
        Endpoint::Registration {
            hive,
            lid,
            document,
        } => {
            let res = resources(state, upstream).await?;
            let rest = match document {
                Document::Index => "index.json".to_owned(),
                Document::Page { lower, upper } => format!("page/{lower}/{upper}.json"),
                Document::Leaf { lver } => format!("{lver}.json"),
                Document::Unknown => return Err(not_found(upstream)),
            };
            let path = below(res.registration(*hive), &format!("{lid}/{rest}"))?;
            let variant = format!("registration {} {feed}", hive.path());
            let rewrites = rewrites(&res, feed, Some(*hive));
            let rendered = passed(state, upstream, &path, &variant, rewrites).await?;
            Ok(respond(upstream, &rendered, headers, head))
        }
        Endpoint::File {
            lid,
            lver,
            file: FileName::Nupkg,
        } => {
            // The flat container's form of the version: normalised.
            let lver = NuGetVersion::key_of(lver).ok_or_else(|| not_found(upstream))?;
            nupkg(state, upstream, (lid, &lver), headers, head).await
        }
        Endpoint::File {
            lid,
            lver,
            file: FileName::Nuspec,
        } => {
            let lver = NuGetVersion::key_of(lver).ok_or_else(|| not_found(upstream))?;
            nuspec(state, upstream, (lid, &lver), head).await
        }
        _ => Err(not_found(upstream)),
    }
}

/// The upstream's resources as this feed's: a registration of `hive`
/// (or, for search results, of each hive) and package contents.
fn rewrites(res: &Resources, feed: &str, hive: Option<Hive>) -> Vec<(String, String)> {
    let hives = match hive {
        Some(hive) => vec![hive],
        None => vec![Hive::SemVer2, Hive::Gzip, Hive::Plain],
    };
    let mut rewrites: Vec<(String, String)> = hives
        .into_iter()
        .map(|h| {
            let ours = format!("{feed}/v3/{}/", h.path());
            (res.registration(h).to_owned(), ours)
        })
        .collect();
    rewrites.push((res.flat.clone(), format!("{feed}/v3/flat/")));
    rewrites
}

/// One page (`skip`, `take`) of the upstream's search for `query`, its
/// links rewritten for `feed`: `{ totalHits, data }`, with nothing when
/// the upstream has no search service. Asked each time, never kept.
pub(crate) async fn search(
    state: &AppState,
    upstream: &Upstream,
    feed: &str,
    query: &crate::search::Query,
    (skip, take): (usize, usize),
) -> Result<Value> {
    let res = resources(state, upstream).await?;
    let nothing = || serde_json::json!({ "totalHits": 0, "data": [] });
    let Some(base) = &res.search else {
        return Ok(nothing());
    };
    let mut url = url::Url::parse(base).map_err(|_| {
        ServiceError::Upstream(format!(
            "the upstream feed `{}` names a search service that is not a URL",
            upstream.name
        ))
    })?;
    url.query_pairs_mut()
        .append_pair("q", &query.q)
        .append_pair("skip", &skip.to_string())
        .append_pair("take", &take.to_string())
        .append_pair(
            "prerelease",
            if query.prerelease { "true" } else { "false" },
        );
    if query.semver2 {
        url.query_pairs_mut().append_pair("semVerLevel", "2.0.0");
    }
    let Some(answered) = state
        .registry
        .upstreams()
        .ask_url(upstream, &url, "application/json", MAX_SEARCH_BYTES)
        .await?
    else {
        return Ok(nothing());
    };
    let rewrites = rewrites(&res, feed, None);
    let name = upstream.name.clone();
    tokio::task::spawn_blocking(move || {
        let mut page: Value = serde_json::from_slice(&answered.body).map_err(|e| {
            ServiceError::Upstream(format!(
                "the upstream feed `{name}` answered a search with something that is not JSON: {e}"
            ))
        })?;
        rewrite(&mut page, &rewrites);
        let data = page["data"].take();
        Ok(serde_json::json!({
            "totalHits": page["totalHits"].as_u64().unwrap_or(0),
            "data": if data.is_array() { data } else { Value::Array(Vec::new()) },
        }))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
}

/// Whether what `endpoint` names can go into an upstream URL as it is: an
/// id of NuGet's characters, and versions that parse (nothing that a URL
/// would read as a separator, a query or a step up).
pub(crate) fn safe(endpoint: &Endpoint) -> bool {
    let id = |lid: &str| {
        !lid.is_empty()
            && lid.len() <= 128
            && !lid.starts_with('.')
            && !lid.contains("..")
            && lid
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    };
    let version = |v: &str| {
        NuGetVersion::parse(v).is_some()
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
    };
    match endpoint {
        Endpoint::Versions { lid } => id(lid),
        Endpoint::File { lid, lver, .. } => id(lid) && version(lver),
        Endpoint::Registration { lid, document, .. } => {
            id(lid)
                && match document {
                    Document::Index => true,
                    Document::Unknown => false,
                    Document::Page { lower, upper } => version(lower) && version(upper),
                    Document::Leaf { lver } => version(lver),
                }
        }
        _ => true,
    }
}

/// `rest` below the upstream's resource `base`, which it must stay under.
fn below(base: &str, rest: &str) -> Result<String> {
    let url = url::Url::parse(base)
        .and_then(|b| b.join(rest))
        .map_err(|e| ServiceError::Internal(format!("an upstream URL: {e}")))?;
    if url.as_str().starts_with(base) && url.query().is_none() && url.fragment().is_none() {
        Ok(url.to_string())
    } else {
        Err(
            ServiceError::not_found(format!("`{rest}` is not below the upstream's `{base}`"))
                .into(),
        )
    }
}

/// The feed's service index with only what a mirror serves: package
/// contents, registrations and search (no push, autocomplete or v2 feed).
fn service_index(urls: &Urls) -> Value {
    let mut index = feed::service_index(urls);
    if let Some(resources) = index["resources"].as_array_mut() {
        resources.retain(|r| {
            r["@type"].as_str().is_some_and(|t| {
                t.starts_with("PackageBaseAddress")
                    || t.starts_with("RegistrationsBaseUrl")
                    || t.starts_with("SearchQueryService")
            })
        });
    }
    index
}

fn not_found(upstream: &Upstream) -> crate::respond::NuGetError {
    ServiceError::not_found(format!(
        "the mirror `{}` serves the service index, registrations, packages and search",
        upstream.name
    ))
    .into()
}

/// The upstream's JSON document at `path` (a URL), with every string that
/// begins with a `rewrites` prefix made to begin with its replacement.
async fn passed(
    state: &AppState,
    upstream: &Upstream,
    path: &str,
    variant: &str,
    rewrites: Vec<(String, String)>,
) -> Result<Rendered> {
    Ok(state
        .registry
        .upstreams()
        .rendered(upstream, path, variant, move |fetched: Fetched| {
            if rewrites.is_empty() {
                return Ok(Bytes::from(fetched.body));
            }
            let mut doc: Value = serde_json::from_str(&fetched.body).map_err(|e| {
                ServiceError::Upstream(format!(
                    "the upstream sent a document that is not JSON: {e}"
                ))
            })?;
            rewrite(&mut doc, &rewrites);
            Ok(Bytes::from(serde_json::to_vec(&doc).expect("JSON renders")))
        })
        .await?)
}

/// Rewrites every string in `value` that begins with a prefix.
fn rewrite(value: &mut Value, rewrites: &[(String, String)]) {
    match value {
        Value::String(s) => {
            if let Some((from, to)) = rewrites
                .iter()
                .find(|(from, _)| s.starts_with(from.as_str()))
            {
                *s = format!("{to}{}", &s[from.len()..]);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, rewrites)),
        // Icons stay the upstream's: this feed serves packages and their
        // nuspecs from it, not the rest of its flat container.
        Value::Object(map) => map
            .iter_mut()
            .filter(|(k, _)| k.as_str() != "iconUrl")
            .for_each(|(_, v)| rewrite(v, rewrites)),
        _ => {}
    }
}

/// A document as NuGet reads it: JSON, `304` while the client's copy is
/// current.
fn respond(upstream: &Upstream, rendered: &Rendered, headers: &HeaderMap, head: bool) -> Response {
    serve_rendered(
        upstream,
        rendered,
        (headers, head),
        "application/json; charset=utf-8",
    )
}

async fn find_nupkg(
    state: &AppState,
    upstream: &Upstream,
    (lid, lver): (&str, &str),
) -> Result<Found> {
    let upstreams = state.registry.upstreams();
    let file_name = format!("{lid}.{lver}.nupkg");
    if let Some(kept) = upstreams
        .kept_file(upstream, PackageType::Nuget, lid, &file_name)
        .await?
    {
        return Ok(Found::Kept(kept));
    }
    let res = resources(state, upstream).await?;
    let (entry, sha512) = catalog_entry(state, upstream, &res, lid, lver).await?;
    Ok(Found::Wanted(WantedFile {
        package_type: PackageType::Nuget,
        package: lid.to_owned(),
        version: lver.to_owned(),
        url: below(&res.flat, &format!("{lid}/{lver}/{file_name}"))?,
        file_name,
        expected: Expected {
            sha512: Some(sha512),
            ..Expected::default()
        },
        metadata: serde_json::json!({ "catalogEntry": entry }),
        content_type: Some("application/octet-stream".to_owned()),
        counted: true,
    }))
}

/// `GET v3/flat/ID/VERSION/ID.nuspec` (Paket, Dependabot and package
/// explorers read it): the package's own, from the kept package, which
/// is fetched and checked first if need be.
async fn nuspec(
    state: &AppState,
    upstream: &Upstream,
    (lid, lver): (&str, &str),
    head: bool,
) -> Result<Response> {
    let found = find_nupkg(state, upstream, (lid, lver)).await?;
    let file = state.registry.upstreams().file_of(upstream, found).await?;
    // A zip is read from its end: the package goes to a file first.
    let (raw, mut out) = entrepot_http::spool::temp_file().await?;
    let read = state.registry.blobs().read_blob(&file.sha256, None).await?;
    let mut reader = tokio_util::io::StreamReader::new(read.stream);
    tokio::io::copy(&mut reader, &mut out)
        .await
        .map_err(ServiceError::from)?;
    drop(out);
    let bytes = tokio::task::spawn_blocking(move || {
        let mut raw = raw;
        std::io::Seek::rewind(&mut raw)?;
        Ok::<_, std::io::Error>(crate::package::read(raw).map(|c| c.nuspec_bytes))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(ServiceError::from)?
    .map_err(|why| {
        ServiceError::Upstream(format!(
            "the upstream feed `{}` sent a package that cannot be read: {why}",
            upstream.name
        ))
    })?;
    let length = bytes.len();
    let mut response = if head {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    Ok(mark(response, &upstream.name, false))
}

/// `GET v3/flat/ID/VERSION/ID.VERSION.nupkg`: the kept copy, or fetched,
/// checked against its catalog entry's `packageHash` and kept now.
async fn nupkg(
    state: &AppState,
    upstream: &Upstream,
    (lid, lver): (&str, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let answer = FileAnswer {
        headers,
        content_type: "application/octet-stream",
        head,
    };
    let found = find_nupkg(state, upstream, (lid, lver)).await?;
    Ok(serve_found(state, upstream, found, &answer, PackageType::Nuget).await?)
}

/// The catalog entry of `lid`'s version `lver` and its SHA-512 (hex), as
/// the upstream's registration names it and its catalog declares it.
async fn catalog_entry(
    state: &AppState,
    upstream: &Upstream,
    res: &Resources,
    lid: &str,
    lver: &str,
) -> Result<(Value, String)> {
    let upstreams = state.registry.upstreams();
    let missing = || {
        crate::respond::NuGetError::from(ServiceError::not_found(format!(
            "{lid} {lver} is not in the upstream feed `{}`",
            upstream.name
        )))
    };
    let index_path = below(
        res.registration(Hive::SemVer2),
        &format!("{lid}/index.json"),
    )?;
    for fresh in [false, true] {
        // A version released since the registration was kept: asked again.
        let index = match if fresh {
            upstreams.refreshed(upstream, &index_path).await
        } else {
            upstreams.document(upstream, &index_path).await
        } {
            Err(ServiceError::NotFound(_)) => return Err(missing()),
            other => other?,
        };
        if let Some(found) = find_entry(state, upstream, &index.body, (lid, lver)).await? {
            return Ok(found);
        }
        if index.stale {
            break;
        }
    }
    Err(missing())
}

/// The catalog entry of `lver` in a registration index, and its hash.
async fn find_entry(
    state: &AppState,
    upstream: &Upstream,
    index: &str,
    (lid, lver): (&str, &str),
) -> Result<Option<(Value, String)>> {
    let upstreams = state.registry.upstreams();
    let missing = || {
        crate::respond::NuGetError::from(ServiceError::not_found(format!(
            "{lid} {lver} is not in the upstream feed `{}`",
            upstream.name
        )))
    };
    let index = parse_json(index).await.map_err(|_| missing())?;
    let wanted = NuGetVersion::parse(lver).ok_or_else(missing)?;
    let pages = index["items"].as_array().map_or(&[][..], Vec::as_slice);
    for page in pages.iter().take(MAX_PAGES) {
        let within = |bound: &str, below: bool| {
            NuGetVersion::parse(page[bound].as_str().unwrap_or_default())
                .is_none_or(|b| if below { b <= wanted } else { wanted <= b })
        };
        if !within("lower", true) || !within("upper", false) {
            continue;
        }
        let fetched;
        let leaves = if let Some(items) = page["items"].as_array() {
            items.clone()
        } else {
            let Some(url) = page["@id"].as_str() else {
                continue;
            };
            fetched = upstreams.document(upstream, url).await?;
            let page = parse_json(&fetched.body).await.map_err(|_| missing())?;
            page["items"].as_array().cloned().unwrap_or_default()
        };
        for leaf in leaves {
            let entry = &leaf["catalogEntry"];
            let version = entry["version"].as_str().and_then(NuGetVersion::parse);
            if version.is_none_or(|v| v.key() != wanted.key()) {
                continue;
            }
            let hash = if let Some(hash) = package_hash(entry) {
                hash
            } else {
                let url = entry["@id"].as_str().ok_or_else(missing)?;
                let leaf = upstreams.document(upstream, url).await?;
                let leaf = parse_json(&leaf.body).await.map_err(|_| missing())?;
                package_hash(&leaf).ok_or_else(|| {
                    ServiceError::Upstream(format!(
                        "the upstream feed `{}` declares no SHA-512 packageHash for {lid} {lver}; it is not fetched",
                        upstream.name
                    ))
                })?
            };
            return Ok(Some((entry.clone(), hash)));
        }
    }
    Ok(None)
}

/// A catalog entry's `packageHash`, as hex, when it is a SHA-512.
fn package_hash(entry: &Value) -> Option<String> {
    let algorithm = entry["packageHashAlgorithm"].as_str()?;
    if !algorithm.eq_ignore_ascii_case("SHA512") {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(entry["packageHash"].as_str()?)
        .ok()?;
    (bytes.len() == 64).then(|| hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn registrations_point_at_this_feed() {
        let mut doc = json!({"@id": "https://up/reg/tiny/index.json", "items": [{
            "catalogEntry": {"@id": "https://up/catalog/x.json", "version": "1.0.0"},
            "packageContent": "https://up/flat/tiny/1.0.0/tiny.1.0.0.nupkg",
            "registration": "https://up/reg/tiny/index.json"}]});
        let rewrites = [
            (
                "https://up/reg/".to_owned(),
                "https://here/nuget/up/v3/registration-semver2/".to_owned(),
            ),
            (
                "https://up/flat/".to_owned(),
                "https://here/nuget/up/v3/flat/".to_owned(),
            ),
        ];
        rewrite(&mut doc, &rewrites);
        assert_eq!(
            doc["@id"],
            "https://here/nuget/up/v3/registration-semver2/tiny/index.json"
        );
        let item = &doc["items"][0];
        assert_eq!(
            item["packageContent"],
            "https://here/nuget/up/v3/flat/tiny/1.0.0/tiny.1.0.0.nupkg"
        );
        assert_eq!(
            item["catalogEntry"]["@id"], "https://up/catalog/x.json",
            "left as it is"
        );
    }

    #[test]
    fn nothing_in_a_path_climbs_out_of_the_upstreams_resources() {
        let file = |lid: &str, lver: &str| Endpoint::File {
            lid: lid.into(),
            lver: lver.into(),
            file: FileName::Nupkg,
        };
        assert!(safe(&file("newtonsoft.json", "13.0.3")));
        assert!(safe(&file("tiny", "1.0.0-beta.1+build")));
        assert!(!safe(&file("..", "1.0.0")));
        assert!(!safe(&file("a\\..\\b", "1.0.0")));
        assert!(!safe(&file("tiny", "1.0.0?x")));
        assert!(!safe(&file("tiny", "1.0.0#x")));
        assert!(!safe(&Endpoint::Versions {
            lid: ".hidden".into()
        }));
        let base = "https://up/v3/flat/";
        assert_eq!(
            below(base, "tiny/index.json").unwrap(),
            "https://up/v3/flat/tiny/index.json"
        );
        assert!(below(base, "../secret").is_err());
        assert!(below(base, "x?y").is_err());
    }

    #[test]
    fn only_a_sha512_package_hash_is_taken() {
        let hash = base64::engine::general_purpose::STANDARD.encode([7u8; 64]);
        let entry = json!({"packageHash": hash, "packageHashAlgorithm": "SHA512"});
        assert_eq!(package_hash(&entry), Some("07".repeat(64)));
        let sha256 = json!({"packageHash": hash, "packageHashAlgorithm": "SHA256"});
        assert_eq!(package_hash(&sha256), None);
        let short = json!({"packageHash": "AAAA", "packageHashAlgorithm": "SHA512"});
        assert_eq!(package_hash(&short), None);
    }
}

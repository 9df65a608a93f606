//! npm names no local owner has, served from the default npm upstream as
//! GitHub's npm registry passes unscoped names to the public one: the
//! packument as the upstream sent it, but for its tarball URLs, which point
//! here; tarballs fetched once, checked against the packument's integrity,
//! kept under the upstream's name and served from the blob store.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use entrepot_core::{Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{FileAnswer, serve_kept, serve_wanted};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, WantedFile};
use entrepot_service::signing::SigningKeys;
use entrepot_store::Expected;
use serde_json::{Map, Value};

use crate::endpoint::ForeignRead;
use crate::error::{NpmError, NpmResult};

/// The upstream that serves `name` to `actor`, if any: unscoped names and
/// scopes no local owner has.
pub async fn upstream_for(
    state: &AppState,
    actor: &Actor,
    name: &str,
) -> NpmResult<Option<Upstream>> {
    let scope = name
        .strip_prefix('@')
        .and_then(|n| n.split_once('/'))
        .map(|(scope, _)| scope);
    Ok(state
        .registry
        .upstreams()
        .fall_through(actor, PackageType::Npm, scope)
        .await?)
}

/// Answers a read of `name` from `upstream`.
pub async fn read(
    state: &AppState,
    upstream: &Upstream,
    name: &str,
    read: ForeignRead,
    headers: &HeaderMap,
) -> NpmResult<Response> {
    let answer = match read {
        ForeignRead::Packument { head } => packument(state, upstream, name, head, headers).await,
        ForeignRead::VersionDoc { version } => version_doc(state, upstream, name, &version).await,
        ForeignRead::Tarball { file } => tarball(state, upstream, name, &file, headers).await,
    }?;
    // A scope once served from the upstream stays the upstream's: no local
    // owner may take it and start answering for it.
    if let Some((scope, _)) = name.strip_prefix('@').and_then(|n| n.split_once('/'))
        && let Err(e) = state.registry.upstreams().reserve(upstream, scope).await
    {
        tracing::warn!(scope, error = %e, "could not reserve a scope served from an upstream");
    }
    Ok(answer)
}

/// The packument's path under the upstream's URL: `@scope%2fname` for a
/// scoped name, as the public registry writes it.
fn document_path(name: &str) -> String {
    name.replacen('/', "%2f", 1)
}

/// The packument as a JSON object.
fn parse_object(body: &str, upstream: &str) -> Result<Map<String, Value>, ServiceError> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(doc)) => Ok(doc),
        _ => Err(ServiceError::Upstream(format!(
            "the upstream registry `{upstream}` sent a packument that is not a JSON object"
        ))),
    }
}

/// Parses the packument off the executor (they reach megabytes).
async fn parsed(fetched: Fetched, upstream: &Upstream) -> NpmResult<Map<String, Value>> {
    let name = upstream.name.clone();
    tokio::task::spawn_blocking(move || parse_object(&fetched.body, &name))
        .await
        .map_err(|e| NpmError(ServiceError::Internal(e.to_string())))?
        .map_err(NpmError)
}

/// A JSON value as bytes.
fn json_bytes(value: &impl serde::Serialize) -> Result<Bytes, ServiceError> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Where this registry serves a tarball the upstream names.
fn local_tarball(base: &str, name: &str, upstream_url: &str) -> Option<String> {
    let file = upstream_url.rsplit('/').next().filter(|f| !f.is_empty())?;
    Some(format!(
        "{}/npm/{name}/-/{file}",
        base.trim_end_matches('/')
    ))
}

/// Points every version's `dist.tarball` here, and signs its integrity
/// with this registry's key instead of the upstream's (whose keys this
/// registry does not list); nothing else changes.
fn rewrite(doc: &mut Map<String, Value>, base: &str, name: &str, keys: &SigningKeys) {
    let Some(Value::Object(versions)) = doc.get_mut("versions") else {
        return;
    };
    for (version, manifest) in versions.iter_mut() {
        let Some(dist) = manifest.get_mut("dist").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(url) = dist.get("tarball").and_then(Value::as_str)
            && let Some(local) = local_tarball(base, name, url)
        {
            dist.insert("tarball".into(), Value::String(local));
        }
        dist.remove("signatures");
        // The tarball is checked against this integrity as it is fetched.
        if let Some(integrity) = dist.get("integrity").and_then(Value::as_str)
            && let Some(signed) = crate::view::sign(keys, name, version, integrity)
        {
            dist.insert("signatures".into(), signed);
        }
    }
}

async fn packument(
    state: &AppState,
    upstream: &Upstream,
    name: &str,
    head: bool,
    headers: &HeaderMap,
) -> NpmResult<Response> {
    let base = state.config.site.base_url().to_string();
    let (owned, upstream_name) = (name.to_owned(), upstream.name.clone());
    let keys = state.registry.signing_keys().await?;
    let abbreviated = crate::packument::wants_abbreviated(headers);
    let variant = if abbreviated {
        "abbreviated"
    } else {
        "packument"
    };
    let rendered = state
        .registry
        .upstreams()
        .rendered(upstream, &document_path(name), variant, move |fetched| {
            let mut doc = parse_object(&fetched.body, &upstream_name)?;
            rewrite(&mut doc, &base, &owned, &keys);
            if abbreviated {
                json_bytes(&abbreviate(&doc))
            } else {
                json_bytes(&doc)
            }
        })
        .await?;
    let etag = rendered.etag.clone();
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else if head {
        let mut r = (StatusCode::OK, Body::empty()).into_response();
        r.headers_mut().insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(rendered.body.len()),
        );
        r
    } else {
        (StatusCode::OK, rendered.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if abbreviated {
            crate::packument::CORGI
        } else {
            "application/json"
        }),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(entrepot_http::upstream::mark(
        response,
        &upstream.name,
        rendered.stale,
    ))
}

/// The abbreviated packument npm installs from: per version only what
/// installing reads, as the public registry abbreviates.
fn abbreviate(doc: &Map<String, Value>) -> Value {
    let mut versions = Map::new();
    if let Some(Value::Object(all)) = doc.get("versions") {
        for (name, manifest) in all {
            let mut slim = Map::new();
            for field in crate::view::ABBREVIATED_FIELDS.iter().chain(&["dist"]) {
                if let Some(value) = manifest.get(*field) {
                    slim.insert((*field).to_owned(), value.clone());
                }
            }
            versions.insert(name.clone(), Value::Object(slim));
        }
    }
    let mut out = Map::new();
    for field in ["name", "modified", "dist-tags"] {
        if let Some(value) = doc.get(field) {
            out.insert(field.to_owned(), value.clone());
        }
    }
    if !out.contains_key("modified")
        && let Some(modified) = doc.get("time").and_then(|t| t.get("modified"))
    {
        out.insert("modified".to_owned(), modified.clone());
    }
    out.insert("versions".to_owned(), Value::Object(versions));
    Value::Object(out)
}

/// The version a dist-tag or version string names in the packument.
fn version_of<'a>(doc: &'a Map<String, Value>, wanted: &'a str) -> Option<(&'a str, &'a Value)> {
    let tagged = doc
        .get("dist-tags")
        .and_then(|t| t.get(wanted))
        .and_then(Value::as_str)
        .unwrap_or(wanted);
    doc.get("versions")?
        .as_object()?
        .get_key_value(tagged)
        .map(|(k, v)| (k.as_str(), v))
}

async fn version_doc(
    state: &AppState,
    upstream: &Upstream,
    name: &str,
    wanted: &str,
) -> NpmResult<Response> {
    let base = state.config.site.base_url().to_string();
    let (owned, upstream_name) = (name.to_owned(), upstream.name.clone());
    let keys = state.registry.signing_keys().await?;
    let version = wanted.to_owned();
    let rendered = state
        .registry
        .upstreams()
        .rendered(
            upstream,
            &document_path(name),
            &format!("version:{wanted}"),
            move |fetched| {
                let mut doc = parse_object(&fetched.body, &upstream_name)?;
                rewrite(&mut doc, &base, &owned, &keys);
                let (_, manifest) = version_of(&doc, &version).ok_or_else(|| {
                    ServiceError::not_found(format!("version not found: {version}"))
                })?;
                json_bytes(manifest)
            },
        )
        .await?;
    let mut response = (StatusCode::OK, rendered.body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(entrepot_http::upstream::mark(
        response,
        &upstream.name,
        rendered.stale,
    ))
}

/// `sha512-BASE64` as lowercase hex, if it is one.
fn sha512_hex(integrity: &str) -> Option<String> {
    integrity.split_whitespace().find_map(|part| {
        let b64 = part.strip_prefix("sha512-")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        (bytes.len() == 64).then(|| hex::encode(bytes))
    })
}

/// What the packument promises about the tarball `file`: its version, its
/// URL at the upstream, its digests, and the version's manifest.
fn wanted_tarball(doc: &Map<String, Value>, name: &str, file: &str) -> Option<WantedFile> {
    let versions = doc.get("versions")?.as_object()?;
    let (version, manifest) = versions.iter().find(|(_, v)| {
        v.pointer("/dist/tarball")
            .and_then(Value::as_str)
            .is_some_and(|url| url.rsplit('/').next() == Some(file))
    })?;
    let dist = manifest.get("dist")?;
    let url = dist.get("tarball")?.as_str()?.to_owned();
    let sha512 = dist
        .get("integrity")
        .and_then(Value::as_str)
        .and_then(sha512_hex);
    let sha1 = dist
        .get("shasum")
        .and_then(Value::as_str)
        .filter(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_ascii_lowercase);
    let mut metadata = manifest.clone();
    if let Some(m) = metadata.as_object_mut() {
        m.remove("readme");
    }
    Some(WantedFile {
        package_type: PackageType::Npm,
        package: name.to_owned(),
        version: version.clone(),
        file_name: file.to_owned(),
        url,
        expected: Expected {
            sha512,
            sha1,
            ..Expected::default()
        },
        metadata,
        content_type: Some("application/octet-stream".into()),
        counted: true,
    })
}

async fn tarball(
    state: &AppState,
    upstream: &Upstream,
    name: &str,
    file: &str,
    headers: &HeaderMap,
) -> NpmResult<Response> {
    let upstreams = state.registry.upstreams();
    let answer = FileAnswer {
        headers,
        content_type: "application/octet-stream",
        head: false,
    };
    if let Some(kept) = upstreams
        .kept_file(upstream, PackageType::Npm, name, file)
        .await?
    {
        return Ok(serve_kept(state, upstream, &kept, &answer, Some(PackageType::Npm)).await?);
    }
    let fetched = upstreams.document(upstream, &document_path(name)).await?;
    let doc = parsed(fetched, upstream).await?;
    let wanted = wanted_tarball(&doc, name, file)
        .ok_or_else(|| NpmError(ServiceError::not_found(format!("no tarball {file}"))))?;
    Ok(serve_wanted(state, upstream, wanted, &answer).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Map<String, Value> {
        let Value::Object(doc) = json!({
            "name": "@types/node",
            "dist-tags": {"latest": "1.0.0"},
            "versions": {"1.0.0": {"name": "@types/node", "version": "1.0.0",
                "readme": "long",
                "dist": {"tarball": "https://registry.npmjs.org/@types/node/-/node-1.0.0.tgz",
                         "shasum": "ABCDEF0123456789ABCDEF0123456789ABCDEF01",
                         "integrity": format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode([7u8; 64]))}}}
        }) else {
            unreachable!()
        };
        doc
    }

    #[test]
    fn tarball_urls_point_here_signatures_are_ours_and_nothing_else_changes() {
        let mut d = doc();
        d["versions"]["1.0.0"]["dist"]["signatures"] =
            serde_json::json!([{"keyid": "SHA256:theirs", "sig": "x"}]);
        let keys = SigningKeys::ephemeral().unwrap();
        rewrite(&mut d, "http://entrepot.test/", "@types/node", &keys);
        assert_eq!(
            d["versions"]["1.0.0"]["dist"]["tarball"],
            "http://entrepot.test/npm/@types/node/-/node-1.0.0.tgz"
        );
        let signatures = &d["versions"]["1.0.0"]["dist"]["signatures"];
        assert_eq!(signatures.as_array().map(Vec::len), Some(1));
        assert_eq!(signatures[0]["keyid"], keys.public()[0].keyid.as_str());
        assert_eq!(d["versions"]["1.0.0"]["readme"], "long");
        assert_eq!(version_of(&d, "latest").map(|(v, _)| v), Some("1.0.0"));
        assert_eq!(document_path("@types/node"), "@types%2fnode");
        assert_eq!(document_path("left-pad"), "left-pad");
    }

    #[test]
    fn a_tarball_is_wanted_with_the_digests_the_packument_declares() {
        let wanted = wanted_tarball(&doc(), "@types/node", "node-1.0.0.tgz").unwrap();
        assert_eq!(wanted.version, "1.0.0");
        assert_eq!(wanted.expected.sha512, Some("07".repeat(64)));
        assert_eq!(
            wanted.expected.sha1.as_deref(),
            Some("abcdef0123456789abcdef0123456789abcdef01")
        );
        assert!(wanted.metadata.get("readme").is_none());
        assert!(wanted_tarball(&doc(), "@types/node", "node-2.0.0.tgz").is_none());
        assert_eq!(sha512_hex("sha1-abc"), None);
    }
}

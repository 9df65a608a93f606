//! Crates served from an upstream sparse registry: at
//! `sparse+BASE/cargo/NAME/index/`, where NAME is the upstream's reserved
//! owner (a mirror for cargo's source replacement), and at
//! `BASE/cargo/OWNER/index/` for crates OWNER does not have, when OWNER's
//! registry falls through to an upstream. Index files go out exactly as
//! the upstream sent them (every field, `rust_version` and `pubtime`
//! included); `.crate` files are fetched once, checked against the
//! index's `cksum`, kept under the upstream's name and served from the
//! blob store.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use entrepot_core::{Account, Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{Fallthrough, FileAnswer, serve_kept, serve_rendered, serve_wanted};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, Rendered, WantedFile};
use entrepot_store::Expected;
use serde_json::{Value, json};

use crate::names;
use crate::reply::{self, CargoError, Result};

/// The most lines one upstream index file may hold (crates.io's largest
/// have a few thousand).
const MAX_LINES: usize = 100_000;

/// The upstream `owner` is the reserved name of, if it is a Cargo one:
/// its registry is a mirror of the upstream's. Reads follow the
/// instance's rule.
pub async fn mirror(state: &AppState, actor: &Actor, owner: &Account) -> Result<Option<Upstream>> {
    let upstreams = state.registry.upstreams();
    match upstreams.upstream_of(owner).await? {
        Some(upstream) if upstream.format == PackageType::Cargo => {
            upstreams.may_read(actor)?;
            Ok(Some(upstream))
        }
        _ => Ok(None),
    }
}

/// The upstream `owner`'s registry falls through to for `name`, unless
/// `owner` has a crate of that name or a twin of it (`foo-bar` and
/// `Foo_Bar` are one name; visible to the caller or not, deleted or not)
/// or keeps names like it by a reserved pattern: a local name never comes
/// from an upstream.
pub async fn fallthrough(
    state: &AppState,
    actor: &Actor,
    owner: &Account,
    name: &str,
) -> Result<Option<Upstream>> {
    let fallthrough =
        Fallthrough::of_account(state, actor, owner.clone(), PackageType::Cargo).await?;
    Ok(fallthrough
        .filter(|f| !f.takes(name))
        .map(|f| f.to.upstream))
}

/// A mirror's `index/config.json`: downloads come from here, and cargo
/// sends its token when the instance wants reads signed in.
pub fn config_json(state: &AppState, owner: &Account, head: bool) -> Response {
    let auth_required = state
        .registry
        .upstreams()
        .may_read(&Actor::Anonymous)
        .is_err();
    let api = state.config.url(&format!("/cargo/{}", owner.login));
    let config = json!({
        "dl": format!("{api}/api/v1/crates"),
        "api": api,
        "auth-required": auth_required,
    });
    reply::json(StatusCode::OK, &config, head)
}

/// The upstream's index file for `name`, as it sent it: rendered (here,
/// kept as is) once per fetch, per node, with a content `ETag`.
async fn upstream_index(state: &AppState, upstream: &Upstream, name: &str) -> Result<Rendered> {
    let path = names::index_path(name);
    Ok(state
        .registry
        .upstreams()
        .rendered(upstream, &path, "index", |fetched: Fetched| {
            Ok(Bytes::from(fetched.body))
        })
        .await?)
}

/// `GET index/PATH` from the upstream: `304` when the client's copy is
/// current.
pub async fn index_file(
    state: &AppState,
    upstream: &Upstream,
    name: &str,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let rendered = upstream_index(state, upstream, name).await?;
    Ok(serve_rendered(
        upstream,
        &rendered,
        (headers, head),
        "text/plain; charset=utf-8",
    ))
}

/// `GET api/v1/crates/NAME/VERSION/download` of `owner`'s registry from
/// the upstream it falls through to. Once a `.crate` of the name was
/// served, the name is kept for the upstream, so that no local crate takes
/// its place unnoticed. (Reading the index file does not keep it: `cargo
/// publish` reads it first, to see whether the version exists.)
pub async fn fallen_through(
    state: &AppState,
    actor: &Actor,
    (owner, upstream): (&Account, &Upstream),
    (name, version): (&str, &str),
    (headers, head): (&HeaderMap, bool),
) -> Result<Response> {
    let file = download(state, actor, upstream, (name, version), headers, head).await?;
    state
        .registry
        .upstreams()
        .keep_owner_name(
            owner,
            PackageType::Cargo,
            &entrepot_core::names::pep503(name),
            upstream,
        )
        .await?;
    Ok(file)
}

/// One version as the upstream's index lists it.
#[derive(Debug, Clone, PartialEq)]
struct Listed {
    /// The crate's name as published (the index path is lowercase).
    name: String,
    vers: String,
    cksum: String,
    /// The whole line, kept as the version's metadata.
    line: Value,
}

/// The line of `version` in an index file whose crate is `name` (any
/// case): the lines are JSON objects, one per version.
fn find_version(body: &str, name: &str, version: &str) -> Option<Listed> {
    body.lines().take(MAX_LINES).find_map(|text| {
        let line: Value = serde_json::from_str(text).ok()?;
        let (n, v) = (line["name"].as_str()?, line["vers"].as_str()?);
        // Only a version as cargo reads one goes into the download URL.
        if v != version || !n.eq_ignore_ascii_case(name) || semver::Version::parse(v).is_err() {
            return None;
        }
        let cksum = line["cksum"]
            .as_str()
            .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))?
            .to_ascii_lowercase();
        Some(Listed {
            name: n.to_owned(),
            vers: v.to_owned(),
            cksum,
            line,
        })
    })
}

/// Cargo's `{prefix}` of a name: its index path without the name.
fn prefix(name: &str) -> String {
    match name.len() {
        1 => "1".to_owned(),
        2 => "2".to_owned(),
        3 => format!("3/{}", &name[..1]),
        _ => format!("{}/{}", &name[..2], &name[2..4]),
    }
}

/// Where a registry whose `config.json` says `dl` serves a crate: the
/// template's markers filled in, or `/{crate}/{version}/download`
/// appended when it has none (cargo's own rule).
fn download_url(dl: &str, listed: &Listed) -> String {
    const MARKERS: [&str; 5] = [
        "{crate}",
        "{version}",
        "{prefix}",
        "{lowerprefix}",
        "{sha256-checksum}",
    ];
    if !MARKERS.iter().any(|m| dl.contains(m)) {
        return format!(
            "{}/{}/{}/download",
            dl.trim_end_matches('/'),
            listed.name,
            listed.vers
        );
    }
    let prefix = prefix(&listed.name);
    dl.replace("{crate}", &listed.name)
        .replace("{version}", &listed.vers)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
        .replace("{prefix}", &prefix)
        .replace("{sha256-checksum}", &listed.cksum)
}

/// The upstream's `dl` template, from its `config.json`: an absolute URL,
/// as cargo takes it.
async fn upstream_dl(state: &AppState, upstream: &Upstream) -> Result<String> {
    let fetched = state
        .registry
        .upstreams()
        .document(upstream, "config.json")
        .await?;
    let unreadable = || {
        CargoError::from(ServiceError::Upstream(format!(
            "the upstream registry `{}` sent a config.json without an absolute `dl`",
            upstream.name
        )))
    };
    let config: Value = serde_json::from_str(&fetched.body).map_err(|_| unreadable())?;
    let dl = config["dl"].as_str().ok_or_else(unreadable)?;
    let scheme = dl.split_once("://").map(|(s, _)| s);
    if !matches!(scheme, Some("http" | "https")) {
        return Err(unreadable());
    }
    Ok(dl.to_owned())
}

/// `GET api/v1/crates/NAME/VERSION/download` from the upstream: the kept
/// copy, or fetched, checked against the index's `cksum` and kept now.
pub async fn download(
    state: &AppState,
    actor: &Actor,
    upstream: &Upstream,
    (name, version): (&str, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let upstreams = state.registry.upstreams();
    upstreams.may_read(actor)?;
    let not_found = || {
        CargoError::not_found(format!(
            "crate `{name}` does not have a version `{version}` in the upstream registry `{}`",
            upstream.name
        ))
    };
    if !names::is_plausible_dependency(name) {
        return Err(not_found());
    }
    let file_name = format!("{name}-{version}.crate");
    let answer = FileAnswer {
        headers,
        content_type: "application/gzip",
        head,
    };
    if let Some(kept) = upstreams
        .kept_file(upstream, PackageType::Cargo, name, &file_name)
        .await?
    {
        return Ok(serve_kept(state, upstream, &kept, &answer, Some(PackageType::Cargo)).await?);
    }
    let index = upstream_index(state, upstream, name).await?;
    let body = index.body.clone();
    let (wanted_name, wanted_version) = (name.to_owned(), version.to_owned());
    let listed = tokio::task::spawn_blocking(move || {
        find_version(
            std::str::from_utf8(&body).unwrap_or_default(),
            &wanted_name,
            &wanted_version,
        )
    })
    .await
    .map_err(reply::internal)?
    .ok_or_else(not_found)?;
    let url = download_url(&upstream_dl(state, upstream).await?, &listed);
    let wanted = WantedFile {
        package_type: PackageType::Cargo,
        file_name: format!("{}-{}.crate", listed.name, listed.vers),
        package: listed.name,
        version: listed.vers,
        url,
        expected: Expected {
            sha256: Some(listed.cksum),
            ..Expected::default()
        },
        metadata: listed.line,
        content_type: Some("application/gzip".to_owned()),
        counted: true,
    };
    Ok(serve_wanted(state, upstream, wanted, &answer).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUM: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn listed(name: &str, vers: &str) -> Listed {
        Listed {
            name: name.into(),
            vers: vers.into(),
            cksum: SUM.into(),
            line: Value::Null,
        }
    }

    #[test]
    fn download_urls_follow_cargos_template_rules() {
        let serde = listed("Serde", "1.0.0");
        assert_eq!(
            download_url("https://static.crates.io/crates", &serde),
            "https://static.crates.io/crates/Serde/1.0.0/download"
        );
        assert_eq!(
            download_url("http://h/api/v1/crates/", &serde),
            "http://h/api/v1/crates/Serde/1.0.0/download"
        );
        assert_eq!(
            download_url(
                "https://h/{prefix}/{lowerprefix}/{crate}-{version}.crate?s={sha256-checksum}",
                &serde
            ),
            format!("https://h/Se/rd/se/rd/Serde-1.0.0.crate?s={SUM}")
        );
        assert_eq!(
            download_url("https://h/{prefix}/{crate}", &listed("abc", "1.0.0")),
            "https://h/3/a/abc"
        );
        assert_eq!(
            download_url("https://h/{prefix}/{crate}", &listed("a", "1.0.0")),
            "https://h/1/a"
        );
    }

    #[test]
    fn a_version_is_found_by_its_line_and_checksum() {
        let file = format!(
            "{{\"name\":\"Demo\",\"vers\":\"1.0.0\",\"deps\":[],\"cksum\":\"{SUM}\",\"features\":{{}},\"yanked\":false,\"rust_version\":\"1.70\"}}\n\
             not json\n\
             {{\"name\":\"Demo\",\"vers\":\"2.0.0\",\"cksum\":\"short\"}}\n"
        );
        let found = find_version(&file, "demo", "1.0.0").unwrap();
        assert_eq!(
            (found.name.as_str(), found.vers.as_str()),
            ("Demo", "1.0.0")
        );
        assert_eq!(found.cksum, SUM);
        assert_eq!(found.line["rust_version"], "1.70", "the line is kept whole");
        assert_eq!(
            find_version(&file, "demo", "2.0.0"),
            None,
            "no usable checksum"
        );
        assert_eq!(find_version(&file, "demo", "3.0.0"), None);
        assert_eq!(find_version(&file, "other", "1.0.0"), None);
    }
}

//! Gems served from an upstream RubyGems registry at
//! `BASE/rubygems/NAME/`, where NAME is the upstream's reserved owner: a
//! mirror for Bundler (`bundle config mirror.https://rubygems.org …`) and
//! `gem`, through the compact index. `/versions`, `/names` and
//! `/info/NAME` go out exactly as the upstream sent them (kept, revalidated
//! after the TTL, stale while it is down), with the `ETag` of their MD5
//! Bundler checks and `Range` for the tail it lacks; `.gem` files are
//! fetched once, checked against the `checksum:` of their `/info` line,
//! kept under the upstream's name and served from the blob store; the
//! quick gemspecs `gem install` reads are rendered from the kept gem.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::response::Response;
use bytes::Bytes;
use entrepot_core::{Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{FileAnswer, mark, serve_found};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, Found, WantedFile};
use entrepot_store::Expected;

use crate::compact_index::CompactFile;
use crate::endpoint::Endpoint;
use crate::respond::{Result, binary, text_response};

/// The most lines one upstream `/info` file is searched through.
const MAX_LINES: usize = 100_000;

/// A compact index file as served, and what it was made from.
pub struct Tagged {
    tag: String,
    file: Arc<CompactFile>,
}

/// Compact index files made from upstreams' (as sent, or merged into an
/// owner's), by account and path: each hashed once per change, per node,
/// and one kept per path, so a `/versions` of 20 MB that changes every
/// few minutes is held once.
pub type Mirrored = entrepot_http::cache::Renderings<(i64, String), Arc<Tagged>, 1024>;

/// The file kept under `key` when it was made from `tag`, else `make`'s
/// bytes (made off the executor), kept now in its place.
pub(crate) async fn made_from(
    mirrored: &Mirrored,
    key: (i64, String),
    tag: String,
    make: impl FnOnce() -> Bytes + Send + 'static,
) -> Result<Arc<CompactFile>> {
    if let Some(kept) = mirrored.get(&key).filter(|k| k.tag == tag) {
        return Ok(Arc::clone(&kept.file));
    }
    let file = tokio::task::spawn_blocking(move || Arc::new(CompactFile::new(make())))
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    let kept = Tagged {
        tag,
        file: Arc::clone(&file),
    };
    mirrored.put(key, Arc::new(kept));
    Ok(file)
}

/// The RubyGems upstream `owner` is the reserved name of, if it is one.
pub async fn mirror(state: &AppState, owner: &str) -> Result<Option<Upstream>> {
    Ok(state
        .registry
        .upstreams()
        .mirror_named(owner, PackageType::Rubygems)
        .await?)
}

/// Answers `endpoint` from the upstream: reads as the instance lets anyone
/// read; nothing is pushed or yanked here.
pub async fn route(
    state: &AppState,
    mirrored: &Mirrored,
    (actor, upstream): (&Actor, &Upstream),
    endpoint: Endpoint,
    (headers, head): (&HeaderMap, bool),
) -> Result<Response> {
    state.registry.upstreams().may_read(actor)?;
    let compact = |path: String| compact(state, mirrored, upstream, path, headers, head);
    match endpoint {
        Endpoint::Root => Ok(text_response(head, "Entrepot RubyGems mirror\n".into())),
        Endpoint::Versions => compact("versions".into()).await,
        Endpoint::Names => compact("names".into()).await,
        Endpoint::Info { name } if crate::spec::is_valid_name(&name) => {
            compact(format!("info/{name}")).await
        }
        Endpoint::Gem { stem } => {
            let (_, found) = find_gem(state, upstream, &stem, &candidate_names(&stem)).await?;
            gem(state, upstream, found, headers, head).await
        }
        Endpoint::QuickSpec { stem } => {
            let (_, found) = find_gem(state, upstream, &stem, &candidate_names(&stem)).await?;
            quick_spec(state, upstream, found, head).await
        }
        Endpoint::Push | Endpoint::Yank { .. } | Endpoint::ApiKey => {
            Err(ServiceError::Forbidden(format!(
                "`{}` is a read-only mirror of an upstream registry: push to your own owner",
                upstream.name
            ))
            .into())
        }
        _ => Err(ServiceError::not_found(format!(
            "the mirror `{}` serves the compact index (/versions, /info/NAME) and gems",
            upstream.name
        ))
        .into()),
    }
}

/// A compact index file of the upstream, as it sent it.
pub(crate) async fn compact(
    state: &AppState,
    mirrored: &Mirrored,
    upstream: &Upstream,
    path: String,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let rendered = state
        .registry
        .upstreams()
        .rendered(upstream, &path, "compact", |fetched: Fetched| {
            Ok(Bytes::from(fetched.body))
        })
        .await?;
    let body = rendered.body.clone();
    let key = (upstream.account_id, path);
    let file = made_from(mirrored, key, rendered.etag.clone(), move || body).await?;
    let response = file.respond(headers, head).await;
    Ok(mark(response, &upstream.name, rendered.stale))
}

/// One version as the upstream's `/info` file lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    /// The version, with its platform when it has one (`1.15.4-x86_64-linux`).
    version: String,
    sha256: String,
    line: String,
}

/// The line of `/info/NAME` whose gem file is `stem.gem`.
fn find_line(body: &str, name: &str, stem: &str) -> Option<Listed> {
    let version = stem.strip_prefix(name)?.strip_prefix('-')?;
    body.lines().take(MAX_LINES).find_map(|line| {
        let (listed, rest) = line.split_once(' ')?;
        if listed != version {
            return None;
        }
        let requirements = rest.rsplit_once('|').map_or("", |(_, r)| r);
        let sha256 = requirements
            .split(',')
            .find_map(|r| r.trim().strip_prefix("checksum:"))
            .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()))?
            .to_ascii_lowercase();
        Some(Listed {
            version: listed.to_owned(),
            sha256,
            line: line.to_owned(),
        })
    })
}

/// The names a gem file's stem may be of, longest first: a name ends
/// where a version (which starts with a digit) begins.
pub(crate) fn candidate_names(stem: &str) -> Vec<&str> {
    let mut names: Vec<&str> = stem
        .match_indices('-')
        .filter(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| &stem[..i])
        .filter(|n| crate::spec::is_valid_name(n))
        .collect();
    names.reverse();
    names.truncate(3);
    names
}

/// Finds `STEM.gem` of one of `names`: kept, or listed by the upstream's
/// `/info` file of the gem it is a version of; and that gem's name.
pub(crate) async fn find_gem(
    state: &AppState,
    upstream: &Upstream,
    stem: &str,
    names: &[&str],
) -> Result<(String, Found)> {
    let upstreams = state.registry.upstreams();
    let file_name = format!("{stem}.gem");
    for name in names {
        if let Some(kept) = upstreams
            .kept_file(upstream, PackageType::Rubygems, name, &file_name)
            .await?
        {
            return Ok(((*name).to_owned(), Found::Kept(kept)));
        }
    }
    for &name in names {
        let path = format!("info/{name}");
        let info = match upstreams.document(upstream, &path).await {
            Ok(info) => info,
            Err(ServiceError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let mut listed = find_line(&info.body, name, stem);
        if listed.is_none() && !info.stale {
            // A version released since: the `/versions` a client read
            // later may list it already.
            let info = upstreams.refreshed(upstream, &path).await?;
            listed = find_line(&info.body, name, stem);
        }
        let Some(listed) = listed else {
            continue;
        };
        let base = url::Url::parse(&upstream.url)
            .map_err(|e| ServiceError::Internal(format!("upstream URL: {e}")))?;
        let url = base
            .join(&format!("gems/{file_name}"))
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let wanted = WantedFile {
            package_type: PackageType::Rubygems,
            package: name.to_owned(),
            version: listed.version,
            file_name,
            url: url.to_string(),
            expected: Expected {
                sha256: Some(listed.sha256),
                ..Expected::default()
            },
            metadata: serde_json::json!({ "compact_index": listed.line }),
            content_type: Some("application/octet-stream".to_owned()),
            counted: true,
        };
        return Ok((name.to_owned(), Found::Wanted(wanted)));
    }
    Err(ServiceError::not_found(format!(
        "Could not find {file_name} in the upstream registry `{}`",
        upstream.name
    ))
    .into())
}

/// `GET gems/STEM.gem` from the upstream: the kept copy, or fetched,
/// checked against its `/info` line's checksum and kept now.
pub(crate) async fn gem(
    state: &AppState,
    upstream: &Upstream,
    found: Found,
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let answer = FileAnswer {
        headers,
        content_type: "application/octet-stream",
        head,
    };
    Ok(serve_found(state, upstream, found, &answer, PackageType::Rubygems).await?)
}

/// `GET quick/Marshal.4.8/STEM.gemspec.rz`, which `gem install` reads
/// before the gem: rendered from the gem's own metadata, so the gem is
/// fetched (checked and kept) first. It holds offline as the gem does.
pub(crate) async fn quick_spec(
    state: &AppState,
    upstream: &Upstream,
    found: Found,
    head: bool,
) -> Result<Response> {
    let file = state.registry.upstreams().file_of(upstream, found).await?;
    let read = state.registry.blobs().read_blob(&file.sha256, None).await?;
    let reader = tokio_util::io::SyncIoBridge::new_with_handle(
        tokio_util::io::StreamReader::new(read.stream),
        tokio::runtime::Handle::current(),
    );
    let spec = tokio::task::spawn_blocking(move || {
        crate::gem::read_gem(std::io::BufReader::new(reader))
            .map(|contents| crate::index::quick_spec(&contents.spec))
    })
    .await
    .map_err(|e| ServiceError::Internal(e.to_string()))?
    .map_err(|why| {
        ServiceError::Upstream(format!(
            "the upstream registry `{}` sent a gem that cannot be read: {why}",
            upstream.name
        ))
    })?;
    Ok(binary(head, "application/octet-stream", spec.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUM: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn a_gem_file_is_found_by_its_info_line_and_checksum() {
        let info = format!(
            "---\n\
             1.0.0 rack:>= 2.0&< 4|checksum:{SUM},ruby:>= 2.7\n\
             1.15.4-x86_64-linux |checksum:{SUM},ruby:>= 2.7, < 3.3.dev\n\
             2.0.0 |checksum:short\n"
        );
        let found = find_line(&info, "nokogiri", "nokogiri-1.15.4-x86_64-linux").unwrap();
        assert_eq!(found.version, "1.15.4-x86_64-linux");
        assert_eq!(found.sha256, SUM);
        assert_eq!(
            find_line(&info, "nokogiri", "nokogiri-1.0.0").unwrap().line,
            format!("1.0.0 rack:>= 2.0&< 4|checksum:{SUM},ruby:>= 2.7")
        );
        assert_eq!(
            find_line(&info, "nokogiri", "nokogiri-2.0.0"),
            None,
            "no usable checksum"
        );
        assert_eq!(find_line(&info, "nokogiri", "nokogiri-3.0.0"), None);
        assert_eq!(find_line(&info, "other", "nokogiri-1.0.0"), None);
    }

    #[test]
    fn a_stem_names_its_gem_before_the_version() {
        assert_eq!(candidate_names("net-http-0.4.1"), ["net-http"]);
        assert_eq!(
            candidate_names("nokogiri-1.15.4-x86_64-linux"),
            ["nokogiri"]
        );
        assert_eq!(candidate_names("ruby-2fa-1.0.0"), ["ruby-2fa", "ruby"]);
        assert!(candidate_names("nothing").is_empty());
    }
}

//! Maven repositories served from an upstream: at `BASE/maven/NAME/`,
//! where NAME is the upstream's reserved owner (a mirror), and at
//! `BASE/maven/OWNER/REPO/` for groupIds OWNER does not publish, when
//! OWNER falls through to an upstream. `maven-metadata.xml` goes out as
//! the upstream sent it (kept and revalidated after the upstream's TTL);
//! files are fetched once, checked against the upstream's own `.sha256`
//! (else `.sha1`), kept under the upstream's name and served from the blob
//! store, with every checksum computed from what is kept.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use entrepot_core::{Action, Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_http::upstream::{FileAnswer, mark, serve_kept, serve_wanted};
use entrepot_service::ServiceError;
use entrepot_service::proxy::{Fetched, WantedFile};
use entrepot_store::Expected;

use crate::checksums::{checksum_text, digest_hex, file_digest};
use crate::error::{MavenError, Result};
use crate::metadata::VersionMetadata;
use crate::path::{self, Checksum, MavenPath};
use crate::target::Target;

/// The upstream `owner` is the reserved name of, if it is a Maven one:
/// `BASE/maven/NAME/` mirrors it.
pub async fn mirror(state: &AppState, owner: &str) -> Result<Option<Upstream>> {
    // The node's list of upstreams: no query for the owners that are not.
    Ok(state
        .registry
        .upstreams()
        .mirror_named(owner, PackageType::Maven)
        .await?)
}

/// A request to a mirror: reads follow the instance's rule; nothing is
/// deployed under an upstream's name.
pub async fn mirrored(
    state: &AppState,
    actor: &Actor,
    upstream: &Upstream,
    (method, path): (&axum::http::Method, &str),
    headers: &HeaderMap,
) -> Result<Response> {
    let parsed =
        path::parse(path).map_err(|path::PathError::Invalid(m)| MavenError::bad_request(m))?;
    let head = *method == axum::http::Method::HEAD;
    if *method != axum::http::Method::GET && !head {
        return Err(MavenError::new(
            StatusCode::FORBIDDEN,
            format!(
                "`{}` is an upstream registry: its artifacts are cached from it and read-only",
                upstream.name
            ),
        ));
    }
    state.registry.upstreams().may_read(actor)?;
    read(state, upstream, (&parsed, path), headers, head).await
}

/// The upstream `target`'s owner falls through to for its groupId, when
/// the caller may read the repository, the groupId is none of the owner's
/// (`owns_group`) and no reserved pattern keeps it (`com.acme.*` keeps
/// `com.acme` too).
pub async fn fallthrough(state: &AppState, target: &Target) -> Result<Option<Upstream>> {
    let upstreams = state.registry.upstreams();
    let Some(fallthrough) = upstreams
        .fallthrough_of(&target.owner, PackageType::Maven)
        .await?
    else {
        return Ok(None);
    };
    let group = entrepot_core::names::pep503(&target.coordinates.group);
    let reserved = [
        group.clone(),
        format!("{group}-"),
        entrepot_core::names::pep503(&target.package_name()),
    ];
    if reserved.iter().any(|name| fallthrough.reserves(name)) {
        return Ok(None);
    }
    let names = state
        .registry
        .packages()
        .namespace_names(&target.owner, PackageType::Maven)
        .await?;
    if owns_group(&names, &target.coordinates.group) {
        return Ok(None);
    }
    target.allow(state, Action::Read).await?;
    upstreams.may_read(&target.actor)?;
    Ok(Some(fallthrough.upstream))
}

/// A read of `target`'s repository from the upstream its owner falls
/// through to. Once a file of an artifact was served, the artifact's name
/// is kept for the upstream: a local deploy of it is refused until a site
/// administrator releases it, so that it never takes the upstream's place
/// unnoticed.
pub async fn fallen_through(
    state: &AppState,
    (target, upstream): (&Target, &Upstream),
    (parsed, path): (&MavenPath, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    let response = read(state, upstream, (parsed, path), headers, head).await?;
    if matches!(parsed, MavenPath::File { checksum: None, .. }) && response.status().is_success() {
        let name = entrepot_core::names::pep503(&target.package_name());
        state
            .registry
            .upstreams()
            .keep_owner_name(&target.owner, PackageType::Maven, &name, upstream)
            .await?;
    }
    Ok(response)
}

/// Whether `group` is the owner's, given the names (`group.artifact`) of
/// every Maven package it has or had: a package of that group or of one
/// below it, or of a group above it (`com.acme:core` makes `com.acme` and
/// `com.acme.internal` the owner's). Dots in artifact ids may make this
/// keep more than it must, never less.
fn owns_group(names: &[String], group: &str) -> bool {
    let below = format!("{group}.");
    names.iter().any(|name| {
        let parent = name.rsplit_once('.').map_or(name.as_str(), |(g, _)| g);
        name.starts_with(&below)
            || group == parent
            || group
                .strip_prefix(parent)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

/// A small document (metadata, a checksum) with its length.
fn text(body: Bytes, content_type: &'static str, head: bool) -> Response {
    let length = body.len();
    let mut response = Response::new(if head {
        Body::empty()
    } else {
        Body::from(body)
    });
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `path` (a layout path, parsed) from the upstream.
pub async fn read(
    state: &AppState,
    upstream: &Upstream,
    (parsed, path): (&MavenPath, &str),
    headers: &HeaderMap,
    head: bool,
) -> Result<Response> {
    match parsed {
        MavenPath::ArtifactMetadata { checksum, .. }
        | MavenPath::SnapshotMetadata { checksum, .. } => {
            let document = match checksum {
                Some(c) => path
                    .strip_suffix(&format!(".{}", c.extension()))
                    .unwrap_or(path),
                None => path,
            };
            let rendered = state
                .registry
                .upstreams()
                .rendered(upstream, document, "as-sent", |fetched: Fetched| {
                    Ok(Bytes::from(fetched.body))
                })
                .await?;
            let response = match checksum {
                Some(c) => text(digest_hex(*c, &rendered.body).into(), "text/plain", head),
                None => text(rendered.body, "application/xml", head),
            };
            Ok(mark(response, &upstream.name, rendered.stale))
        }
        MavenPath::File {
            coordinates,
            version,
            file,
            checksum,
        } => {
            let upstreams = state.registry.upstreams();
            let package = coordinates.package_name();
            let kept = upstreams
                .kept_file(upstream, PackageType::Maven, &package, file)
                .await?;
            let answer = FileAnswer {
                headers,
                content_type: path::content_type(file),
                head,
            };
            let counted = is_main_artifact(&coordinates.artifact, version, file)
                .then_some(PackageType::Maven);
            match (kept, checksum) {
                (Some(kept), Some(c)) => {
                    let hex = file_digest(state, &kept, *c).await?;
                    Ok(mark(
                        text(hex.into(), "text/plain", head),
                        &upstream.name,
                        false,
                    ))
                }
                (Some(kept), None) => {
                    Ok(serve_kept(state, upstream, &kept, &answer, counted).await?)
                }
                // Not kept yet: the upstream's own checksum file.
                (None, Some(_)) => {
                    let fetched = upstreams.document(upstream, path).await?;
                    let response = text(fetched.body.into(), "text/plain", head);
                    Ok(mark(response, &upstream.name, fetched.stale))
                }
                (None, None) => {
                    let expected = declared(state, upstream, path).await?;
                    let metadata = VersionMetadata {
                        group_id: coordinates.group.clone(),
                        artifact_id: coordinates.artifact.clone(),
                        repository: upstream.name.clone(),
                        pom: None,
                    };
                    let url = url::Url::parse(&upstream.url)
                        .and_then(|base| base.join(path))
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    let wanted = WantedFile {
                        package_type: PackageType::Maven,
                        package,
                        version: version.clone(),
                        file_name: file.clone(),
                        url: url.to_string(),
                        expected,
                        metadata: metadata.to_json(),
                        content_type: Some(path::content_type(file).to_owned()),
                        counted: counted.is_some(),
                    };
                    Ok(serve_wanted(state, upstream, wanted, &answer).await?)
                }
            }
        }
    }
}

/// Whether a download of `file` counts as one of its version: the
/// artifact's own jar, war, ear or aar, without a classifier.
fn is_main_artifact(artifact: &str, version: &str, file: &str) -> bool {
    let base = version.strip_suffix("-SNAPSHOT").unwrap_or(version);
    let parts = path::classifier_and_extension(file, artifact, version).or_else(|| {
        // A timestamped SNAPSHOT build: `A-BASE-YYYYMMDD.HHMMSS-N.jar`.
        let rest = file.strip_prefix(artifact)?.strip_prefix('-')?;
        let rest = rest.strip_prefix(base)?.strip_prefix('-')?;
        let (_, ext) = rest.rsplit_once('.')?;
        (!rest[..rest.len() - ext.len() - 1].contains(|c: char| c.is_ascii_alphabetic()))
            .then_some((None, ext))
    });
    matches!(parts, Some((None, "jar" | "war" | "ear" | "aar")))
}

/// The digests the upstream declares for the file at `path`: its
/// `.sha256`, else its `.sha1`. A file with neither is not fetched (it
/// could not be checked).
async fn declared(state: &AppState, upstream: &Upstream, path: &str) -> Result<Expected> {
    let upstreams = state.registry.upstreams();
    let mut expected = Expected::default();
    for c in [Checksum::Sha256, Checksum::Sha1] {
        let fetched = match upstreams
            .document(upstream, &format!("{path}.{}", c.extension()))
            .await
        {
            Ok(fetched) => fetched,
            Err(ServiceError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        let hex = checksum_text(fetched.body.as_bytes(), c).map_err(|_| {
            ServiceError::Upstream(format!(
                "the upstream registry `{}` sent a {}.{} that is not a checksum",
                upstream.name,
                path,
                c.extension()
            ))
        })?;
        match c {
            Checksum::Sha256 => expected.sha256 = Some(hex),
            _ => expected.sha1 = Some(hex),
        }
        return Ok(expected);
    }
    Err(not_found_upstream(upstream, path))
}

/// Neither checksum is there: the file is missing upstream, almost
/// always; one that exists unchecked is not served either. A 404 lets
/// Maven say "could not find" and Gradle try its next repository.
fn not_found_upstream(upstream: &Upstream, path: &str) -> MavenError {
    MavenError::new(
        StatusCode::NOT_FOUND,
        format!(
            "{path} is not in the upstream registry `{}`, or it has no .sha256 or .sha1 to check it by",
            upstream.name
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_above_at_and_below_an_owned_package_are_the_owners() {
        let names = ["com.acme.core".to_owned()];
        for group in ["com.acme", "com.acme.internal", "com.acme.core", "com"] {
            assert!(owns_group(&names, group), "{group}");
        }
        for group in ["com.acmex", "org.acme", "com.other"] {
            assert!(!owns_group(&names, group), "{group}");
        }
    }

    #[test]
    fn the_main_artifact_is_counted_and_nothing_else() {
        assert!(is_main_artifact("tiny", "1.0", "tiny-1.0.jar"));
        assert!(is_main_artifact("tiny", "1.0", "tiny-1.0.aar"));
        assert!(!is_main_artifact("tiny", "1.0", "tiny-1.0.pom"));
        assert!(!is_main_artifact("tiny", "1.0", "tiny-1.0-sources.jar"));
        assert!(is_main_artifact(
            "tiny",
            "1.0-SNAPSHOT",
            "tiny-1.0-20260101.120000-3.jar"
        ));
        assert!(!is_main_artifact(
            "tiny",
            "1.0-SNAPSHOT",
            "tiny-1.0-20260101.120000-3-sources.jar"
        ));
    }
}

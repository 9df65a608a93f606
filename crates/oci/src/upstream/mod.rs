//! Pull-through caches: an upstream registry of format `container` named
//! NAME answers `HOST/NAME/IMAGE:TAG` with the upstream's `IMAGE:TAG`, as
//! Harbor's proxy projects and zot's on-demand sync do. Manifests asked by
//! digest and blobs are fetched once, checked against their digest and kept
//! for good as the reserved owner NAME's; a tag is asked again with a
//! `HEAD` once the upstream's TTL has passed (Docker Hub counts only
//! `GET`s against its pull limits), and served as last seen while the
//! upstream cannot be reached. What is kept is then served by the same
//! handlers as any image. NAME is read-only: pushes and deletes are
//! refused with `DENIED`.

mod blobs;
mod manifests;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entrepot_core::{Actor, PackageType, Upstream};
use entrepot_http::AppState;
use entrepot_service::ServiceError;
use entrepot_service::links::Holder;
use serde_json::json;

use crate::ctx::{Act, Ctx};
use crate::endpoint::Endpoint;
use crate::error::{Code, OciError, OciResult};
use crate::name::RepoName;
use crate::response::paged;

/// The largest tag list or referrers index read from an upstream.
const MAX_LIST_BYTES: usize = 8 * 1024 * 1024;

/// The container upstream whose reserved owner is `owner`, if it is one.
pub async fn of(state: &AppState, owner: &str) -> Result<Option<Upstream>, ServiceError> {
    state
        .registry
        .upstreams()
        .mirror_named(owner, PackageType::Container)
        .await
}

/// Who may do what on a cache: pull, as the instance lets anyone read
/// (anonymous callers are asked to sign in when reads need it); nothing
/// else, for anyone.
pub async fn access(
    state: &AppState,
    actor: &Actor,
    upstream: &Upstream,
    repo: &RepoName,
    act: Act,
) -> Result<Holder, ServiceError> {
    let upstreams = state.registry.upstreams();
    upstreams.may_read(actor)?;
    if act != Act::Pull {
        return Err(read_only(upstream));
    }
    let owner = state.registry.accounts().account(&upstream.name).await?;
    let package = state
        .registry
        .packages()
        .package_named(owner.id, PackageType::Container, &repo.image, false)
        .await?;
    Ok(Holder { owner, package })
}

fn read_only(upstream: &Upstream) -> ServiceError {
    ServiceError::Forbidden(format!(
        "`{}` is a read-only cache of an upstream registry: pull from it, push to your own namespace",
        upstream.name
    ))
}

/// The upstream's name for `repo`'s image: as given, except that Docker
/// Hub's official images, which its clients write without `library/`,
/// are found there too.
fn remote(upstream: &Upstream, repo: &RepoName) -> String {
    let hub = url::Url::parse(&upstream.url).is_ok_and(|u| {
        matches!(
            u.host_str(),
            Some("registry-1.docker.io" | "index.docker.io")
        )
    });
    if hub && !repo.image.contains('/') {
        format!("library/{}", repo.image)
    } else {
        repo.image.clone()
    }
}

/// The `scope` a token for `repo` on the upstream is kept under.
fn scope(upstream: &Upstream, repo: &RepoName) -> String {
    format!("repository:{}:pull", remote(upstream, repo))
}

/// Answers `endpoint` on `upstream`'s cache: pulls from the upstream or
/// what was kept of it; anything else is refused.
pub async fn route(ctx: &Ctx, upstream: &Upstream, endpoint: Endpoint) -> OciResult<Response> {
    use Endpoint as E;
    match endpoint {
        E::GetManifest {
            repo,
            reference,
            head,
        } => manifests::get(ctx, upstream, &repo, &reference, head).await,
        E::GetBlob { repo, digest, head } => blobs::get(ctx, upstream, &repo, &digest, head).await,
        E::Tags { repo } => tags(ctx, upstream, &repo).await,
        E::Referrers { repo, digest } => referrers(ctx, upstream, &repo, &digest).await,
        _ => match ctx.state.registry.upstreams().may_read(&ctx.access.actor) {
            Err(_) => Err(OciError::unauthorized(ctx.challenge(None))),
            Ok(()) => Err(OciError::from_service(&read_only(upstream), Code::Denied)),
        },
    }
}

/// `GET /v2/NAME/IMAGE/tags/list`: the upstream's tags (revalidated after
/// the TTL, the last list while it is down), else those kept here.
async fn tags(ctx: &Ctx, upstream: &Upstream, repo: &RepoName) -> OciResult<Response> {
    let holder = ctx.check(repo, Act::Pull, Code::NameUnknown).await?;
    let path = format!("v2/{}/tags/list", remote(upstream, repo));
    let upstreams = ctx.state.registry.upstreams();
    let mut names: Vec<String> = match upstreams.document(upstream, &path).await {
        Ok(fetched) => {
            let list = entrepot_http::upstream::parse_json(&fetched.body)
                .await
                .map_err(|e| {
                    OciError::from_service(
                        &ServiceError::Upstream(format!("the upstream's tag list: {e}")),
                        Code::NameUnknown,
                    )
                })?;
            list.get("tags")
                .and_then(serde_json::Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .filter_map(serde_json::Value::as_str)
                        .filter(|t| crate::name::is_tag(t))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        }
        Err(ServiceError::NotFound(_)) => return Err(OciError::name_unknown()),
        Err(e) => {
            let Some(package) = holder.package else {
                return Err(OciError::from_service(&e, Code::NameUnknown));
            };
            let tags = ctx.state.registry.packages().tags(package.id).await?;
            tags.into_iter().map(|t| t.name).collect()
        }
    };
    names.sort();
    names.dedup();
    let url = format!("/v2/{}/tags/list", repo.full());
    Ok(paged(
        ctx,
        names,
        &url,
        |shown| json!({ "name": repo.full(), "tags": shown }),
    ))
}

/// `GET /v2/NAME/IMAGE/referrers/DIGEST`: the upstream's answer, passed
/// on; the referrers kept here when it has no referrers API or is down.
async fn referrers(
    ctx: &Ctx,
    upstream: &Upstream,
    repo: &RepoName,
    digest: &str,
) -> OciResult<Response> {
    ctx.check(repo, Act::Pull, Code::NameUnknown).await?;
    let Some(parsed) = crate::name::Digest::parse(digest) else {
        return Err(OciError::digest_invalid(format!(
            "invalid digest: {digest}"
        )));
    };
    let mut path = format!(
        "v2/{}/referrers/{}",
        remote(upstream, repo),
        parsed.to_text()
    );
    let filter = ctx.query("artifactType");
    if let Some(t) = filter {
        path.push_str("?artifactType=");
        path.extend(url::form_urlencoded::byte_serialize(t.as_bytes()));
    }
    let index = "application/vnd.oci.image.index.v1+json";
    let asked = ctx
        .state
        .registry
        .upstreams()
        .ask_now(
            upstream,
            false,
            &path,
            index,
            &scope(upstream, repo),
            MAX_LIST_BYTES,
        )
        .await;
    let Ok(Some(answered)) = asked else {
        return crate::referrers::list(ctx, repo, digest).await;
    };
    let listed: Option<serde_json::Value> = serde_json::from_slice(&answered.body).ok();
    if !listed.is_some_and(|l| l.get("manifests").is_some_and(serde_json::Value::is_array)) {
        return crate::referrers::list(ctx, repo, digest).await;
    }
    let mut response = (StatusCode::OK, answered.body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(index));
    if filter.is_some()
        && let Some(applied) = answered.headers.get("oci-filters-applied")
    {
        response
            .headers_mut()
            .insert("oci-filters-applied", applied.clone());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream(url: &str) -> Upstream {
        Upstream {
            account_id: 1,
            name: "hub".into(),
            format: PackageType::Container,
            url: url.into(),
            username: None,
            password: None,
            metadata_ttl_seconds: 600,
            is_default: false,
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn docker_hubs_official_images_are_found_without_library() {
        let repo = |name: &str| RepoName::parse(name).unwrap();
        let hub = upstream("https://registry-1.docker.io/");
        assert_eq!(remote(&hub, &repo("hub/alpine")), "library/alpine");
        assert_eq!(remote(&hub, &repo("hub/library/alpine")), "library/alpine");
        assert_eq!(
            remote(&hub, &repo("hub/grafana/grafana")),
            "grafana/grafana"
        );
        let other = upstream("http://127.0.0.1:5000/");
        assert_eq!(remote(&other, &repo("mirror/alpine")), "alpine");
        assert_eq!(
            scope(&hub, &repo("hub/alpine")),
            "repository:library/alpine:pull"
        );
    }
}

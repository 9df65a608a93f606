//! `GET /v2/<name>/tags/list`: a repository's tags, sorted and paged.

use axum::response::Response;
use serde_json::json;

use crate::ctx::{Act, Ctx};
use crate::error::{Code, OciError, OciResult};
use crate::name::RepoName;
use crate::response::paged;

pub async fn list(ctx: &Ctx, repo: &RepoName) -> OciResult<Response> {
    let package = ctx
        .check(repo, Act::Pull, Code::NameUnknown)
        .await?
        .package
        .ok_or_else(OciError::name_unknown)?;
    let mut names: Vec<String> = ctx
        .state
        .registry
        .packages()
        .tags(package.id)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    names.sort();
    let url = format!("/v2/{}/tags/list", repo.full());
    Ok(paged(
        ctx,
        names,
        &url,
        |shown| json!({ "name": repo.full(), "tags": shown }),
    ))
}

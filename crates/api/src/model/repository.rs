//! GitHub's `minimal-repository`: the repository a package is connected to.

use entrepot_core::{Account, Repository, Visibility};
use entrepot_http::state::HttpConfig;
use serde::Serialize;

use super::time::iso;
use super::user::SimpleUser;

/// GitHub's `minimal-repository` for a connected repository record; its
/// URL templates name GitHub's repository endpoints, which Entrepot does
/// not serve but clients read.
#[derive(Debug, Serialize)]
pub struct MinimalRepository {
    pub id: i64,
    pub node_id: String,
    pub name: String,
    pub full_name: String,
    pub owner: SimpleUser,
    pub private: bool,
    pub visibility: &'static str,
    pub html_url: String,
    pub description: Option<String>,
    pub fork: bool,
    pub url: String,
    pub created_at: String,
    pub updated_at: String,
    pub archive_url: String,
    pub assignees_url: String,
    pub blobs_url: String,
    pub branches_url: String,
    pub collaborators_url: String,
    pub comments_url: String,
    pub commits_url: String,
    pub compare_url: String,
    pub contents_url: String,
    pub contributors_url: String,
    pub deployments_url: String,
    pub downloads_url: String,
    pub events_url: String,
    pub forks_url: String,
    pub git_commits_url: String,
    pub git_refs_url: String,
    pub git_tags_url: String,
    pub hooks_url: String,
    pub issue_comment_url: String,
    pub issue_events_url: String,
    pub issues_url: String,
    pub keys_url: String,
    pub labels_url: String,
    pub languages_url: String,
    pub merges_url: String,
    pub milestones_url: String,
    pub notifications_url: String,
    pub pulls_url: String,
    pub releases_url: String,
    pub stargazers_url: String,
    pub statuses_url: String,
    pub subscribers_url: String,
    pub subscription_url: String,
    pub tags_url: String,
    pub teams_url: String,
    pub trees_url: String,
}

impl MinimalRepository {
    /// `repo`, owned by `owner`.
    pub fn new(config: &HttpConfig, repo: &Repository, owner: &Account) -> Self {
        let api = config.url(&format!("/api/v3/repos/{}", repo.full_name()));
        let at = |suffix: &str| format!("{api}{suffix}");
        MinimalRepository {
            id: repo.id,
            node_id: format!("R_{}", repo.id),
            name: repo.name.clone(),
            full_name: repo.full_name(),
            owner: SimpleUser::new(config, owner),
            private: repo.visibility != Visibility::Public,
            visibility: repo.visibility.as_str(),
            html_url: config.url(&format!("/{}", repo.full_name())),
            description: repo.description.clone(),
            fork: false,
            created_at: iso(&repo.created_at),
            updated_at: iso(&repo.updated_at),
            archive_url: at("/{archive_format}{/ref}"),
            assignees_url: at("/assignees{/user}"),
            blobs_url: at("/git/blobs{/sha}"),
            branches_url: at("/branches{/branch}"),
            collaborators_url: at("/collaborators{/collaborator}"),
            comments_url: at("/comments{/number}"),
            commits_url: at("/commits{/sha}"),
            compare_url: at("/compare/{base}...{head}"),
            contents_url: at("/contents/{+path}"),
            contributors_url: at("/contributors"),
            deployments_url: at("/deployments"),
            downloads_url: at("/downloads"),
            events_url: at("/events"),
            forks_url: at("/forks"),
            git_commits_url: at("/git/commits{/sha}"),
            git_refs_url: at("/git/refs{/sha}"),
            git_tags_url: at("/git/tags{/sha}"),
            hooks_url: at("/hooks"),
            issue_comment_url: at("/issues/comments{/number}"),
            issue_events_url: at("/issues/events{/number}"),
            issues_url: at("/issues{/number}"),
            keys_url: at("/keys{/key_id}"),
            labels_url: at("/labels{/name}"),
            languages_url: at("/languages"),
            merges_url: at("/merges"),
            milestones_url: at("/milestones{/number}"),
            notifications_url: at("/notifications{?since,all,participating}"),
            pulls_url: at("/pulls{/number}"),
            releases_url: at("/releases{/id}"),
            stargazers_url: at("/stargazers"),
            statuses_url: at("/statuses/{sha}"),
            subscribers_url: at("/subscribers"),
            subscription_url: at("/subscription"),
            tags_url: at("/tags"),
            teams_url: at("/teams"),
            trees_url: at("/git/trees{/sha}"),
            url: api,
        }
    }
}

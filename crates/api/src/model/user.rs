//! GitHub's user and organization shapes: `simple-user` (every `owner`,
//! `author` and credited user), the fuller user of `/user` and
//! `/users/{username}`, `organization-full` of `/orgs/{org}`, and the
//! root document of `/api/v3`.

use base64::Engine;
use entrepot_core::Account;
use entrepot_http::state::HttpConfig;
use serde::Serialize;

use super::time::iso;

/// GitHub's `simple-user` schema, with our URLs.
#[derive(Debug, Clone, Serialize)]
pub struct SimpleUser {
    pub login: String,
    pub id: i64,
    pub node_id: String,
    pub avatar_url: String,
    pub gravatar_id: &'static str,
    pub url: String,
    pub html_url: String,
    pub followers_url: String,
    pub following_url: String,
    pub gists_url: String,
    pub starred_url: String,
    pub subscriptions_url: String,
    pub organizations_url: String,
    pub repos_url: String,
    pub events_url: String,
    pub received_events_url: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub site_admin: bool,
    pub user_view_type: &'static str,
}

impl SimpleUser {
    pub fn new(config: &HttpConfig, a: &Account) -> Self {
        let api = config.url(&format!("/api/v3/users/{}", a.login));
        let node_id = base64::engine::general_purpose::STANDARD.encode(format!(
            "04:{}{}",
            a.kind.github_type(),
            a.id
        ));
        SimpleUser {
            login: a.login.clone(),
            id: a.id,
            node_id,
            avatar_url: config.url(&format!("/avatars/{}", a.login)),
            gravatar_id: "",
            html_url: config.url(&format!("/{}", a.login)),
            followers_url: format!("{api}/followers"),
            following_url: format!("{api}/following{{/other_user}}"),
            gists_url: format!("{api}/gists{{/gist_id}}"),
            starred_url: format!("{api}/starred{{/owner}}{{/repo}}"),
            subscriptions_url: format!("{api}/subscriptions"),
            organizations_url: format!("{api}/orgs"),
            repos_url: format!("{api}/repos"),
            events_url: format!("{api}/events{{/privacy}}"),
            received_events_url: format!("{api}/received_events"),
            url: api,
            kind: a.kind.github_type(),
            site_admin: a.site_admin,
            user_view_type: "public",
        }
    }
}

/// A `simple-user` with its `name`: an organization read at
/// `/users/{username}`.
#[derive(Debug, Serialize)]
pub struct NamedUser {
    #[serde(flatten)]
    pub user: SimpleUser,
    pub name: Option<String>,
}

impl NamedUser {
    pub fn new(config: &HttpConfig, a: &Account) -> Self {
        NamedUser {
            user: SimpleUser::new(config, a),
            name: a.name.clone(),
        }
    }
}

/// The fuller user shape of `/users/{username}` and `/user`
/// (GitHub's `public-user`).
#[derive(Debug, Serialize)]
pub struct FullUser {
    #[serde(flatten)]
    pub user: SimpleUser,
    pub name: Option<String>,
    pub company: Option<String>,
    pub blog: &'static str,
    pub location: Option<String>,
    pub email: Option<String>,
    pub hireable: Option<bool>,
    pub bio: Option<String>,
    pub twitter_username: Option<String>,
    pub public_repos: u32,
    pub public_gists: u32,
    pub followers: u32,
    pub following: u32,
    pub created_at: String,
    pub updated_at: String,
    /// GitHub Enterprise Server's: when a site administrator suspended
    /// the user (absent for one who is not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended_at: Option<String>,
}

impl FullUser {
    pub fn new(config: &HttpConfig, a: &Account) -> Self {
        FullUser {
            user: SimpleUser::new(config, a),
            name: a.name.clone(),
            company: None,
            blog: "",
            location: None,
            email: a.email.clone(),
            hireable: None,
            bio: None,
            twitter_username: None,
            public_repos: 0,
            public_gists: 0,
            followers: 0,
            following: 0,
            created_at: iso(&a.created_at),
            updated_at: iso(&a.updated_at),
            suspended_at: a.suspended_at.as_ref().map(iso),
        }
    }
}

/// GitHub's `organization-full`, as far as Entrepot knows an organization.
#[derive(Debug, Serialize)]
pub struct Organization {
    pub login: String,
    pub id: i64,
    pub node_id: String,
    pub url: String,
    pub repos_url: String,
    pub events_url: String,
    pub hooks_url: String,
    pub issues_url: String,
    pub members_url: String,
    pub public_members_url: String,
    pub avatar_url: String,
    pub description: Option<String>,
    pub name: Option<String>,
    pub company: Option<String>,
    pub blog: &'static str,
    pub location: Option<String>,
    pub email: Option<String>,
    pub is_verified: bool,
    pub has_organization_projects: bool,
    pub has_repository_projects: bool,
    pub public_repos: u32,
    pub public_gists: u32,
    pub followers: u32,
    pub following: u32,
    pub html_url: String,
    pub created_at: String,
    pub updated_at: String,
    pub archived_at: Option<String>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Organization {
    pub fn new(config: &HttpConfig, a: &Account) -> Self {
        let api = config.url(&format!("/api/v3/orgs/{}", a.login));
        Organization {
            login: a.login.clone(),
            id: a.id,
            node_id: base64::engine::general_purpose::STANDARD
                .encode(format!("04:Organization{}", a.id)),
            repos_url: format!("{api}/repos"),
            events_url: format!("{api}/events"),
            hooks_url: format!("{api}/hooks"),
            issues_url: format!("{api}/issues"),
            members_url: format!("{api}/members{{/member}}"),
            public_members_url: format!("{api}/public_members{{/member}}"),
            url: api,
            avatar_url: config.url(&format!("/avatars/{}", a.login)),
            description: None,
            name: a.name.clone(),
            company: None,
            blog: "",
            location: None,
            email: a.email.clone(),
            is_verified: false,
            has_organization_projects: false,
            has_repository_projects: false,
            public_repos: 0,
            public_gists: 0,
            followers: 0,
            following: 0,
            html_url: config.url(&format!("/{}", a.login)),
            created_at: iso(&a.created_at),
            updated_at: iso(&a.updated_at),
            archived_at: None,
            kind: "Organization",
        }
    }
}

/// The document at `/api/v3`: where the other resources are.
#[derive(Debug, Serialize)]
#[expect(clippy::struct_field_names, reason = "GitHub's field names")]
pub struct Root {
    pub current_user_url: String,
    pub user_url: String,
    pub organization_url: String,
    pub user_packages_url: String,
}

impl Root {
    pub fn new(config: &HttpConfig) -> Self {
        Root {
            current_user_url: config.url("/api/v3/user"),
            user_url: config.url("/api/v3/users/{user}"),
            organization_url: config.url("/api/v3/orgs/{org}"),
            user_packages_url: config.url("/api/v3/user/packages"),
        }
    }
}

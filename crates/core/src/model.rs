//! The registry's nouns: accounts, repositories, packages, versions, files,
//! tags and tokens. Plain data; the rules over them live in `authz`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::scope::Scopes;

pub type Timestamp = DateTime<Utc>;

/// Database identifiers are stable integers, as GitHub's are.
pub type Id = i64;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue { kind: stringify!($name), value: other.to_owned() }),
                }
            }
        }
    };
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

string_enum! {
    /// Users and organizations share one namespace of logins, as on GitHub;
    /// so does each upstream registry Entrepot proxies, whose name is a
    /// reserved, read-only owner of the packages cached from it.
    AccountKind { User = "user", Organization = "organization", Upstream = "upstream" }
}

impl AccountKind {
    /// The path segment GitHub's URLs give such an owner (`/users/…`,
    /// `/orgs/…`). An upstream has no members and is shown like an
    /// organization.
    pub fn url_segment(self) -> &'static str {
        match self {
            AccountKind::User => "users",
            AccountKind::Organization | AccountKind::Upstream => "orgs",
        }
    }

    /// The `type` GitHub's REST API gives such an owner.
    pub fn github_type(self) -> &'static str {
        match self {
            AccountKind::User => "User",
            AccountKind::Organization | AccountKind::Upstream => "Organization",
        }
    }
}

string_enum! {
    Visibility { Public = "public", Private = "private", Internal = "internal" }
}

string_enum! {
    /// A role on a package or a permission on a repository. Ordered: each
    /// role includes the ones before it.
    Role { Read = "read", Write = "write", Admin = "admin" }
}

string_enum! {
    OrgRole { Member = "member", Owner = "owner" }
}

string_enum! {
    /// GitHub's `package_type`, plus the formats GitHub lacks.
    PackageType {
        Npm = "npm",
        Maven = "maven",
        Rubygems = "rubygems",
        Docker = "docker",
        Nuget = "nuget",
        Container = "container",
        Pypi = "pypi",
        Cargo = "cargo",
        Generic = "generic",
    }
}

/// How a registry decides permissions (REFERENCE §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistryKind {
    /// Packages belong to an account and carry their own visibility and roles.
    Granular,
    /// Packages live in a repository and take its visibility and permissions.
    RepositoryScoped,
}

impl PackageType {
    /// Maven (and Gradle) and the legacy Docker registry are repository-scoped,
    /// as on GitHub.com; every other registry is granular.
    pub fn registry_kind(self) -> RegistryKind {
        match self {
            PackageType::Maven | PackageType::Docker => RegistryKind::RepositoryScoped,
            _ => RegistryKind::Granular,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: Id,
    pub login: String,
    pub kind: AccountKind,
    pub name: Option<String>,
    pub email: Option<String>,
    /// When the email address was shown to be theirs (by a mailed link).
    pub email_verified_at: Option<Timestamp>,
    /// Whether their notifications also go to that address once verified.
    pub email_notifications: bool,
    pub site_admin: bool,
    /// When a site administrator suspended the user: their tokens and
    /// sessions stop working, their packages stay.
    pub suspended_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub id: Id,
    pub owner_id: Id,
    pub owner_login: String,
    pub name: String,
    pub visibility: Visibility,
    pub description: Option<String>,
    /// Where its code lives on a forge, for the pages of its packages.
    pub code_url: Option<String>,
    /// When it was archived: read-only since, with its packages.
    pub archived_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Repository {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner_login, self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub id: Id,
    pub owner_id: Id,
    pub owner_login: String,
    /// The owner is an upstream registry: the package is what was cached
    /// from it, under the name its clients know.
    #[serde(default)]
    pub owner_is_upstream: bool,
    pub package_type: PackageType,
    pub name: String,
    pub visibility: Visibility,
    pub repository_id: Option<Id>,
    /// Whether access is inherited from the connected repository.
    pub inherit_access: bool,
    pub description: Option<String>,
    pub readme: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub id: Id,
    pub package_id: Id,
    pub name: String,
    /// Format-specific metadata; the format adapter owns its shape.
    pub metadata: serde_json::Value,
    pub publisher_id: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// A file of a version. Its bytes live in the blob store under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFile {
    pub id: Id,
    pub version_id: Id,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    /// Other digests a client checks (sha512 for npm, sha1/md5 for Maven).
    pub digests: Digests,
    pub content_type: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digests {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha512: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub md5: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub package_id: Id,
    pub name: String,
    pub version_id: Id,
    pub updated_at: Timestamp,
}

/// A personal access token as stored: never the secret, only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: Id,
    pub user_id: Id,
    /// The first characters of the secret, shown in lists to tell tokens apart.
    pub prefix: String,
    pub scopes: Scopes,
    pub note: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// Minted by trusted publishing: what it may do, and for which run.
    pub bound_to: Option<crate::trusted::Grant>,
}

impl TokenRecord {
    pub fn is_usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// One entry of the audit log: who did what to which package, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: Id,
    pub actor_id: Option<Id>,
    pub action: String,
    pub package_id: Option<Id>,
    pub version_id: Option<Id>,
    pub detail: Option<String>,
    pub at: Timestamp,
}

string_enum! {
    /// An advisory's ecosystem, named as GitHub names them
    /// (`security-advisory-ecosystems`).
    Ecosystem {
        Npm = "npm",
        Maven = "maven",
        Rubygems = "rubygems",
        Nuget = "nuget",
        Pip = "pip",
        Rust = "rust",
    }
}

impl Ecosystem {
    /// The ecosystem a package's advisories belong to; containers have none.
    pub fn of(package_type: PackageType) -> Option<Ecosystem> {
        match package_type {
            PackageType::Npm => Some(Ecosystem::Npm),
            PackageType::Maven => Some(Ecosystem::Maven),
            PackageType::Rubygems => Some(Ecosystem::Rubygems),
            PackageType::Nuget => Some(Ecosystem::Nuget),
            PackageType::Pypi => Some(Ecosystem::Pip),
            PackageType::Cargo => Some(Ecosystem::Rust),
            PackageType::Docker | PackageType::Container | PackageType::Generic => None,
        }
    }

    /// The packages here of this ecosystem.
    pub fn package_type(self) -> PackageType {
        match self {
            Ecosystem::Npm => PackageType::Npm,
            Ecosystem::Maven => PackageType::Maven,
            Ecosystem::Rubygems => PackageType::Rubygems,
            Ecosystem::Nuget => PackageType::Nuget,
            Ecosystem::Pip => PackageType::Pypi,
            Ecosystem::Rust => PackageType::Cargo,
        }
    }
}

string_enum! {
    /// How a dependency is used, as the formats say it: npm's four maps,
    /// Maven's scopes, gem and Cargo kinds (`dependency.rs`).
    DependencyKind {
        Runtime = "runtime",
        Development = "development",
        Optional = "optional",
        Peer = "peer",
        Build = "build",
    }
}

string_enum! {
    /// Where a dependency alert is, as GitHub's Dependabot alerts are.
    AlertState {
        Open = "open",
        Dismissed = "dismissed",
        Fixed = "fixed",
        AutoDismissed = "auto_dismissed",
    }
}

string_enum! {
    /// Why someone dismissed an alert, in GitHub's words.
    DismissedReason {
        FixStarted = "fix_started",
        Inaccurate = "inaccurate",
        NoBandwidth = "no_bandwidth",
        NotUsed = "not_used",
        TolerableRisk = "tolerable_risk",
    }
}

string_enum! {
    /// An advisory's severity, as GitHub grades them.
    Severity { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
}

string_enum! {
    /// Where an advisory is in its review: drafted by the package's admins,
    /// published by a site administrator, withdrawn by one.
    AdvisoryState { Draft = "draft", Published = "published", Withdrawn = "withdrawn" }
}

string_enum! {
    /// How a webhook's payload is sent: a JSON body, or a form whose one
    /// field `payload` holds the JSON (GitHub's two content types).
    HookContentType { Json = "json", Form = "form" }
}

string_enum! {
    /// Where a delivery is: waiting for its (next) attempt, answered with a
    /// 2xx, or given up on after the last attempt.
    DeliveryState { Pending = "pending", Delivered = "delivered", Failed = "failed" }
}

/// A registry Entrepot proxies and caches. Its name is an account of kind
/// `Upstream`: a reserved owner under which what was cached from it appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub account_id: Id,
    pub name: String,
    pub format: PackageType,
    /// The address a site administrator registered, trusted as given.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// How long fetched metadata is served before it is revalidated.
    pub metadata_ttl_seconds: i64,
    /// The format's default upstream (npm: names no local owner has).
    pub is_default: bool,
    pub created_at: Timestamp,
}

/// A credential kept to be sent, never shown: its `Debug` is redacted, so
/// it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

//! The metadata store contract, split by concern. Each method that changes
//! more than one row is one transaction, so no reader ever sees half of it.

use async_trait::async_trait;
use entrepot_core::{
    Account, AccountKind, Advisory, AdvisoryState, AuditEntry, Delivery, DeliveryState, Ecosystem,
    Hook, HookContentType, Id, Notification, OrgRole, Package, PackageFile, PackageType,
    Repository, Role, Scopes, Secret, Severity, Subscription, Tag, Timestamp, TokenRecord,
    Upstream, Version, Visibility,
};

use crate::StoreResult;

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub login: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub site_admin: bool,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `Conflict` when the login is taken by a user or an
    /// organization (one namespace, case-insensitively, as on GitHub).
    async fn create_user(&self, user: NewUser) -> StoreResult<Account>;
    /// Creates the organization with `owner` as its first owner.
    async fn create_org(&self, login: &str, owner: Id) -> StoreResult<Account>;
    async fn set_org_member(&self, org: Id, user: Id, role: OrgRole) -> StoreResult<()>;
    async fn org_role(&self, org: Id, user: Id) -> StoreResult<Option<OrgRole>>;
    /// Every member of an organization with their role, by user id.
    async fn org_members(&self, org: Id) -> StoreResult<Vec<(Id, OrgRole)>>;
    /// The accounts using the most storage: what their live and deleted
    /// packages' files and image layers add up to (before the blob store
    /// shares identical content), at most `limit`, largest first.
    async fn storage_by_owner(&self, limit: u64) -> StoreResult<Vec<OwnerUsage>>;
    /// The organizations `user` belongs to with their role, by login.
    async fn user_orgs(&self, user: Id) -> StoreResult<Vec<(Account, OrgRole)>>;
    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>>;
    async fn account_by_id(&self, id: Id) -> StoreResult<Option<Account>>;
    /// The users with this email address (compared without case).
    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<Account>>;
    async fn password_hash(&self, user: Id) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, user: Id, hash: &str) -> StoreResult<()>;
    async fn count_users(&self) -> StoreResult<i64>;
    /// Suspends (`Some`) or reinstates (`None`) a user; `NotFound` when
    /// there is no such user.
    async fn set_suspended(&self, user: Id, at: Option<Timestamp>) -> StoreResult<()>;
    /// Makes a user a site administrator or not; `NotFound` when there is
    /// no such user.
    async fn set_site_admin(&self, user: Id, admin: bool) -> StoreResult<()>;
    /// Accounts of `kind` with an id above `since`, by id, at most `limit`.
    async fn list_accounts(
        &self,
        kind: AccountKind,
        since: Id,
        limit: u32,
    ) -> StoreResult<Vec<Account>>;
    /// What deleting an account would take with it.
    async fn account_footprint(&self, account: Id) -> StoreResult<Footprint>;
    /// Deletes an account and everything it owns (packages, repositories,
    /// tokens, sessions, memberships), and retires its login for good.
    async fn delete_account(&self, account: Id, at: Timestamp) -> StoreResult<()>;
    /// Removes a member; false when they were not one.
    async fn remove_org_member(&self, org: Id, user: Id) -> StoreResult<bool>;
    /// Changes a user's name or email (each `Some` is set, `Some(None)`
    /// clears it).
    async fn update_profile(
        &self,
        user: Id,
        name: Option<Option<String>>,
        email: Option<Option<String>>,
    ) -> StoreResult<()>;
    /// Keeps an email-verification link for `email` until `expires_at`.
    async fn create_email_verification(
        &self,
        hash: &str,
        user: Id,
        email: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Uses a verification link up: marks the address verified if it is
    /// still the user's, and answers whose it was.
    async fn verify_email(&self, hash: &str, now: Timestamp) -> StoreResult<Option<Id>>;
    /// Whether a user's notifications also go by mail.
    async fn set_email_notifications(&self, user: Id, on: bool) -> StoreResult<()>;
    /// Invites `user` into `org` with `role` (replacing a pending
    /// invitation's role).
    async fn invite_org_member(
        &self,
        org: Id,
        user: Id,
        role: OrgRole,
        inviter: Id,
        at: Timestamp,
    ) -> StoreResult<OrgInvitation>;
    /// Pending invitations: of `org` (`Some`) or to `user`, oldest first.
    async fn org_invitations(
        &self,
        org: Option<Id>,
        user: Option<Id>,
    ) -> StoreResult<Vec<OrgInvitation>>;
    /// Accepts `user`'s invitation into `org`: they become a member with
    /// its role, and the invitation goes, both or neither. `None`: there
    /// was none.
    async fn accept_org_invitation(&self, org: Id, user: Id) -> StoreResult<Option<OrgRole>>;
    /// Withdraws (or declines) an invitation; whether there was one.
    async fn delete_org_invitation(&self, org: Id, user: Id) -> StoreResult<bool>;
}

/// A pending invitation into an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgInvitation {
    pub id: Id,
    pub org_id: Id,
    pub user_id: Id,
    pub role: OrgRole,
    pub inviter_id: Option<Id>,
    pub created_at: Timestamp,
}

/// What an account owns, counted before it is deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footprint {
    pub packages: u64,
    pub versions: u64,
    pub repositories: u64,
    /// Organizations where the account is the only owner.
    pub sole_owner_of: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct NewRepository {
    pub owner_id: Id,
    pub name: String,
    pub visibility: Visibility,
    pub description: Option<String>,
    pub code_url: Option<String>,
}

/// Changes to a repository: each field set is changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepositoryChanges {
    pub visibility: Option<Visibility>,
    pub description: Option<Option<String>>,
    pub code_url: Option<Option<String>>,
    /// Archive (true) or unarchive (false).
    pub archived: Option<bool>,
}

#[async_trait]
pub trait RepositoryStore: Send + Sync {
    async fn create_repository(&self, repo: NewRepository) -> StoreResult<Repository>;
    async fn repository(&self, owner: Id, name: &str) -> StoreResult<Option<Repository>>;
    async fn repository_by_id(&self, id: Id) -> StoreResult<Option<Repository>>;
    async fn set_collaborator(&self, repo: Id, user: Id, role: Role) -> StoreResult<()>;
    async fn collaborator_role(&self, repo: Id, user: Id) -> StoreResult<Option<Role>>;
    /// Every repository, or an owner's, by owner and name.
    async fn list_repositories(&self, owner: Option<Id>) -> StoreResult<Vec<Repository>>;
    /// Deletes a repository; its packages stay, connected to none. Answers
    /// how many packages were connected to it.
    async fn delete_repository(&self, id: Id) -> StoreResult<u64>;
    /// Applies `changes`; `NotFound` when there is no such repository.
    async fn update_repository(&self, id: Id, changes: RepositoryChanges) -> StoreResult<()>;
    /// Every collaborator and their role, by user id.
    async fn collaborators(&self, repo: Id) -> StoreResult<Vec<(Id, Role)>>;
    /// Removes a collaborator; false when they were not one.
    async fn remove_collaborator(&self, repo: Id, user: Id) -> StoreResult<bool>;
}

#[derive(Debug, Clone)]
pub struct NewTokenRecord {
    pub user_id: Id,
    pub hash: String,
    pub prefix: String,
    pub scopes: Scopes,
    pub note: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub bound_to: Option<entrepot_core::trusted::Grant>,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn create_token(&self, token: NewTokenRecord) -> StoreResult<TokenRecord>;
    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(TokenRecord, String)>>;
    async fn token_by_id(&self, id: Id) -> StoreResult<Option<TokenRecord>>;
    async fn list_tokens(&self, user: Id) -> StoreResult<Vec<TokenRecord>>;
    /// Returns false when no such unrevoked token existed.
    async fn revoke_token(&self, id: Id, at: Timestamp) -> StoreResult<bool>;
    async fn touch_token(&self, id: Id, at: Timestamp) -> StoreResult<()>;
}

#[derive(Debug, Clone)]
pub struct NewPackage {
    pub owner_id: Id,
    pub package_type: PackageType,
    pub name: String,
    pub visibility: Visibility,
    pub repository_id: Option<Id>,
    pub inherit_access: bool,
    pub description: Option<String>,
    pub readme: Option<String>,
}

/// A file of a version being published; its blob is already stored.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub digests: entrepot_core::Digests,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewVersion {
    pub package_id: Id,
    pub name: String,
    pub metadata: serde_json::Value,
    pub publisher_id: Option<Id>,
    pub files: Vec<NewFile>,
    /// Tags to point at the new version in the same transaction.
    pub tags: Vec<String>,
    pub at: Timestamp,
}

/// What a package's editable fields change to; `None` leaves one alone.
#[derive(Debug, Clone, Default)]
pub struct PackageUpdate {
    pub visibility: Option<Visibility>,
    pub repository_id: Option<Option<Id>>,
    pub inherit_access: Option<bool>,
    pub description: Option<Option<String>>,
    pub readme: Option<Option<String>>,
    /// Words search finds the package by, space-separated (the newest
    /// version's keywords).
    pub keywords: Option<Option<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PackageFilter {
    pub owner_id: Option<Id>,
    pub package_type: Option<PackageType>,
    pub repository_id: Option<Id>,
    pub visibility: Option<Visibility>,
    pub include_deleted: bool,
    /// Deleted packages only (an owner's page offers them for restore).
    pub only_deleted: bool,
    /// A page of the list, in id order: skip `offset`, return at most `limit`.
    pub offset: Option<u64>,
    pub limit: Option<u64>,
}

/// A search of the packages one caller may read: words found in names,
/// descriptions and READMEs (none lists them all), narrowed by owner,
/// repository, type and visibility, ordered, and paged in SQL.
#[derive(Debug, Clone, Default)]
pub struct PackageSearch {
    pub text: String,
    pub owner_id: Option<Id>,
    pub repository_id: Option<Id>,
    pub package_type: Option<PackageType>,
    /// The visibility a reader meets: a repository-scoped package's is its
    /// repository's.
    pub visibility: Option<Visibility>,
    pub readable: entrepot_core::ReadScope,
    pub order: SearchOrder,
    pub offset: u64,
    pub limit: u64,
}

/// Matches of one kind (an exact name, a name that contains the text, an
/// owner, the words) a search by words across owners reads at most, the
/// newest first: what bounds its time however many packages match.
pub const SEARCH_READS: usize = 1000;

/// How a search orders what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchOrder {
    /// Best match first (by name, then description, then README); the
    /// most recently updated first without words.
    #[default]
    Relevance,
    Updated,
    Downloads,
    Name,
    /// Oldest first, as created (the REST listing's order).
    Created,
}

/// One page of a search, and how many matched in all.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    /// How many matched in all, or, with `at_least`, how many at least.
    pub total: u64,
    /// A search by words across owners reads matches only as far as its
    /// page needs (one more tells there are more), and at most
    /// [`SEARCH_READS`] of each kind: then `total` is a lower bound.
    pub at_least: bool,
    pub found: Vec<Found>,
}

/// A package a search found, with what its row on a list shows.
#[derive(Debug, Clone)]
pub struct Found {
    pub package: Package,
    /// As a reader meets it (see [`PackageSearch::visibility`]).
    pub visibility: Visibility,
    pub downloads: i64,
}

#[async_trait]
pub trait PackageStore: Send + Sync {
    /// Fails with `Conflict` when a live package of that owner, type and name exists.
    async fn create_package(&self, package: NewPackage) -> StoreResult<Package>;
    /// The live package, or with `include_deleted` the newest deleted one.
    async fn package(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        include_deleted: bool,
    ) -> StoreResult<Option<Package>>;
    async fn package_by_id(&self, id: Id) -> StoreResult<Option<Package>>;
    async fn list_packages(&self, filter: PackageFilter) -> StoreResult<Vec<Package>>;
    /// How many packages match (`offset` and `limit` ignored).
    async fn count_packages(&self, filter: PackageFilter) -> StoreResult<u64>;
    /// The live packages `search.readable` may read that match `search`.
    async fn search_packages(&self, search: PackageSearch) -> StoreResult<SearchPage>;
    async fn update_package(
        &self,
        id: Id,
        update: PackageUpdate,
        at: Timestamp,
    ) -> StoreResult<Package>;
    async fn set_package_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()>;
    async fn set_package_role(&self, package: Id, user: Id, role: Option<Role>) -> StoreResult<()>;
    async fn package_role(&self, package: Id, user: Id) -> StoreResult<Option<Role>>;
    /// Every explicit grant on a package, by user id.
    async fn package_roles(&self, package: Id) -> StoreResult<Vec<(Id, Role)>>;

    /// Inserts the version, its files and tags in one transaction. Fails with
    /// `Conflict` when the version name exists, deleted or not.
    async fn publish_version(&self, version: NewVersion) -> StoreResult<Version>;
    async fn version(&self, package: Id, name: &str) -> StoreResult<Option<Version>>;
    async fn version_by_id(&self, id: Id) -> StoreResult<Option<Version>>;
    async fn versions(&self, package: Id, include_deleted: bool) -> StoreResult<Vec<Version>>;
    /// `limit` of `package`'s live versions from `offset`, newest first
    /// (as published), and how many live versions it has.
    async fn versions_page(
        &self,
        package: Id,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<Version>, u64)>;
    /// Deletes a live version (`Some`) or restores a deleted one (`None`);
    /// `NotFound` when the version is missing or already in that state, so
    /// that of racing callers exactly one succeeds.
    async fn set_version_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()>;
    /// Deletes a live version unless it is the last live version of its
    /// package (`Invalid`), atomically: racing deletes of the last versions
    /// leave one. `NotFound` when missing or already deleted.
    async fn delete_version_keeping_one(&self, id: Id, at: Timestamp) -> StoreResult<()>;
    async fn update_version_metadata(
        &self,
        id: Id,
        metadata: serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Removes a version and its files for good (a private package's name
    /// may be reused after all of it is deleted).
    async fn purge_version(&self, id: Id) -> StoreResult<()>;
    async fn files(&self, version: Id) -> StoreResult<Vec<PackageFile>>;
    /// Adds a file to a live version (formats that upload a version file
    /// by file, such as Maven). `Conflict` when the name is taken.
    async fn add_file(&self, version: Id, file: NewFile, at: Timestamp)
    -> StoreResult<PackageFile>;
    /// Removes files from a version (old SNAPSHOT builds); their blobs are
    /// left to the collector.
    async fn remove_files(&self, version: Id, names: &[String]) -> StoreResult<u64>;
    /// Every file of every version of a package, in one query.
    async fn package_files(&self, package: Id) -> StoreResult<Vec<PackageFile>>;
    /// The file named `name` of any version of a package, if there is one.
    async fn package_file(&self, package: Id, name: &str) -> StoreResult<Option<PackageFile>>;
    /// Packages deleted before `cutoff`, for the purge job.
    async fn expired_packages(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>>;
    /// Versions deleted before `cutoff` (of live packages), for the purge job.
    async fn expired_versions(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>>;
    /// Removes a package with its versions, files, tags and counts for good.
    async fn purge_package(&self, id: Id) -> StoreResult<()>;
    /// Whether anything references this blob: a file of a version, a
    /// repository's blob link, or a part of an open upload.
    async fn blob_referenced(&self, sha256: &str) -> StoreResult<bool>;

    async fn set_tag(&self, package: Id, name: &str, version: Id, at: Timestamp)
    -> StoreResult<()>;
    async fn remove_tag(&self, package: Id, name: &str) -> StoreResult<bool>;
    async fn tags(&self, package: Id) -> StoreResult<Vec<Tag>>;
    /// `package`'s tags with the names of their (live) versions, by tag
    /// name: one query, however many tags a container has.
    async fn tagged_versions(&self, package: Id) -> StoreResult<Vec<(String, String)>>;
}

/// Downloads of one version on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadDay {
    pub version_id: Id,
    pub day: chrono::NaiveDate,
    pub count: i64,
}

/// A package's downloads, summed in SQL (`ActivityStore::download_summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadSummary {
    pub total: i64,
    /// By version, for the versions asked about that were downloaded.
    pub by_version: Vec<(Id, i64)>,
    /// By day, oldest first, for the days with downloads.
    pub by_day: Vec<(chrono::NaiveDate, i64)>,
}

/// What a list shows of a package beside its row: counted in SQL for a
/// whole page at once (`ActivityStore::package_totals`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackageTotals {
    /// Live versions.
    pub versions: u64,
    /// Downloads of every version, deleted ones too, over every day.
    pub downloads: i64,
}

#[async_trait]
pub trait ActivityStore: Send + Sync {
    /// Adds `count` downloads of `version` on `day`; nothing if the version
    /// is gone (purged since it was downloaded).
    async fn record_downloads(
        &self,
        version: Id,
        day: chrono::NaiveDate,
        count: i64,
    ) -> StoreResult<()>;
    /// Adds each of `counts` (version, day, count) as `record_downloads`
    /// does, in one transaction where that cannot deadlock (SQLite), else
    /// one at a time; how many of the first were written, and the error
    /// that stopped the rest.
    async fn record_many_downloads(
        &self,
        counts: &[(Id, chrono::NaiveDate, i64)],
    ) -> (usize, StoreResult<()>);
    async fn downloads(&self, package: Id) -> StoreResult<Vec<DownloadDay>>;
    /// `package`'s downloads summed: in all, by day from `since` on, and
    /// for each of `versions` (a page's) downloaded at all.
    async fn download_summary(
        &self,
        package: Id,
        since: chrono::NaiveDate,
        versions: &[Id],
    ) -> StoreResult<DownloadSummary>;
    /// The totals of each of `packages` that exists, in one statement per
    /// 500 (a page of a list), however many versions and days they have.
    async fn package_totals(
        &self,
        packages: &[Id],
    ) -> StoreResult<std::collections::HashMap<Id, PackageTotals>>;
    async fn audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    async fn audit_log(&self, package: Id) -> StoreResult<Vec<AuditEntry>>;
    /// One version's entries of `action`, oldest first.
    async fn version_audit(&self, version: Id, action: &str) -> StoreResult<Vec<AuditEntry>>;
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub actor_id: Option<Id>,
    pub action: String,
    pub package_id: Option<Id>,
    pub version_id: Option<Id>,
    pub detail: Option<String>,
    pub at: Timestamp,
}

/// A resumable upload: its parts are blobs already stored, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadSession {
    pub id: String,
    pub owner_id: Id,
    pub repository: String,
    /// `(sha256, size)` of each part, in order.
    pub parts: Vec<(String, u64)>,
    pub size: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A blob a repository holds outside any version (OCI pushes blobs before
/// the manifest that names them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobLink {
    pub owner_id: Id,
    pub package_type: PackageType,
    pub repository: String,
    /// The digest clients name it by (`sha256:…` or `sha512:…`).
    pub digest: String,
    /// Its key in the blob store.
    pub sha256: String,
    pub size: u64,
}

/// Upload sessions and blob links: what protocols with resumable uploads
/// keep in the shared store, so any node can continue another's work.
#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn create_upload(
        &self,
        id: &str,
        owner: Id,
        repository: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn upload(&self, id: &str) -> StoreResult<Option<UploadSession>>;
    /// Appends a part if the session is still `expected_size` long (two
    /// racing appends cannot both win); false otherwise.
    async fn append_upload_part(
        &self,
        id: &str,
        expected_size: u64,
        sha256: &str,
        size: u64,
        at: Timestamp,
    ) -> StoreResult<bool>;
    async fn delete_upload(&self, id: &str) -> StoreResult<bool>;
    /// Sessions untouched since `cutoff`, for the collector.
    async fn stale_uploads(&self, cutoff: Timestamp) -> StoreResult<Vec<String>>;

    /// Links a blob (again); the link's time is refreshed, so a blob being
    /// pushed anew is never collected under the push.
    async fn link_blob(&self, link: &BlobLink, at: Timestamp) -> StoreResult<()>;
    async fn blob_link(
        &self,
        owner: Id,
        package_type: PackageType,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<BlobLink>>;
    async fn unlink_blob(
        &self,
        owner: Id,
        package_type: PackageType,
        repository: &str,
        digest: &str,
    ) -> StoreResult<bool>;
    /// Every repository that holds `digest`.
    async fn links_of(&self, digest: &str) -> StoreResult<Vec<BlobLink>>;
    /// Links of one package type made before `cutoff`, for the collector.
    async fn links_before(
        &self,
        package_type: PackageType,
        cutoff: Timestamp,
    ) -> StoreResult<Vec<BlobLink>>;

    /// The value of an instance setting, creating it with `initial` if
    /// absent; every node gets the same value.
    async fn setting_or_init(&self, name: &str, initial: &str) -> StoreResult<String>;
    /// The value of an instance setting, if set.
    async fn setting(&self, name: &str) -> StoreResult<Option<String>>;
    /// Sets an instance setting, or (with `None`) forgets it.
    async fn set_setting(&self, name: &str, value: Option<&str>) -> StoreResult<()>;
}

/// Claims on background jobs, so that each runs once per period however
/// many nodes share the store.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Claims `name` for `node` until `until`, if no claim is in force at
    /// `now`; true when this caller won.
    async fn claim_job(
        &self,
        name: &str,
        node: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// The simplest query, for the round trip `/metrics` reports.
    async fn ping(&self) -> StoreResult<()>;

    /// How the connection pools are used, for `/metrics`.
    fn pools(&self) -> Vec<PoolUse>;
}

/// One connection pool's use: open connections, idle ones, the most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// `writer` and `reader` (SQLite), or `shared` (PostgreSQL).
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// A signed-in browser: whose session it is and the token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub user_id: Id,
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Web sign-in state, kept in the shared store so that any node serves any
/// browser and a sign-out is seen everywhere at once.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a session under the hash of its cookie secret.
    async fn create_session(&self, hash: &str, session: &WebSession) -> StoreResult<()>;
    /// The session with this hash, unless it has expired by `now`.
    async fn session(&self, hash: &str, now: Timestamp) -> StoreResult<Option<WebSession>>;
    async fn delete_session(&self, hash: &str) -> StoreResult<()>;
    /// A user's sessions that have not expired by `now`, newest first,
    /// each with its hash.
    async fn user_sessions(
        &self,
        user: Id,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, WebSession)>>;
    /// Ends every session of a user but `keep` (a hash); how many ended.
    async fn delete_user_sessions(&self, user: Id, keep: Option<&str>) -> StoreResult<u64>;
    /// Keeps a password-reset link (by the hash of its secret) until
    /// `expires_at`.
    async fn create_password_reset(
        &self,
        hash: &str,
        user: Id,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Uses a reset link up: its user, if it existed and had not expired
    /// by `now`. A link is taken at most once, however many ask at once.
    async fn take_password_reset(&self, hash: &str, now: Timestamp) -> StoreResult<Option<Id>>;
    /// Forgets expired sessions, and throttle windows that began before
    /// `windows_before`.
    async fn prune_sessions(&self, now: Timestamp, windows_before: Timestamp) -> StoreResult<u64>;
    /// Counts one password attempt against `key` and returns the attempts
    /// of its window, this one included. A window begins at the first
    /// attempt after the last one began before `window_after`. Atomic: of
    /// concurrent attempts, on any node, each gets its own count.
    async fn count_attempt(
        &self,
        key: &str,
        now: Timestamp,
        window_after: Timestamp,
    ) -> StoreResult<Throttle>;
    /// Takes one attempt back (one that succeeded, on a key that keeps
    /// counting failures only).
    async fn forgive_attempt(&self, key: &str) -> StoreResult<()>;
    /// Forgets every attempt against `key`; whether there were any.
    async fn clear_attempts(&self, key: &str) -> StoreResult<bool>;
    /// The keys with at least `at_least` attempts in a window that began
    /// after `window_after`, most attempts first.
    async fn throttled_keys(
        &self,
        window_after: Timestamp,
        at_least: i64,
    ) -> StoreResult<Vec<(String, Throttle)>>;
}

/// Identities at external providers linked to accounts.
#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// The account `subject` of `provider` is linked to, noting the
    /// sign-in at `at`.
    async fn sign_in_identity(
        &self,
        provider: &str,
        subject: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Id>>;
    /// Links `subject` of `provider` to `user`. `Conflict` when the subject
    /// is linked already, or the user has an identity there.
    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user: Id,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Creates a user and links `subject` of `provider` to it, both or
    /// neither (`Conflict` as `create_user` and `link_identity` say). Its
    /// email, if any, counts as verified: the provider vouched for it.
    async fn create_linked_user(
        &self,
        user: NewUser,
        provider: &str,
        subject: &str,
    ) -> StoreResult<Account>;
    /// A user's identities, by provider name.
    async fn identities(&self, user: Id) -> StoreResult<Vec<ExternalIdentity>>;
    /// Unlinks a user's identity at `provider`; whether there was one.
    async fn unlink_identity(&self, provider: &str, user: Id) -> StoreResult<bool>;
}

/// Organizations' single sign-on: the provider each one enforces, its
/// members' identities there, and the browser sessions and tokens that
/// came through it.
#[async_trait]
pub trait SsoStore: Send + Sync {
    /// The provider `org` enforces, if any.
    async fn org_sso(&self, org: Id) -> StoreResult<Option<OrgSso>>;
    /// The organizations `user` is a member of that enforce a provider.
    async fn member_sso_orgs(&self, user: Id) -> StoreResult<Vec<OrgSso>>;
    /// Makes `org` enforce `provider`, or (with `None`) nothing; either way
    /// every identity, session and token that came through the former
    /// provider is forgotten.
    async fn set_org_sso(&self, org: Id, provider: Option<&str>, at: Timestamp) -> StoreResult<()>;
    /// Makes `org` sign on through the SAML identity provider `idp`
    /// (provider `saml`), keeping `kept` of what came through the former.
    async fn set_org_saml(
        &self,
        org: Id,
        idp: &SamlIdp,
        kept: SamlKept,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Notes that `org`'s identity provider's assertion `id` was used (it
    /// is remembered until `until`); false when it already was.
    async fn first_use_of_saml_assertion(
        &self,
        org: Id,
        id: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Links `user`'s identity `subject` in `org`. Linking the same pair
    /// again is fine; `Conflict` when the subject is another member's, or
    /// the member has another identity.
    async fn link_org_sso_identity(
        &self,
        org: Id,
        user: Id,
        subject: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn org_sso_identities(&self, org: Id) -> StoreResult<Vec<OrgSsoIdentity>>;
    /// Forgets `user`'s identity in `org`, with their sessions' sign-ons
    /// and their tokens' authorizations there; whether there was one.
    async fn revoke_org_sso_identity(&self, org: Id, user: Id) -> StoreResult<bool>;
    /// Notes that the session `session_hash` signed on to `org` until
    /// `until`.
    async fn open_org_sso_session(
        &self,
        session_hash: &str,
        org: Id,
        until: Timestamp,
    ) -> StoreResult<()>;
    async fn org_sso_session_active(
        &self,
        session_hash: &str,
        org: Id,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn authorize_token_for_org(&self, token: Id, org: Id, at: Timestamp) -> StoreResult<()>;
    /// Whether `token` may reach `org`'s resources.
    async fn token_authorized_for_org(&self, token: Id, org: Id) -> StoreResult<bool>;
    /// The organizations `token` is authorized for, with when.
    async fn token_sso_orgs(&self, token: Id) -> StoreResult<Vec<(Id, Timestamp)>>;
    /// The tokens authorized for `org`, with when.
    async fn org_sso_tokens(&self, org: Id) -> StoreResult<Vec<(Id, Timestamp)>>;
    async fn deauthorize_token_for_org(&self, token: Id, org: Id) -> StoreResult<bool>;
}

/// The provider an organization enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSso {
    pub org_id: Id,
    /// A configured sign-in provider's name, or `saml`.
    pub provider: String,
    /// The organization's own SAML identity provider (provider `saml`).
    pub saml: Option<SamlIdp>,
    pub created_at: Timestamp,
}

/// What an organization keeps when its SAML provider changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SamlKept {
    /// Another provider: its identities are other people's.
    Nothing,
    /// The same provider with other keys: who is who stands, but what was
    /// signed on with the old keys (sessions, token authorizations) goes,
    /// in case they leaked.
    Identities,
    /// The same provider and keys (its URL changed).
    Everything,
}

/// A SAML 2.0 identity provider, as an organization's owner enters it
/// (GitHub's three fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlIdp {
    /// Where browsers are sent with the authentication request.
    pub sso_url: String,
    /// Its entity ID, the `Issuer` of its responses.
    pub issuer: String,
    /// The PEM certificates its signatures are checked against (two while
    /// it rolls its key over).
    pub certificates: String,
}

/// A member's identity at their organization's provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSsoIdentity {
    pub org_id: Id,
    pub user_id: Id,
    pub subject: String,
    pub linked_at: Timestamp,
}

/// One account's storage (`AccountStore::storage_by_owner`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerUsage {
    pub account: Account,
    /// Live packages.
    pub packages: u64,
    pub bytes: u64,
}

/// An identity at an external provider, linked to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub provider: String,
    pub subject: String,
    pub user_id: Id,
    pub linked_at: Timestamp,
    pub last_sign_in_at: Option<Timestamp>,
}

/// A throttle key's current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub attempts: i64,
    pub window_start: Timestamp,
}

/// Which advisories a list returns; `None` (or empty) filters nothing.
#[derive(Debug, Clone, Default)]
pub struct AdvisoryFilter {
    pub package_id: Option<Id>,
    /// Any of these states.
    pub states: Vec<AdvisoryState>,
    pub ecosystem: Option<Ecosystem>,
    /// Advisories on packages of any of these names.
    pub package_names: Vec<String>,
    pub ghsa_id: Option<String>,
    pub cve_id: Option<String>,
    pub severity: Option<Severity>,
}

/// Security advisories, one package each. The service fills every field
/// (the GHSA id, the times); the store keeps them as given.
#[async_trait]
pub trait AdvisoryStore: Send + Sync {
    /// Stores a new advisory (its `id` is ignored and assigned). Fails with
    /// `Conflict` when the GHSA id is taken.
    async fn create_advisory(&self, advisory: &Advisory) -> StoreResult<Advisory>;
    /// Replaces every field of the advisory with this GHSA id but its id,
    /// package and creation time. `NotFound` if there is none.
    async fn update_advisory(&self, advisory: &Advisory) -> StoreResult<Advisory>;
    /// By GHSA id, case-insensitively (`ghsa-…` finds `GHSA-…`).
    async fn advisory(&self, ghsa_id: &str) -> StoreResult<Option<Advisory>>;
    /// Matching advisories, newest first.
    async fn list_advisories(&self, filter: &AdvisoryFilter) -> StoreResult<Vec<Advisory>>;
}

/// A hook to create; the store assigns its id.
#[derive(Debug, Clone)]
pub struct NewHook {
    pub owner_id: Id,
    pub package_id: Option<Id>,
    pub url: String,
    pub secret: Option<String>,
    pub content_type: HookContentType,
    pub events: Vec<String>,
    pub active: bool,
    pub insecure_ssl: bool,
    pub at: Timestamp,
}

/// A delivery to enqueue, due at once.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub guid: String,
    pub hook_id: Id,
    pub event: String,
    pub action: Option<String>,
    pub payload: String,
    pub redelivery: bool,
    pub at: Timestamp,
}

/// What one attempt at a delivery came to.
#[derive(Debug, Clone)]
pub struct DeliveryAttempt {
    /// `Pending` with `next_attempt_at` for a retry; `Delivered` or `Failed` for good.
    pub state: DeliveryState,
    pub next_attempt_at: Option<Timestamp>,
    pub status_code: Option<u16>,
    pub status: String,
    pub duration_ms: u64,
    pub at: Timestamp,
    pub request_headers: serde_json::Value,
    pub response_headers: Option<serde_json::Value>,
    pub response_body: Option<String>,
}

/// A notification to write.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub user_id: Id,
    pub reason: String,
    pub title: String,
    pub url: String,
    pub package_id: Option<Id>,
    pub ghsa_id: Option<String>,
    pub at: Timestamp,
}

/// Webhooks with their delivery log, subscriptions and notifications. The
/// delivery log is the queue: any node may claim what is due.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_hook(&self, hook: NewHook) -> StoreResult<Hook>;
    async fn hook(&self, id: Id) -> StoreResult<Option<Hook>>;
    /// The hooks of exactly this scope: the owner's own (`package: None`)
    /// or one package's, oldest first.
    async fn hooks(&self, owner: Id, package: Option<Id>) -> StoreResult<Vec<Hook>>;
    /// Replaces the editable fields (url, secret, content type, events,
    /// active, insecure SSL, `updated_at`). `NotFound` if there is none.
    async fn update_hook(&self, hook: &Hook) -> StoreResult<Hook>;
    /// Removes a hook and its delivery log; false if there was none.
    async fn delete_hook(&self, id: Id) -> StoreResult<bool>;

    /// Enqueues deliveries in one transaction, due at their time.
    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> StoreResult<Vec<Delivery>>;
    async fn delivery(&self, id: Id) -> StoreResult<Option<Delivery>>;
    /// A hook's deliveries, newest first, at most `limit`.
    async fn deliveries(&self, hook: Id, limit: u64) -> StoreResult<Vec<Delivery>>;
    /// Claims up to `limit` pending deliveries due at `now`, moving each
    /// one's `next_attempt_at` to `lease_until`. A row is claimed only if
    /// it still has the due time read, so two nodes never both take it; a
    /// node that dies mid-attempt leaves it to be claimed again after the lease.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<Delivery>>;
    /// Records an attempt (adding one to `attempts`) and what comes next.
    async fn record_attempt(&self, id: Id, attempt: &DeliveryAttempt) -> StoreResult<()>;
    /// The earliest due time of a pending delivery, so the worker knows how long to sleep.
    async fn next_delivery_due(&self) -> StoreResult<Option<Timestamp>>;
    /// How many deliveries wait to be sent (or sent again).
    async fn pending_deliveries(&self) -> StoreResult<u64>;

    /// `Conflict` when the account already has that subscription.
    async fn subscribe(
        &self,
        account: Id,
        package: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<Subscription>;
    async fn subscription(&self, id: Id) -> StoreResult<Option<Subscription>>;
    /// An account's subscriptions, oldest first.
    async fn subscriptions(&self, account: Id) -> StoreResult<Vec<Subscription>>;
    /// Subscriptions that cover `package`: to it, or to everything.
    async fn subscriptions_covering(&self, package: Id) -> StoreResult<Vec<Subscription>>;
    async fn unsubscribe(&self, id: Id) -> StoreResult<bool>;

    async fn create_notifications(&self, notifications: &[NewNotification]) -> StoreResult<()>;
    /// A user's notifications, unread first, then newest first.
    async fn notifications(
        &self,
        user: Id,
        unread_only: bool,
        limit: u64,
    ) -> StoreResult<Vec<Notification>>;
    /// False if the user has no such notification.
    async fn mark_notification_read(&self, user: Id, id: Id, at: Timestamp) -> StoreResult<bool>;
    /// How many were unread.
    async fn mark_all_notifications_read(&self, user: Id, at: Timestamp) -> StoreResult<u64>;
}

#[derive(Debug, Clone)]
pub struct NewUpstream {
    pub name: String,
    pub format: PackageType,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub metadata_ttl_seconds: i64,
    pub is_default: bool,
}

/// Where an owner's index falls through to: the upstream's account, and
/// the patterns (globs such as `acme-*`) of names that never come from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallthrough {
    pub upstream: Id,
    pub reserved: Vec<String>,
}

/// A document as an upstream sent it, with what revalidates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamDocument {
    pub body: String,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub fetched_at: Timestamp,
}

#[async_trait]
pub trait UpstreamStore: Send + Sync {
    /// Creates the upstream and its reserved owner account in one
    /// transaction. `Conflict` when any account has the name. A new default
    /// takes the place of the format's previous one.
    async fn create_upstream(&self, upstream: NewUpstream) -> StoreResult<Upstream>;
    /// Every upstream, by name.
    async fn upstreams(&self) -> StoreResult<Vec<Upstream>>;
    /// The upstream named `name`, case-insensitively.
    async fn upstream(&self, name: &str) -> StoreResult<Option<Upstream>>;
    /// Removes the upstream, its owner account and everything cached under
    /// it (the blobs are left to the collector); false when there was none.
    async fn remove_upstream(&self, account: Id) -> StoreResult<bool>;
    /// The cached document at `path` of the upstream whose account is
    /// `upstream`.
    async fn upstream_document(
        &self,
        upstream: Id,
        path: &str,
    ) -> StoreResult<Option<UpstreamDocument>>;
    /// When the cached document at `path` was fetched (or revalidated),
    /// without reading it.
    async fn upstream_document_fetched_at(
        &self,
        upstream: Id,
        path: &str,
    ) -> StoreResult<Option<Timestamp>>;
    /// Keeps (or replaces) a document fetched from an upstream.
    async fn put_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        document: &UpstreamDocument,
    ) -> StoreResult<()>;
    /// Marks a cached document as revalidated at `at` (the upstream
    /// answered 304).
    async fn touch_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Reserves `name` for the upstream whose account is `upstream` (a
    /// name served from it, such as an npm scope): no account may take it
    /// until it is released. Keeps an existing reservation.
    async fn reserve_name(&self, name: &str, upstream: Id, at: Timestamp) -> StoreResult<()>;
    /// The account of the upstream that reserved `name`, if any
    /// (case-insensitively).
    async fn reservation(&self, name: &str) -> StoreResult<Option<Id>>;
    /// Lifts the reservation of `name`; false when there was none.
    async fn release_name(&self, name: &str) -> StoreResult<bool>;
    /// Makes `owner`'s index of `format` fall through as `fallthrough`
    /// says, for names the owner does not have; `None` turns it off.
    async fn set_fallthrough(
        &self,
        owner: Id,
        format: PackageType,
        fallthrough: Option<&Fallthrough>,
    ) -> StoreResult<()>;
    /// Where `owner`'s index of `format` falls through to, if anywhere.
    async fn fallthrough(&self, owner: Id, format: PackageType)
    -> StoreResult<Option<Fallthrough>>;
    /// The names of `owner`'s packages of `format` purged for good.
    async fn purged_names(&self, owner: Id, format: PackageType) -> StoreResult<Vec<String>>;
    /// Keeps `name` (as the format normalises it) for the upstream whose
    /// account is `upstream`, in `owner`'s index of `format`: it was served
    /// from there, so `create_package` refuses a local package of that name
    /// until it is released. Keeps an existing reservation.
    async fn reserve_owner_name(
        &self,
        owner: Id,
        format: PackageType,
        name: &str,
        upstream: Id,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Lifts that reservation; false when there was none.
    async fn release_owner_name(
        &self,
        owner: Id,
        format: PackageType,
        name: &str,
    ) -> StoreResult<bool>;
    /// Every version of a package cached from an upstream, with its size
    /// and when it was last used: the cache housekeeping's candidates.
    async fn cached_versions(&self) -> StoreResult<Vec<CachedVersion>>;
    /// Documents fetched (or revalidated) before `before`.
    async fn old_upstream_documents(
        &self,
        before: Timestamp,
    ) -> StoreResult<Vec<(Id, String, u64)>>;
    /// Drops a cached document unless it was fetched again since `before`;
    /// true when it was dropped.
    async fn drop_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        before: Timestamp,
    ) -> StoreResult<bool>;
}

/// A version cached from an upstream, as the housekeeping sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedVersion {
    pub version_id: Id,
    pub package_id: Id,
    pub upstream: String,
    pub package_type: PackageType,
    pub package: String,
    pub version: String,
    /// The bytes of its files.
    pub bytes: u64,
    /// Its last download, or when it was cached if never downloaded.
    pub last_used: Timestamp,
}

/// One package's share of an owner's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageUsage {
    pub package_id: Id,
    pub package_type: PackageType,
    pub name: String,
    /// Its stored blobs, each once.
    pub bytes: u64,
    /// Its versions, deleted ones included.
    pub versions: u64,
    pub deleted_versions: u64,
    /// The whole package is deleted (and still counts).
    pub deleted: bool,
}

/// What an owner stores (`GovernanceStore::usage`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Every stored blob of the owner, each once.
    pub bytes: u64,
    /// By format, each blob once per format.
    pub by_format: Vec<(PackageType, u64)>,
    pub packages: Vec<PackageUsage>,
}

/// Lifecycle governance: owners' cleanup rules and immutable tags.
#[async_trait]
pub trait GovernanceStore: Send + Sync {
    async fn add_cleanup_rule(
        &self,
        owner: Id,
        spec: &entrepot_core::cleanup::RuleSpec,
        at: Timestamp,
    ) -> StoreResult<entrepot_core::cleanup::CleanupRule>;
    /// `owner`'s rules, or every owner's, oldest first.
    async fn cleanup_rules(
        &self,
        owner: Option<Id>,
    ) -> StoreResult<Vec<entrepot_core::cleanup::CleanupRule>>;
    /// Removes `owner`'s rule `id`; false when it has none such.
    async fn remove_cleanup_rule(&self, owner: Id, id: Id) -> StoreResult<bool>;
    async fn add_immutable_tag(
        &self,
        owner: Id,
        format: Option<PackageType>,
        pattern: &str,
        at: Timestamp,
    ) -> StoreResult<entrepot_core::immutable::ImmutableTag>;
    /// `owner`'s immutable-tag rules, or every owner's, oldest first.
    async fn immutable_tags(
        &self,
        owner: Option<Id>,
    ) -> StoreResult<Vec<entrepot_core::immutable::ImmutableTag>>;
    async fn remove_immutable_tag(&self, owner: Id, id: Id) -> StoreResult<bool>;
    /// What `owner` stores: each stored blob counted once (files of every
    /// version, deleted ones until purged, and container blobs linked in
    /// its repositories), in all, by format and by package.
    async fn usage(&self, owner: Id) -> StoreResult<Usage>;
    /// What `owner` stores of `format` (or in all), each blob once, as
    /// `usage` counts it: one figure, for a quota check.
    async fn stored_bytes(
        &self,
        owner: Id,
        format: Option<PackageType>,
        package: Option<&str>,
    ) -> StoreResult<u64>;
    /// The accounts that own packages.
    async fn package_owners(&self) -> StoreResult<Vec<Id>>;
    /// Sets (replaces) `quota.owner_id`'s quota for `quota.format`.
    async fn set_quota(&self, quota: &entrepot_core::quota::Quota) -> StoreResult<()>;
    /// `owner`'s quotas, or every owner's.
    async fn quotas(&self, owner: Option<Id>) -> StoreResult<Vec<entrepot_core::quota::Quota>>;
    async fn remove_quota(&self, owner: Id, format: Option<PackageType>) -> StoreResult<bool>;
}

/// The dependency graph: what each package's newest version depends on,
/// kept per package and read again after the package changes.
#[async_trait]
pub trait DependencyStore: Send + Sync {
    /// Live packages whose dependencies were not read since they last
    /// changed, at most `limit`, least recently changed first: each with
    /// its `updated_at`.
    async fn packages_to_index(&self, limit: u32) -> StoreResult<Vec<(Id, Timestamp)>>;
    /// Replaces what `package` depends on with what `version` declares (no
    /// version: it has no live version), as read when the package's
    /// `updated_at` was `indexed_for`.
    async fn set_dependencies(
        &self,
        package: Id,
        version: Option<Id>,
        dependencies: &[entrepot_core::dependency::Dependency],
        indexed_for: Timestamp,
    ) -> StoreResult<()>;
    /// What `package` depends on, in the order declared, and the version
    /// that declares it.
    async fn dependencies_of(
        &self,
        package: Id,
    ) -> StoreResult<(Option<Id>, Vec<entrepot_core::dependency::Dependency>)>;
    /// The packages whose dependencies name `key` in `ecosystem`, at most
    /// `limit` rows, by package id: each package with its dependency.
    async fn dependents(
        &self,
        ecosystem: entrepot_core::Ecosystem,
        key: &str,
        limit: u32,
    ) -> StoreResult<Vec<(Id, entrepot_core::dependency::Dependency)>>;
}

/// Dependency alerts, one per advisory, dependent package and dependency.
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Keeps `alert` (its id chosen here when 0), returning it as kept.
    /// `Conflict` when a new alert repeats an existing one's advisory,
    /// package and dependency.
    async fn save_alert(
        &self,
        alert: &entrepot_core::alert::DependencyAlert,
    ) -> StoreResult<entrepot_core::alert::DependencyAlert>;
    async fn alert(&self, id: Id) -> StoreResult<Option<entrepot_core::alert::DependencyAlert>>;
    /// The alerts an advisory raised, oldest first.
    async fn alerts_of_advisory(
        &self,
        advisory: Id,
    ) -> StoreResult<Vec<entrepot_core::alert::DependencyAlert>>;
    /// The alerts of the given dependent packages, newest first.
    async fn alerts_of_packages(
        &self,
        packages: &[Id],
    ) -> StoreResult<Vec<entrepot_core::alert::DependencyAlert>>;
}

/// Signed images: simple-signing signatures kept per manifest, and the keys
/// a package's images must be signed with. Every change marks the package
/// changed, so that what was cached from it (verdicts, kept manifests) is
/// read again.
#[async_trait]
pub trait ImageSigningStore: Send + Sync {
    /// Keeps a signature; false when the manifest already has one of that
    /// name (nothing is replaced: signatures are append-only).
    async fn add_image_signature(
        &self,
        signature: &entrepot_core::image_signing::StoredSignature,
    ) -> StoreResult<bool>;
    /// A manifest's signatures, oldest first.
    async fn image_signatures(
        &self,
        package: Id,
        manifest_digest: &str,
    ) -> StoreResult<Vec<entrepot_core::image_signing::StoredSignature>>;
    /// Requires `key` (its id is chosen here); `None` when the package
    /// already requires a key of that fingerprint.
    async fn add_signing_key(
        &self,
        key: &entrepot_core::image_signing::RequiredKey,
    ) -> StoreResult<Option<entrepot_core::image_signing::RequiredKey>>;
    /// The keys `package` requires, oldest first.
    async fn signing_keys(
        &self,
        package: Id,
    ) -> StoreResult<Vec<entrepot_core::image_signing::RequiredKey>>;
    /// Removes `package`'s key `id`; false when it has none such.
    async fn remove_signing_key(&self, package: Id, id: Id) -> StoreResult<bool>;
}

/// Trusted publishing: the CI identities that may publish a package, and
/// the OpenID Connect tokens already exchanged.
#[async_trait]
pub trait PublisherStore: Send + Sync {
    async fn add_publisher(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        spec: &entrepot_core::trusted::PublisherSpec,
        by: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<entrepot_core::trusted::Publisher>;
    /// The publishers of one package name, oldest first.
    async fn publishers_of(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
    ) -> StoreResult<Vec<entrepot_core::trusted::Publisher>>;
    /// Every publisher naming `issuer` for `package_type`, oldest first.
    async fn publishers_by_issuer(
        &self,
        issuer: &str,
        package_type: PackageType,
    ) -> StoreResult<Vec<entrepot_core::trusted::Publisher>>;
    async fn publisher(&self, id: Id) -> StoreResult<Option<entrepot_core::trusted::Publisher>>;
    async fn remove_publisher(&self, id: Id) -> StoreResult<bool>;
    /// Records that the token `jti` of `issuer` was exchanged; false when
    /// it already was (a replay). Forgets tokens expired before `now`.
    async fn first_use_of_token(
        &self,
        issuer: &str,
        jti: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Notes that the CI token `jti` (whose SHA-256 is `jwt_sha256`) was
    /// traded for the registry token `token`.
    async fn remember_exchange(
        &self,
        issuer: &str,
        jti: &str,
        jwt_sha256: &str,
        token: Id,
    ) -> StoreResult<()>;
    /// The registry token the very same CI token was traded for, if it was.
    async fn exchanged_for(
        &self,
        issuer: &str,
        jti: &str,
        jwt_sha256: &str,
    ) -> StoreResult<Option<Id>>;
}

/// Every concern together: what a backend implements and the service holds.
pub trait MetadataStore:
    AccountStore
    + RepositoryStore
    + TokenStore
    + PackageStore
    + ActivityStore
    + JobStore
    + UploadStore
    + SessionStore
    + IdentityStore
    + SsoStore
    + AdvisoryStore
    + WebhookStore
    + UpstreamStore
    + GovernanceStore
    + PublisherStore
    + ImageSigningStore
    + DependencyStore
    + AlertStore
    + 'static
{
}

impl<T> MetadataStore for T where
    T: AccountStore
        + RepositoryStore
        + TokenStore
        + PackageStore
        + ActivityStore
        + JobStore
        + UploadStore
        + SessionStore
        + IdentityStore
        + SsoStore
        + AdvisoryStore
        + WebhookStore
        + UpstreamStore
        + GovernanceStore
        + PublisherStore
        + ImageSigningStore
        + DependencyStore
        + AlertStore
        + 'static
{
}

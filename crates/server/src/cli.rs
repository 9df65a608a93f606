//! The command line, exactly as INTERFACE.md lists it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "entrepot",
    version,
    about = "A self-hosted package registry that speaks GitHub Packages"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings shared by `serve` and every admin command. Precedence: flag,
/// then environment, then the `--config` file, then the defaults.
#[derive(Debug, Args, Default)]
pub struct GlobalArgs {
    /// A TOML file with any of the settings below.
    #[arg(long, global = true, env = "ENTREPOT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Every other setting, declared once for flags, environment and file.
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the registry.
    Serve {
        /// Leave the database schema alone (run `admin migrate` first).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Manage users, organizations, repositories and tokens (no token needed).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Repository records that packages connect to.
    Repo {
        #[command(subcommand)]
        command: RepoCommand,
    },
    /// Personal access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Settings of a user's or an organization's indexes.
    Owner {
        #[command(subcommand)]
        command: OwnerCommand,
    },
    /// Quotas: how much an owner may store, and how many versions each of
    /// its packages may have.
    Quota {
        #[command(subcommand)]
        command: crate::admin::quota::QuotaCommand,
    },
    /// What OWNER stores (each blob once), by format and package; or every
    /// owner's total.
    Usage { owner: Option<String> },
    /// The keys that sign every npm version (`npm audit signatures`).
    SigningKey {
        #[command(subcommand)]
        command: crate::admin::signing::SigningCommand,
    },
    /// The CI runs that may publish a package without a stored token.
    TrustedPublisher {
        #[command(subcommand)]
        command: crate::admin::trusted::TrustedCommand,
    },
    /// The keys a container package's images must be signed with.
    ImageKey {
        #[command(subcommand)]
        command: crate::admin::image_keys::ImageKeyCommand,
    },
    /// Tags that, once set, are never moved nor removed.
    ImmutableTags {
        #[command(subcommand)]
        command: crate::admin::immutable::ImmutableCommand,
    },
    /// Cleanup rules: which versions of an owner's packages go, previewed
    /// and run.
    Cleanup {
        #[command(subcommand)]
        command: crate::admin::cleanup::CleanupCommand,
    },
    /// Upstream registries to proxy and cache; each name is a reserved owner.
    Upstream {
        #[command(subcommand)]
        command: UpstreamCommand,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Collect garbage now: image blobs no manifest names, abandoned
    /// uploads, expired deletions and unreferenced blobs.
    Gc {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Check every file's blob (presence, size, SHA-256), tags, upload
    /// sessions and each format's indexes against the metadata; exits 1 on
    /// any fault left unrepaired.
    Fsck {
        /// Fix what has one right fix: remove dangling tags and abandoned
        /// uploads, collect orphan blobs.
        #[arg(long)]
        repair: bool,
        /// Check sizes only, without reading every blob through.
        #[arg(long)]
        skip_digests: bool,
        /// Upload sessions untouched this long are abandoned (`30s`, `2h`).
        #[arg(long, value_name = "DURATION", default_value = "24h")]
        upload_age: String,
    },
    /// Copy this install (every row and blob) into an empty database and blob store.
    Copy {
        /// The target database, e.g. `postgres://…`
        #[arg(long, value_name = "URL")]
        to_database: String,
        /// The target blob store, e.g. `s3://BUCKET?endpoint=…&region=…`
        #[arg(long, value_name = "URL")]
        to_blobs: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Create {
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        site_admin: bool,
        /// Read a password (for `npm login` and the web pages) from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (for `npm login` and the web pages), read from standard input.
    SetPassword { name: String },
    /// Lift the lock that failed password attempts put on a user name.
    Unlock { name: String },
    /// List the users, one a line: login, id, then `site-admin` and
    /// `suspended` where they apply.
    List,
    /// Suspend a user: their tokens and sessions stop working at once;
    /// their packages stay.
    Suspend { name: String },
    /// Lift a suspension.
    Unsuspend { name: String },
    /// Delete a user with their packages, repositories and tokens; the
    /// login is retired. Says what goes and asks first.
    Delete {
        name: String,
        /// Do not ask (what goes is still printed).
        #[arg(long)]
        yes: bool,
    },
    /// Make a user a site administrator.
    Promote { name: String },
    /// Take site administration away from a user.
    Demote { name: String },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organization with USER as its owner.
    Create {
        org: String,
        #[arg(long)]
        owner: String,
    },
    /// Add a member (or change a member's role).
    AddMember {
        org: String,
        user: String,
        #[arg(long, default_value = "member", value_parser = ["member", "owner"])]
        role: String,
    },
    /// List the organizations, one a line: login, id, members.
    List,
    /// Remove a member (never the last owner).
    RemoveMember { org: String, user: String },
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Add a repository record (public unless --private or --internal).
    Create {
        /// OWNER/REPO
        repo: String,
        #[arg(long, conflicts_with = "internal")]
        private: bool,
        #[arg(long)]
        internal: bool,
        #[arg(long)]
        description: Option<String>,
    },
    /// Grant a user a role on a repository.
    AddCollaborator {
        /// OWNER/REPO
        repo: String,
        user: String,
        #[arg(long, value_parser = ["read", "write", "admin"])]
        permission: String,
    },
    /// List repositories, one a line: OWNER/REPO and visibility.
    List { owner: Option<String> },
    /// Delete a repository record; its packages stay, connected to none.
    Delete {
        /// OWNER/REPO
        repo: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new personal access token, alone on its line. With
    /// `--owner`, `--repository` or `--package` it is a narrow token,
    /// reaching only those; for an organization, a robot token reaching
    /// only its packages. Both need `--expires-in`.
    Create {
        /// A user, or an organization (a robot token).
        user: String,
        /// Comma-separated: read:packages, write:packages, delete:packages, repo.
        #[arg(long)]
        scopes: String,
        /// Lifetime such as 30d, 12h or 2w; none means no expiry.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Reach every package of this owner (repeatable).
        #[arg(long = "owner", value_name = "OWNER")]
        owners: Vec<String>,
        /// Reach the packages in or connected to this repository (repeatable).
        #[arg(long = "repository", value_name = "OWNER/REPO")]
        repositories: Vec<String>,
        /// Reach this package (repeatable), e.g. npm/acme/widget.
        #[arg(long = "package", value_name = "TYPE/OWNER/NAME")]
        packages: Vec<String>,
    },
    /// Revoke a token by its id.
    Revoke { token_id: i64 },
    /// List a user's tokens (never their secrets).
    List { user: String },
}

#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// Register an upstream registry; NAME becomes a reserved, read-only owner.
    Add {
        name: String,
        /// The upstream's format (npm, pypi, cargo or maven).
        #[arg(long)]
        format: String,
        /// The upstream's address, such as `https://registry.npmjs.org/`
        #[arg(long)]
        url: String,
        /// A user name for the upstream (with --password-stdin).
        #[arg(long, requires = "password_stdin")]
        username: Option<String>,
        /// Read the upstream's password from standard input.
        #[arg(long, requires = "username")]
        password_stdin: bool,
        /// How long fetched metadata is served before it is revalidated
        /// (`30s`, `10m`, `0` for every time).
        #[arg(long, value_name = "DURATION")]
        metadata_ttl: Option<String>,
        /// Make it the format's default upstream (npm: every name no local
        /// owner has).
        #[arg(long)]
        default: bool,
    },
    /// List the upstreams (never their passwords).
    List,
    /// Remove an upstream and everything cached from it.
    Remove { name: String },
    /// Let a local user or organization take a name (an npm scope) that was
    /// served from an upstream and is reserved since.
    Release { name: String },
    /// Evict from the upstream cache what the configured limits (or the
    /// ones given here) do not keep; local packages are never touched.
    Prune {
        /// Evict versions not downloaded for this long (`90d`).
        #[arg(long, value_name = "DURATION")]
        max_age: Option<String>,
        /// Then the least recently used until the cache fits (`50GiB`).
        #[arg(long, value_name = "SIZE")]
        max_size: Option<String>,
        /// Say what would go, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Let OWNER's index serve, for names OWNER does not have, an
    /// upstream's packages (a name OWNER has never comes from it).
    Fallthrough {
        owner: String,
        /// The index's format (pypi, cargo, maven, rubygems or nuget).
        #[arg(long)]
        format: String,
        /// The upstream to fall through to.
        #[arg(long, required_unless_present = "off", conflicts_with = "off")]
        upstream: Option<String>,
        /// Turn fall-through off.
        #[arg(long)]
        off: bool,
        /// A name pattern (such as `acme-*`) that never comes from the
        /// upstream, whether OWNER has such a project or not; repeatable.
        #[arg(long, value_name = "PATTERN", conflicts_with = "off")]
        reserve: Vec<String>,
    },
    /// Let OWNER publish a local package of a name its index served from
    /// its upstream (kept for the upstream since).
    Release {
        owner: String,
        name: String,
        /// The index's format (pypi, cargo, maven, rubygems or nuget).
        #[arg(long)]
        format: String,
    },
}

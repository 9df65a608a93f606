//! The command line, exactly as INTERFACE.md lists it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "ENTREPOT_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Where SQLite and the blobs live by default [default: ./entrepot-data].
    #[arg(long, global = true, env = "ENTREPOT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The URL clients use to reach this server [default: `http://` + listen address].
    #[arg(long, global = true, env = "ENTREPOT_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Metadata store [default: `sqlite://DATA_DIR/entrepot.db`].
    #[arg(long, global = true, env = "ENTREPOT_DATABASE_URL", value_name = "URL")]
    pub database: Option<String>,
    /// Blob store [default: `file://DATA_DIR/blobs`].
    #[arg(long, global = true, env = "ENTREPOT_BLOBS", value_name = "URL")]
    pub blobs: Option<String>,
    /// Largest file a client may upload, e.g. 256MiB [default: 256MiB].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_UPLOAD_SIZE",
        value_name = "SIZE"
    )]
    pub max_upload_size: Option<String>,
    /// Require a signed-in caller even to read public packages.
    #[arg(long, global = true, env = "ENTREPOT_REQUIRE_AUTH_FOR_READS", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub require_auth_for_reads: Option<bool>,
    /// Largest container layer, e.g. 10GiB [default: 10GiB].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_LAYER_SIZE",
        value_name = "SIZE"
    )]
    pub max_layer_size: Option<String>,
    /// How long deleted packages and versions stay restorable, e.g. 30d [default: 30d].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_RETENTION",
        value_name = "DURATION"
    )]
    pub retention: Option<String>,
    /// Public versions downloaded more often than this cannot be deleted [default: 5000].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_DELETE_DOWNLOAD_LIMIT",
        value_name = "N"
    )]
    pub delete_download_limit: Option<i64>,
    /// Timestamped builds kept per Maven SNAPSHOT version [default: 10].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAVEN_SNAPSHOT_BUILDS",
        value_name = "N"
    )]
    pub maven_snapshot_builds: Option<usize>,
    /// REST API requests per hour per token; anonymous callers get a tenth per address [default: 5000].
    #[arg(long, global = true, env = "ENTREPOT_API_RATE_LIMIT", value_name = "N")]
    pub api_rate_limit: Option<u32>,
    /// Wait before a failed webhook delivery is retried, doubled after each failure, e.g. 10s or 200ms [default: 10s].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_WEBHOOK_RETRY_DELAY",
        value_name = "DURATION"
    )]
    pub webhook_retry_delay: Option<String>,
    /// Address ranges that webhooks (and every other request this server
    /// sends) may reach beyond the public internet, e.g. `10.0.0.0/8,::1`
    /// [default: none: loopback, private and link-local addresses are refused].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_OUTBOUND_ALLOW",
        value_name = "CIDR[,CIDR…]"
    )]
    pub outbound_allow: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client, e.g.
    /// `127.0.0.1` for nginx on the same host [default: none: every client
    /// is the connection's own address].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_TRUSTED_PROXIES",
        value_name = "CIDR[,CIDR…]"
    )]
    pub trusted_proxies: Option<String>,
    /// How long an upload may send nothing before it is answered 408 and
    /// closed, e.g. 60s [default: 60s].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_UPLOAD_IDLE_TIMEOUT",
        value_name = "DURATION"
    )]
    pub upload_idle_timeout: Option<String>,
    /// How long a client may take to send a request's header, e.g. 30s [default: 30s].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_HEADER_READ_TIMEOUT",
        value_name = "DURATION"
    )]
    pub header_read_timeout: Option<String>,
    /// How long a connection with no request in flight may stay silent
    /// before it is closed, e.g. 75s [default: 75s].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_IDLE_TIMEOUT",
        value_name = "DURATION"
    )]
    pub idle_timeout: Option<String>,
    /// Open connections at most; more are closed at once [default: half
    /// the open-file limit less 256, at most 16384].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_CONNECTIONS",
        value_name = "N"
    )]
    pub max_connections: Option<usize>,
    /// Open connections at most from one address (an IPv6 /64); more are
    /// closed at once [default: a quarter of --max-connections, at most 256].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_CONNECTIONS_PER_ADDRESS",
        value_name = "N"
    )]
    pub max_connections_per_address: Option<usize>,
    /// Log format: human or json [default: human].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<String>,
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
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new personal access token, alone on its line.
    Create {
        user: String,
        /// Comma-separated: read:packages, write:packages, delete:packages, repo.
        #[arg(long)]
        scopes: String,
        /// Lifetime such as 30d, 12h or 2w; none means no expiry.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Revoke a token by its id.
    Revoke { token_id: i64 },
    /// List a user's tokens (never their secrets).
    List { user: String },
}

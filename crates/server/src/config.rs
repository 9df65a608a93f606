//! The configuration, declared once. Each field of [`Settings`] is at the
//! same time a global flag, its environment variable and a key of the
//! `--config` TOML file; [`Config::resolve`] takes each setting from the
//! flag, then the environment (both through clap), then the file, then the
//! defaults of INTERFACE.md, and turns them into the typed [`Config`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use entrepot_core::Policy;
use entrepot_service::{Limits, Registry};
use entrepot_store::{BlobStore, FsBlobStore, MetadataStore, S3BlobStore, S3Config, SqlStore};
use serde::Deserialize;

use crate::cli::GlobalArgs;

mod identity;

/// Every setting, unset unless given. The flag is the field's name in
/// kebab case, the file's key is the field's name; the defaults are set in
/// one place, `Settings::resolve`. The fields keep the order in which the
/// file's unknown-key error lists them.
#[derive(Debug, Default, Clone, Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
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
    /// Let anyone create a user account at /signup [default: false: site
    /// administrators create accounts].
    #[arg(long, global = true, env = "ENTREPOT_OPEN_SIGN_UP", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub open_sign_up: Option<bool>,
    /// Let every user create organizations [default: true; false keeps it
    /// to site administrators].
    #[arg(long, global = true, env = "ENTREPOT_USERS_CREATE_ORGS", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub users_create_orgs: Option<bool>,
    /// Log format: human or json [default: human].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    pub log_format: Option<String>,
    /// How long deleted packages and versions stay restorable, e.g. 30d [default: 30d].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_RETENTION",
        value_name = "DURATION"
    )]
    pub retention: Option<String>,
    /// Cached upstream packages unused for this long are evicted, e.g. 90d [default: kept].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_UPSTREAM_CACHE_MAX_AGE",
        value_name = "DURATION"
    )]
    pub upstream_cache_max_age: Option<String>,
    /// When (UTC, HH:MM) the daily job applies owners' cleanup rules [default: 03:00].
    #[arg(long, global = true, env = "ENTREPOT_CLEANUP_AT", value_name = "HH:MM")]
    pub cleanup_at: Option<String>,
    /// The most each owner stores unless a site administrator sets its quota, e.g. 100GiB [default: unbounded].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_DEFAULT_QUOTA_BYTES",
        value_name = "SIZE"
    )]
    pub default_quota_bytes: Option<String>,
    /// The most each package stores unless its owner has a quota of its own, e.g. 5GiB [default: unbounded].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_DEFAULT_QUOTA_PACKAGE_BYTES",
        value_name = "SIZE"
    )]
    pub default_quota_package_bytes: Option<String>,
    /// The most versions of each package unless its owner has a quota of its own [default: unbounded].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_DEFAULT_QUOTA_VERSIONS",
        value_name = "N"
    )]
    pub default_quota_versions: Option<u64>,
    /// The longest a narrow or robot token may live, e.g. 90d [default: 366d].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_TOKEN_LIFETIME",
        value_name = "DURATION"
    )]
    pub max_token_lifetime: Option<String>,
    /// The CI token issuers trusted publishers may name, comma-separated [default: GitHub Actions' and GitLab.com's].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_TRUSTED_ISSUERS",
        value_name = "URLS"
    )]
    pub trusted_issuers: Option<String>,
    /// The most the cache of upstream packages keeps, least recently used evicted first, e.g. 50GiB [default: unbounded].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_UPSTREAM_CACHE_MAX_SIZE",
        value_name = "SIZE"
    )]
    pub upstream_cache_max_size: Option<String>,
    /// Largest container layer, e.g. 10GiB [default: 10GiB].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAX_LAYER_SIZE",
        value_name = "SIZE"
    )]
    pub max_layer_size: Option<String>,
    /// Public versions downloaded more often than this cannot be deleted [default: 5000].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_DELETE_DOWNLOAD_LIMIT",
        value_name = "N"
    )]
    pub delete_download_limit: Option<i64>,
    /// REST API requests per hour per token; anonymous callers get a tenth per address [default: 5000].
    #[arg(long, global = true, env = "ENTREPOT_API_RATE_LIMIT", value_name = "N")]
    pub api_rate_limit: Option<u32>,
    /// Timestamped builds kept per Maven SNAPSHOT version [default: 10].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAVEN_SNAPSHOT_BUILDS",
        value_name = "N"
    )]
    pub maven_snapshot_builds: Option<usize>,
    /// Wait before a failed webhook delivery is retried, doubled after each failure, e.g. 10s or 200ms [default: 10s].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_WEBHOOK_RETRY_DELAY",
        value_name = "DURATION"
    )]
    pub webhook_retry_delay: Option<String>,
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
    /// Reverse proxies whose `X-Forwarded-For` names the client (and,
    /// without --base-url, whose `X-Forwarded-Proto` and `-Host` name the
    /// base URL), e.g. `127.0.0.1` for nginx on the same host [default:
    /// none: every client is the connection's own address].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_TRUSTED_PROXIES",
        value_name = "CIDR[,CIDR…]"
    )]
    pub trusted_proxies: Option<String>,
    /// A bearer token that `/metrics` wants (Prometheus: `authorization:
    /// {credentials: …}`) [default: none: /metrics is open].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_METRICS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
    /// Serve HTTPS (and HTTP/2) directly with this certificate chain (PEM),
    /// read again when it changes [default: plain HTTP].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate obtained and renewed over ACME for
    /// these names (comma-separated), validated by TLS-ALPN-01 on the
    /// listening port (the CA connects to port 443) [default: none].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_ACME_DOMAIN",
        value_name = "NAME[,NAME…]",
        conflicts_with = "tls_cert"
    )]
    pub acme_domain: Option<String>,
    /// The ACME directory the certificate is ordered from [default:
    /// Let's Encrypt's, <https://acme-v02.api.letsencrypt.org/directory>].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_ACME_DIRECTORY",
        value_name = "URL",
        requires = "acme_domain"
    )]
    pub acme_directory: Option<String>,
    /// An email address the CA may write to about the certificates
    /// [default: none].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_ACME_CONTACT",
        value_name = "EMAIL",
        requires = "acme_domain"
    )]
    pub acme_contact: Option<String>,
    /// The mail server password-reset links go through, e.g.
    /// `smtp://user:password@mail.example.com:587?tls=required` or
    /// `smtps://…:465` [default: none: no mail is sent].
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_SMTP_URL",
        value_name = "URL",
        requires = "mail_from",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The sender of the mail, e.g. `Entrepot <entrepot@example.com>`.
    #[arg(
        long,
        global = true,
        env = "ENTREPOT_MAIL_FROM",
        value_name = "ADDRESS",
        requires = "smtp_url"
    )]
    pub mail_from: Option<String>,
    /// OpenID Connect providers people may sign in with: `[[oidc]]` tables
    /// of the configuration file (see docs/administration.md).
    #[arg(skip)]
    pub oidc: Option<Vec<identity::OidcSettings>>,
    /// LDAP directories whose passwords sign people in: `[[ldap]]` tables
    /// of the configuration file (see docs/administration.md).
    #[arg(skip)]
    pub ldap: Option<Vec<identity::LdapSettings>>,
}

impl Settings {
    /// The settings a `--config` file gives; a key that names no setting
    /// is an error.
    fn read(path: &Path) -> anyhow::Result<Settings> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// The limits the settings give, each unset one its default.
    fn limits(&self) -> anyhow::Result<Limits> {
        let defaults = Limits::default();
        Ok(Limits {
            max_upload_bytes: parse_or(
                self.max_upload_size.as_deref(),
                parse_size,
                defaults.max_upload_bytes,
            )?,
            max_layer_bytes: parse_or(
                self.max_layer_size.as_deref(),
                parse_size,
                defaults.max_layer_bytes,
            )?,
            delete_download_limit: self
                .delete_download_limit
                .unwrap_or(defaults.delete_download_limit),
            retention: parse_or(
                self.retention.as_deref(),
                entrepot_service::accounts::parse_lifetime,
                defaults.retention,
            )?,
            max_token_lifetime: parse_or(
                self.max_token_lifetime.as_deref(),
                entrepot_service::accounts::parse_lifetime,
                defaults.max_token_lifetime,
            )?,
            upstream_cache: self.upstream_cache()?,
            cleanup_at: match self.cleanup_at.as_deref() {
                Some(at) => chrono::NaiveTime::parse_from_str(at, "%H:%M").map_err(|_| {
                    anyhow::anyhow!("cleanup_at: `{at}` is not a time of day such as 03:00")
                })?,
                None => defaults.cleanup_at,
            },
            accounts: entrepot_service::signup::AccountPolicy {
                open_sign_up: self.open_sign_up.unwrap_or(false),
                users_create_orgs: self.users_create_orgs.unwrap_or(true),
            },
            default_quota: entrepot_core::quota::Limits {
                bytes: self
                    .default_quota_bytes
                    .as_deref()
                    .map(parse_size)
                    .transpose()?,
                package_bytes: self
                    .default_quota_package_bytes
                    .as_deref()
                    .map(parse_size)
                    .transpose()?,
                versions: self.default_quota_versions,
            },
        })
    }

    /// How much the cache of upstream packages keeps: nothing set, all.
    fn upstream_cache(&self) -> anyhow::Result<entrepot_service::upstream_cache::CachePolicy> {
        Ok(entrepot_service::upstream_cache::CachePolicy {
            max_age: self
                .upstream_cache_max_age
                .as_deref()
                .map(entrepot_service::accounts::parse_lifetime)
                .transpose()?,
            max_bytes: self
                .upstream_cache_max_size
                .as_deref()
                .map(parse_size)
                .transpose()?,
        })
    }

    /// Each setting given here, or else the one `fallback` gives.
    fn or(self, fallback: Settings) -> Settings {
        Settings {
            listen: self.listen.or(fallback.listen),
            data_dir: self.data_dir.or(fallback.data_dir),
            base_url: self.base_url.or(fallback.base_url),
            database: self.database.or(fallback.database),
            blobs: self.blobs.or(fallback.blobs),
            max_upload_size: self.max_upload_size.or(fallback.max_upload_size),
            require_auth_for_reads: self
                .require_auth_for_reads
                .or(fallback.require_auth_for_reads),
            open_sign_up: self.open_sign_up.or(fallback.open_sign_up),
            users_create_orgs: self.users_create_orgs.or(fallback.users_create_orgs),
            log_format: self.log_format.or(fallback.log_format),
            retention: self.retention.or(fallback.retention),
            max_token_lifetime: self.max_token_lifetime.or(fallback.max_token_lifetime),
            upstream_cache_max_age: self
                .upstream_cache_max_age
                .or(fallback.upstream_cache_max_age),
            cleanup_at: self.cleanup_at.or(fallback.cleanup_at),
            default_quota_bytes: self.default_quota_bytes.or(fallback.default_quota_bytes),
            default_quota_package_bytes: self
                .default_quota_package_bytes
                .or(fallback.default_quota_package_bytes),
            default_quota_versions: self
                .default_quota_versions
                .or(fallback.default_quota_versions),
            trusted_issuers: self.trusted_issuers.or(fallback.trusted_issuers),
            upstream_cache_max_size: self
                .upstream_cache_max_size
                .or(fallback.upstream_cache_max_size),
            max_layer_size: self.max_layer_size.or(fallback.max_layer_size),
            delete_download_limit: self
                .delete_download_limit
                .or(fallback.delete_download_limit),
            api_rate_limit: self.api_rate_limit.or(fallback.api_rate_limit),
            maven_snapshot_builds: self
                .maven_snapshot_builds
                .or(fallback.maven_snapshot_builds),
            webhook_retry_delay: self.webhook_retry_delay.or(fallback.webhook_retry_delay),
            upload_idle_timeout: self.upload_idle_timeout.or(fallback.upload_idle_timeout),
            header_read_timeout: self.header_read_timeout.or(fallback.header_read_timeout),
            idle_timeout: self.idle_timeout.or(fallback.idle_timeout),
            max_connections: self.max_connections.or(fallback.max_connections),
            max_connections_per_address: self
                .max_connections_per_address
                .or(fallback.max_connections_per_address),
            outbound_allow: self.outbound_allow.or(fallback.outbound_allow),
            trusted_proxies: self.trusted_proxies.or(fallback.trusted_proxies),
            metrics_token: self.metrics_token.or(fallback.metrics_token),
            tls_cert: self.tls_cert.or(fallback.tls_cert),
            tls_key: self.tls_key.or(fallback.tls_key),
            acme_domain: self.acme_domain.or(fallback.acme_domain),
            acme_directory: self.acme_directory.or(fallback.acme_directory),
            acme_contact: self.acme_contact.or(fallback.acme_contact),
            smtp_url: self.smtp_url.or(fallback.smtp_url),
            mail_from: self.mail_from.or(fallback.mail_from),
            oidc: self.oidc.or(fallback.oidc),
            ldap: self.ldap.or(fallback.ldap),
        }
    }

    /// Where HTTPS's certificate comes from, if HTTPS is served.
    fn tls(&self) -> anyhow::Result<Option<Tls>> {
        Ok(match (&self.tls_cert, &self.tls_key, &self.acme_domain) {
            (Some(_), Some(_), Some(_)) => {
                bail!("--tls-cert and --acme-domain exclude each other")
            }
            (Some(cert), Some(key), None) => Some(Tls::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None, Some(domains)) => Some(Tls::Acme(acme_settings(
                domains,
                self.acme_directory.as_deref(),
                self.acme_contact.as_deref(),
            )?)),
            (None, None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        })
    }

    /// The typed configuration, each setting left unset taking its default.
    fn resolve(self) -> anyhow::Result<Config> {
        let limits = self.limits()?;
        let tls = self.tls()?;
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:8080".into());
        let data_dir = self.data_dir.unwrap_or_else(|| "entrepot-data".into());
        let base_url_given = self.base_url.is_some();
        let base_url = self
            .base_url
            .unwrap_or_else(|| default_base_url(&listen, tls.as_ref()));
        let base_url =
            url::Url::parse(&base_url).with_context(|| format!("base URL `{base_url}`"))?;
        let database = self
            .database
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("entrepot.db").display()));
        let blobs = self
            .blobs
            .unwrap_or_else(|| format!("file://{}", data_dir.join("blobs").display()));
        let policy = Policy {
            require_auth_for_reads: self.require_auth_for_reads.unwrap_or(false),
        };
        let log_format = match self.log_format.as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("unknown log format `{other}` (human or json)"),
        };
        let maven_snapshot_builds = self
            .maven_snapshot_builds
            .unwrap_or(entrepot_maven::DEFAULT_SNAPSHOT_BUILDS);
        if maven_snapshot_builds == 0 {
            bail!("--maven-snapshot-builds must keep at least one build");
        }
        let webhook_retry_delay = parse_or(
            self.webhook_retry_delay.as_deref(),
            parse_delay,
            entrepot_service::webhooks::HookSettings::default().retry_delay,
        )?;
        let upload_idle_timeout = parse_or(
            self.upload_idle_timeout.as_deref(),
            parse_delay,
            std::time::Duration::from_mins(1),
        )?;
        let defaults = crate::listener::ConnectionSettings::default();
        let connections = crate::listener::ConnectionSettings {
            header_read_timeout: parse_or(
                self.header_read_timeout.as_deref(),
                parse_delay,
                defaults.header_read_timeout,
            )?,
            idle_timeout: parse_or(
                self.idle_timeout.as_deref(),
                parse_delay,
                defaults.idle_timeout,
            )?,
            max_connections: self.max_connections,
            max_connections_per_address: self.max_connections_per_address,
        };
        if connections.max_connections == Some(0)
            || connections.max_connections_per_address == Some(0)
        {
            bail!("--max-connections and --max-connections-per-address must allow at least one");
        }
        let outbound_allow = entrepot_service::outbound::AllowList::parse(
            self.outbound_allow.as_deref().unwrap_or(""),
        )
        .map_err(|e| anyhow::anyhow!("--outbound-allow: {e}"))?;
        let trusted_proxies =
            entrepot_core::ranges::Ranges::parse(self.trusted_proxies.as_deref().unwrap_or(""))
                .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))?;
        let (oidc, ldap) = identity::resolve(self.oidc, self.ldap)?;
        Ok(Config {
            oidc,
            ldap,
            listen,
            data_dir,
            base_url,
            base_url_given,
            database,
            blobs,
            limits,
            policy,
            log_format,
            api_rate_limit: self.api_rate_limit.unwrap_or(DEFAULT_API_RATE_LIMIT),
            maven_snapshot_builds,
            webhook_retry_delay,
            upload_idle_timeout,
            connections,
            outbound_allow,
            trusted_proxies,
            trusted_issuers: trusted_issuers(self.trusted_issuers.as_deref()),
            tls,
            mail: match (self.smtp_url, self.mail_from) {
                (Some(url), Some(from)) => Some((url, from)),
                (None, None) => None,
                _ => bail!("--smtp-url and --mail-from go together"),
            },
            metrics_token: self
                .metrics_token
                .filter(|t| !t.is_empty())
                .map(entrepot_core::Secret::new),
        })
    }
}

/// The issuers `--trusted-issuers` lists; GitHub Actions' and GitLab.com's
/// when it is not given.
fn trusted_issuers(list: Option<&str>) -> Vec<String> {
    match list {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        None => vec![
            entrepot_core::trusted::GITHUB_ISSUER.to_owned(),
            entrepot_core::trusted::GITLAB_ISSUER.to_owned(),
        ],
    }
}

/// `text` parsed, or `default` when the setting is unset.
fn parse_or<T, E>(
    text: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
    default: T,
) -> Result<T, E> {
    text.map_or(Ok(default), parse)
}

/// REST API requests per hour per token (anonymous callers get a tenth).
pub const DEFAULT_API_RATE_LIMIT: u32 = 5000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub base_url: url::Url,
    /// Whether the base URL was given, rather than made from `listen`.
    pub base_url_given: bool,
    pub database: String,
    pub blobs: String,
    pub limits: Limits,
    pub policy: Policy,
    pub log_format: LogFormat,
    pub api_rate_limit: u32,
    /// Timestamped builds kept per Maven SNAPSHOT version.
    pub maven_snapshot_builds: usize,
    /// The wait before a failed webhook delivery's first retry (doubled
    /// after each further failure).
    pub webhook_retry_delay: std::time::Duration,
    /// How long an upload may send nothing before it fails with 408.
    pub upload_idle_timeout: std::time::Duration,
    /// Timeouts and limits of client connections.
    pub connections: crate::listener::ConnectionSettings,
    /// Ranges outbound requests may reach beyond the public internet.
    pub outbound_allow: entrepot_service::outbound::AllowList,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: entrepot_core::ranges::Ranges,
    /// The CI token issuers trusted publishers may name.
    pub trusted_issuers: Vec<String>,
    /// Where the certificate HTTPS is served with comes from, if it is.
    pub tls: Option<Tls>,
    /// The bearer token `/metrics` wants, if any.
    pub metrics_token: Option<entrepot_core::Secret>,
    /// The SMTP URL and sender mail goes through, if any.
    pub mail: Option<(String, String)>,
    /// The OpenID Connect providers people may sign in with.
    pub oidc: Vec<entrepot_service::oidc::OidcProvider>,
    /// The LDAP directories whose passwords sign people in.
    pub ldap: Vec<entrepot_service::ldap::LdapProvider>,
}

/// Where HTTPS's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// A chain and key in PEM files, read again when they change.
    Files { cert: PathBuf, key: PathBuf },
    /// Obtained and renewed over ACME.
    Acme(crate::acme::AcmeSettings),
}

/// The base URL when none is given: the listen address, or with ACME the
/// first domain (and the port unless it is 443).
fn default_base_url(listen: &str, tls: Option<&Tls>) -> String {
    match tls {
        None => format!("http://{listen}"),
        Some(Tls::Files { .. }) => format!("https://{listen}"),
        Some(Tls::Acme(acme)) => {
            let port = listen.rsplit_once(':').map_or("443", |(_, p)| p);
            let host = &acme.domains[0];
            if port == "443" {
                format!("https://{host}")
            } else {
                format!("https://{host}:{port}")
            }
        }
    }
}

/// The ACME settings `--acme-domain`, `--acme-directory` and
/// `--acme-contact` give.
fn acme_settings(
    domains: &str,
    directory: Option<&str>,
    contact: Option<&str>,
) -> anyhow::Result<crate::acme::AcmeSettings> {
    let domains: Vec<String> = domains
        .split(',')
        .map(|d| d.trim().to_ascii_lowercase())
        .filter(|d| !d.is_empty())
        .collect();
    if domains.is_empty() {
        bail!("--acme-domain names no domain");
    }
    for d in &domains {
        if d.parse::<std::net::IpAddr>().is_ok()
            || !d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        {
            bail!("--acme-domain: `{d}` is not a DNS name");
        }
    }
    let directory = directory.unwrap_or(crate::acme::LETS_ENCRYPT);
    let directory = url::Url::parse(directory)
        .ok()
        .filter(|u| u.scheme() == "https")
        .with_context(|| format!("--acme-directory: `{directory}` is not an https URL"))?;
    let contact = contact
        .map(|c| {
            let c = c.trim();
            if c.contains('@') {
                Ok(vec![format!("mailto:{}", c.trim_start_matches("mailto:"))])
            } else {
                Err(anyhow::anyhow!(
                    "--acme-contact: `{c}` is not an email address"
                ))
            }
        })
        .transpose()?
        .unwrap_or_default();
    Ok(crate::acme::AcmeSettings {
        domains,
        directory,
        contact,
    })
}

/// Parses a short delay: `200ms`, `10s`, or any lifetime (`5m`, `1h`).
pub fn parse_delay(text: &str) -> anyhow::Result<std::time::Duration> {
    let t = text.trim();
    let number = |n: &str| -> anyhow::Result<u64> {
        n.parse()
            .with_context(|| format!("`{t}` is not a delay such as 200ms, 10s or 5m"))
    };
    let delay = if let Some(ms) = t.strip_suffix("ms") {
        std::time::Duration::from_millis(number(ms)?)
    } else if let Some(s) = t.strip_suffix('s') {
        std::time::Duration::from_secs(number(s)?)
    } else {
        entrepot_service::accounts::parse_lifetime(t)?
            .to_std()
            .context("a delay is positive")?
    };
    if delay.is_zero() {
        bail!("`{t}` is no delay: give a positive one");
    }
    Ok(delay)
}

/// Parses sizes such as `1048576`, `512KiB`, `256MiB`, `2GiB` (or KB/MB/GB, taken as binary too).
pub fn parse_size(text: &str) -> anyhow::Result<u64> {
    entrepot_service::quota::parse_size(text).map_err(anyhow::Error::msg)
}

impl Config {
    /// The configuration `args` give: each flag (or its environment
    /// variable), else the `--config` file's key, else the default.
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Config> {
        let file = match &args.config {
            Some(path) => Settings::read(path)?,
            None => Settings::default(),
        };
        args.settings.clone().or(file).resolve()
    }

    /// Opens the metadata store named by `url`, running its migrations when
    /// `migrate` is set.
    pub async fn open_metadata(url: &str, migrate: bool) -> anyhow::Result<SqlStore> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            create_parent(Path::new(path.split('?').next().unwrap_or(path)))?;
        } else if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            bail!("unsupported database URL `{url}` (expected sqlite://PATH or postgres://…)");
        }
        SqlStore::open_with(url, migrate)
            .await
            .with_context(|| format!("opening the database {}", redact(url)))
    }

    /// Opens the blob store named by `url`.
    pub async fn open_blobs(url: &str) -> anyhow::Result<Arc<dyn BlobStore>> {
        if let Some(path) = url.strip_prefix("file://") {
            Ok(Arc::new(FsBlobStore::open(path).await.with_context(
                || format!("opening the blob store {path}"),
            )?))
        } else if url.starts_with("s3://") {
            let config = S3Config::from_url(url)?;
            Ok(Arc::new(S3BlobStore::open(&config).await.with_context(
                || format!("opening the bucket {}", config.bucket),
            )?))
        } else {
            bail!(
                "unsupported blob store URL `{url}` (expected file://PATH or s3://BUCKET?endpoint=…&region=…)"
            )
        }
    }

    /// Refuses to work on an embedded database that does not exist yet:
    /// an `admin` command run from the wrong folder would otherwise create
    /// an empty one and report that nothing is there. `serve` and `admin
    /// migrate` create it.
    pub fn require_existing_database(&self) -> anyhow::Result<()> {
        let Some(path) = self.database.strip_prefix("sqlite://") else {
            return Ok(());
        };
        let path = Path::new(path.split('?').next().unwrap_or(path));
        if path.exists() {
            return Ok(());
        }
        bail!(
            "there is no Entrepot database at {} (the data folder is {}): run this from the folder \
             where `entrepot serve` runs, or give --data-dir (ENTREPOT_DATA_DIR) or --database \
             (ENTREPOT_DATABASE_URL); `entrepot serve` or `entrepot admin migrate` creates it",
            path.display(),
            self.data_dir.display()
        )
    }

    /// Refuses to serve on every address (`0.0.0.0`, `[::]`) without a
    /// base URL: every URL Entrepot hands out would name no real host.
    pub fn require_reachable_base_url(&self) -> anyhow::Result<()> {
        let unspecified = self
            .listen
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_unspecified());
        let named = matches!(self.tls, Some(Tls::Acme(_)));
        if unspecified && !self.base_url_given && !named {
            bail!(
                "--listen {} is every address, so it names no host clients can reach: give \
                 --base-url (ENTREPOT_BASE_URL) with the URL they use, such as \
                 https://packages.example.com/",
                self.listen
            );
        }
        Ok(())
    }

    /// Whether anything is kept in the data directory (an embedded install).
    pub fn uses_data_dir(&self) -> bool {
        self.database.starts_with("sqlite:") || self.blobs.starts_with("file:")
    }

    /// Opens the configured stores and builds the registry over them.
    pub async fn open_registry(&self, migrate: bool) -> anyhow::Result<Registry> {
        let meta: Arc<dyn MetadataStore> =
            Arc::new(Self::open_metadata(&self.database, migrate).await?);
        let blobs = Self::open_blobs(&self.blobs).await?;
        let mut registry = Registry::new(meta, blobs, self.policy, self.limits);
        if let Some((url, from)) = &self.mail {
            registry = registry.with_mailer(Arc::new(crate::mail::Smtp::new(url, from)?));
        }
        registry
            .delivery
            .configure(entrepot_service::webhooks::HookSettings {
                retry_delay: self.webhook_retry_delay,
                ..entrepot_service::webhooks::HookSettings::default()
            });
        registry.outbound.allow(self.outbound_allow.clone());
        Ok(registry
            .with_trusted_issuers(self.trusted_issuers.clone())
            .with_identity_providers(entrepot_service::oidc::IdentityProviders::new(
                self.oidc.clone(),
                self.ldap.clone(),
            )))
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

fn create_parent(path: &Path) -> anyhow::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("1024").unwrap(), 1024);
        assert_eq!(parse_size("256MiB").unwrap(), 256 << 20);
        assert_eq!(parse_size("2g").unwrap(), 2 << 30);
        assert!(parse_size("12 parsecs").is_err());
    }

    #[test]
    fn delays_parse_from_milliseconds_to_hours() {
        use std::time::Duration;
        assert_eq!(parse_delay("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_delay("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_delay("5m").unwrap(), Duration::from_mins(5));
        assert!(parse_delay("0s").is_err());
        assert!(parse_delay("soon").is_err());
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("entrepot.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9999\"\ndata_dir = \"/srv/e\"\nmax_upload_size = \"1MiB\"\n",
        )
        .unwrap();
        let args = GlobalArgs {
            config: Some(file),
            settings: Settings {
                data_dir: Some("/flag".into()),
                ..Settings::default()
            },
        };
        let c = Config::resolve(&args).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9999");
        assert_eq!(c.data_dir, PathBuf::from("/flag"));
        assert_eq!(c.base_url.as_str(), "http://127.0.0.1:9999/");
        assert_eq!(c.database, "sqlite:///flag/entrepot.db");
        assert_eq!(c.blobs, "file:///flag/blobs");
        assert_eq!(c.limits.max_upload_bytes, 1 << 20);
        assert_eq!(
            c.connections,
            crate::listener::ConnectionSettings::default()
        );
    }

    #[test]
    fn acme_names_the_base_url_and_refuses_what_no_ca_would_issue() {
        let resolve = |settings: Settings| {
            Config::resolve(&GlobalArgs {
                config: None,
                settings,
            })
        };
        let acme = |domain: &str, directory: Option<&str>| Settings {
            listen: Some("0.0.0.0:443".into()),
            acme_domain: Some(domain.into()),
            acme_directory: directory.map(Into::into),
            ..Settings::default()
        };
        let c = resolve(acme("Packages.example.com, b.example.com", None)).unwrap();
        assert_eq!(c.base_url.as_str(), "https://packages.example.com/");
        // Every address, but the domain names the host clients reach.
        c.require_reachable_base_url().unwrap();
        let Some(Tls::Acme(settings)) = &c.tls else {
            panic!("ACME: {:?}", c.tls)
        };
        assert_eq!(settings.domains, ["packages.example.com", "b.example.com"]);
        assert_eq!(settings.directory.as_str(), crate::acme::LETS_ENCRYPT);
        let on_8443 = Settings {
            listen: Some("127.0.0.1:8443".into()),
            ..acme("localhost", Some("https://127.0.0.1:14000/dir"))
        };
        let c = resolve(on_8443).unwrap();
        assert_eq!(c.base_url.as_str(), "https://localhost:8443/");
        for refused in [
            acme("192.0.2.1", None),
            acme("bad_name.example", None),
            acme(" , ", None),
            acme("a.example", Some("http://ca.example/dir")),
            Settings {
                tls_cert: Some("c.pem".into()),
                tls_key: Some("k.pem".into()),
                ..acme("a.example", None)
            },
        ] {
            assert!(resolve(refused).is_err());
        }
    }

    #[test]
    fn the_cleanup_job_runs_at_a_time_of_day() {
        let at = |text: &str| {
            Config::resolve(&GlobalArgs {
                config: None,
                settings: Settings {
                    cleanup_at: Some(text.into()),
                    ..Settings::default()
                },
            })
            .map(|c| c.limits.cleanup_at)
        };
        assert_eq!(
            at("04:30").unwrap(),
            chrono::NaiveTime::from_hms_opt(4, 30, 0).unwrap()
        );
        assert!(at("late").is_err());
    }

    /// The configuration of a file holding `text`.
    fn read(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("entrepot.toml");
        std::fs::write(&file, text).unwrap();
        Config::resolve(&GlobalArgs {
            config: Some(file),
            ..GlobalArgs::default()
        })
    }

    #[test]
    fn the_file_takes_every_flag_by_its_snake_case_name() {
        let c = read(concat!(
            "listen = \"127.0.0.1:9000\"\n",
            "data_dir = \"/d\"\n",
            "base_url = \"https://packages.example.com\"\n",
            "database = \"sqlite:///db/e.db\"\n",
            "blobs = \"file:///b\"\n",
            "max_upload_size = \"2MiB\"\n",
            "require_auth_for_reads = true\n",
            "max_layer_size = \"3MiB\"\n",
            "retention = \"2d\"\n",
            "delete_download_limit = 7\n",
            "maven_snapshot_builds = 3\n",
            "api_rate_limit = 11\n",
            "webhook_retry_delay = \"200ms\"\n",
            "outbound_allow = \"10.0.0.0/8\"\n",
            "trusted_proxies = \"127.0.0.1\"\n",
            "upload_idle_timeout = \"5s\"\n",
            "header_read_timeout = \"6s\"\n",
            "idle_timeout = \"7s\"\n",
            "max_connections = 40\n",
            "max_connections_per_address = 4\n",
            "log_format = \"json\"\n",
            "upstream_cache_max_age = \"90d\"\n",
            "upstream_cache_max_size = \"5MiB\"\n",
            "default_quota_bytes = \"1GiB\"\n",
            "default_quota_package_bytes = \"10MiB\"\n",
            "default_quota_versions = 20\n",
            "max_token_lifetime = \"90d\"\n",
            "trusted_issuers = \"https://ci.example, https://gitlab.example\"\n",
            "metrics_token = \"scrape\"\n",
            "tls_cert = \"/etc/e/cert.pem\"\n",
            "tls_key = \"/etc/e/key.pem\"\n",
        ))
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(c.data_dir, PathBuf::from("/d"));
        assert_eq!(c.base_url.as_str(), "https://packages.example.com/");
        assert_eq!(c.database, "sqlite:///db/e.db");
        assert_eq!(c.blobs, "file:///b");
        assert_eq!(c.limits.max_upload_bytes, 2 << 20);
        assert!(c.policy.require_auth_for_reads);
        assert_eq!(c.limits.max_layer_bytes, 3 << 20);
        assert_eq!(c.limits.retention, chrono::TimeDelta::days(2));
        assert_eq!(c.limits.delete_download_limit, 7);
        assert_eq!(c.maven_snapshot_builds, 3);
        assert_eq!(c.api_rate_limit, 11);
        assert_eq!(c.webhook_retry_delay, std::time::Duration::from_millis(200));
        assert_eq!(c.upload_idle_timeout, std::time::Duration::from_secs(5));
        assert_eq!(
            c.connections,
            crate::listener::ConnectionSettings {
                header_read_timeout: std::time::Duration::from_secs(6),
                idle_timeout: std::time::Duration::from_secs(7),
                max_connections: Some(40),
                max_connections_per_address: Some(4),
            }
        );
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(
            c.limits.upstream_cache,
            entrepot_service::upstream_cache::CachePolicy {
                max_age: Some(chrono::TimeDelta::days(90)),
                max_bytes: Some(5 << 20),
            }
        );
        assert_eq!(
            c.limits.default_quota,
            entrepot_core::quota::Limits {
                bytes: Some(1 << 30),
                package_bytes: Some(10 << 20),
                versions: Some(20),
            }
        );
        assert_eq!(c.limits.max_token_lifetime, chrono::TimeDelta::days(90));
        assert_eq!(
            c.trusted_issuers,
            ["https://ci.example", "https://gitlab.example"]
        );
        assert_eq!(c.metrics_token, Some(entrepot_core::Secret::new("scrape")));
        assert_eq!(
            c.tls,
            Some(Tls::Files {
                cert: "/etc/e/cert.pem".into(),
                key: "/etc/e/key.pem".into()
            })
        );
    }

    #[test]
    fn every_flag_is_a_key_of_the_file_and_no_other_key_is() {
        use clap::CommandFactory;
        // Every global flag but `--config` is a key of the file.
        let command = crate::cli::Cli::command();
        let keys: Vec<_> = command
            .get_arguments()
            .filter(|a| {
                a.is_global_set() && !["config", "help", "version"].contains(&a.get_id().as_str())
            })
            .map(|a| a.get_long().unwrap().replace('-', "_"))
            .collect();
        assert_eq!(keys.len(), 39);
        for key in keys {
            if let Err(e) = read(&format!("{key} = 0")) {
                assert!(!format!("{e:#}").contains("unknown field"), "{key}: {e:#}");
            }
        }
        // A key that names no setting (nor `config` itself) is refused.
        for key in ["colour = \"blue\"", "config = \"/etc/other.toml\""] {
            let error = format!("{:#}", read(key).unwrap_err());
            assert!(
                error.contains("parsing") && error.contains("unknown field"),
                "{error}"
            );
        }
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        crate::cli::Cli::command().debug_assert();
    }
}

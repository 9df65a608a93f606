//! Resolves the configuration: flag, then environment (both through clap),
//! then the `--config` TOML file, then the defaults of INTERFACE.md.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use entrepot_core::Policy;
use entrepot_service::{Limits, Registry};
use entrepot_store::{BlobStore, FsBlobStore, MetadataStore, S3BlobStore, S3Config, SqlStore};
use serde::Deserialize;

use crate::cli::GlobalArgs;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    base_url: Option<String>,
    database: Option<String>,
    blobs: Option<String>,
    max_upload_size: Option<String>,
    require_auth_for_reads: Option<bool>,
    log_format: Option<String>,
    retention: Option<String>,
    max_layer_size: Option<String>,
    delete_download_limit: Option<i64>,
    api_rate_limit: Option<u32>,
    maven_snapshot_builds: Option<usize>,
    webhook_retry_delay: Option<String>,
    upload_idle_timeout: Option<String>,
    header_read_timeout: Option<String>,
    idle_timeout: Option<String>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    outbound_allow: Option<String>,
    trusted_proxies: Option<String>,
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
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .with_context(|| format!("`{text}` is not a size"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => bail!("unknown size unit `{other}` in `{text}`"),
    };
    n.checked_mul(factor)
        .with_context(|| format!("`{text}` is too large"))
}

impl Config {
    #[expect(
        clippy::too_many_lines,
        reason = "one setting after another, each in precedence order"
    )]
    pub fn resolve(args: &GlobalArgs) -> anyhow::Result<Config> {
        let file: FileConfig = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let listen = args
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| "entrepot-data".into());
        let base_url = args
            .base_url
            .clone()
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let base_url =
            url::Url::parse(&base_url).with_context(|| format!("base URL `{base_url}`"))?;
        let database = args
            .database
            .clone()
            .or(file.database)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("entrepot.db").display()));
        let blobs = args
            .blobs
            .clone()
            .or(file.blobs)
            .unwrap_or_else(|| format!("file://{}", data_dir.join("blobs").display()));
        let max_upload = args.max_upload_size.clone().or(file.max_upload_size);
        let defaults = Limits::default();
        let retention = args.retention.clone().or(file.retention);
        let limits = Limits {
            max_upload_bytes: max_upload
                .as_deref()
                .map(parse_size)
                .transpose()?
                .unwrap_or(defaults.max_upload_bytes),
            max_layer_bytes: args
                .max_layer_size
                .clone()
                .or(file.max_layer_size)
                .as_deref()
                .map(parse_size)
                .transpose()?
                .unwrap_or(defaults.max_layer_bytes),
            delete_download_limit: args
                .delete_download_limit
                .or(file.delete_download_limit)
                .unwrap_or(defaults.delete_download_limit),
            retention: retention
                .as_deref()
                .map(entrepot_service::accounts::parse_lifetime)
                .transpose()?
                .unwrap_or(defaults.retention),
        };
        let api_rate_limit = args
            .api_rate_limit
            .or(file.api_rate_limit)
            .unwrap_or(DEFAULT_API_RATE_LIMIT);
        let policy = Policy {
            require_auth_for_reads: args
                .require_auth_for_reads
                .or(file.require_auth_for_reads)
                .unwrap_or(false),
        };
        let log_format = match args.log_format.clone().or(file.log_format).as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("unknown log format `{other}` (human or json)"),
        };
        let maven_snapshot_builds = args
            .maven_snapshot_builds
            .or(file.maven_snapshot_builds)
            .unwrap_or(entrepot_maven::DEFAULT_SNAPSHOT_BUILDS);
        if maven_snapshot_builds == 0 {
            bail!("--maven-snapshot-builds must keep at least one build");
        }
        let webhook_retry_delay = match args
            .webhook_retry_delay
            .clone()
            .or(file.webhook_retry_delay)
        {
            Some(text) => parse_delay(&text)?,
            None => entrepot_service::webhooks::HookSettings::default().retry_delay,
        };
        let upload_idle_timeout = match args
            .upload_idle_timeout
            .clone()
            .or(file.upload_idle_timeout)
        {
            Some(text) => parse_delay(&text)?,
            None => std::time::Duration::from_mins(1),
        };
        if upload_idle_timeout.is_zero() {
            bail!("--upload-idle-timeout must be longer than zero");
        }
        let connections = connection_settings(
            args,
            file.header_read_timeout,
            file.idle_timeout,
            file.max_connections,
            file.max_connections_per_address,
        )?;
        let outbound_allow = entrepot_service::outbound::AllowList::parse(
            args.outbound_allow
                .clone()
                .or(file.outbound_allow)
                .as_deref()
                .unwrap_or(""),
        )
        .map_err(|e| anyhow::anyhow!("--outbound-allow: {e}"))?;
        let trusted_proxies = entrepot_core::ranges::Ranges::parse(
            args.trusted_proxies
                .clone()
                .or(file.trusted_proxies)
                .as_deref()
                .unwrap_or(""),
        )
        .map_err(|e| anyhow::anyhow!("--trusted-proxies: {e}"))?;
        Ok(Config {
            listen,
            data_dir,
            base_url,
            database,
            blobs,
            limits,
            policy,
            log_format,
            api_rate_limit,
            maven_snapshot_builds,
            webhook_retry_delay,
            upload_idle_timeout,
            connections,
            outbound_allow,
            trusted_proxies,
        })
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

    /// Whether anything is kept in the data directory (an embedded install).
    pub fn uses_data_dir(&self) -> bool {
        self.database.starts_with("sqlite:") || self.blobs.starts_with("file:")
    }

    /// Opens the configured stores and builds the registry over them.
    pub async fn open_registry(&self, migrate: bool) -> anyhow::Result<Registry> {
        let meta: Arc<dyn MetadataStore> =
            Arc::new(Self::open_metadata(&self.database, migrate).await?);
        let blobs = Self::open_blobs(&self.blobs).await?;
        let registry = Registry::new(meta, blobs, self.policy, self.limits);
        registry
            .webhooks
            .configure(entrepot_service::webhooks::HookSettings {
                retry_delay: self.webhook_retry_delay,
                ..entrepot_service::webhooks::HookSettings::default()
            });
        registry.outbound.allow(self.outbound_allow.clone());
        Ok(registry)
    }
}

/// The connection timeouts and limits (the flag or the file's key, then
/// the default); limits left unset are derived from the open-file limit
/// when `serve` starts.
fn connection_settings(
    args: &GlobalArgs,
    header_read_timeout: Option<String>,
    idle_timeout: Option<String>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
) -> anyhow::Result<crate::listener::ConnectionSettings> {
    let defaults = crate::listener::ConnectionSettings::default();
    let delay = |flag: &Option<String>, key: Option<String>, default| {
        flag.clone()
            .or(key)
            .map_or(Ok(default), |t| parse_delay(&t))
    };
    let settings = crate::listener::ConnectionSettings {
        header_read_timeout: delay(
            &args.header_read_timeout,
            header_read_timeout,
            defaults.header_read_timeout,
        )?,
        idle_timeout: delay(&args.idle_timeout, idle_timeout, defaults.idle_timeout)?,
        max_connections: args.max_connections.or(max_connections),
        max_connections_per_address: args
            .max_connections_per_address
            .or(max_connections_per_address),
    };
    if settings.max_connections == Some(0) || settings.max_connections_per_address == Some(0) {
        bail!("--max-connections and --max-connections-per-address must allow at least one");
    }
    Ok(settings)
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
            data_dir: Some("/flag".into()),
            ..GlobalArgs::default()
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
}

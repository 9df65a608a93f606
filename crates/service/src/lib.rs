//! The use cases every wire protocol shares: authenticate a caller, decide
//! what they may do, create accounts and tokens, and publish, tag, delete,
//! restore and count downloads of package versions. Knows storage only
//! through its traits and HTTP not at all.

pub mod access;
pub mod accounts;
pub mod administration;
pub mod advisories;
pub mod alert_events;
pub mod alerts;
pub mod auth;
pub mod blobs;
mod browse;
pub mod bulk;
pub mod cleanup;
pub mod delivery;
mod discovery;
mod downloads;
pub mod error;
mod fallthrough;
pub mod files;
pub mod format;
pub mod fsck;
pub mod graph;
pub mod identity;
mod image_attachments;
pub mod image_signing;
pub mod image_verify;
pub mod immutable;
pub mod jobs;
pub mod ldap;
pub mod links;
mod logout;
pub mod mail;
pub mod memberships;
mod namespaces;
pub mod narrow;
pub mod notifications;
pub mod oidc;
pub mod oidc_admin;
mod oidc_http;
pub mod outbound;
pub mod packaged;
pub mod packages;
pub mod password_reset;
pub mod profile;
pub mod proxy;
pub mod quota;
pub mod repositories;
pub mod saml;
pub mod sessions;
pub mod settings;
mod signed_tokens;
pub mod signing;
pub mod signup;
pub mod site;
pub mod sso;
pub mod throttle;
pub mod timing;
pub mod trusted;
pub mod trusted_token;
mod uploads;
pub mod upstream_cache;
pub mod upstreams;
pub mod usage;
pub mod verification;
mod versions;
pub mod webhooks;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use entrepot_core::{PackageType, Policy};
use entrepot_store::{BlobStore, MetadataStore};

pub use error::{ServiceError, ServiceResult};

/// Limits an operator may tune.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest single file a client may upload, in bytes.
    pub max_upload_bytes: u64,
    /// The largest container layer (GitHub allows 10 GB).
    pub max_layer_bytes: u64,
    /// Public versions downloaded more than this many times cannot be
    /// deleted (GitHub: 5,000).
    pub delete_download_limit: i64,
    /// How long deleted packages and versions stay restorable before the
    /// purge job removes them (GitHub: 30 days).
    pub retention: chrono::TimeDelta,
    /// How much the cache of upstream packages may keep.
    pub upstream_cache: upstream_cache::CachePolicy,
    /// When (UTC) the daily job applies owners' cleanup rules.
    pub cleanup_at: chrono::NaiveTime,
    /// Who may make accounts and organizations.
    pub accounts: signup::AccountPolicy,
    /// The quota of every owner without one of all formats of its own.
    pub default_quota: entrepot_core::quota::Limits,
    /// The longest a narrow or robot token may live.
    pub max_token_lifetime: chrono::TimeDelta,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_upload_bytes: 256 * 1024 * 1024,
            max_layer_bytes: 10 * 1024 * 1024 * 1024,
            delete_download_limit: 5000,
            retention: chrono::TimeDelta::days(30),
            upstream_cache: upstream_cache::CachePolicy::default(),
            cleanup_at: chrono::NaiveTime::from_hms_opt(3, 0, 0).expect("a time of day"),
            accounts: signup::AccountPolicy::default(),
            default_quota: entrepot_core::quota::Limits::default(),
            max_token_lifetime: narrow::DEFAULT_MAX_LIFETIME,
        }
    }
}

/// Counters the metrics endpoint reads; kept here so that the service stays
/// ignorant of how they are exported.
#[derive(Debug, Default)]
pub struct Stats {
    pub publishes: AtomicU64,
    pub downloads: AtomicU64,
    /// Publishes and downloads by format, in `PackageType::ALL`'s order.
    by_format: [(AtomicU64, AtomicU64); 16],
    /// Upstream proxy: files served from the cache, and fetched.
    pub proxy_hits: AtomicU64,
    pub proxy_misses: AtomicU64,
    /// Webhook delivery attempts that the receiver took (2xx), and the rest.
    pub webhook_delivered: AtomicU64,
    pub webhook_failed: AtomicU64,
    /// The blob store's latency per operation.
    pub blob_latency: timing::BlobLatency,
}

impl Stats {
    fn slot(&self, package_type: PackageType) -> Option<&(AtomicU64, AtomicU64)> {
        let i = PackageType::ALL.iter().position(|t| *t == package_type)?;
        self.by_format.get(i)
    }

    /// Counts a version or file published.
    pub fn published(&self, package_type: PackageType) {
        self.publishes.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = self.slot(package_type) {
            slot.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a package file downloaded.
    pub fn downloaded(&self, package_type: PackageType) {
        self.downloads.fetch_add(1, Ordering::Relaxed);
        if let Some(slot) = self.slot(package_type) {
            slot.1.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Publishes and downloads of each format.
    pub fn by_format(&self) -> Vec<(PackageType, u64, u64)> {
        PackageType::ALL
            .iter()
            .zip(&self.by_format)
            .map(|(t, (p, d))| (*t, p.load(Ordering::Relaxed), d.load(Ordering::Relaxed)))
            .collect()
    }
}

/// The registry's use cases over one metadata store and one blob store.
///
/// The root holds what every concern shares: the stores, the limits, the
/// formats served, and the access rules in [`access`] (who may see, and
/// who may publish where). The use cases themselves live in one service
/// per concern, reached as `registry.packages()`, `.accounts()`, … and
/// declared at the end of this file.
#[derive(Clone)]
pub struct Registry {
    /// The stores, private: the service is the only door to them.
    pub(crate) meta: Arc<dyn MetadataStore>,
    pub(crate) blob_store: Arc<dyn BlobStore>,
    pub(crate) policy: Policy,
    pub limits: Limits,
    pub stats: Arc<Stats>,
    /// Download counts not yet written.
    download_buffer: Arc<downloads::DownloadBuffer>,
    /// Webhook delivery settings and the worker's wake-up bell.
    pub delivery: Arc<webhooks::DeliveryControl>,
    /// The client every request this server sends goes through.
    pub outbound: Arc<outbound::Outbound>,
    /// Blobs recently stored by uploads, which a refused twin must not take.
    holds: Arc<blobs::Holds>,
    /// The formats served and the public URL, for naming and linking.
    catalog: Arc<format::Catalog>,
    /// One fetch per upstream miss on this node.
    flights: Arc<proxy::Flights>,
    /// Where mail goes, if the operator configured a mail server.
    pub(crate) mailer: mail::Mailer,
    /// The identity providers people may sign in with.
    pub(crate) identity_providers: Arc<oidc::IdentityProviders>,
    /// The signing keys of CI token issuers, as last fetched.
    issuer_keys: Arc<trusted_token::IssuerKeys>,
    /// The issuers of CI tokens that trusted publishers may name.
    pub(crate) trusted_issuers: Arc<Vec<String>>,
    /// The registry's signing keys, as last read.
    signing_keys: Arc<signing::KeyCache>,
}

impl Registry {
    pub fn new(
        meta: Arc<dyn MetadataStore>,
        blobs: Arc<dyn BlobStore>,
        policy: Policy,
        limits: Limits,
    ) -> Self {
        let stats: Arc<Stats> = Arc::default();
        let blob_store = Arc::new(timing::TimedBlobs {
            inner: blobs,
            stats: stats.clone(),
        });
        Registry {
            meta,
            blob_store,
            policy,
            limits,
            stats,
            download_buffer: Arc::default(),
            delivery: Arc::default(),
            outbound: Arc::default(),
            holds: Arc::default(),
            catalog: Arc::default(),
            flights: Arc::default(),
            mailer: None,
            identity_providers: Arc::default(),
            issuer_keys: Arc::default(),
            signing_keys: Arc::default(),
            trusted_issuers: Arc::new(vec![
                entrepot_core::trusted::GITHUB_ISSUER.to_owned(),
                entrepot_core::trusted::GITLAB_ISSUER.to_owned(),
            ]),
        }
    }

    /// The registry sending mail through `sender`; set once, as the
    /// registry is built.
    #[must_use]
    pub fn with_mailer(mut self, sender: Arc<dyn mail::MailSender>) -> Self {
        self.mailer = Some(sender);
        self
    }

    /// The registry accepting CI tokens of these issuers for trusted
    /// publishing; set once, as the registry is built.
    #[must_use]
    pub fn with_trusted_issuers(mut self, issuers: Vec<String>) -> Self {
        self.trusted_issuers = Arc::new(issuers);
        self
    }

    /// The registry letting people sign in with these providers; set once,
    /// as the registry is built.
    #[must_use]
    pub fn with_identity_providers(mut self, providers: oidc::IdentityProviders) -> Self {
        self.identity_providers = Arc::new(providers);
        self
    }

    /// The registry serving `catalog`'s formats at its URL; set once, as
    /// the registry is built, before anything shares it.
    #[must_use]
    pub fn with_catalog(mut self, catalog: format::Catalog) -> Self {
        self.catalog = Arc::new(catalog);
        self
    }

    /// The formats served and the public URL.
    #[must_use]
    pub fn catalog(&self) -> &format::Catalog {
        &self.catalog
    }
}

/// Declares a service per concern: a borrowed view of the registry whose
/// methods are that concern's use cases. Views share the root's stores and
/// rules by dereferencing to it, so one use case may call another
/// concern's (`self.webhooks().emit_package_event(…)`) without owning it.
macro_rules! concerns {
    ($($(#[$doc:meta])* $name:ident => $accessor:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy)]
            pub struct $name<'a>(&'a Registry);

            impl std::ops::Deref for $name<'_> {
                type Target = Registry;
                fn deref(&self) -> &Registry {
                    self.0
                }
            }
        )*

        impl Registry {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $accessor(&self) -> $name<'_> {
                    $name(self)
                }
            )*
        }
    };
}

concerns! {
    /// Packages and their versions: publishing, tags, deletion and
    /// restoration, visibility and access settings, downloads, and reads
    /// (`packages.rs`, `files.rs`, `versions.rs`, `browse.rs`,
    /// `namespaces.rs`, `discovery.rs`, `settings.rs`, `packaged.rs`).
    Packages => packages;
    /// Stored content: streaming blobs in and out, the links that name them
    /// (container layers and manifests), chunked uploads, and which blobs
    /// may go (`blobs.rs`, `links.rs`, `uploads.rs`).
    Blobs => blobs;
    /// Users, organizations, repositories, collaborators and tokens
    /// (`accounts.rs`, `logout.rs`).
    Accounts => accounts;
    /// Who is calling: credentials, web sessions, signed bearer tokens and
    /// sign-in throttling (`auth.rs`, `sessions.rs`, `signed_tokens.rs`,
    /// `throttle.rs`).
    Sessions => sessions;
    /// Sign-in through external identity providers, and the identities
    /// linked to accounts (`identity.rs`, `oidc.rs`).
    Identity => identity;
    /// Trusted publishing: CI identities that may publish a package, and
    /// the exchange of their tokens for narrow ones (`trusted.rs`,
    /// `trusted_token.rs`).
    TrustedPublishing => trusted;
    /// Dependency alerts: packages here that depend on a vulnerable
    /// version, judged when advisories or dependencies change (`alerts.rs`,
    /// `alert_events.rs`).
    DependencyAlerts => alerts;
    /// The dependency graph: what packages depend on, and who depends on
    /// them (`graph.rs`).
    DependencyGraph => graph;
    /// Signed images: keys a container package requires, the signatures
    /// pushed for its manifests or attached by cosign, and their check
    /// (`image_signing.rs`, `image_attachments.rs`, `image_verify.rs`).
    ImageSigning => image_signing;
    /// Webhooks: their settings, the events they receive and their
    /// delivery (`webhooks.rs`, `delivery.rs`).
    Webhooks => webhooks;
    /// Security advisories, the versions they affect, and the
    /// notifications they send (`advisories.rs`, `notifications.rs`).
    Advisories => advisories;
    /// Upstream registries to proxy and cache, whose names are reserved
    /// owners, and what is fetched from them (`upstreams.rs`, `proxy.rs`).
    Upstreams => upstreams;
    /// Lifecycle governance: owners' cleanup rules, their preview and
    /// their runs (`cleanup.rs`).
    Governance => governance;
    /// What an operator runs: the purge of expired content, the consistency
    /// check, and the claim that lets one node of many run a job
    /// (`jobs.rs`, `fsck.rs`).
    Maintenance => maintenance;
}

//! HTTPS with certificates obtained and renewed over ACME (RFC 8555), as
//! Let's Encrypt issues them: the TLS-ALPN-01 challenge (RFC 8737) is
//! answered on the listening port itself, so nothing else (no port 80, no
//! DNS API) is needed. The account and the certificate are kept in
//! `DATA_DIR/acme/`, so a restart serves the same certificate at once; a
//! certificate is renewed when a third of its lifetime is left.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount,
    NewOrder, OrderStatus, RetryPolicy,
};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};
use tokio_rustls::TlsAcceptor;

use crate::tls::ACME_TLS_ALPN;

mod http;

/// Where certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeSettings {
    /// The names the certificate covers; the first is the base URL's host.
    pub domains: Vec<String>,
    /// The ACME directory (Let's Encrypt's by default).
    pub directory: url::Url,
    /// `mailto:` addresses the CA may write to about the account.
    pub contact: Vec<String>,
}

/// Let's Encrypt's production directory, the default.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// The longest wait between two looks at the certificate.
const LOOK_EVERY: Duration = Duration::from_hours(12);
/// The first wait after a failed attempt, doubled up to `LOOK_EVERY`.
const FIRST_RETRY: Duration = Duration::from_mins(1);
/// How long the CA may take to validate, then to issue.
const ORDER_PATIENCE: Duration = Duration::from_mins(3);
/// Anything the CA sends is far smaller than this.
pub(crate) const MAX_ANSWER: usize = 1 << 20;

/// The certificate served, and the challenge certificates presented while
/// an order is validated.
#[derive(Debug, Default)]
struct Certificates {
    current: RwLock<Option<Issued>>,
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

#[derive(Debug, Clone)]
struct Issued {
    key: Arc<CertifiedKey>,
    renew_at: SystemTime,
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let validating = hello
            .alpn()
            .is_some_and(|mut offered| offered.any(|p| p == ACME_TLS_ALPN));
        if validating {
            let name = hello.server_name()?.to_ascii_lowercase();
            return read(&self.challenges).get(&name).cloned();
        }
        read(&self.current).as_ref().map(|i| i.key.clone())
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

fn write<T>(lock: &RwLock<T>, value: T) {
    *lock
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = value;
}

/// The acceptor, serving the stored certificate if it covers the domains;
/// a task obtains one (until then handshakes fail) and renews it.
pub fn acceptor(
    settings: AcmeSettings,
    state_dir: PathBuf,
    client: reqwest_hooks::Client,
) -> anyhow::Result<TlsAcceptor> {
    std::fs::create_dir_all(&state_dir)
        .with_context(|| format!("creating {}", state_dir.display()))?;
    let certificates = Arc::new(Certificates::default());
    match stored(&state_dir, &settings.domains) {
        Ok(Some(issued)) => write(&certificates.current, Some(issued)),
        Ok(None) => {}
        Err(e) => tracing::warn!(
            error = %format!("{e:#}"),
            "the stored ACME certificate does not load; ordering a new one"
        ),
    }
    let acceptor = crate::tls::server_config(certificates.clone(), true)?;
    let keeper = Keeper {
        settings,
        state_dir,
        http: http::AcmeHttp::new(client),
        certificates,
    };
    tokio::spawn(keeper.run());
    Ok(acceptor)
}

struct Keeper {
    settings: AcmeSettings,
    state_dir: PathBuf,
    http: http::AcmeHttp,
    certificates: Arc<Certificates>,
}

impl Keeper {
    /// Orders when no certificate is held or renewal is due, and retries
    /// a failed order with a growing wait.
    async fn run(self) {
        let mut retry = FIRST_RETRY;
        loop {
            let due = read(&self.certificates.current).map(|i| i.renew_at);
            let wait = due.map_or(Duration::ZERO, |at| {
                at.duration_since(SystemTime::now()).unwrap_or_default()
            });
            if !wait.is_zero() {
                tokio::time::sleep(wait.min(LOOK_EVERY)).await;
                continue;
            }
            match self.obtain().await {
                Ok(issued) => {
                    retry = FIRST_RETRY;
                    tracing::info!(
                        domains = %self.settings.domains.join(","),
                        renew_at = %chrono::DateTime::<chrono::Utc>::from(issued.renew_at).to_rfc3339(),
                        "ACME certificate obtained"
                    );
                    write(&self.certificates.current, Some(issued));
                }
                Err(e) => {
                    tracing::warn!(
                        error = %format!("{e:#}"),
                        directory = %self.settings.directory,
                        retry_in_s = retry.as_secs(),
                        "could not obtain an ACME certificate"
                    );
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(LOOK_EVERY);
                }
            }
        }
    }

    /// One order: every authorization answered by TLS-ALPN-01, then the
    /// certificate fetched and stored.
    async fn obtain(&self) -> anyhow::Result<Issued> {
        let account = self.account().await?;
        let identifiers: Vec<Identifier> = self
            .settings
            .domains
            .iter()
            .map(|d| Identifier::Dns(d.clone()))
            .collect();
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .context("placing the order")?;
        let answered = self.answer(&mut order).await;
        let ready = match answered {
            Ok(()) => order
                .poll_ready(&RetryPolicy::new().timeout(ORDER_PATIENCE))
                .await
                .context("waiting for validation"),
            Err(e) => Err(e),
        };
        write(&self.certificates.challenges, HashMap::new());
        let status = ready?;
        if status != OrderStatus::Ready {
            let problems: Vec<String> = order
                .state()
                .error
                .iter()
                .map(ToString::to_string)
                .collect();
            bail!(
                "the order is {status:?}, not ready: {}",
                problems.join("; ")
            );
        }
        let key_pem = order.finalize().await.context("finalizing the order")?;
        let chain_pem = order
            .poll_certificate(&RetryPolicy::new().timeout(ORDER_PATIENCE))
            .await
            .context("fetching the certificate")?;
        let issued = issued(chain_pem.as_bytes(), key_pem.as_bytes())?;
        let dir = self.state_dir.clone();
        tokio::task::spawn_blocking(move || store(&dir, &chain_pem, &key_pem))
            .await
            .context("storing the certificate")??;
        Ok(issued)
    }

    /// Presents a challenge certificate for each pending authorization and
    /// tells the CA it may validate.
    async fn answer(&self, order: &mut instant_acme::Order) -> anyhow::Result<()> {
        let mut authorizations = order.authorizations();
        while let Some(next) = authorizations.next().await {
            let mut authorization = next.context("reading an authorization")?;
            match authorization.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => bail!("an authorization is {other:?}"),
            }
            let mut challenge = authorization
                .challenge(ChallengeType::TlsAlpn01)
                .context("the CA offers no tls-alpn-01 challenge")?;
            let name = challenge.identifier().to_string().to_ascii_lowercase();
            let digest = challenge.key_authorization().digest();
            let presented = challenge_certificate(&name, digest.as_ref())?;
            self.certificates
                .challenges
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(name, presented);
            challenge
                .set_ready()
                .await
                .context("answering a challenge")?;
        }
        Ok(())
    }

    /// The stored account for this directory, or a new one (stored).
    async fn account(&self) -> anyhow::Result<Account> {
        let path = self.state_dir.join("account.json");
        let directory = self.settings.directory.as_str();
        if let Ok(text) = tokio::fs::read(&path).await {
            let saved: SavedAccount =
                serde_json::from_slice(&text).with_context(|| format!("{}", path.display()))?;
            if saved.directory == directory {
                return Account::builder_with_http(Box::new(self.http.clone()))
                    .from_credentials(saved.credentials)
                    .await
                    .context("restoring the ACME account");
            }
        }
        let contact: Vec<&str> = self.settings.contact.iter().map(String::as_str).collect();
        let (account, credentials) = Account::builder_with_http(Box::new(self.http.clone()))
            .create(
                &NewAccount {
                    contact: &contact,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                },
                directory.to_owned(),
                None,
            )
            .await
            .context("creating the ACME account")?;
        let saved = serde_json::to_vec_pretty(&SavedAccount {
            directory: directory.to_owned(),
            credentials,
        })?;
        tokio::task::spawn_blocking(move || write_private(&path, &saved))
            .await
            .context("storing the ACME account")??;
        Ok(account)
    }
}

#[derive(Serialize, Deserialize)]
struct SavedAccount {
    directory: String,
    credentials: AccountCredentials,
}

/// The self-signed certificate TLS-ALPN-01 wants: for `name` alone, with
/// the critical acmeIdentifier extension holding the key authorization's
/// SHA-256.
fn challenge_certificate(name: &str, digest: &[u8]) -> anyhow::Result<Arc<CertifiedKey>> {
    let mut params = rcgen::CertificateParams::new(vec![name.to_owned()])?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    // Built without `CertifiedKey::from_der`'s check, which refuses the
    // critical extension that is the point of this certificate.
    let key_der = rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let signing = rustls::crypto::aws_lc_rs::default_provider()
        .key_provider
        .load_private_key(key_der)?;
    Ok(Arc::new(CertifiedKey::new(
        vec![cert.der().clone()],
        signing,
    )))
}

/// A chain and key checked to pair, with when to renew them.
fn issued(chain_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<Issued> {
    let key = crate::tls::pair(chain_pem, key_pem)?;
    let leaf = key.end_entity_cert().context("an empty chain")?;
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).context("reading the certificate")?;
    let validity = cert.validity();
    let renew_at = renew_at(
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    drop(cert);
    Ok(Issued { key, renew_at })
}

/// When a certificate valid from `not_before` to `not_after` (Unix
/// seconds) is renewed: with a third of its lifetime left, as certbot
/// does for Let's Encrypt's 90 days.
fn renew_at(not_before: i64, not_after: i64) -> SystemTime {
    let lifetime = not_after.saturating_sub(not_before).max(0);
    let at = not_after.saturating_sub(lifetime / 3).max(0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(at.unsigned_abs())
}

/// The names a certificate covers (its DNS subject alternative names).
fn names(leaf: &[u8]) -> anyhow::Result<Vec<String>> {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).context("reading the certificate")?;
    let Some(san) = cert
        .subject_alternative_name()
        .context("reading the alternative names")?
    else {
        return Ok(Vec::new());
    };
    Ok(san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
            _ => None,
        })
        .collect())
}

/// The stored certificate, if there is one and it covers every domain.
fn stored(dir: &Path, domains: &[String]) -> anyhow::Result<Option<Issued>> {
    let (Ok(chain), Ok(key)) = (
        std::fs::read(dir.join("certificate.pem")),
        std::fs::read(dir.join("key.pem")),
    ) else {
        return Ok(None);
    };
    let issued = issued(&chain, &key)?;
    let leaf = issued.key.end_entity_cert().context("an empty chain")?;
    let covered = names(leaf)?;
    if domains
        .iter()
        .all(|d| covered.contains(&d.to_ascii_lowercase()))
    {
        Ok(Some(issued))
    } else {
        tracing::info!(
            covered = %covered.join(","),
            "the stored ACME certificate does not cover every --acme-domain; ordering a new one"
        );
        Ok(None)
    }
}

/// Stores the key, then the chain, each written whole before it replaces
/// the one before.
fn store(dir: &Path, chain_pem: &str, key_pem: &str) -> anyhow::Result<()> {
    write_private(&dir.join("key.pem"), key_pem.as_bytes())?;
    write_private(&dir.join("certificate.pem"), chain_pem.as_bytes())
}

/// Writes a file readable by its owner only, through a temporary file.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("new");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .with_context(|| format!("writing {}", temporary.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_is_due_with_a_third_of_the_lifetime_left() {
        let day = 86_400;
        let at = renew_at(0, 90 * day);
        assert_eq!(
            at,
            SystemTime::UNIX_EPOCH + Duration::from_secs(60 * day as u64)
        );
        // A certificate that ended before it began is due at once.
        assert_eq!(
            renew_at(10, 5),
            SystemTime::UNIX_EPOCH + Duration::from_secs(5)
        );
    }

    #[test]
    fn a_challenge_certificate_names_the_domain_and_carries_the_digest() {
        let digest = [7u8; 32];
        let presented = challenge_certificate("registry.example", &digest).unwrap();
        let leaf = presented.end_entity_cert().unwrap();
        assert_eq!(names(leaf).unwrap(), ["registry.example"]);
        let (_, cert) = x509_parser::parse_x509_certificate(leaf).unwrap();
        let acme_identifier = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("the acmeIdentifier extension");
        assert!(acme_identifier.critical);
        // An OCTET STRING of the 32-byte digest.
        assert_eq!(acme_identifier.value[..2], [0x04, 32]);
        assert_eq!(acme_identifier.value[2..], digest);
    }

    #[test]
    fn a_stored_certificate_serves_only_if_it_covers_every_domain() {
        let dir = tempfile::tempdir().unwrap();
        assert!(stored(dir.path(), &["a.example".into()]).unwrap().is_none());
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["a.example".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        store(dir.path(), &cert.pem(), &key.serialize_pem()).unwrap();
        assert!(stored(dir.path(), &["A.example".into()]).unwrap().is_some());
        assert!(
            stored(dir.path(), &["a.example".into(), "b.example".into()])
                .unwrap()
                .is_none()
        );
        let mode = std::fs::metadata(dir.path().join("key.pem"))
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()))
            .unwrap();
        assert_eq!(mode & 0o777, 0o600);
    }
}

//! HTTPS served directly, with HTTP/2 offered by ALPN: a certificate chain
//! and key from PEM files (`--tls-cert`, `--tls-key`), read again whenever
//! either file changes, so that a renewed certificate is served without a
//! restart and a half-written pair is never served.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::{Context, bail};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// How often the files are looked at for a change.
const WATCH_EVERY: Duration = Duration::from_secs(5);

/// The certificate in use, swapped when the files change.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.0
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        )
    }
}

/// Reads a certificate chain and its private key, and checks they match.
fn load(cert: &Path, key: &Path) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain = std::fs::read(cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?;
    let key_pem =
        std::fs::read(key).with_context(|| format!("reading the private key {}", key.display()))?;
    pair(&chain, &key_pem).with_context(|| format!("{} and {}", cert.display(), key.display()))
}

/// A certificate chain and its private key from PEM text, checked to match.
pub(crate) fn pair(chain_pem: &[u8], key_pem: &[u8]) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem)
        .collect::<Result<_, _>>()
        .context("reading the certificate chain")?;
    if chain.is_empty() {
        bail!("no certificate in the chain");
    }
    let key_der = PrivateKeyDer::from_pem_slice(key_pem).context("reading the private key")?;
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let certified = CertifiedKey::from_der(chain, key_der, &provider)
        .context("the certificate and the key do not make a pair")?;
    Ok(Arc::new(certified))
}

/// The ALPN protocol of ACME's TLS-ALPN-01 challenge (RFC 8737): a
/// connection that negotiates it is a validation, closed after the
/// handshake.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// An acceptor whose certificates come from `resolver`, offering HTTP/2
/// and HTTP/1.1 (and ACME's validation protocol when `acme`).
pub(crate) fn server_config(
    resolver: Arc<dyn ResolvesServerCert>,
    acme: bool,
) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if acme {
        config.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
    }
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// When either file last changed.
fn stamp(cert: &Path, key: &Path) -> Option<(SystemTime, SystemTime)> {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((modified(cert)?, modified(key)?))
}

/// The acceptor for `cert` and `key`; a task keeps it current.
pub fn acceptor(cert: PathBuf, key: PathBuf) -> anyhow::Result<TlsAcceptor> {
    let current = Arc::new(Current(RwLock::new(load(&cert, &key)?)));
    let acceptor = server_config(current.clone(), false)?;
    tokio::spawn(watch(current, cert, key));
    Ok(acceptor)
}

/// Reads the pair again when either file changes; a pair that does not
/// load (half written, mismatched) leaves the one in use, and is tried
/// again at the next change.
async fn watch(current: Arc<Current>, cert: PathBuf, key: PathBuf) {
    let mut seen = stamp(&cert, &key);
    let mut every = tokio::time::interval(WATCH_EVERY);
    loop {
        every.tick().await;
        let now = stamp(&cert, &key);
        if now == seen {
            continue;
        }
        let (c, k) = (cert.clone(), key.clone());
        match tokio::task::spawn_blocking(move || load(&c, &k)).await {
            Ok(Ok(loaded)) => {
                *current
                    .0
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = loaded;
                seen = now;
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            Ok(Err(e)) => {
                seen = now;
                tracing::warn!(error = %format!("{e:#}"), "the TLS certificate changed but does not load; serving the previous one");
            }
            Err(e) => tracing::warn!(error = %e, "reloading the TLS certificate failed"),
        }
    }
}

//! The registry's own signing keys (ECDSA P-256), as npm's registry signs
//! every version: `name@version:integrity`, verified by `npm audit
//! signatures` against the keys the registry lists. The keys live in the
//! shared settings (PKCS#8), so every node signs with the same one; a
//! rotation retires the current key with an expiry (signatures of
//! versions published before it stay verifiable) and makes a new one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Registry, ServiceError, ServiceResult};

/// The setting the keys are kept under.
const SETTING: &str = "npm_signing_keys";
/// How long a node uses the keys it read before reading them again, so
/// that a rotation on one node reaches the others.
const RELOAD: Duration = Duration::from_mins(1);
/// The most signatures remembered, so that a document shown again (an
/// upstream's packument, a version document) is not signed again.
const REMEMBERED: usize = 100_000;
/// The DER header of a P-256 public key's `SubjectPublicKeyInfo`, before
/// its 65-byte uncompressed point.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// A key as the settings keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    /// PKCS#8, base64.
    pkcs8: String,
    created: DateTime<Utc>,
    /// Set when the key was rotated out: it signs nothing after.
    expires: Option<DateTime<Utc>>,
}

/// A public key as `/-/npm/v1/keys` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicKey {
    /// `SHA256:` and the unpadded base64 SHA-256 of the key (as npm's).
    pub keyid: String,
    /// The `SubjectPublicKeyInfo`, DER, base64.
    pub key: String,
    pub created: DateTime<Utc>,
    pub expires: Option<DateTime<Utc>>,
}

/// One signature of `dist.signatures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    pub keyid: String,
    /// The DER ECDSA signature, base64.
    pub sig: String,
}

/// The keys, loaded: the current one signs, all are listed.
pub struct SigningKeys {
    current: EcdsaKeyPair,
    current_id: String,
    public: Vec<PublicKey>,
    remembered: Mutex<HashMap<String, Signature>>,
}

/// What a node keeps of the keys between reads.
#[derive(Default)]
pub struct KeyCache(Mutex<Option<(Instant, Arc<SigningKeys>)>>);

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(format!("signing keys: {e}"))
}

fn new_key(now: DateTime<Utc>) -> ServiceResult<StoredKey> {
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
        .map_err(internal)?;
    Ok(StoredKey {
        pkcs8: STANDARD.encode(pkcs8.as_ref()),
        created: now,
        expires: None,
    })
}

impl SigningKeys {
    fn load(stored: &[StoredKey]) -> ServiceResult<SigningKeys> {
        let mut public = Vec::new();
        let mut current = None;
        for key in stored {
            let pkcs8 = STANDARD.decode(&key.pkcs8).map_err(internal)?;
            let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8)
                .map_err(internal)?;
            let mut spki = SPKI_P256_PREFIX.to_vec();
            spki.extend_from_slice(pair.public_key().as_ref());
            let keyid = format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&spki)));
            public.push(PublicKey {
                keyid: keyid.clone(),
                key: STANDARD.encode(&spki),
                created: key.created,
                expires: key.expires,
            });
            if key.expires.is_none() {
                current = Some((pair, keyid));
            }
        }
        let (current, current_id) = current.ok_or_else(|| internal("no current key"))?;
        Ok(SigningKeys {
            current,
            current_id,
            public,
            remembered: Mutex::default(),
        })
    }

    /// A key of its own, kept nowhere: for tests and tools.
    pub fn ephemeral() -> ServiceResult<SigningKeys> {
        SigningKeys::load(&[new_key(Utc::now())?])
    }

    /// Every key, the retired ones with their expiry.
    #[must_use]
    pub fn public(&self) -> &[PublicKey] {
        &self.public
    }

    /// The current key's signature of `message` (SHA-256, ECDSA, DER).
    /// A few tens of microseconds: callers signing many keep off the
    /// async executor.
    pub fn sign(&self, message: &str) -> ServiceResult<Signature> {
        if let Some(known) = self.remembered.lock().expect("signatures").get(message) {
            return Ok(known.clone());
        }
        let sig = self
            .current
            .sign(&SystemRandom::new(), message.as_bytes())
            .map_err(internal)?;
        let signature = Signature {
            keyid: self.current_id.clone(),
            sig: STANDARD.encode(sig.as_ref()),
        };
        let mut remembered = self.remembered.lock().expect("signatures");
        if remembered.len() >= REMEMBERED {
            remembered.clear();
        }
        remembered.insert(message.to_owned(), signature.clone());
        Ok(signature)
    }
}

impl Registry {
    /// The registry's signing keys, made on first use.
    pub async fn signing_keys(&self) -> ServiceResult<Arc<SigningKeys>> {
        if let Some((at, keys)) = &*self.signing_keys.0.lock().expect("key cache")
            && at.elapsed() < RELOAD
        {
            return Ok(keys.clone());
        }
        let first = serde_json::to_string(&[new_key(Utc::now())?]).map_err(internal)?;
        let stored = self.meta.setting_or_init(SETTING, &first).await?;
        let stored: Vec<StoredKey> = serde_json::from_str(&stored).map_err(internal)?;
        let keys = Arc::new(SigningKeys::load(&stored)?);
        *self.signing_keys.0.lock().expect("key cache") = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// Retires the current key (it expires now) and makes a new one; the
    /// operator's `admin signing-key rotate`.
    pub async fn rotate_signing_key(&self) -> ServiceResult<PublicKey> {
        self.signing_keys().await?;
        let stored = self
            .meta
            .setting(SETTING)
            .await?
            .ok_or_else(|| internal("no keys"))?;
        let mut stored: Vec<StoredKey> = serde_json::from_str(&stored).map_err(internal)?;
        let now = Utc::now();
        for key in &mut stored {
            key.expires.get_or_insert(now);
        }
        stored.push(new_key(now)?);
        let text = serde_json::to_string(&stored).map_err(internal)?;
        self.meta.set_setting(SETTING, Some(&text)).await?;
        let keys = Arc::new(SigningKeys::load(&stored)?);
        *self.signing_keys.0.lock().expect("key cache") = Some((Instant::now(), keys.clone()));
        keys.public
            .last()
            .cloned()
            .ok_or_else(|| internal("no keys"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};

    #[test]
    fn a_signature_verifies_with_the_listed_key_and_only_for_its_message() {
        let keys = SigningKeys::load(&[new_key(Utc::now()).unwrap()]).unwrap();
        let message = "@acme/widget@1.0.0:sha512-abc";
        let signature = keys.sign(message).unwrap();
        let listed = &keys.public()[0];
        assert_eq!(signature.keyid, listed.keyid);
        assert!(listed.keyid.starts_with("SHA256:"));
        let spki = STANDARD.decode(&listed.key).unwrap();
        assert_eq!(spki.len(), 91);
        let point = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &spki[26..]);
        let sig = STANDARD.decode(&signature.sig).unwrap();
        assert!(point.verify(message.as_bytes(), &sig).is_ok());
        assert!(
            point
                .verify(b"@acme/widget@1.0.1:sha512-abc", &sig)
                .is_err()
        );
    }

    #[test]
    fn a_rotated_key_stays_listed_with_its_expiry_and_signs_no_more() {
        let old = StoredKey {
            expires: Some(Utc::now()),
            ..new_key(Utc::now()).unwrap()
        };
        let keys = SigningKeys::load(&[old, new_key(Utc::now()).unwrap()]).unwrap();
        assert_eq!(keys.public().len(), 2);
        assert!(keys.public()[0].expires.is_some());
        assert!(keys.public()[1].expires.is_none());
        assert_eq!(keys.sign("m").unwrap().keyid, keys.public()[1].keyid);
    }
}

//! Checking container image signatures against the keys a package
//! requires: OpenPGP signed messages (simple signing) with rPGP, ECDSA
//! P-256 signatures of a payload (sigstore) with aws-lc-rs. Pure and
//! synchronous: callers run it on a blocking thread.

use std::io::{Cursor, Read as _};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use entrepot_core::image_signing::{KeyKind, MAX_SIGNATURE_BYTES, Payload, SignatureFormat};
use pgp::composed::{Deserializable as _, Message, SignedPublicKey};
use pgp::types::{KeyDetails as _, VerifyingKey};
use sha2::{Digest as _, Sha256};

/// A public key, parsed once per check.
pub enum Key {
    Openpgp(Box<SignedPublicKey>),
    Cosign(ParsedPublicKey),
}

/// A key as given: its kind, its fingerprint, and the key.
pub struct ParsedKey {
    pub kind: KeyKind,
    pub fingerprint: String,
    pub key: Key,
}

/// Reads an armored OpenPGP public key or a PEM ECDSA P-256 public key
/// (cosign's `cosign.pub`), saying what is wrong with anything else.
pub fn parse_key(text: &str) -> Result<ParsedKey, String> {
    let text = text.trim();
    if text.len() > entrepot_core::image_signing::MAX_KEY_BYTES {
        return Err("the key is too large".into());
    }
    if text.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
        let (key, _) = SignedPublicKey::from_string(text)
            .map_err(|e| format!("not an OpenPGP public key: {e}"))?;
        key.verify_bindings()
            .map_err(|e| format!("the OpenPGP key's self-signatures do not verify: {e}"))?;
        return Ok(ParsedKey {
            kind: KeyKind::Openpgp,
            fingerprint: format!("{:X}", key.fingerprint()),
            key: Key::Openpgp(Box::new(key)),
        });
    }
    if let Some(body) = text
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
    {
        let der: String = body.split_whitespace().collect();
        let der = STANDARD
            .decode(der)
            .map_err(|e| format!("the PEM key is not base64: {e}"))?;
        let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &der)
            .map_err(|_| "not an ECDSA P-256 public key (cosign's keys are)".to_owned())?;
        return Ok(ParsedKey {
            kind: KeyKind::Cosign,
            fingerprint: format!("SHA256:{}", hex::encode(Sha256::digest(&der))),
            key: Key::Cosign(key),
        });
    }
    Err(
        "give an armored OpenPGP public key (gpg --armor --export) or a PEM public key (cosign.pub)"
            .into(),
    )
}

/// A signature to check, as kept.
pub enum Signed<'a> {
    /// An OpenPGP signed message whose literal data is the payload.
    Openpgp(&'a [u8]),
    /// A payload and its ECDSA signature (DER, as cosign writes it).
    Sigstore {
        payload: &'a [u8],
        signature: &'a [u8],
    },
}

/// What one signature came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The fingerprint of the required key it verifies with, if any.
    pub verified_by: Option<String>,
    /// What the signature says it signs, when it could be read.
    pub payload: Option<Payload>,
    /// Why it does not count, when it does not.
    pub problem: Option<String>,
    /// OpenPGP: the key ID the signature says made it (upper-case hex).
    pub issuer: Option<String>,
}

impl Checked {
    fn problem(problem: String) -> Checked {
        Checked {
            verified_by: None,
            payload: None,
            problem: Some(problem),
            issuer: None,
        }
    }
}

/// Checks `signed` against `keys` and that it names `digest` in
/// `repository`. With no keys, only what it says is read.
#[must_use]
pub fn check(signed: &Signed<'_>, keys: &[ParsedKey], digest: &str, repository: &str) -> Checked {
    let mut checked = match signed {
        Signed::Openpgp(message) => check_openpgp(message, keys),
        Signed::Sigstore { payload, signature } => check_sigstore(payload, signature, keys),
    };
    if let Some(payload) = &checked.payload
        && !payload.names(digest, repository)
    {
        checked.verified_by = None;
        checked.problem = Some(format!(
            "it signs {} as {}, not this manifest of {repository}",
            payload.digest, payload.reference
        ));
    }
    checked
}

fn check_openpgp(message: &[u8], keys: &[ParsedKey]) -> Checked {
    let read = || -> Result<(Message<'_>, Vec<u8>), String> {
        let message = Message::from_bytes(Cursor::new(message))
            .and_then(Message::decompress)
            .map_err(|e| format!("not an OpenPGP message: {e}"))?;
        let mut message = message;
        let mut data = Vec::new();
        (&mut message)
            .take(MAX_SIGNATURE_BYTES as u64 + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("the OpenPGP message does not read: {e}"))?;
        if data.len() > MAX_SIGNATURE_BYTES {
            return Err("the signed payload is too large".into());
        }
        Ok((message, data))
    };
    let (message, data) = match read() {
        Ok(read) => read,
        Err(problem) => return Checked::problem(problem),
    };
    if !message.is_signed() {
        return Checked::problem("the OpenPGP message is not signed".into());
    }
    let issuer = match &message {
        Message::Signed { reader, .. } => reader.signature(0).and_then(|s| {
            s.issuer_fingerprint()
                .first()
                .map(|f| format!("{f:X}"))
                .or_else(|| {
                    s.issuer_key_id()
                        .first()
                        .map(|k| hex::encode_upper(k.as_ref()))
                })
        }),
        _ => None,
    };
    let payload = match Payload::parse(SignatureFormat::SimpleSigning, &data) {
        Ok(payload) => payload,
        Err(problem) => {
            return Checked {
                issuer,
                ..Checked::problem(problem)
            };
        }
    };
    let verified_by = keys.iter().find_map(|k| match &k.key {
        Key::Openpgp(key) => {
            let subkeys = key.public_subkeys.iter().map(|s| s as &dyn VerifyingKey);
            std::iter::once(key.as_ref() as &dyn VerifyingKey)
                .chain(subkeys)
                .any(|candidate| message.verify(candidate).is_ok())
                .then(|| k.fingerprint.clone())
        }
        Key::Cosign(_) => None,
    });
    let problem = verified_by
        .is_none()
        .then(|| "not signed by a key this package requires".to_owned());
    Checked {
        verified_by,
        payload: Some(payload),
        problem,
        issuer,
    }
}

fn check_sigstore(payload: &[u8], signature: &[u8], keys: &[ParsedKey]) -> Checked {
    let parsed = match Payload::parse(SignatureFormat::Sigstore, payload) {
        Ok(parsed) => parsed,
        Err(problem) => return Checked::problem(problem),
    };
    let verified_by = keys.iter().find_map(|k| match &k.key {
        Key::Cosign(key) => key
            .verify_sig(payload, signature)
            .is_ok()
            .then(|| k.fingerprint.clone()),
        Key::Openpgp(_) => None,
    });
    let problem = verified_by
        .is_none()
        .then(|| "not signed by a key this package requires".to_owned());
    Checked {
        verified_by,
        payload: Some(parsed),
        problem,
        issuer: None,
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _};

    use super::*;

    const DIGEST: &str = "sha256:6fdbdefbdf323e533f4de222118b2deb0b2b51cc05890ff66178c7ded5d8f62f";

    fn cosign_pair() -> (EcdsaKeyPair, String) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::PublicKeyX509Der>::as_der(
            pair.public_key(),
        )
        .unwrap();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            STANDARD.encode(der.as_ref())
        );
        (pair, pem)
    }

    use aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING;

    fn payload(reference: &str) -> Vec<u8> {
        serde_json::json!({"critical": {
            "type": "cosign container image signature",
            "image": {"docker-manifest-digest": DIGEST},
            "identity": {"docker-reference": reference},
        }, "optional": null})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_sigstore_signature_verifies_with_its_key_only() {
        let (pair, pem) = cosign_pair();
        let (_, other_pem) = cosign_pair();
        let key = parse_key(&pem).unwrap();
        assert_eq!(key.kind, KeyKind::Cosign);
        assert!(key.fingerprint.starts_with("SHA256:"));
        let body = payload("reg.example/alice/app:1");
        let signature = pair.sign(&SystemRandom::new(), &body).unwrap();
        let signed = Signed::Sigstore {
            payload: &body,
            signature: signature.as_ref(),
        };
        let ok = check(&signed, &[key], DIGEST, "alice/app");
        assert_eq!(ok.problem, None);
        assert!(ok.verified_by.is_some());
        let other = check(
            &signed,
            &[parse_key(&other_pem).unwrap()],
            DIGEST,
            "alice/app",
        );
        assert_eq!(
            other.problem.as_deref(),
            Some("not signed by a key this package requires")
        );
        let elsewhere = check(&signed, &[parse_key(&pem).unwrap()], DIGEST, "bob/app");
        assert!(elsewhere.verified_by.is_none());
        assert!(elsewhere.problem.unwrap().contains("not this manifest"));
    }

    #[test]
    fn keys_that_are_not_keys_are_refused_with_what_to_give() {
        for bad in [
            "ssh-ed25519 AAAA",
            "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----",
        ] {
            assert!(parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_is_not_an_openpgp_signature() {
        let checked = check(&Signed::Openpgp(b"\x00\x01junk"), &[], DIGEST, "alice/app");
        assert!(checked.problem.is_some());
        assert!(checked.verified_by.is_none());
    }
}

//! Signed images: the signatures kept beside a container image's manifests
//! and the keys an owner may require them to be made with.
//!
//! Two kinds of signature exist in the field, and both sign the same
//! payload (containers/image's "simple signing" JSON, which cosign reuses):
//! - simple signing (`skopeo copy --sign-by`, podman): an OpenPGP signed
//!   message, pushed through the registry's signature extension API;
//! - sigstore (cosign, `skopeo --sign-by-sigstore-private-key`): an ECDSA
//!   signature of the payload, pushed as an OCI manifest tagged
//!   `sha256-<hex>.sig` whose layers are the payloads.

use serde::{Deserialize, Serialize};

use crate::{Id, Timestamp};

/// The largest signature (or sigstore payload) kept, in bytes.
pub const MAX_SIGNATURE_BYTES: usize = 64 * 1024;
/// The most signatures kept for one manifest.
pub const MAX_SIGNATURES_PER_MANIFEST: usize = 16;
/// The most keys a package may require.
pub const MAX_KEYS_PER_PACKAGE: usize = 32;
/// The largest public key accepted, in bytes (an armored RSA-4096 key with
/// a few user IDs is about 3 KiB).
pub const MAX_KEY_BYTES: usize = 64 * 1024;

/// How a signature was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureFormat {
    /// An OpenPGP signed message over the payload (containers/image).
    SimpleSigning,
    /// An ECDSA signature over the payload (cosign's attachments).
    Sigstore,
}

impl SignatureFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureFormat::SimpleSigning => "simple_signing",
            SignatureFormat::Sigstore => "sigstore",
        }
    }
}

/// A simple-signing signature as stored, pushed through the extension API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSignature {
    pub id: Id,
    pub package_id: Id,
    /// `sha256:<hex>` of the manifest it signs.
    pub manifest_digest: String,
    /// The client's name for it, `DIGEST@<32 hex>`.
    pub name: String,
    /// The OpenPGP message, byte for byte.
    pub content: Vec<u8>,
    pub created_by: Option<Id>,
    pub created_at: Timestamp,
}

/// What kind of public key a package requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// An OpenPGP public key (armored), for simple signing.
    Openpgp,
    /// An ECDSA P-256 public key (PEM), as cosign makes them.
    Cosign,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Openpgp => "openpgp",
            KeyKind::Cosign => "cosign",
        }
    }
}

impl std::str::FromStr for KeyKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "openpgp" => Ok(KeyKind::Openpgp),
            "cosign" => Ok(KeyKind::Cosign),
            other => Err(format!("unknown key kind: {other}")),
        }
    }
}

/// A key a package's images must be signed with (any one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredKey {
    pub id: Id,
    pub package_id: Id,
    pub kind: KeyKind,
    /// OpenPGP: the primary key's fingerprint (upper-case hex); cosign:
    /// `SHA256:` and the hex of the key's DER.
    pub fingerprint: String,
    /// The key as given (armored or PEM).
    pub public_key: String,
    pub note: Option<String>,
    pub created_by: Option<Id>,
    pub created_at: Timestamp,
}

/// What a signature says it signs: the payload both formats share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// `critical.image.docker-manifest-digest`.
    pub digest: String,
    /// `critical.identity.docker-reference`: `HOST/OWNER/IMAGE[:TAG]`.
    pub reference: String,
}

#[derive(Deserialize)]
struct Critical {
    critical: CriticalBody,
}

#[derive(Deserialize)]
struct CriticalBody {
    #[serde(rename = "type")]
    kind: String,
    image: ImageBody,
    identity: IdentityBody,
}

#[derive(Deserialize)]
struct ImageBody {
    #[serde(rename = "docker-manifest-digest")]
    digest: String,
}

#[derive(Deserialize)]
struct IdentityBody {
    #[serde(rename = "docker-reference")]
    reference: String,
}

impl Payload {
    /// Reads a payload, of the type its format writes.
    pub fn parse(format: SignatureFormat, bytes: &[u8]) -> Result<Payload, String> {
        let doc: Critical = serde_json::from_slice(bytes)
            .map_err(|e| format!("the signed payload is not a container signature: {e}"))?;
        let expected = match format {
            SignatureFormat::SimpleSigning => "atomic container signature",
            SignatureFormat::Sigstore => "cosign container image signature",
        };
        if doc.critical.kind != expected {
            return Err(format!(
                "the signed payload's type is {:?}, not {expected:?}",
                doc.critical.kind
            ));
        }
        Ok(Payload {
            digest: doc.critical.image.digest,
            reference: doc.critical.identity.reference,
        })
    }

    /// Whether the payload names this manifest in this repository
    /// (`OWNER/IMAGE`, compared without the host, which differs between
    /// the names one registry is reached by, and without a tag).
    pub fn names(&self, digest: &str, repository: &str) -> bool {
        self.digest == digest && repository_of(&self.reference).eq_ignore_ascii_case(repository)
    }
}

/// `OWNER/IMAGE` of `HOST[:PORT]/OWNER/IMAGE[:TAG|@DIGEST]`.
fn repository_of(reference: &str) -> &str {
    let name = reference.split_once('@').map_or(reference, |(n, _)| n);
    let path = name.split_once('/').map_or("", |(_, p)| p);
    // A tag follows the last `:` after the last `/`.
    match path.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => path,
    }
}

/// Whether a tag is a sigstore attachment (signature, attestation, SBOM)
/// of a manifest: `sha256-<64 hex>.sig|.att|.sbom`. A policy never hides
/// these, or the signatures could not be read.
pub fn is_attachment_tag(tag: &str) -> bool {
    let Some(rest) = tag.strip_prefix("sha256-") else {
        return false;
    };
    let Some((hex, suffix)) = rest.split_once('.') else {
        return false;
    };
    hex.len() == 64
        && hex.bytes().all(|b| b.is_ascii_hexdigit())
        && matches!(suffix, "sig" | "att" | "sbom")
}

/// The tag under which cosign keeps a manifest's signatures.
pub fn signature_tag(digest: &str) -> Option<String> {
    digest
        .strip_prefix("sha256:")
        .map(|hex| format!("sha256-{hex}.sig"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:6fdbdefbdf323e533f4de222118b2deb0b2b51cc05890ff66178c7ded5d8f62f";

    fn payload(kind: &str, reference: &str) -> Vec<u8> {
        serde_json::json!({
            "critical": {
                "type": kind,
                "image": {"docker-manifest-digest": DIGEST},
                "identity": {"docker-reference": reference},
            },
            "optional": {"creator": "skopeo"},
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_payload_names_its_manifest_and_repository_whatever_the_host_and_tag() {
        let bytes = payload("atomic container signature", "reg.example:5000/alice/app:1");
        let p = Payload::parse(SignatureFormat::SimpleSigning, &bytes).unwrap();
        assert!(p.names(DIGEST, "alice/app"));
        assert!(p.names(DIGEST, "Alice/App"));
        assert!(!p.names(DIGEST, "alice/other"));
        assert!(!p.names("sha256:00", "alice/app"));
        let by_digest = Payload {
            digest: DIGEST.into(),
            reference: format!("127.0.0.1:8080/alice/app@{DIGEST}"),
        };
        assert!(by_digest.names(DIGEST, "alice/app"));
        let untagged = Payload {
            digest: DIGEST.into(),
            reference: "localhost:8080/alice/app".into(),
        };
        assert!(untagged.names(DIGEST, "alice/app"));
    }

    #[test]
    fn a_payload_of_the_other_format_or_no_payload_is_refused() {
        let cosign = payload("cosign container image signature", "h/alice/app");
        assert!(Payload::parse(SignatureFormat::SimpleSigning, &cosign).is_err());
        assert!(Payload::parse(SignatureFormat::Sigstore, &cosign).is_ok());
        assert!(Payload::parse(SignatureFormat::Sigstore, b"{}").is_err());
        assert!(Payload::parse(SignatureFormat::Sigstore, b"not json").is_err());
    }

    #[test]
    fn attachment_tags_are_recognised() {
        let hex = &DIGEST[7..];
        assert!(is_attachment_tag(&format!("sha256-{hex}.sig")));
        assert!(is_attachment_tag(&format!("sha256-{hex}.att")));
        assert!(!is_attachment_tag(&format!("sha256-{hex}.exe")));
        assert!(!is_attachment_tag("sha256-abc.sig"));
        assert!(!is_attachment_tag("latest"));
        assert_eq!(signature_tag(DIGEST).unwrap(), format!("sha256-{hex}.sig"));
    }
}

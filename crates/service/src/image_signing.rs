//! Signed images: the keys an owner requires a container package's images
//! to be signed with, the simple-signing signatures clients push, and the
//! check of a manifest's signatures (`image_verify`) on a blocking thread.
//! Sigstore signatures are manifests of their own, which the container
//! format reads and hands in here.

use chrono::Utc;
use entrepot_core::image_signing::{
    MAX_KEYS_PER_PACKAGE, MAX_SIGNATURE_BYTES, MAX_SIGNATURES_PER_MANIFEST, RequiredKey,
    SignatureFormat, StoredSignature,
};
use entrepot_core::{Action, Actor, Id, Package, PackageType, Timestamp};

use crate::image_verify::{Checked, ParsedKey, Signed, check, parse_key};
use crate::{ImageSigning, ServiceError, ServiceResult};

/// A signature of a manifest, as found (stored, or read from a sigstore
/// attachment), before it is checked.
#[derive(Debug, Clone)]
pub struct Found {
    pub format: SignatureFormat,
    pub name: String,
    pub created_at: Option<Timestamp>,
    pub body: Body,
}

#[derive(Debug, Clone)]
pub enum Body {
    Openpgp(Vec<u8>),
    Sigstore {
        payload: Vec<u8>,
        signature: Vec<u8>,
    },
}

/// A signature and what its check came to.
#[derive(Debug, Clone)]
pub struct Report {
    pub format: SignatureFormat,
    pub name: String,
    pub created_at: Option<Timestamp>,
    pub checked: Checked,
}

impl ImageSigning<'_> {
    /// Requires that `owner/image`'s images be signed with `public_key`
    /// (or any other key it requires). `actor` is `None` for the operator.
    pub async fn add_key(
        self,
        actor: Option<&Actor>,
        (owner, image): (&str, &str),
        public_key: &str,
        note: Option<String>,
    ) -> ServiceResult<RequiredKey> {
        let package = self
            .package_for(actor, owner, image, Action::Manage)
            .await?;
        let parsed = parse_key(public_key).map_err(ServiceError::Invalid)?;
        if self.meta.signing_keys(package.id).await?.len() >= MAX_KEYS_PER_PACKAGE {
            return Err(ServiceError::Invalid(format!(
                "a package requires at most {MAX_KEYS_PER_PACKAGE} keys"
            )));
        }
        let note = note.map(|n| n.trim().chars().take(200).collect::<String>());
        let key = RequiredKey {
            id: 0,
            package_id: package.id,
            kind: parsed.kind,
            fingerprint: parsed.fingerprint,
            public_key: public_key.trim().to_owned(),
            note: note.filter(|n| !n.is_empty()),
            created_by: actor.and_then(Actor::user_id),
            created_at: Utc::now(),
        };
        let added = self.meta.add_signing_key(&key).await?.ok_or_else(|| {
            ServiceError::Conflict(format!(
                "the package already requires the key {}",
                key.fingerprint
            ))
        })?;
        let detail = format!("{} key {}", added.kind.as_str(), added.fingerprint);
        self.packages()
            .audit(
                actor.unwrap_or(&Actor::Anonymous),
                "image_signing_key.add",
                Some(package.id),
                None,
                Some(detail),
            )
            .await?;
        Ok(added)
    }

    /// The keys `owner/image` requires: anyone who may see it may read
    /// them, to verify its images themselves.
    pub async fn keys(
        self,
        actor: Option<&Actor>,
        (owner, image): (&str, &str),
    ) -> ServiceResult<Vec<RequiredKey>> {
        let package = self.package_for(actor, owner, image, Action::Read).await?;
        Ok(self.meta.signing_keys(package.id).await?)
    }

    /// No longer requires key `id` of `owner/image`.
    pub async fn remove_key(
        self,
        actor: Option<&Actor>,
        (owner, image): (&str, &str),
        id: Id,
    ) -> ServiceResult<()> {
        let package = self
            .package_for(actor, owner, image, Action::Manage)
            .await?;
        let key = self
            .meta
            .signing_keys(package.id)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or_else(|| ServiceError::not_found(format!("no signing key {id}")))?;
        self.meta.remove_signing_key(package.id, id).await?;
        self.packages()
            .audit(
                actor.unwrap_or(&Actor::Anonymous),
                "image_signing_key.remove",
                Some(package.id),
                None,
                Some(format!("{} key {}", key.kind.as_str(), key.fingerprint)),
            )
            .await
    }

    /// The keys `package` requires, for a check (the caller has already
    /// decided the reader may see the package).
    pub async fn required_keys(self, package: &Package) -> ServiceResult<Vec<RequiredKey>> {
        Ok(self.meta.signing_keys(package.id).await?)
    }

    /// Keeps a simple-signing signature of manifest `digest` of `package`,
    /// which the caller may publish to. False when one of that name is
    /// already kept.
    pub async fn add_signature(
        self,
        actor: &Actor,
        package: &Package,
        (digest, name): (&str, &str),
        content: Vec<u8>,
    ) -> ServiceResult<bool> {
        let prefix = format!("{digest}@");
        let suffix = name.strip_prefix(&prefix).unwrap_or_default();
        if suffix.is_empty()
            || suffix.len() > 64
            || !suffix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ServiceError::Invalid(format!(
                "a signature's name is `{digest}@` and a short identifier, not {name:?}"
            )));
        }
        if content.is_empty() || content.len() > MAX_SIGNATURE_BYTES {
            return Err(ServiceError::Invalid(format!(
                "a signature is 1 to {MAX_SIGNATURE_BYTES} bytes"
            )));
        }
        let kept = self.meta.image_signatures(package.id, digest).await?;
        if kept.iter().any(|s| s.name == name) {
            return Ok(false);
        }
        if kept.len() >= MAX_SIGNATURES_PER_MANIFEST {
            return Err(ServiceError::Invalid(format!(
                "a manifest keeps at most {MAX_SIGNATURES_PER_MANIFEST} signatures"
            )));
        }
        let signature = StoredSignature {
            id: 0,
            package_id: package.id,
            manifest_digest: digest.to_owned(),
            name: name.to_owned(),
            content,
            created_by: actor.user_id(),
            created_at: Utc::now(),
        };
        let added = self.meta.add_image_signature(&signature).await?;
        if added {
            let version = self.meta.version(package.id, digest).await?;
            self.packages()
                .audit(
                    actor,
                    "image_signature.add",
                    Some(package.id),
                    version.map(|v| v.id),
                    Some(format!("simple signing {name}")),
                )
                .await?;
        }
        Ok(added)
    }

    /// The simple-signing signatures kept for manifest `digest`.
    pub async fn signatures(
        self,
        package: &Package,
        digest: &str,
    ) -> ServiceResult<Vec<StoredSignature>> {
        Ok(self.meta.image_signatures(package.id, digest).await?)
    }

    /// Checks each of `found` against the keys `package` requires (or,
    /// with none, only reads them), on a blocking thread.
    pub async fn check(
        self,
        package: &Package,
        digest: &str,
        found: Vec<Found>,
        keys: Vec<RequiredKey>,
    ) -> ServiceResult<Vec<Report>> {
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let repository = format!("{}/{}", package.owner_login, package.name);
        let digest = digest.to_owned();
        tokio::task::spawn_blocking(move || {
            // A key that no longer parses (a newer rPGP refusing it) counts
            // for nothing rather than failing every pull.
            let parsed: Vec<ParsedKey> = keys
                .iter()
                .filter_map(|k| parse_key(&k.public_key).ok())
                .collect();
            found
                .into_iter()
                .map(|f| {
                    let signed = match &f.body {
                        Body::Openpgp(message) => Signed::Openpgp(message),
                        Body::Sigstore { payload, signature } => {
                            Signed::Sigstore { payload, signature }
                        }
                    };
                    let checked = check(&signed, &parsed, &digest, &repository);
                    Report {
                        format: f.format,
                        name: f.name,
                        created_at: f.created_at,
                        checked,
                    }
                })
                .collect()
        })
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    async fn package_for(
        self,
        actor: Option<&Actor>,
        owner: &str,
        image: &str,
        action: Action,
    ) -> ServiceResult<Package> {
        let what = format!("container package {owner}/{image}");
        let missing = || match actor {
            Some(actor) => ServiceError::unseen(actor, what.clone()),
            None => ServiceError::not_found(what.clone()),
        };
        let account = self
            .meta
            .account_by_login(owner)
            .await?
            .ok_or_else(missing)?;
        let name = self.catalog().canonical_name(PackageType::Container, image);
        let package = self
            .meta
            .package(account.id, PackageType::Container, &name, false)
            .await?
            .ok_or_else(missing)?;
        if let Some(actor) = actor {
            self.authorize_package(actor, action, &package).await?;
        }
        Ok(package)
    }
}

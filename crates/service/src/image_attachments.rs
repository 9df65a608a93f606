//! A manifest's signatures as found: the simple-signing ones kept by the
//! extension API, and cosign's, which are the layers of the manifest
//! tagged `sha256-<hex>.sig` (each a payload whose signature is the
//! layer's annotation). Every read is bounded.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use entrepot_core::Package;
use entrepot_core::image_signing::{
    MAX_SIGNATURE_BYTES, MAX_SIGNATURES_PER_MANIFEST, RequiredKey, SignatureFormat, signature_tag,
};
use serde_json::Value;

use crate::image_signing::{Body, Found, Report};
use crate::{ImageSigning, ServiceResult};

/// cosign's layer annotation holding a signature, base64.
const COSIGN_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
/// The largest signature manifest read (cosign's hold a few layers).
const MAX_ATTACHMENT_BYTES: usize = 256 * 1024;

impl ImageSigning<'_> {
    /// Every signature of manifest `digest` of `package`, each checked
    /// against `keys` (with none, only read).
    pub async fn reports(
        self,
        package: &Package,
        digest: &str,
        keys: Vec<RequiredKey>,
    ) -> ServiceResult<Vec<Report>> {
        let mut found: Vec<Found> = self
            .meta
            .image_signatures(package.id, digest)
            .await?
            .into_iter()
            .map(|s| Found {
                format: SignatureFormat::SimpleSigning,
                name: s.name,
                created_at: Some(s.created_at),
                body: Body::Openpgp(s.content),
            })
            .collect();
        found.extend(self.sigstore(package, digest).await?);
        self.check(package, digest, found, keys).await
    }

    async fn sigstore(self, package: &Package, digest: &str) -> ServiceResult<Vec<Found>> {
        let Some(tag) = signature_tag(digest) else {
            return Ok(Vec::new());
        };
        let Some(tag) = self
            .meta
            .tags(package.id)
            .await?
            .into_iter()
            .find(|t| t.name == tag)
        else {
            return Ok(Vec::new());
        };
        let Some(version) = self.meta.version_by_id(tag.version_id).await? else {
            return Ok(Vec::new());
        };
        let Some(file) = self.meta.files(version.id).await?.into_iter().next() else {
            return Ok(Vec::new());
        };
        let Some(manifest) = self
            .blobs()
            .read_small(&file.sha256, MAX_ATTACHMENT_BYTES)
            .await?
        else {
            return Ok(Vec::new());
        };
        let Ok(doc) = serde_json::from_slice::<Value>(&manifest) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        let layers = doc["layers"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for layer in layers.iter().take(MAX_SIGNATURES_PER_MANIFEST) {
            let (Some(signature), Some(hex)) = (
                layer["annotations"][COSIGN_SIGNATURE].as_str(),
                layer["digest"]
                    .as_str()
                    .and_then(|d| d.strip_prefix("sha256:")),
            ) else {
                continue;
            };
            let Ok(signature) = STANDARD.decode(signature) else {
                continue;
            };
            let Some(payload) = self.blobs().read_small(hex, MAX_SIGNATURE_BYTES).await? else {
                continue;
            };
            found.push(Found {
                format: SignatureFormat::Sigstore,
                name: format!("{}@sha256:{hex}", tag.name),
                created_at: Some(version.created_at),
                body: Body::Sigstore { payload, signature },
            });
        }
        Ok(found)
    }
}

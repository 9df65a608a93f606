//! Reading stored bytes by their SHA-256, for downloads and for formats
//! that read back what they stored (a tarball's manifest, a gem's spec).

use entrepot_store::{BlobRead, ByteRange};

use crate::{Registry, ServiceResult};

impl Registry {
    /// The blob's bytes (or `range` of them).
    pub async fn read_blob(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> ServiceResult<BlobRead> {
        Ok(self.blobs.get(sha256, range).await?)
    }

    /// The blob's size, if it is stored.
    pub async fn blob_size(&self, sha256: &str) -> ServiceResult<Option<u64>> {
        Ok(self.blobs.size(sha256).await?)
    }
}

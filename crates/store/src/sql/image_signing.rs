//! `ImageSigningStore` in SQL: simple-signing signatures per manifest (the
//! OpenPGP message kept base64 in a text column, which both databases and
//! `admin copy` read alike) and the keys a package requires.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use entrepot_core::Id;
use entrepot_core::image_signing::{RequiredKey, StoredSignature};
use sqlx::any::AnyRow;

use super::packages::touch_package;
use super::rows::{all_rows, int, opt_int, opt_text, parse, text, time};
use super::{SqlStore, ts};
use crate::meta::ImageSigningStore;
use crate::{StoreError, StoreResult};

fn signature(row: &AnyRow) -> StoreResult<StoredSignature> {
    let content = STANDARD
        .decode(text(row, "content")?)
        .map_err(|e| StoreError::Database(format!("image_signatures.content: {e}")))?;
    Ok(StoredSignature {
        id: int(row, "id")?,
        package_id: int(row, "package_id")?,
        manifest_digest: text(row, "manifest_digest")?,
        name: text(row, "name")?,
        content,
        created_by: opt_int(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

fn key(row: &AnyRow) -> StoreResult<RequiredKey> {
    Ok(RequiredKey {
        id: int(row, "id")?,
        package_id: int(row, "package_id")?,
        kind: parse(row, "kind")?,
        fingerprint: text(row, "fingerprint")?,
        public_key: text(row, "public_key")?,
        note: opt_text(row, "note")?,
        created_by: opt_int(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl ImageSigningStore for SqlStore {
    async fn add_image_signature(&self, s: &StoredSignature) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO image_signatures
                 (package_id, manifest_digest, name, content, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (package_id, manifest_digest, name) DO NOTHING",
        )
        .bind(s.package_id)
        .bind(&s.manifest_digest)
        .bind(&s.name)
        .bind(STANDARD.encode(&s.content))
        .bind(s.created_by)
        .bind(ts(&s.created_at))
        .execute(&*self.write())
        .await?;
        let added = done.rows_affected() == 1;
        if added {
            touch_package(self, s.package_id).await?;
        }
        Ok(added)
    }

    async fn image_signatures(
        &self,
        package: Id,
        manifest_digest: &str,
    ) -> StoreResult<Vec<StoredSignature>> {
        let query = sqlx::query(
            "SELECT * FROM image_signatures
             WHERE package_id = $1 AND manifest_digest = $2 ORDER BY id",
        )
        .bind(package)
        .bind(manifest_digest);
        all_rows(query, &self.reader, signature).await
    }

    async fn add_signing_key(&self, k: &RequiredKey) -> StoreResult<Option<RequiredKey>> {
        let row = sqlx::query(
            "INSERT INTO image_signing_keys
                 (package_id, kind, fingerprint, public_key, note, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (package_id, fingerprint) DO NOTHING RETURNING *",
        )
        .bind(k.package_id)
        .bind(k.kind.as_str())
        .bind(&k.fingerprint)
        .bind(&k.public_key)
        .bind(&k.note)
        .bind(k.created_by)
        .bind(ts(&k.created_at))
        .fetch_optional(&*self.write())
        .await?;
        let added = row.as_ref().map(key).transpose()?;
        if added.is_some() {
            touch_package(self, k.package_id).await?;
        }
        Ok(added)
    }

    async fn signing_keys(&self, package: Id) -> StoreResult<Vec<RequiredKey>> {
        let query =
            sqlx::query("SELECT * FROM image_signing_keys WHERE package_id = $1 ORDER BY id")
                .bind(package);
        all_rows(query, &self.reader, key).await
    }

    async fn remove_signing_key(&self, package: Id, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM image_signing_keys WHERE package_id = $1 AND id = $2")
            .bind(package)
            .bind(id)
            .execute(&*self.write())
            .await?;
        let removed = done.rows_affected() == 1;
        if removed {
            touch_package(self, package).await?;
        }
        Ok(removed)
    }
}

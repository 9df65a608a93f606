//! `UploadStore` in SQL: chunked upload sessions whose parts append only at
//! the expected offset, the blob links that let a repository hold a blob
//! before any version names it, and settings whose first value wins.

use async_trait::async_trait;
use entrepot_core::{Id, PackageType, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, optional_row, parse, text, time};
use super::{SqlStore, ts};
use crate::meta::{BlobLink, UploadSession, UploadStore};
use crate::{StoreError, StoreResult};

fn upload_session(row: &AnyRow) -> StoreResult<UploadSession> {
    let parts: Vec<(String, u64)> = serde_json::from_str(&text(row, "parts")?)
        .map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(UploadSession {
        id: text(row, "id")?,
        owner_id: int(row, "owner_id")?,
        repository: text(row, "repository")?,
        parts,
        size: int(row, "size")? as u64,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn blob_link(row: &AnyRow) -> StoreResult<BlobLink> {
    Ok(BlobLink {
        owner_id: int(row, "owner_id")?,
        package_type: parse(row, "package_type")?,
        repository: text(row, "repository")?,
        digest: text(row, "digest")?,
        sha256: text(row, "sha256")?,
        size: int(row, "size")? as u64,
    })
}

#[async_trait]
impl UploadStore for SqlStore {
    async fn create_upload(
        &self,
        id: &str,
        owner: Id,
        repository: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO uploads (id, owner_id, repository, parts, size, created_at, updated_at)
             VALUES ($1, $2, $3, '[]', 0, $4, $4)",
        )
        .bind(id)
        .bind(owner)
        .bind(repository)
        .bind(ts(&at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> StoreResult<Option<UploadSession>> {
        let query = sqlx::query("SELECT * FROM uploads WHERE id = $1").bind(id);
        optional_row(query, &self.write(), upload_session).await
    }

    async fn append_upload_part(
        &self,
        id: &str,
        expected_size: u64,
        sha256: &str,
        size: u64,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT * FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        let Some(session) = row.as_ref().map(upload_session).transpose()? else {
            return Ok(false);
        };
        if session.size != expected_size {
            return Ok(false);
        }
        let mut parts = session.parts;
        parts.push((sha256.to_owned(), size));
        let done = sqlx::query(
            "UPDATE uploads SET parts = $1, size = $2, updated_at = $3 WHERE id = $4 AND size = $5",
        )
        .bind(serde_json::to_string(&parts).expect("parts serialize"))
        .bind((expected_size + size) as i64)
        .bind(ts(&at))
        .bind(id)
        .bind(expected_size as i64)
        .execute(&mut **tx)
        .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_upload(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn stale_uploads(&self, cutoff: Timestamp) -> StoreResult<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM uploads WHERE updated_at < $1 ORDER BY id")
                .bind(ts(&cutoff))
                .fetch_all(&self.reader)
                .await?,
        )
    }

    async fn link_blob(&self, link: &BlobLink, at: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO blob_links (owner_id, package_type, repository, digest, sha256, size, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (owner_id, package_type, repository, digest)
             DO UPDATE SET created_at = excluded.created_at",
        )
        .bind(link.owner_id)
        .bind(link.package_type.as_str())
        .bind(&link.repository)
        .bind(&link.digest)
        .bind(&link.sha256)
        .bind(link.size as i64)
        .bind(ts(&at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn blob_link(
        &self,
        owner: Id,
        package_type: PackageType,
        repository: &str,
        digest: &str,
    ) -> StoreResult<Option<BlobLink>> {
        let query = sqlx::query(
            "SELECT * FROM blob_links WHERE owner_id = $1 AND package_type = $2 AND repository = $3 AND digest = $4",
        )
        .bind(owner)
        .bind(package_type.as_str())
        .bind(repository)
        .bind(digest);
        optional_row(query, &self.reader, blob_link).await
    }

    async fn unlink_blob(
        &self,
        owner: Id,
        package_type: PackageType,
        repository: &str,
        digest: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM blob_links WHERE owner_id = $1 AND package_type = $2 AND repository = $3 AND digest = $4",
        )
        .bind(owner)
        .bind(package_type.as_str())
        .bind(repository)
        .bind(digest)
        .execute(&*self.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn links_of(&self, digest: &str) -> StoreResult<Vec<BlobLink>> {
        let query =
            sqlx::query("SELECT * FROM blob_links WHERE digest = $1 ORDER BY owner_id, repository")
                .bind(digest);
        all_rows(query, &self.reader, blob_link).await
    }

    async fn links_before(
        &self,
        package_type: PackageType,
        cutoff: Timestamp,
    ) -> StoreResult<Vec<BlobLink>> {
        let query = sqlx::query(
            "SELECT * FROM blob_links WHERE package_type = $1 AND created_at < $2
             ORDER BY owner_id, repository, digest",
        )
        .bind(package_type.as_str())
        .bind(ts(&cutoff));
        all_rows(query, &self.reader, blob_link).await
    }

    async fn setting_or_init(&self, name: &str, initial: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(initial)
        .execute(&*self.write())
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_one(&*self.write())
                .await?,
        )
    }

    async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn set_setting(&self, name: &str, value: Option<&str>) -> StoreResult<()> {
        match value {
            Some(value) => {
                sqlx::query(
                    "INSERT INTO settings (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&*self.write())
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE name = $1")
                    .bind(name)
                    .execute(&*self.write())
                    .await?;
            }
        }
        Ok(())
    }
}

//! `PublisherStore` in SQL: trusted publishers by package name and by
//! issuer, and the OpenID Connect tokens already exchanged.

use async_trait::async_trait;
use entrepot_core::trusted::{Publisher, PublisherSpec};
use entrepot_core::{Id, PackageType, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_int, opt_text, optional_row, parse, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::PublisherStore;

fn publisher(row: &AnyRow) -> StoreResult<Publisher> {
    Ok(Publisher {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        package_type: parse(row, "package_type")?,
        name: text(row, "name")?,
        spec: PublisherSpec {
            issuer: text(row, "issuer")?,
            repository: text(row, "repository")?,
            workflow: opt_text(row, "workflow")?,
            git_ref: opt_text(row, "git_ref")?,
            environment: opt_text(row, "environment")?,
        },
        created_by: opt_int(row, "created_by")?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl PublisherStore for SqlStore {
    async fn add_publisher(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        spec: &PublisherSpec,
        by: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<Publisher> {
        let row = sqlx::query(
            "INSERT INTO trusted_publishers (owner_id, package_type, name, issuer, repository,
                 workflow, git_ref, environment, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
        )
        .bind(owner)
        .bind(package_type.as_str())
        .bind(name)
        .bind(&spec.issuer)
        .bind(&spec.repository)
        .bind(&spec.workflow)
        .bind(&spec.git_ref)
        .bind(&spec.environment)
        .bind(by)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        publisher(&row)
    }

    async fn publishers_of(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
    ) -> StoreResult<Vec<Publisher>> {
        let query = sqlx::query(
            "SELECT * FROM trusted_publishers
             WHERE owner_id = $1 AND package_type = $2 AND name = $3 ORDER BY id",
        )
        .bind(owner)
        .bind(package_type.as_str())
        .bind(name);
        all_rows(query, &self.reader, publisher).await
    }

    async fn publishers_by_issuer(
        &self,
        issuer: &str,
        package_type: PackageType,
    ) -> StoreResult<Vec<Publisher>> {
        let query = sqlx::query(
            "SELECT * FROM trusted_publishers WHERE issuer = $1 AND package_type = $2 ORDER BY id",
        )
        .bind(issuer)
        .bind(package_type.as_str());
        all_rows(query, &self.reader, publisher).await
    }

    async fn publisher(&self, id: Id) -> StoreResult<Option<Publisher>> {
        let query = sqlx::query("SELECT * FROM trusted_publishers WHERE id = $1").bind(id);
        optional_row(query, &self.reader, publisher).await
    }

    async fn remove_publisher(&self, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM trusted_publishers WHERE id = $1")
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn first_use_of_token(
        &self,
        issuer: &str,
        jti: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let write = self.write();
        sqlx::query("DELETE FROM oidc_tokens_seen WHERE expires_at < $1")
            .bind(ts(&now))
            .execute(&*write)
            .await?;
        let done = sqlx::query(
            "INSERT INTO oidc_tokens_seen (issuer, jti, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (issuer, jti) DO NOTHING",
        )
        .bind(issuer)
        .bind(jti)
        .bind(ts(&expires_at))
        .execute(&*write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn remember_exchange(
        &self,
        issuer: &str,
        jti: &str,
        jwt_sha256: &str,
        token: Id,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE oidc_tokens_seen SET jwt_sha256 = $1, token_id = $2
             WHERE issuer = $3 AND jti = $4",
        )
        .bind(jwt_sha256)
        .bind(token)
        .bind(issuer)
        .bind(jti)
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn exchanged_for(
        &self,
        issuer: &str,
        jti: &str,
        jwt_sha256: &str,
    ) -> StoreResult<Option<Id>> {
        let query = sqlx::query(
            "SELECT token_id FROM oidc_tokens_seen
             WHERE issuer = $1 AND jti = $2 AND jwt_sha256 = $3",
        )
        .bind(issuer)
        .bind(jti)
        .bind(jwt_sha256);
        Ok(
            optional_row(query, &self.reader, |r| opt_int(r, "token_id"))
                .await?
                .flatten(),
        )
    }
}

//! `UpstreamStore` in SQL: the registries Entrepot proxies, each with an
//! account of its name that owns what is cached from it.

use async_trait::async_trait;
use entrepot_core::{Id, PackageType, Secret, Timestamp, Upstream};
use sqlx::any::AnyRow;

use super::rows::{all_rows, boolean, int, opt_text, optional_row, parse, text, time};
use super::{SqlStore, now, ts, upstream_cache};
use crate::meta::{CachedVersion, Fallthrough, NewUpstream, UpstreamDocument, UpstreamStore};
use crate::{StoreError, StoreResult};

const SELECT: &str = "SELECT u.*, a.login FROM upstreams u JOIN accounts a ON a.id = u.account_id";

fn upstream(row: &AnyRow) -> StoreResult<Upstream> {
    Ok(Upstream {
        account_id: int(row, "account_id")?,
        name: text(row, "login")?,
        format: parse(row, "format")?,
        url: text(row, "url")?,
        username: opt_text(row, "username")?,
        password: opt_text(row, "password")?.map(Secret::new),
        metadata_ttl_seconds: int(row, "metadata_ttl_seconds")?,
        is_default: boolean(row, "is_default")?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl UpstreamStore for SqlStore {
    async fn create_upstream(&self, new: NewUpstream) -> StoreResult<Upstream> {
        let at = now();
        let mut tx = self.begin_write().await?;
        refuse_reserved(&mut tx, &new.name).await?;
        let account: Id = sqlx::query_scalar(
            "INSERT INTO accounts (login, kind, is_upstream, site_admin, created_at, updated_at)
             VALUES ($1, 'organization', $2, $3, $4, $4) RETURNING id",
        )
        .bind(&new.name)
        .bind(true)
        .bind(false)
        .bind(&at)
        .fetch_one(&mut **tx)
        .await?;
        if new.is_default {
            sqlx::query("UPDATE upstreams SET is_default = $1 WHERE format = $2")
                .bind(false)
                .bind(new.format.as_str())
                .execute(&mut **tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO upstreams (account_id, format, url, username, password,
             metadata_ttl_seconds, is_default, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(account)
        .bind(new.format.as_str())
        .bind(&new.url)
        .bind(&new.username)
        .bind(new.password.as_ref().map(Secret::expose))
        .bind(new.metadata_ttl_seconds)
        .bind(new.is_default)
        .bind(&at)
        .execute(&mut **tx)
        .await?;
        let row = sqlx::query(&format!("{SELECT} WHERE u.account_id = $1"))
            .bind(account)
            .fetch_one(&mut **tx)
            .await?;
        let created = upstream(&row)?;
        self.commit(tx).await?;
        Ok(created)
    }

    async fn upstreams(&self) -> StoreResult<Vec<Upstream>> {
        let sql = format!("{SELECT} ORDER BY lower(a.login)");
        all_rows(sqlx::query(&sql), &self.reader, upstream).await
    }

    async fn upstream(&self, name: &str) -> StoreResult<Option<Upstream>> {
        let sql = format!("{SELECT} WHERE lower(a.login) = lower($1)");
        optional_row(sqlx::query(&sql).bind(name), &self.reader, upstream).await
    }

    async fn remove_upstream(&self, account: Id) -> StoreResult<bool> {
        // The account's packages, versions, files and tags go with it.
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1 AND is_upstream = $2")
            .bind(account)
            .bind(true)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn upstream_document(
        &self,
        upstream: Id,
        path: &str,
    ) -> StoreResult<Option<UpstreamDocument>> {
        let query = sqlx::query(
            "SELECT body, content_type, etag, last_modified, fetched_at
             FROM upstream_documents WHERE account_id = $1 AND path = $2",
        )
        .bind(upstream)
        .bind(path);
        optional_row(query, &self.reader, |row| {
            Ok(UpstreamDocument {
                body: text(row, "body")?,
                content_type: opt_text(row, "content_type")?,
                etag: opt_text(row, "etag")?,
                last_modified: opt_text(row, "last_modified")?,
                fetched_at: time(row, "fetched_at")?,
            })
        })
        .await
    }

    async fn upstream_document_fetched_at(
        &self,
        upstream: Id,
        path: &str,
    ) -> StoreResult<Option<Timestamp>> {
        let query = sqlx::query(
            "SELECT fetched_at FROM upstream_documents WHERE account_id = $1 AND path = $2",
        )
        .bind(upstream)
        .bind(path);
        optional_row(query, &self.reader, |row| time(row, "fetched_at")).await
    }

    async fn put_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        document: &UpstreamDocument,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO upstream_documents
             (account_id, path, body, content_type, etag, last_modified, fetched_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (account_id, path) DO UPDATE SET body = excluded.body,
             content_type = excluded.content_type, etag = excluded.etag,
             last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
        )
        .bind(upstream)
        .bind(path)
        .bind(&document.body)
        .bind(&document.content_type)
        .bind(&document.etag)
        .bind(&document.last_modified)
        .bind(ts(&document.fetched_at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn touch_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE upstream_documents SET fetched_at = $1 WHERE account_id = $2 AND path = $3",
        )
        .bind(ts(&at))
        .bind(upstream)
        .bind(path)
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn reserve_name(&self, name: &str, upstream: Id, at: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO reserved_names (name, account_id, created_at) VALUES (lower($1), $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(upstream)
        .bind(ts(&at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn reservation(&self, name: &str) -> StoreResult<Option<Id>> {
        let query =
            sqlx::query("SELECT account_id FROM reserved_names WHERE name = lower($1)").bind(name);
        optional_row(query, &self.reader, |r| int(r, "account_id")).await
    }

    async fn release_name(&self, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM reserved_names WHERE name = lower($1)")
            .bind(name)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_fallthrough(
        &self,
        owner: Id,
        format: PackageType,
        fallthrough: Option<&Fallthrough>,
    ) -> StoreResult<()> {
        match fallthrough {
            Some(f) => sqlx::query(
                "INSERT INTO owner_fallthrough (owner_id, format, reserved, upstream_id)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (owner_id, format)
                 DO UPDATE SET reserved = excluded.reserved, upstream_id = excluded.upstream_id",
            )
            .bind(owner)
            .bind(format.as_str())
            .bind(f.reserved.join("\n"))
            .bind(f.upstream),
            None => {
                sqlx::query("DELETE FROM owner_fallthrough WHERE owner_id = $1 AND format = $2")
                    .bind(owner)
                    .bind(format.as_str())
            }
        }
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn fallthrough(
        &self,
        owner: Id,
        format: PackageType,
    ) -> StoreResult<Option<Fallthrough>> {
        let query = sqlx::query(
            "SELECT upstream_id, reserved FROM owner_fallthrough
             WHERE owner_id = $1 AND format = $2",
        )
        .bind(owner)
        .bind(format.as_str());
        optional_row(query, &self.reader, |r| {
            Ok(Fallthrough {
                upstream: int(r, "upstream_id")?,
                reserved: text(r, "reserved")?
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .await
    }

    async fn purged_names(&self, owner: Id, format: PackageType) -> StoreResult<Vec<String>> {
        let query = sqlx::query(
            "SELECT name FROM purged_names WHERE owner_id = $1 AND package_type = $2 ORDER BY name",
        )
        .bind(owner)
        .bind(format.as_str());
        all_rows(query, &self.reader, |row| text(row, "name")).await
    }

    async fn reserve_owner_name(
        &self,
        owner: Id,
        format: PackageType,
        name: &str,
        upstream: Id,
        at: Timestamp,
    ) -> StoreResult<()> {
        upstream_cache::reserve_owner_name(self, (owner, format, name), upstream, at).await
    }

    async fn release_owner_name(
        &self,
        owner: Id,
        format: PackageType,
        name: &str,
    ) -> StoreResult<bool> {
        upstream_cache::release_owner_name(self, (owner, format, name)).await
    }

    async fn cached_versions(&self) -> StoreResult<Vec<CachedVersion>> {
        upstream_cache::cached_versions(self).await
    }

    async fn old_upstream_documents(
        &self,
        before: Timestamp,
    ) -> StoreResult<Vec<(Id, String, u64)>> {
        upstream_cache::old_documents(self, before).await
    }

    async fn drop_upstream_document(
        &self,
        upstream: Id,
        path: &str,
        before: Timestamp,
    ) -> StoreResult<bool> {
        upstream_cache::drop_document(self, upstream, path, before).await
    }
}

/// Refuses, inside the transaction that would create it, an account whose
/// login an upstream reserved.
pub(super) async fn refuse_reserved(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    login: &str,
) -> StoreResult<()> {
    let reserved: Option<i64> =
        sqlx::query_scalar("SELECT account_id FROM reserved_names WHERE name = lower($1)")
            .bind(login)
            .fetch_optional(&mut **tx)
            .await?;
    if reserved.is_some() {
        return Err(StoreError::Conflict(format!(
            "the name `{login}` is reserved by an upstream"
        )));
    }
    let retired: Option<String> =
        sqlx::query_scalar("SELECT login FROM retired_logins WHERE lower(login) = lower($1)")
            .bind(login)
            .fetch_optional(&mut **tx)
            .await?;
    match retired {
        Some(_) => Err(StoreError::Conflict(format!(
            "the name `{login}` belonged to a deleted account and is retired"
        ))),
        None => Ok(()),
    }
}

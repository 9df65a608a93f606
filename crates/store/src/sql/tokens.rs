//! `TokenStore` in SQL: personal access tokens, found by the hash of their
//! secret, revoked once, and stamped when used.

use async_trait::async_trait;
use entrepot_core::{Id, Scopes, Timestamp, TokenRecord};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_text, opt_time, optional_row, text, time};
use super::{SqlStore, now, ts};
use crate::meta::{NewTokenRecord, TokenStore};
use crate::{StoreError, StoreResult};

fn token(row: &AnyRow) -> StoreResult<TokenRecord> {
    Ok(TokenRecord {
        id: int(row, "id")?,
        user_id: int(row, "user_id")?,
        prefix: text(row, "prefix")?,
        scopes: Scopes::parse_list(&text(row, "scopes")?)
            .map_err(|e| StoreError::Database(e.to_string()))?,
        note: opt_text(row, "note")?,
        created_at: time(row, "created_at")?,
        expires_at: opt_time(row, "expires_at")?,
        last_used_at: opt_time(row, "last_used_at")?,
        revoked_at: opt_time(row, "revoked_at")?,
        bound_to: opt_text(row, "bound_to")?
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(|e| StoreError::Database(format!("column bound_to: {e}")))?,
    })
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn create_token(&self, t: NewTokenRecord) -> StoreResult<TokenRecord> {
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, hash, prefix, scopes, note, created_at, expires_at,
                                 bound_to)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(t.user_id)
        .bind(&t.hash)
        .bind(&t.prefix)
        .bind(t.scopes.to_string())
        .bind(&t.note)
        .bind(now())
        .bind(t.expires_at.as_ref().map(ts))
        .bind(
            t.bound_to
                .as_ref()
                .map(super::rows::json_text)
                .transpose()?,
        )
        .fetch_one(&*self.write())
        .await?;
        token(&row)
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(TokenRecord, String)>> {
        let query = sqlx::query("SELECT * FROM tokens WHERE hash = $1").bind(hash);
        let load = optional_row(query, &self.reader, |r| Ok((token(r)?, text(r, "hash")?)));
        self.cache
            .get(&self.reader, |m| &mut m.tokens, hash.to_owned(), load)
            .await
    }

    async fn token_by_id(&self, id: Id) -> StoreResult<Option<TokenRecord>> {
        let query = sqlx::query("SELECT * FROM tokens WHERE id = $1").bind(id);
        let load = optional_row(query, &self.reader, token);
        self.cache
            .get(&self.reader, |m| &mut m.tokens_by_id, id, load)
            .await
    }

    async fn list_tokens(&self, user: Id) -> StoreResult<Vec<TokenRecord>> {
        let query = sqlx::query("SELECT * FROM tokens WHERE user_id = $1 ORDER BY id").bind(user);
        all_rows(query, &self.reader, token).await
    }

    async fn revoke_token(&self, id: Id, at: Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(ts(&at))
                .bind(id)
                .execute(&*self.write())
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_token(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts(&at))
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(())
    }
}

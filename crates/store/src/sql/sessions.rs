//! `SessionStore` in SQL: web sessions, found by the hash of their cookie,
//! and the password throttle's windows of attempts per key.

use async_trait::async_trait;
use entrepot_core::{Id, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, optional_row, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::{SessionStore, Throttle, WebSession};

/// The `attempts` and `window_start` columns of `auth_throttle`.
fn throttle(row: &AnyRow) -> StoreResult<Throttle> {
    Ok(Throttle {
        attempts: int(row, "attempts")?,
        window_start: time(row, "window_start")?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, hash: &str, session: &WebSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO web_sessions (hash, user_id, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash)
        .bind(session.user_id)
        .bind(&session.csrf)
        .bind(ts(&session.created_at))
        .bind(ts(&session.expires_at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn session(&self, hash: &str, now: Timestamp) -> StoreResult<Option<WebSession>> {
        let query = sqlx::query("SELECT * FROM web_sessions WHERE hash = $1 AND expires_at > $2")
            .bind(hash)
            .bind(ts(&now));
        optional_row(query, &self.reader, web_session).await
    }

    async fn user_sessions(
        &self,
        user: Id,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, WebSession)>> {
        let query = sqlx::query(
            "SELECT * FROM web_sessions WHERE user_id = $1 AND expires_at > $2
             ORDER BY created_at DESC",
        )
        .bind(user)
        .bind(ts(&now));
        all_rows(query, &self.reader, |r| {
            Ok((text(r, "hash")?, web_session(r)?))
        })
        .await
    }

    async fn create_password_reset(
        &self,
        hash: &str,
        user: Id,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query("INSERT INTO password_resets (hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(hash)
            .bind(user)
            .bind(ts(&expires_at))
            .execute(&*self.write())
            .await?;
        Ok(())
    }

    async fn take_password_reset(&self, hash: &str, now: Timestamp) -> StoreResult<Option<Id>> {
        let taken: Option<(i64, String)> = sqlx::query_as(
            "DELETE FROM password_resets WHERE hash = $1 RETURNING user_id, expires_at",
        )
        .bind(hash)
        .fetch_optional(&*self.write())
        .await?;
        Ok(taken
            .filter(|(_, until)| *until > ts(&now))
            .map(|(user, _)| user))
    }

    async fn delete_user_sessions(&self, user: Id, keep: Option<&str>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE user_id = $1 AND hash <> $2")
            .bind(user)
            .bind(keep.unwrap_or(""))
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected())
    }

    async fn delete_session(&self, hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE hash = $1")
            .bind(hash)
            .execute(&*self.write())
            .await?;
        Ok(())
    }

    async fn prune_sessions(&self, now: Timestamp, windows_before: Timestamp) -> StoreResult<u64> {
        let sessions = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(ts(&now))
            .execute(&*self.write())
            .await?;
        let windows = sqlx::query("DELETE FROM auth_throttle WHERE window_start < $1")
            .bind(ts(&windows_before))
            .execute(&*self.write())
            .await?;
        Ok(sessions.rows_affected() + windows.rows_affected())
    }

    async fn count_attempt(
        &self,
        key: &str,
        now: Timestamp,
        window_after: Timestamp,
    ) -> StoreResult<Throttle> {
        // One statement: the row lock of the upsert orders concurrent
        // attempts, so each reads the count its own increment made.
        let row = sqlx::query(
            "INSERT INTO auth_throttle (key, window_start, attempts) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 attempts = CASE WHEN auth_throttle.window_start < $3
                     THEN 1 ELSE auth_throttle.attempts + 1 END,
                 window_start = CASE WHEN auth_throttle.window_start < $3
                     THEN excluded.window_start ELSE auth_throttle.window_start END
             RETURNING attempts, window_start",
        )
        .bind(key)
        .bind(ts(&now))
        .bind(ts(&window_after))
        .fetch_one(&*self.write())
        .await?;
        throttle(&row)
    }

    async fn forgive_attempt(&self, key: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM auth_throttle WHERE key = $1")
            .bind(key)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn throttled_keys(
        &self,
        window_after: Timestamp,
        at_least: i64,
    ) -> StoreResult<Vec<(String, Throttle)>> {
        let query = sqlx::query(
            "SELECT key, attempts, window_start FROM auth_throttle
             WHERE window_start >= $1 AND attempts >= $2
             ORDER BY attempts DESC, key LIMIT 1000",
        )
        .bind(ts(&window_after))
        .bind(at_least);
        all_rows(query, &self.reader, |r| Ok((text(r, "key")?, throttle(r)?))).await
    }
}

fn web_session(r: &AnyRow) -> StoreResult<WebSession> {
    Ok(WebSession {
        user_id: int(r, "user_id")?,
        csrf: text(r, "csrf")?,
        created_at: time(r, "created_at")?,
        expires_at: time(r, "expires_at")?,
    })
}

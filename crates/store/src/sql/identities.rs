//! `IdentityStore` in SQL: identities at external providers, each linked
//! to one account.

use async_trait::async_trait;
use entrepot_core::{Account, Id, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_time, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::{ExternalIdentity, IdentityStore, NewUser};

fn identity(row: &AnyRow) -> StoreResult<ExternalIdentity> {
    Ok(ExternalIdentity {
        provider: text(row, "provider")?,
        subject: text(row, "subject")?,
        user_id: int(row, "user_id")?,
        linked_at: time(row, "linked_at")?,
        last_sign_in_at: opt_time(row, "last_sign_in_at")?,
    })
}

/// Links in `tx`; the table's keys make a second link a `Conflict`.
async fn insert_link(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    provider: &str,
    subject: &str,
    user: Id,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO external_identities (provider, subject, user_id, linked_at, last_sign_in_at)
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(provider)
    .bind(subject)
    .bind(user)
    .bind(ts(&at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl IdentityStore for SqlStore {
    async fn sign_in_identity(
        &self,
        provider: &str,
        subject: &str,
        at: Timestamp,
    ) -> StoreResult<Option<Id>> {
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE external_identities SET last_sign_in_at = $1
             WHERE provider = $2 AND subject = $3 RETURNING user_id",
        )
        .bind(ts(&at))
        .bind(provider)
        .bind(subject)
        .fetch_optional(&*self.write())
        .await?;
        Ok(user)
    }

    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user: Id,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        insert_link(&mut tx, provider, subject, user, at).await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn create_linked_user(
        &self,
        user: NewUser,
        provider: &str,
        subject: &str,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let created = super::accounts::insert_user(&mut tx, &user).await?;
        insert_link(&mut tx, provider, subject, created.id, created.created_at).await?;
        let verified = sqlx::query(
            "UPDATE accounts SET email_verified_at = created_at
             WHERE id = $1 AND email IS NOT NULL RETURNING *",
        )
        .bind(created.id)
        .fetch_optional(&mut **tx)
        .await?;
        self.commit(tx).await?;
        match verified {
            Some(row) => super::accounts::account(&row),
            None => Ok(created),
        }
    }

    async fn identities(&self, user: Id) -> StoreResult<Vec<ExternalIdentity>> {
        let query =
            sqlx::query("SELECT * FROM external_identities WHERE user_id = $1 ORDER BY provider")
                .bind(user);
        all_rows(query, &self.reader, identity).await
    }

    async fn unlink_identity(&self, provider: &str, user: Id) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM external_identities WHERE provider = $1 AND user_id = $2")
                .bind(provider)
                .bind(user)
                .execute(&*self.write())
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

//! `AccountStore` in SQL: users and organizations (one namespace of logins),
//! organization membership, and password hashes.

use async_trait::async_trait;
use entrepot_core::{Account, AccountKind, Id, OrgRole};
use sqlx::any::AnyRow;

use super::rows::{all_rows, boolean, int, opt_text, optional_row, parse, text, time, user_role};
use super::{SqlStore, now};
use crate::StoreResult;
use crate::meta::{AccountStore, NewUser};

pub(super) fn account(row: &AnyRow) -> StoreResult<Account> {
    let kind = if boolean(row, "is_upstream")? {
        AccountKind::Upstream
    } else {
        parse(row, "kind")?
    };
    Ok(Account {
        id: int(row, "id")?,
        login: text(row, "login")?,
        kind,
        name: opt_text(row, "name")?,
        email: opt_text(row, "email")?,
        site_admin: boolean(row, "site_admin")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<Account> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        super::upstreams::refuse_reserved(&mut tx, &user.login).await?;
        let row = sqlx::query(
            "INSERT INTO accounts (login, kind, name, email, password_hash, site_admin, created_at, updated_at)
             VALUES ($1, 'user', $2, $3, $4, $5, $6, $6) RETURNING *",
        )
        .bind(&user.login)
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.site_admin)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        account(&row)
    }

    async fn create_org(&self, login: &str, owner: Id) -> StoreResult<Account> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        super::upstreams::refuse_reserved(&mut tx, login).await?;
        let row = sqlx::query(
            "INSERT INTO accounts (login, kind, site_admin, created_at, updated_at)
             VALUES ($1, 'organization', $2, $3, $3) RETURNING *",
        )
        .bind(login)
        .bind(false)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let org = account(&row)?;
        sqlx::query("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')")
            .bind(org.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn set_org_member(&self, org: Id, user: Id, role: OrgRole) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org)
        .bind(user)
        .bind(role.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn org_role(&self, org: Id, user: Id) -> StoreResult<Option<OrgRole>> {
        let query = sqlx::query("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user);
        optional_row(query, &self.reader, |r| parse(r, "role")).await
    }

    async fn org_members(&self, org: Id) -> StoreResult<Vec<(Id, OrgRole)>> {
        let query =
            sqlx::query("SELECT user_id, role FROM org_members WHERE org_id = $1 ORDER BY user_id")
                .bind(org);
        all_rows(query, &self.reader, user_role).await
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let query =
            sqlx::query("SELECT * FROM accounts WHERE lower(login) = lower($1)").bind(login);
        optional_row(query, &self.reader, account).await
    }

    async fn account_by_id(&self, id: Id) -> StoreResult<Option<Account>> {
        let query = sqlx::query("SELECT * FROM accounts WHERE id = $1").bind(id);
        optional_row(query, &self.reader, account).await
    }

    async fn password_hash(&self, user: Id) -> StoreResult<Option<String>> {
        let query = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1").bind(user);
        let hash = optional_row(query, &self.reader, |r| opt_text(r, "password_hash")).await?;
        Ok(hash.flatten())
    }

    async fn set_password_hash(&self, user: Id, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now())
            .bind(user)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE kind = 'user'")
                .fetch_one(&self.reader)
                .await?,
        )
    }
}

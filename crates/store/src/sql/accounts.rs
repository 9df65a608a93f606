//! `AccountStore` in SQL: users and organizations (one namespace of logins),
//! organization membership, and password hashes.

use async_trait::async_trait;
use entrepot_core::{Account, AccountKind, Id, OrgRole, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{
    all_rows, boolean, int, opt_text, opt_time, optional_row, parse, text, time, user_role,
};
use super::{SqlStore, now, ts};
use crate::meta::{AccountStore, Footprint, NewUser, OrgInvitation};
use crate::{StoreError, StoreResult};

/// Inserts a user in `tx`, unless an upstream reserves its login.
pub(super) async fn insert_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user: &NewUser,
) -> StoreResult<Account> {
    super::upstreams::refuse_reserved(tx, &user.login).await?;
    let row = sqlx::query(
        "INSERT INTO accounts (login, kind, name, email, password_hash, site_admin, created_at, updated_at)
         VALUES ($1, 'user', $2, $3, $4, $5, $6, $6) RETURNING *",
    )
    .bind(&user.login)
    .bind(&user.name)
    .bind(&user.email)
    .bind(&user.password_hash)
    .bind(user.site_admin)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    account(&row)
}

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
        email_verified_at: opt_time(row, "email_verified_at")?,
        email_notifications: boolean(row, "email_notifications")?,
        site_admin: boolean(row, "site_admin")?,
        suspended_at: opt_time(row, "suspended_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let created = insert_user(&mut tx, &user).await?;
        self.commit(tx).await?;
        Ok(created)
    }

    async fn create_org(&self, login: &str, owner: Id) -> StoreResult<Account> {
        let at = now();
        let mut tx = self.begin_write().await?;
        super::upstreams::refuse_reserved(&mut tx, login).await?;
        let row = sqlx::query(
            "INSERT INTO accounts (login, kind, site_admin, created_at, updated_at)
             VALUES ($1, 'organization', $2, $3, $3) RETURNING *",
        )
        .bind(login)
        .bind(false)
        .bind(&at)
        .fetch_one(&mut **tx)
        .await?;
        let org = account(&row)?;
        sqlx::query("INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'owner')")
            .bind(org.id)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        self.commit(tx).await?;
        Ok(org)
    }

    async fn set_org_member(&self, org: Id, user: Id, role: OrgRole) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(org)
        .bind(user)
        .bind(role.as_str())
        .execute(&mut **tx)
        .await?;
        // A member now: an invitation still pending would say otherwise.
        sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .execute(&mut **tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn org_role(&self, org: Id, user: Id) -> StoreResult<Option<OrgRole>> {
        let query = sqlx::query("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user);
        let load = optional_row(query, &self.reader, |r| parse(r, "role"));
        self.cache
            .get(&self.reader, |m| &mut m.org_roles, (org, user), load)
            .await
    }

    async fn org_members(&self, org: Id) -> StoreResult<Vec<(Id, OrgRole)>> {
        let query =
            sqlx::query("SELECT user_id, role FROM org_members WHERE org_id = $1 ORDER BY user_id")
                .bind(org);
        all_rows(query, &self.reader, user_role).await
    }

    async fn storage_by_owner(&self, limit: u64) -> StoreResult<Vec<crate::meta::OwnerUsage>> {
        let query = sqlx::query(
            "SELECT * FROM (
               SELECT a.*,
                 (SELECT COUNT(*) FROM packages p
                   WHERE p.owner_id = a.id AND p.deleted_at IS NULL) AS live_packages,
                 CAST((SELECT COALESCE(SUM(f.size), 0) FROM files f
                   JOIN versions v ON v.id = f.version_id
                   JOIN packages p ON p.id = v.package_id WHERE p.owner_id = a.id)
                 + (SELECT COALESCE(SUM(b.size), 0) FROM blob_links b WHERE b.owner_id = a.id)
                 AS BIGINT) AS used_bytes
               FROM accounts a) usage
             WHERE live_packages > 0 OR used_bytes > 0
             ORDER BY used_bytes DESC, id LIMIT $1",
        )
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
        all_rows(query, &self.reader, |r| {
            Ok(crate::meta::OwnerUsage {
                account: account(r)?,
                packages: int(r, "live_packages")?.unsigned_abs(),
                bytes: int(r, "used_bytes")?.unsigned_abs(),
            })
        })
        .await
    }

    async fn user_orgs(&self, user: Id) -> StoreResult<Vec<(Account, OrgRole)>> {
        let query = sqlx::query(
            "SELECT accounts.*, org_members.role AS member_role FROM org_members
             JOIN accounts ON accounts.id = org_members.org_id
             WHERE org_members.user_id = $1 ORDER BY lower(accounts.login)",
        )
        .bind(user);
        all_rows(query, &self.reader, |r| {
            Ok((account(r)?, super::rows::parse(r, "member_role")?))
        })
        .await
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let query =
            sqlx::query("SELECT * FROM accounts WHERE lower(login) = lower($1)").bind(login);
        let load = optional_row(query, &self.reader, account);
        self.cache
            .get(
                &self.reader,
                |m| &mut m.accounts_by_login,
                login.to_owned(),
                load,
            )
            .await
    }

    async fn account_by_id(&self, id: Id) -> StoreResult<Option<Account>> {
        let query = sqlx::query("SELECT * FROM accounts WHERE id = $1").bind(id);
        let load = optional_row(query, &self.reader, account);
        self.cache
            .get(&self.reader, |m| &mut m.accounts_by_id, id, load)
            .await
    }

    async fn users_by_email(&self, email: &str) -> StoreResult<Vec<Account>> {
        let query = sqlx::query(
            "SELECT * FROM accounts WHERE kind = 'user' AND lower(email) = lower($1) ORDER BY id",
        )
        .bind(email);
        all_rows(query, &self.reader, account).await
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
            .execute(&*self.write())
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

    async fn set_suspended(&self, user: Id, at: Option<Timestamp>) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE accounts SET suspended_at = $1, updated_at = $2
             WHERE id = $3 AND kind = 'user' AND NOT is_upstream",
        )
        .bind(at.as_ref().map(ts))
        .bind(now())
        .bind(user)
        .execute(&*self.write())
        .await?;
        super::rows::found(&done)
    }

    async fn set_site_admin(&self, user: Id, admin: bool) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE accounts SET site_admin = $1, updated_at = $2
             WHERE id = $3 AND kind = 'user' AND NOT is_upstream",
        )
        .bind(admin)
        .bind(now())
        .bind(user)
        .execute(&*self.write())
        .await?;
        super::rows::found(&done)
    }

    async fn list_accounts(
        &self,
        kind: AccountKind,
        since: Id,
        limit: u32,
    ) -> StoreResult<Vec<Account>> {
        let (kind, upstream) = match kind {
            AccountKind::User => ("user", false),
            AccountKind::Organization => ("organization", false),
            AccountKind::Upstream => ("organization", true),
        };
        let query = sqlx::query(
            "SELECT * FROM accounts WHERE kind = $1 AND is_upstream = $2 AND id > $3
             ORDER BY id LIMIT $4",
        )
        .bind(kind)
        .bind(upstream)
        .bind(since)
        .bind(i64::from(limit));
        all_rows(query, &self.reader, account).await
    }

    async fn account_footprint(&self, account: Id) -> StoreResult<Footprint> {
        let count = |sql: &'static str| {
            sqlx::query_scalar::<_, i64>(sql)
                .bind(account)
                .fetch_one(&self.reader)
        };
        let packages = count("SELECT COUNT(*) FROM packages WHERE owner_id = $1").await?;
        let versions = count(
            "SELECT COUNT(*) FROM versions v JOIN packages p ON p.id = v.package_id
             WHERE p.owner_id = $1",
        )
        .await?;
        let repositories = count("SELECT COUNT(*) FROM repositories WHERE owner_id = $1").await?;
        let sole_owner_of: Vec<String> = sqlx::query_scalar(
            "SELECT o.login FROM org_members m JOIN accounts o ON o.id = m.org_id
             WHERE m.user_id = $1 AND m.role = 'owner'
             AND NOT EXISTS (SELECT 1 FROM org_members n WHERE n.org_id = m.org_id
                             AND n.role = 'owner' AND n.user_id <> $1)
             ORDER BY lower(o.login)",
        )
        .bind(account)
        .fetch_all(&self.reader)
        .await?;
        Ok(Footprint {
            packages: packages.unsigned_abs(),
            versions: versions.unsigned_abs(),
            repositories: repositories.unsigned_abs(),
            sole_owner_of,
        })
    }

    async fn delete_account(&self, account: Id, at: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let login: Option<String> = sqlx::query_scalar("SELECT login FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_optional(&mut **tx)
            .await?;
        let login = login.ok_or(StoreError::NotFound)?;
        sqlx::query("INSERT INTO retired_logins (login, retired_at) VALUES ($1, $2)")
            .bind(&login)
            .bind(ts(&at))
            .execute(&mut **tx)
            .await?;
        // Everything the account owns goes with it (ON DELETE CASCADE);
        // what it published elsewhere stays, credited to no one.
        sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(account)
            .execute(&mut **tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn remove_org_member(&self, org: Id, user: Id) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .execute(&mut **tx)
            .await?;
        // What came through the organization's sign-on leaves with them.
        super::sso::forget(&mut tx, org, Some(user)).await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn update_profile(
        &self,
        user: Id,
        name: Option<Option<String>>,
        email: Option<Option<String>>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let at = now();
        for (column, value) in [("name", name), ("email", email)] {
            let Some(value) = value else { continue };
            // A new address is not verified yet; the same one stays so.
            let verified = if column == "email" {
                ", email_verified_at = CASE WHEN lower(email) = lower($1) THEN email_verified_at END"
            } else {
                ""
            };
            let sql = format!(
                "UPDATE accounts SET {column} = $1{verified}, updated_at = $2 WHERE id = $3"
            );
            let done = sqlx::query(&sql)
                .bind(value)
                .bind(&at)
                .bind(user)
                .execute(&mut **tx)
                .await?;
            super::rows::found(&done)?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn create_email_verification(
        &self,
        hash: &str,
        user: Id,
        email: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO email_verifications (hash, user_id, email, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hash)
        .bind(user)
        .bind(email)
        .bind(ts(&expires_at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn verify_email(&self, hash: &str, now: Timestamp) -> StoreResult<Option<Id>> {
        let mut tx = self.begin_write().await?;
        let taken: Option<(i64, String, String)> = sqlx::query_as(
            "DELETE FROM email_verifications WHERE hash = $1
             RETURNING user_id, email, expires_at",
        )
        .bind(hash)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((user, email, _)) = taken.filter(|(_, _, until)| *until > ts(&now)) else {
            self.commit(tx).await?;
            return Ok(None);
        };
        // Only the address the link was sent to, if it is still the one.
        let done = sqlx::query(
            "UPDATE accounts SET email_verified_at = $1 WHERE id = $2 AND lower(email) = lower($3)",
        )
        .bind(ts(&now))
        .bind(user)
        .bind(&email)
        .execute(&mut **tx)
        .await?;
        self.commit(tx).await?;
        Ok((done.rows_affected() == 1).then_some(user))
    }

    async fn invite_org_member(
        &self,
        org: Id,
        user: Id,
        role: OrgRole,
        inviter: Id,
        at: Timestamp,
    ) -> StoreResult<OrgInvitation> {
        super::invitations::invite(self, org, user, role, inviter, at).await
    }

    async fn org_invitations(
        &self,
        org: Option<Id>,
        user: Option<Id>,
    ) -> StoreResult<Vec<OrgInvitation>> {
        super::invitations::list(self, org, user).await
    }

    async fn accept_org_invitation(&self, org: Id, user: Id) -> StoreResult<Option<OrgRole>> {
        super::invitations::accept(self, org, user).await
    }

    async fn delete_org_invitation(&self, org: Id, user: Id) -> StoreResult<bool> {
        super::invitations::delete(self, org, user).await
    }

    async fn set_email_notifications(&self, user: Id, on: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE accounts SET email_notifications = $1 WHERE id = $2")
            .bind(on)
            .bind(user)
            .execute(&*self.write())
            .await?;
        super::rows::found(&done)
    }
}

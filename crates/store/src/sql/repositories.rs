//! `RepositoryStore` in SQL: repositories, named with their owner's login,
//! and their collaborators.

use async_trait::async_trait;
use entrepot_core::{Id, Repository, Role};
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_text, opt_time, optional_row, parse, text, time, user_role};
use super::{SqlStore, now};
use crate::meta::{NewRepository, RepositoryChanges, RepositoryStore};
use crate::{StoreError, StoreResult};

const REPOSITORY_COLUMNS: &str =
    "r.*, a.login AS owner_login FROM repositories r JOIN accounts a ON a.id = r.owner_id";

fn repository(row: &AnyRow) -> StoreResult<Repository> {
    Ok(Repository {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        owner_login: text(row, "owner_login")?,
        name: text(row, "name")?,
        visibility: parse(row, "visibility")?,
        description: opt_text(row, "description")?,
        code_url: opt_text(row, "code_url")?,
        archived_at: opt_time(row, "archived_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

impl SqlStore {
    async fn repository_on(&self, pool: &AnyPool, id: Id) -> StoreResult<Option<Repository>> {
        let sql = format!("SELECT {REPOSITORY_COLUMNS} WHERE r.id = $1");
        optional_row(sqlx::query(&sql).bind(id), pool, repository).await
    }
}

#[async_trait]
impl RepositoryStore for SqlStore {
    async fn create_repository(&self, repo: NewRepository) -> StoreResult<Repository> {
        let at = now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO repositories
             (owner_id, name, visibility, description, code_url, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(repo.owner_id)
        .bind(&repo.name)
        .bind(repo.visibility.as_str())
        .bind(&repo.description)
        .bind(&repo.code_url)
        .bind(&at)
        .fetch_one(&*self.write())
        .await?;
        self.repository_on(&self.write(), id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn repository(&self, owner: Id, name: &str) -> StoreResult<Option<Repository>> {
        let sql = format!(
            "SELECT {REPOSITORY_COLUMNS} WHERE r.owner_id = $1 AND lower(r.name) = lower($2)"
        );
        let query = sqlx::query(&sql).bind(owner).bind(name);
        optional_row(query, &self.reader, repository).await
    }

    async fn repository_by_id(&self, id: Id) -> StoreResult<Option<Repository>> {
        let load = self.repository_on(&self.reader, id);
        self.cache
            .get(&self.reader, |m| &mut m.repositories, id, load)
            .await
    }

    async fn set_collaborator(&self, repo: Id, user: Id, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO repo_collaborators (repo_id, user_id, role) VALUES ($1, $2, $3)
             ON CONFLICT (repo_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(repo)
        .bind(user)
        .bind(role.as_str())
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn collaborator_role(&self, repo: Id, user: Id) -> StoreResult<Option<Role>> {
        let query =
            sqlx::query("SELECT role FROM repo_collaborators WHERE repo_id = $1 AND user_id = $2")
                .bind(repo)
                .bind(user);
        let load = optional_row(query, &self.reader, |r| parse(r, "role"));
        self.cache
            .get(&self.reader, |m| &mut m.collaborators, (repo, user), load)
            .await
    }

    async fn list_repositories(&self, owner: Option<Id>) -> StoreResult<Vec<Repository>> {
        let order = "ORDER BY lower(a.login), lower(r.name)";
        if let Some(owner) = owner {
            let sql = format!("SELECT {REPOSITORY_COLUMNS} WHERE r.owner_id = $1 {order}");
            all_rows(sqlx::query(&sql).bind(owner), &self.reader, repository).await
        } else {
            let sql = format!("SELECT {REPOSITORY_COLUMNS} {order}");
            all_rows(sqlx::query(&sql), &self.reader, repository).await
        }
    }

    async fn delete_repository(&self, id: Id) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let connected: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM packages WHERE repository_id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        let done = sqlx::query("DELETE FROM repositories WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.commit(tx).await?;
        Ok(connected.unsigned_abs())
    }

    async fn update_repository(&self, id: Id, changes: RepositoryChanges) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let exists: Option<Id> = sqlx::query_scalar("SELECT id FROM repositories WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let at = now();
        if let Some(visibility) = changes.visibility {
            sqlx::query("UPDATE repositories SET visibility = $1, updated_at = $2 WHERE id = $3")
                .bind(visibility.as_str())
                .bind(&at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        if let Some(description) = changes.description {
            sqlx::query("UPDATE repositories SET description = $1, updated_at = $2 WHERE id = $3")
                .bind(description)
                .bind(&at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        if let Some(archived) = changes.archived {
            sqlx::query(
                "UPDATE repositories SET archived_at = CASE WHEN $1 THEN COALESCE(archived_at, $2) END,
                 updated_at = $2 WHERE id = $3",
            )
            .bind(archived)
            .bind(&at)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        if let Some(code_url) = changes.code_url {
            sqlx::query("UPDATE repositories SET code_url = $1, updated_at = $2 WHERE id = $3")
                .bind(code_url)
                .bind(&at)
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn collaborators(&self, repo: Id) -> StoreResult<Vec<(Id, Role)>> {
        let query = sqlx::query(
            "SELECT user_id, role FROM repo_collaborators WHERE repo_id = $1 ORDER BY user_id",
        )
        .bind(repo);
        all_rows(query, &self.reader, user_role).await
    }

    async fn remove_collaborator(&self, repo: Id, user: Id) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM repo_collaborators WHERE repo_id = $1 AND user_id = $2")
                .bind(repo)
                .bind(user)
                .execute(&*self.write())
                .await?;
        Ok(done.rows_affected() > 0)
    }
}

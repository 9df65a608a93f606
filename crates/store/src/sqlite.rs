//! The embedded SQLite metadata store: WAL, full fsync, foreign keys, and one
//! writer connection beside a pool of readers so that writes never meet
//! `SQLITE_BUSY` half-way through a transaction.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use entrepot_core::{
    Account, AuditEntry, Digests, Id, OrgRole, Package, PackageFile, PackageType, Repository, Role,
    Scopes, Tag, Timestamp, TokenRecord, Version,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqlitePool};

use crate::meta::{
    AccountStore, ActivityStore, DownloadDay, NewAuditEntry, NewPackage, NewRepository,
    NewTokenRecord, NewUser, NewVersion, PackageFilter, PackageStore, PackageUpdate,
    RepositoryStore, TokenStore,
};
use crate::{StoreError, StoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (creating the file) and runs the migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Invalid(format!("database URL {url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged publish must survive a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }

    /// Opens the database file at `path`.
    pub async fn open_path(path: &Path) -> StoreResult<Self> {
        Self::open(&format!("sqlite://{}", path.display())).await
    }
}

fn parse<T: FromStr>(row: &SqliteRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(col)?;
    text.parse()
        .map_err(|e: T::Err| StoreError::Database(format!("column {col}: {e}")))
}

fn json(row: &SqliteRow, col: &str) -> StoreResult<serde_json::Value> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

fn account(row: &SqliteRow) -> StoreResult<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        login: row.try_get("login")?,
        kind: parse(row, "kind")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        site_admin: row.try_get("site_admin")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn repository(row: &SqliteRow) -> StoreResult<Repository> {
    Ok(Repository {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        owner_login: row.try_get("owner_login")?,
        name: row.try_get("name")?,
        visibility: parse(row, "visibility")?,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn token(row: &SqliteRow) -> StoreResult<TokenRecord> {
    let scopes: String = row.try_get("scopes")?;
    Ok(TokenRecord {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        prefix: row.try_get("prefix")?,
        scopes: Scopes::parse_list(&scopes).map_err(|e| StoreError::Database(e.to_string()))?,
        note: row.try_get("note")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_at: row.try_get("last_used_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn package(row: &SqliteRow) -> StoreResult<Package> {
    Ok(Package {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        owner_login: row.try_get("owner_login")?,
        package_type: parse(row, "package_type")?,
        name: row.try_get("name")?,
        visibility: parse(row, "visibility")?,
        repository_id: row.try_get("repository_id")?,
        inherit_access: row.try_get("inherit_access")?,
        description: row.try_get("description")?,
        readme: row.try_get("readme")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn version(row: &SqliteRow) -> StoreResult<Version> {
    Ok(Version {
        id: row.try_get("id")?,
        package_id: row.try_get("package_id")?,
        name: row.try_get("name")?,
        metadata: json(row, "metadata")?,
        publisher_id: row.try_get("publisher_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

fn file(row: &SqliteRow) -> StoreResult<PackageFile> {
    let digests: Digests = serde_json::from_value(json(row, "digests")?)
        .map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(PackageFile {
        id: row.try_get("id")?,
        version_id: row.try_get("version_id")?,
        name: row.try_get("name")?,
        size: row.try_get::<i64, _>("size")? as u64,
        sha256: row.try_get("sha256")?,
        digests,
        content_type: row.try_get("content_type")?,
        created_at: row.try_get("created_at")?,
    })
}

const PACKAGE_COLUMNS: &str =
    "p.*, a.login AS owner_login FROM packages p JOIN accounts a ON a.id = p.owner_id";
const REPOSITORY_COLUMNS: &str =
    "r.*, a.login AS owner_login FROM repositories r JOIN accounts a ON a.id = r.owner_id";

fn now() -> Timestamp {
    chrono::Utc::now()
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<Account> {
        let at = now();
        let row = sqlx::query(
            "INSERT INTO accounts (login, kind, name, email, password_hash, site_admin, created_at, updated_at)
             VALUES (?, 'user', ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(&user.login)
        .bind(&user.name)
        .bind(&user.email)
        .bind(&user.password_hash)
        .bind(user.site_admin)
        .bind(at)
        .bind(at)
        .fetch_one(&self.writer)
        .await?;
        account(&row)
    }

    async fn create_org(&self, login: &str, owner: Id) -> StoreResult<Account> {
        let at = now();
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO accounts (login, kind, created_at, updated_at)
             VALUES (?, 'organization', ?, ?) RETURNING *",
        )
        .bind(login)
        .bind(at)
        .bind(at)
        .fetch_one(&mut *tx)
        .await?;
        let org = account(&row)?;
        sqlx::query("INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, 'owner')")
            .bind(org.id)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(org)
    }

    async fn set_org_member(&self, org: Id, user: Id, role: OrgRole) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_members (org_id, user_id, role) VALUES (?, ?, ?)
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
        let row = sqlx::query("SELECT role FROM org_members WHERE org_id = ? AND user_id = ?")
            .bind(org)
            .bind(user)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE login = ?")
            .bind(login)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(account).transpose()
    }

    async fn account_by_id(&self, id: Id) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(account).transpose()
    }

    async fn password_hash(&self, user: Id) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM accounts WHERE id = ?")
            .bind(user)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.and_then(|r| r.get("password_hash")))
    }

    async fn set_password_hash(&self, user: Id, hash: &str) -> StoreResult<()> {
        sqlx::query("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE id = ?")
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

#[async_trait]
impl RepositoryStore for SqliteStore {
    async fn create_repository(&self, repo: NewRepository) -> StoreResult<Repository> {
        let at = now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO repositories (owner_id, name, visibility, description, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(repo.owner_id)
        .bind(&repo.name)
        .bind(repo.visibility.as_str())
        .bind(&repo.description)
        .bind(at)
        .bind(at)
        .fetch_one(&self.writer)
        .await?;
        self.repository_by_id_on(&self.writer, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn repository(&self, owner: Id, name: &str) -> StoreResult<Option<Repository>> {
        let row = sqlx::query(&format!(
            "SELECT {REPOSITORY_COLUMNS} WHERE r.owner_id = ? AND r.name = ?"
        ))
        .bind(owner)
        .bind(name)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(repository).transpose()
    }

    async fn repository_by_id(&self, id: Id) -> StoreResult<Option<Repository>> {
        self.repository_by_id_on(&self.reader, id).await
    }

    async fn set_collaborator(&self, repo: Id, user: Id, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO repo_collaborators (repo_id, user_id, role) VALUES (?, ?, ?)
             ON CONFLICT (repo_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(repo)
        .bind(user)
        .bind(role.as_str())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn collaborator_role(&self, repo: Id, user: Id) -> StoreResult<Option<Role>> {
        let row =
            sqlx::query("SELECT role FROM repo_collaborators WHERE repo_id = ? AND user_id = ?")
                .bind(repo)
                .bind(user)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }
}

impl SqliteStore {
    async fn repository_by_id_on(
        &self,
        pool: &SqlitePool,
        id: Id,
    ) -> StoreResult<Option<Repository>> {
        let row = sqlx::query(&format!("SELECT {REPOSITORY_COLUMNS} WHERE r.id = ?"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(repository).transpose()
    }

    async fn package_on(&self, pool: &SqlitePool, id: Id) -> StoreResult<Option<Package>> {
        let row = sqlx::query(&format!("SELECT {PACKAGE_COLUMNS} WHERE p.id = ?"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(package).transpose()
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, t: NewTokenRecord) -> StoreResult<TokenRecord> {
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, hash, prefix, scopes, note, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(t.user_id)
        .bind(&t.hash)
        .bind(&t.prefix)
        .bind(t.scopes.to_string())
        .bind(&t.note)
        .bind(now())
        .bind(t.expires_at)
        .fetch_one(&self.writer)
        .await?;
        token(&row)
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(TokenRecord, String)>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE hash = ?")
            .bind(hash)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((token(&r)?, r.try_get("hash")?)))
            .transpose()
    }

    async fn token_by_id(&self, id: Id) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(token).transpose()
    }

    async fn list_tokens(&self, user: Id) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE user_id = ? ORDER BY id")
            .bind(user)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(token).collect()
    }

    async fn revoke_token(&self, id: Id, at: Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_token(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE tokens SET last_used_at = ? WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl PackageStore for SqliteStore {
    async fn create_package(&self, p: NewPackage) -> StoreResult<Package> {
        let at = now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO packages (owner_id, package_type, name, visibility, repository_id, inherit_access,
                                   description, readme, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(p.owner_id)
        .bind(p.package_type.as_str())
        .bind(&p.name)
        .bind(p.visibility.as_str())
        .bind(p.repository_id)
        .bind(p.inherit_access)
        .bind(&p.description)
        .bind(&p.readme)
        .bind(at)
        .bind(at)
        .fetch_one(&self.writer)
        .await?;
        self.package_on(&self.writer, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn package(
        &self,
        owner: Id,
        package_type: PackageType,
        name: &str,
        include_deleted: bool,
    ) -> StoreResult<Option<Package>> {
        let filter = if include_deleted {
            ""
        } else {
            "AND p.deleted_at IS NULL"
        };
        let row = sqlx::query(&format!(
            "SELECT {PACKAGE_COLUMNS} WHERE p.owner_id = ? AND p.package_type = ? AND p.name = ? {filter}
             ORDER BY p.deleted_at IS NOT NULL, p.deleted_at DESC LIMIT 1"
        ))
        .bind(owner)
        .bind(package_type.as_str())
        .bind(name)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(package).transpose()
    }

    async fn package_by_id(&self, id: Id) -> StoreResult<Option<Package>> {
        self.package_on(&self.reader, id).await
    }

    async fn list_packages(&self, f: PackageFilter) -> StoreResult<Vec<Package>> {
        let rows = sqlx::query(&format!(
            "SELECT {PACKAGE_COLUMNS}
             WHERE (?1 IS NULL OR p.owner_id = ?1)
               AND (?2 IS NULL OR p.package_type = ?2)
               AND (?3 IS NULL OR p.repository_id = ?3)
               AND (?4 OR p.deleted_at IS NULL)
             ORDER BY p.id"
        ))
        .bind(f.owner_id)
        .bind(f.package_type.map(PackageType::as_str))
        .bind(f.repository_id)
        .bind(f.include_deleted)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(package).collect()
    }

    async fn update_package(
        &self,
        id: Id,
        u: PackageUpdate,
        at: Timestamp,
    ) -> StoreResult<Package> {
        let mut tx = self.writer.begin().await?;
        if let Some(v) = u.visibility {
            sqlx::query("UPDATE packages SET visibility = ? WHERE id = ?")
                .bind(v.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(r) = u.repository_id {
            sqlx::query("UPDATE packages SET repository_id = ? WHERE id = ?")
                .bind(r)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(i) = u.inherit_access {
            sqlx::query("UPDATE packages SET inherit_access = ? WHERE id = ?")
                .bind(i)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = u.description {
            sqlx::query("UPDATE packages SET description = ? WHERE id = ?")
                .bind(d)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(r) = u.readme {
            sqlx::query("UPDATE packages SET readme = ? WHERE id = ?")
                .bind(r)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("UPDATE packages SET updated_at = ? WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        self.package_on(&self.writer, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn set_package_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()> {
        let done = sqlx::query("UPDATE packages SET deleted_at = ? WHERE id = ?")
            .bind(deleted_at)
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_package_role(&self, package: Id, user: Id, role: Option<Role>) -> StoreResult<()> {
        match role {
            Some(role) => sqlx::query(
                "INSERT INTO package_roles (package_id, user_id, role) VALUES (?, ?, ?)
                 ON CONFLICT (package_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(package)
            .bind(user)
            .bind(role.as_str()),
            None => sqlx::query("DELETE FROM package_roles WHERE package_id = ? AND user_id = ?")
                .bind(package)
                .bind(user),
        }
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn package_role(&self, package: Id, user: Id) -> StoreResult<Option<Role>> {
        let row =
            sqlx::query("SELECT role FROM package_roles WHERE package_id = ? AND user_id = ?")
                .bind(package)
                .bind(user)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }

    async fn publish_version(&self, v: NewVersion) -> StoreResult<Version> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO versions (package_id, name, metadata, publisher_id, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        )
        .bind(v.package_id)
        .bind(&v.name)
        .bind(v.metadata.to_string())
        .bind(v.publisher_id)
        .bind(v.at)
        .bind(v.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("version {} already exists", v.name)),
            other => other,
        })?;
        let created = version(&row)?;
        for f in &v.files {
            sqlx::query(
                "INSERT INTO files (version_id, name, size, sha256, digests, content_type, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(created.id)
            .bind(&f.name)
            .bind(f.size as i64)
            .bind(&f.sha256)
            .bind(serde_json::to_string(&f.digests).expect("digests serialize"))
            .bind(&f.content_type)
            .bind(v.at)
            .execute(&mut *tx)
            .await?;
        }
        for tag in &v.tags {
            sqlx::query(
                "INSERT INTO tags (package_id, name, version_id, updated_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
                 updated_at = excluded.updated_at",
            )
            .bind(v.package_id)
            .bind(tag)
            .bind(created.id)
            .bind(v.at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE packages SET updated_at = ? WHERE id = ?")
            .bind(v.at)
            .bind(v.package_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn version(&self, package: Id, name: &str) -> StoreResult<Option<Version>> {
        let row = sqlx::query("SELECT * FROM versions WHERE package_id = ? AND name = ?")
            .bind(package)
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(version).transpose()
    }

    async fn version_by_id(&self, id: Id) -> StoreResult<Option<Version>> {
        let row = sqlx::query("SELECT * FROM versions WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(version).transpose()
    }

    async fn versions(&self, package: Id, include_deleted: bool) -> StoreResult<Vec<Version>> {
        let rows = sqlx::query(
            "SELECT * FROM versions WHERE package_id = ? AND (? OR deleted_at IS NULL) ORDER BY id",
        )
        .bind(package)
        .bind(include_deleted)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(version).collect()
    }

    async fn set_version_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("UPDATE versions SET deleted_at = ? WHERE id = ?")
            .bind(deleted_at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if deleted_at.is_some() {
            // A tag never points at a deleted version.
            sqlx::query("DELETE FROM tags WHERE version_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn update_version_metadata(
        &self,
        id: Id,
        metadata: serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE versions SET metadata = ?, updated_at = ? WHERE id = ?")
            .bind(metadata.to_string())
            .bind(at)
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_version(&self, id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM versions WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn files(&self, version_id: Id) -> StoreResult<Vec<PackageFile>> {
        let rows = sqlx::query("SELECT * FROM files WHERE version_id = ? ORDER BY id")
            .bind(version_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(file).collect()
    }

    async fn expired_packages(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM packages WHERE deleted_at IS NOT NULL AND deleted_at < ? ORDER BY id",
        )
        .bind(cutoff)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn expired_versions(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id
             WHERE v.deleted_at IS NOT NULL AND v.deleted_at < ? AND p.deleted_at IS NULL ORDER BY v.id",
        )
        .bind(cutoff)
        .fetch_all(&self.reader)
        .await?)
    }

    async fn purge_package(&self, id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM packages WHERE id = ?")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn blob_referenced(&self, sha256: &str) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?)")
                .bind(sha256)
                .fetch_one(&self.reader)
                .await?,
        )
    }

    async fn set_tag(
        &self,
        package: Id,
        name: &str,
        version_id: Id,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tags (package_id, name, version_id, updated_at)
             SELECT ?1, ?2, id, ?4 FROM versions WHERE id = ?3 AND package_id = ?1 AND deleted_at IS NULL
             ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
             updated_at = excluded.updated_at",
        )
        .bind(package)
        .bind(name)
        .bind(version_id)
        .bind(at)
        .execute(&self.writer)
        .await
        .map_err(StoreError::from)
        .and_then(|done| {
            if done.rows_affected() == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
    }

    async fn remove_tag(&self, package: Id, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM tags WHERE package_id = ? AND name = ?")
            .bind(package)
            .bind(name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn tags(&self, package: Id) -> StoreResult<Vec<Tag>> {
        let rows = sqlx::query("SELECT * FROM tags WHERE package_id = ? ORDER BY name")
            .bind(package)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Tag {
                    package_id: r.try_get("package_id")?,
                    name: r.try_get("name")?,
                    version_id: r.try_get("version_id")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn record_downloads(
        &self,
        version_id: Id,
        day: NaiveDate,
        count: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO downloads (version_id, day, count) VALUES (?, ?, ?)
             ON CONFLICT (version_id, day) DO UPDATE SET count = count + excluded.count",
        )
        .bind(version_id)
        .bind(day.to_string())
        .bind(count)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn downloads(&self, package: Id) -> StoreResult<Vec<DownloadDay>> {
        let rows = sqlx::query(
            "SELECT d.version_id, d.day, d.count FROM downloads d JOIN versions v ON v.id = d.version_id
             WHERE v.package_id = ? ORDER BY d.day, d.version_id",
        )
        .bind(package)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DownloadDay {
                    version_id: r.try_get("version_id")?,
                    day: parse(r, "day")?,
                    count: r.try_get("count")?,
                })
            })
            .collect()
    }

    async fn audit(&self, e: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, action, package_id, version_id, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(e.actor_id)
        .bind(&e.action)
        .bind(e.package_id)
        .bind(e.version_id)
        .bind(&e.detail)
        .bind(e.at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, package: Id) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE package_id = ? ORDER BY id")
            .bind(package)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    actor_id: r.try_get("actor_id")?,
                    action: r.try_get("action")?,
                    package_id: r.try_get("package_id")?,
                    version_id: r.try_get("version_id")?,
                    detail: r.try_get("detail")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }
}

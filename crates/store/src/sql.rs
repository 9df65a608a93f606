//! The SQL metadata store, one implementation for SQLite (embedded) and
//! PostgreSQL (shared by any number of nodes), through sqlx's `Any` driver.
//!
//! The two schemas match column for column; times are fixed-width RFC 3339
//! text and JSON is text, so every query below runs unchanged on both.
//! SQLite gets WAL, full fsync, and one writer connection beside a pool of
//! readers, so that writes never meet `SQLITE_BUSY` half-way through.

use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use entrepot_core::{
    Account, Advisory, AuditEntry, Digests, Id, OrgRole, Package, PackageFile, PackageType,
    Repository, Role, Scopes, Severity, Tag, Timestamp, TokenRecord, Version,
};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::meta::{
    AccountStore, ActivityStore, AdvisoryFilter, AdvisoryStore, BlobLink, DownloadDay, JobStore,
    NewAuditEntry, NewFile, NewPackage, NewRepository, NewTokenRecord, NewUser, NewVersion,
    PackageFilter, PackageStore, PackageUpdate, RepositoryStore, SessionStore, Throttle,
    TokenStore, UploadSession, UploadStore, WebSession,
};
use crate::{StoreError, StoreResult};

mod hooks;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    writer: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
}

/// The SQLite store is the same type; the name reads better at call sites.
pub type SqliteStore = SqlStore;

/// WAL with full fsync (an acknowledged publish survives a power cut), and
/// a 1 MiB page cache per connection: the OS caches the file anyway.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY; \
     PRAGMA cache_size = -1024;";

/// Formats a time as the schema stores it: fixed width, so text order is time order.
pub fn ts(t: &Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(text: &str) -> StoreResult<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Database(format!("bad time {text}: {e}")))
}

/// Marks a package changed, so that anything cached from it (rendered
/// indexes) is known to be stale. Times only move forward.
async fn touch_package_of_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    version: Id,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE packages SET updated_at = $1 WHERE id = (SELECT package_id FROM versions WHERE id = $2)",
    )
    .bind(now())
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies the SQLite settings to every new connection.
fn sqlite_pragmas(
    conn: &mut sqlx::AnyConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        conn.execute(SQLITE_PRAGMAS).await?;
        Ok(())
    })
}

impl SqlStore {
    /// Opens `sqlite://PATH` (creating it) or `postgres://…`, running the
    /// migrations.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, true).await
    }

    /// Opens the store, running the migrations only when `migrate` is set
    /// (`serve --no-migrate` leaves them to `admin migrate`).
    pub async fn open_with(url: &str, migrate: bool) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let store = if url.starts_with("sqlite:") {
            let base = url.split('?').next().unwrap_or(url);
            let writer = AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(sqlite_pragmas)
                .connect(&format!("{base}?mode=rwc"))
                .await?;
            let reader = AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(sqlite_pragmas)
                .connect(&format!("{base}?mode=ro"))
                .await;
            // The read-only pool opens the file the writer has just created.
            let reader = match reader {
                Ok(r) => r,
                Err(e) => return Err(e.into()),
            };
            SqlStore {
                writer,
                reader,
                dialect: Dialect::Sqlite,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            SqlStore {
                writer: pool.clone(),
                reader: pool,
                dialect: Dialect::Postgres,
            }
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL {url}: use sqlite://PATH or postgres://…"
            )));
        };
        if migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Soft-deletes a live version and drops its tags; with `keep_one`,
    /// not the package's last live version. The package row is written
    /// first, so that deletes in one package run one after the other (a
    /// row lock on PostgreSQL; SQLite has one writer) and each sees what
    /// the previous one did.
    async fn soft_delete(&self, id: Id, at: Timestamp, keep_one: bool) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        touch_package_of_version(&mut tx, id).await?;
        let done =
            sqlx::query("UPDATE versions SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(ts(&at))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if keep_one {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM versions WHERE deleted_at IS NULL
                 AND package_id = (SELECT package_id FROM versions WHERE id = $1)",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if others == 0 {
                return Err(StoreError::Invalid(
                    "the last live version of a package cannot be deleted".into(),
                ));
            }
        }
        // A tag never points at a deleted version.
        sqlx::query("DELETE FROM tags WHERE version_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Opens the SQLite database file at `path`.
    pub async fn open_path(path: &Path) -> StoreResult<Self> {
        Self::open(&format!("sqlite://{}", path.display())).await
    }

    /// Brings the schema up to date; safe to run on every start and from
    /// several nodes (the migrator takes a lock).
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.writer).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.writer).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn touch_package(&self, package: Id) -> StoreResult<()> {
        sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
            .bind(now())
            .bind(package)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.reader
    }
}

fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    Ok(row.try_get(col)?)
}

fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    Ok(row.try_get(col)?)
}

fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    Ok(row.try_get(col)?)
}

fn opt_int(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    Ok(row.try_get(col)?)
}

/// PostgreSQL has booleans, SQLite integers.
fn boolean(row: &AnyRow, col: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}

fn time(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    parse_ts(&text(row, col)?)
}

fn opt_time(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    opt_text(row, col)?.as_deref().map(parse_ts).transpose()
}

fn parse<T: FromStr>(row: &AnyRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text(row, col)?
        .parse()
        .map_err(|e: T::Err| StoreError::Database(format!("column {col}: {e}")))
}

fn json(row: &AnyRow, col: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(&text(row, col)?)
        .map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

fn account(row: &AnyRow) -> StoreResult<Account> {
    Ok(Account {
        id: int(row, "id")?,
        login: text(row, "login")?,
        kind: parse(row, "kind")?,
        name: opt_text(row, "name")?,
        email: opt_text(row, "email")?,
        site_admin: boolean(row, "site_admin")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn repository(row: &AnyRow) -> StoreResult<Repository> {
    Ok(Repository {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        owner_login: text(row, "owner_login")?,
        name: text(row, "name")?,
        visibility: parse(row, "visibility")?,
        description: opt_text(row, "description")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

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
    })
}

fn package(row: &AnyRow) -> StoreResult<Package> {
    Ok(Package {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        owner_login: text(row, "owner_login")?,
        package_type: parse(row, "package_type")?,
        name: text(row, "name")?,
        visibility: parse(row, "visibility")?,
        repository_id: opt_int(row, "repository_id")?,
        inherit_access: boolean(row, "inherit_access")?,
        description: opt_text(row, "description")?,
        readme: opt_text(row, "readme")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        deleted_at: opt_time(row, "deleted_at")?,
    })
}

fn version(row: &AnyRow) -> StoreResult<Version> {
    Ok(Version {
        id: int(row, "id")?,
        package_id: int(row, "package_id")?,
        name: text(row, "name")?,
        metadata: json(row, "metadata")?,
        publisher_id: opt_int(row, "publisher_id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        deleted_at: opt_time(row, "deleted_at")?,
    })
}

fn file(row: &AnyRow) -> StoreResult<PackageFile> {
    let digests: Digests = serde_json::from_value(json(row, "digests")?)
        .map_err(|e| StoreError::Database(e.to_string()))?;
    Ok(PackageFile {
        id: int(row, "id")?,
        version_id: int(row, "version_id")?,
        name: text(row, "name")?,
        size: int(row, "size")? as u64,
        sha256: text(row, "sha256")?,
        digests,
        content_type: opt_text(row, "content_type")?,
        created_at: time(row, "created_at")?,
    })
}

const PACKAGE_COLUMNS: &str =
    "p.*, a.login AS owner_login FROM packages p JOIN accounts a ON a.id = p.owner_id";
const REPOSITORY_COLUMNS: &str =
    "r.*, a.login AS owner_login FROM repositories r JOIN accounts a ON a.id = r.owner_id";

fn now() -> String {
    ts(&Utc::now())
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_user(&self, user: NewUser) -> StoreResult<Account> {
        let at = now();
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
        .fetch_one(&self.writer)
        .await?;
        account(&row)
    }

    async fn create_org(&self, login: &str, owner: Id) -> StoreResult<Account> {
        let at = now();
        let mut tx = self.writer.begin().await?;
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
        let row = sqlx::query("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }

    async fn org_members(&self, org: Id) -> StoreResult<Vec<(Id, OrgRole)>> {
        let rows =
            sqlx::query("SELECT user_id, role FROM org_members WHERE org_id = $1 ORDER BY user_id")
                .bind(org)
                .fetch_all(&self.reader)
                .await?;
        rows.iter()
            .map(|r| Ok((int(r, "user_id")?, parse(r, "role")?)))
            .collect()
    }

    async fn account_by_login(&self, login: &str) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE lower(login) = lower($1)")
            .bind(login)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(account).transpose()
    }

    async fn account_by_id(&self, id: Id) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(account).transpose()
    }

    async fn password_hash(&self, user: Id) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(user)
            .fetch_optional(&self.reader)
            .await?;
        Ok(match row {
            Some(r) => opt_text(&r, "password_hash")?,
            None => None,
        })
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

impl SqlStore {
    async fn repository_on(&self, pool: &AnyPool, id: Id) -> StoreResult<Option<Repository>> {
        let row = sqlx::query(&format!("SELECT {REPOSITORY_COLUMNS} WHERE r.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(repository).transpose()
    }

    async fn package_on(&self, pool: &AnyPool, id: Id) -> StoreResult<Option<Package>> {
        let row = sqlx::query(&format!("SELECT {PACKAGE_COLUMNS} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(package).transpose()
    }
}

#[async_trait]
impl RepositoryStore for SqlStore {
    async fn create_repository(&self, repo: NewRepository) -> StoreResult<Repository> {
        let at = now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO repositories (owner_id, name, visibility, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
        )
        .bind(repo.owner_id)
        .bind(&repo.name)
        .bind(repo.visibility.as_str())
        .bind(&repo.description)
        .bind(&at)
        .fetch_one(&self.writer)
        .await?;
        self.repository_on(&self.writer, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn repository(&self, owner: Id, name: &str) -> StoreResult<Option<Repository>> {
        let row = sqlx::query(&format!(
            "SELECT {REPOSITORY_COLUMNS} WHERE r.owner_id = $1 AND lower(r.name) = lower($2)"
        ))
        .bind(owner)
        .bind(name)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(repository).transpose()
    }

    async fn repository_by_id(&self, id: Id) -> StoreResult<Option<Repository>> {
        self.repository_on(&self.reader, id).await
    }

    async fn set_collaborator(&self, repo: Id, user: Id, role: Role) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO repo_collaborators (repo_id, user_id, role) VALUES ($1, $2, $3)
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
            sqlx::query("SELECT role FROM repo_collaborators WHERE repo_id = $1 AND user_id = $2")
                .bind(repo)
                .bind(user)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn create_token(&self, t: NewTokenRecord) -> StoreResult<TokenRecord> {
        let row = sqlx::query(
            "INSERT INTO tokens (user_id, hash, prefix, scopes, note, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(t.user_id)
        .bind(&t.hash)
        .bind(&t.prefix)
        .bind(t.scopes.to_string())
        .bind(&t.note)
        .bind(now())
        .bind(t.expires_at.as_ref().map(ts))
        .fetch_one(&self.writer)
        .await?;
        token(&row)
    }

    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<(TokenRecord, String)>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((token(&r)?, text(&r, "hash")?))).transpose()
    }

    async fn token_by_id(&self, id: Id) -> StoreResult<Option<TokenRecord>> {
        let row = sqlx::query("SELECT * FROM tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(token).transpose()
    }

    async fn list_tokens(&self, user: Id) -> StoreResult<Vec<TokenRecord>> {
        let rows = sqlx::query("SELECT * FROM tokens WHERE user_id = $1 ORDER BY id")
            .bind(user)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(token).collect()
    }

    async fn revoke_token(&self, id: Id, at: Timestamp) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(ts(&at))
                .bind(id)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn touch_token(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts(&at))
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

enum Bind {
    Int(i64),
    Text(String),
}

/// The `WHERE` clause of a package filter, with its parameters in order.
fn package_conditions(f: &PackageFilter) -> (String, Vec<Bind>) {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut binds = Vec::new();
    if let Some(owner) = f.owner_id {
        binds.push(Bind::Int(owner));
        conditions.push(format!("p.owner_id = ${}", binds.len()));
    }
    if let Some(t) = f.package_type {
        binds.push(Bind::Text(t.as_str().to_owned()));
        conditions.push(format!("p.package_type = ${}", binds.len()));
    }
    if let Some(r) = f.repository_id {
        binds.push(Bind::Int(r));
        conditions.push(format!("p.repository_id = ${}", binds.len()));
    }
    if let Some(v) = f.visibility {
        binds.push(Bind::Text(v.as_str().to_owned()));
        conditions.push(format!("p.visibility = ${}", binds.len()));
    }
    if !f.include_deleted {
        conditions.push("p.deleted_at IS NULL".to_owned());
    }
    (conditions.join(" AND "), binds)
}

fn bind_all<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    binds.into_iter().fold(query, |q, b| match b {
        Bind::Int(i) => q.bind(i),
        Bind::Text(t) => q.bind(t),
    })
}

#[async_trait]
impl PackageStore for SqlStore {
    async fn create_package(&self, p: NewPackage) -> StoreResult<Package> {
        let at = now();
        let id: Id = sqlx::query_scalar(
            "INSERT INTO packages (owner_id, package_type, name, visibility, repository_id, inherit_access,
                                   description, readme, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        )
        .bind(p.owner_id)
        .bind(p.package_type.as_str())
        .bind(&p.name)
        .bind(p.visibility.as_str())
        .bind(p.repository_id)
        .bind(p.inherit_access)
        .bind(&p.description)
        .bind(&p.readme)
        .bind(&at)
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
            "SELECT {PACKAGE_COLUMNS} WHERE p.owner_id = $1 AND p.package_type = $2 AND p.name = $3 {filter}
             ORDER BY CASE WHEN p.deleted_at IS NULL THEN 0 ELSE 1 END, p.deleted_at DESC LIMIT 1"
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
        let (conditions, binds) = package_conditions(&f);
        let mut sql = format!("SELECT {PACKAGE_COLUMNS} WHERE {conditions} ORDER BY p.id");
        if let Some(limit) = f.limit {
            write!(sql, " LIMIT {limit}").expect("writing to a String");
        }
        if let Some(offset) = f.offset {
            // SQLite needs a LIMIT before an OFFSET; -1 means none.
            if f.limit.is_none() && self.dialect == Dialect::Sqlite {
                sql.push_str(" LIMIT -1");
            }
            write!(sql, " OFFSET {offset}").expect("writing to a String");
        }
        let rows = bind_all(sqlx::query(&sql), binds)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(package).collect()
    }

    async fn count_packages(&self, f: PackageFilter) -> StoreResult<u64> {
        // An owner's live packages of one type: the triggers' running count.
        if let (Some(owner), Some(package_type), None, None, false) = (
            f.owner_id,
            f.package_type,
            f.repository_id,
            f.visibility,
            f.include_deleted,
        ) {
            let live: Option<i64> = sqlx::query_scalar(
                "SELECT live FROM package_counts WHERE owner_id = $1 AND package_type = $2",
            )
            .bind(owner)
            .bind(package_type.as_str())
            .fetch_optional(&self.reader)
            .await?;
            return Ok(live.unwrap_or(0).max(0) as u64);
        }
        let (conditions, binds) = package_conditions(&f);
        let sql = format!("SELECT COUNT(*) FROM packages p WHERE {conditions}");
        let query = sqlx::query_scalar::<_, i64>(&sql);
        let query = binds.into_iter().fold(query, |q, b| match b {
            Bind::Int(i) => q.bind(i),
            Bind::Text(t) => q.bind(t),
        });
        Ok(query.fetch_one(&self.reader).await? as u64)
    }

    async fn update_package(
        &self,
        id: Id,
        u: PackageUpdate,
        at: Timestamp,
    ) -> StoreResult<Package> {
        let mut tx = self.writer.begin().await?;
        if let Some(v) = u.visibility {
            sqlx::query("UPDATE packages SET visibility = $1 WHERE id = $2")
                .bind(v.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(r) = u.repository_id {
            sqlx::query("UPDATE packages SET repository_id = $1 WHERE id = $2")
                .bind(r)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(i) = u.inherit_access {
            sqlx::query("UPDATE packages SET inherit_access = $1 WHERE id = $2")
                .bind(i)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(d) = u.description {
            sqlx::query("UPDATE packages SET description = $1 WHERE id = $2")
                .bind(d)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(r) = u.readme {
            sqlx::query("UPDATE packages SET readme = $1 WHERE id = $2")
                .bind(r)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let done = sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
            .bind(ts(&at))
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
        let done = sqlx::query("UPDATE packages SET deleted_at = $1 WHERE id = $2")
            .bind(deleted_at.as_ref().map(ts))
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
                "INSERT INTO package_roles (package_id, user_id, role) VALUES ($1, $2, $3)
                 ON CONFLICT (package_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(package)
            .bind(user)
            .bind(role.as_str()),
            None => sqlx::query("DELETE FROM package_roles WHERE package_id = $1 AND user_id = $2")
                .bind(package)
                .bind(user),
        }
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn package_role(&self, package: Id, user: Id) -> StoreResult<Option<Role>> {
        let row =
            sqlx::query("SELECT role FROM package_roles WHERE package_id = $1 AND user_id = $2")
                .bind(package)
                .bind(user)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|r| parse(&r, "role")).transpose()
    }

    async fn package_roles(&self, package: Id) -> StoreResult<Vec<(Id, Role)>> {
        let rows = sqlx::query(
            "SELECT user_id, role FROM package_roles WHERE package_id = $1 ORDER BY user_id",
        )
        .bind(package)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| Ok((int(r, "user_id")?, parse(r, "role")?)))
            .collect()
    }

    async fn publish_version(&self, v: NewVersion) -> StoreResult<Version> {
        let at = ts(&v.at);
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO versions (package_id, name, metadata, publisher_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
        )
        .bind(v.package_id)
        .bind(&v.name)
        .bind(v.metadata.to_string())
        .bind(v.publisher_id)
        .bind(&at)
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
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(created.id)
            .bind(&f.name)
            .bind(f.size as i64)
            .bind(&f.sha256)
            .bind(serde_json::to_string(&f.digests).expect("digests serialize"))
            .bind(&f.content_type)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        for tag in &v.tags {
            sqlx::query(
                "INSERT INTO tags (package_id, name, version_id, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
                 updated_at = excluded.updated_at",
            )
            .bind(v.package_id)
            .bind(tag)
            .bind(created.id)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
            .bind(&at)
            .bind(v.package_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn version(&self, package: Id, name: &str) -> StoreResult<Option<Version>> {
        let row = sqlx::query("SELECT * FROM versions WHERE package_id = $1 AND name = $2")
            .bind(package)
            .bind(name)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(version).transpose()
    }

    async fn version_by_id(&self, id: Id) -> StoreResult<Option<Version>> {
        let row = sqlx::query("SELECT * FROM versions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(version).transpose()
    }

    async fn versions(&self, package: Id, include_deleted: bool) -> StoreResult<Vec<Version>> {
        let filter = if include_deleted {
            ""
        } else {
            "AND deleted_at IS NULL"
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM versions WHERE package_id = $1 {filter} ORDER BY id"
        ))
        .bind(package)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(version).collect()
    }

    async fn set_version_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()> {
        if let Some(at) = deleted_at {
            return self.soft_delete(id, at, false).await;
        }
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE versions SET deleted_at = NULL WHERE id = $1 AND deleted_at IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        touch_package_of_version(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_version_keeping_one(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        self.soft_delete(id, at, true).await
    }

    async fn update_version_metadata(
        &self,
        id: Id,
        metadata: serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query("UPDATE versions SET metadata = $1, updated_at = $2 WHERE id = $3")
            .bind(metadata.to_string())
            .bind(ts(&at))
            .bind(id)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn purge_version(&self, id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM versions WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn files(&self, version_id: Id) -> StoreResult<Vec<PackageFile>> {
        let rows = sqlx::query("SELECT * FROM files WHERE version_id = $1 ORDER BY id")
            .bind(version_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(file).collect()
    }

    async fn add_file(&self, version: Id, f: NewFile, at: Timestamp) -> StoreResult<PackageFile> {
        let mut tx = self.writer.begin().await?;
        let live = sqlx::query("SELECT id FROM versions WHERE id = $1 AND deleted_at IS NULL")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if live.is_none() {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(
            "INSERT INTO files (version_id, name, size, sha256, digests, content_type, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(version)
        .bind(&f.name)
        .bind(f.size as i64)
        .bind(&f.sha256)
        .bind(serde_json::to_string(&f.digests).expect("digests serialize"))
        .bind(&f.content_type)
        .bind(ts(&at))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE versions SET updated_at = $1 WHERE id = $2")
            .bind(ts(&at))
            .bind(version)
            .execute(&mut *tx)
            .await?;
        touch_package_of_version(&mut tx, version).await?;
        tx.commit().await?;
        file(&row)
    }

    async fn remove_files(&self, version: Id, names: &[String]) -> StoreResult<u64> {
        let mut tx = self.writer.begin().await?;
        let mut removed = 0;
        for name in names {
            removed += sqlx::query("DELETE FROM files WHERE version_id = $1 AND name = $2")
                .bind(version)
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        touch_package_of_version(&mut tx, version).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn expired_packages(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM packages WHERE deleted_at IS NOT NULL AND deleted_at < $1 ORDER BY id",
        )
        .bind(ts(&cutoff))
        .fetch_all(&self.reader)
        .await?)
    }

    async fn expired_versions(&self, cutoff: Timestamp) -> StoreResult<Vec<Id>> {
        Ok(sqlx::query_scalar(
            "SELECT v.id FROM versions v JOIN packages p ON p.id = v.package_id
             WHERE v.deleted_at IS NOT NULL AND v.deleted_at < $1 AND p.deleted_at IS NULL ORDER BY v.id",
        )
        .bind(ts(&cutoff))
        .fetch_all(&self.reader)
        .await?)
    }

    async fn purge_package(&self, id: Id) -> StoreResult<()> {
        sqlx::query("DELETE FROM packages WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn blob_referenced(&self, sha256: &str) -> StoreResult<bool> {
        let count: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM files WHERE sha256 = $1)
                  + (SELECT COUNT(*) FROM blob_links WHERE sha256 = $1)
                  + (SELECT COUNT(*) FROM uploads WHERE parts LIKE $2)",
        )
        .bind(sha256)
        .bind(format!("%{sha256}%"))
        .fetch_one(&self.writer)
        .await?;
        Ok(count > 0)
    }

    async fn set_tag(
        &self,
        package: Id,
        name: &str,
        version_id: Id,
        at: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO tags (package_id, name, version_id, updated_at)
             SELECT $1, $2, id, $4 FROM versions WHERE id = $3 AND package_id = $1 AND deleted_at IS NULL
             ON CONFLICT (package_id, name) DO UPDATE SET version_id = excluded.version_id,
             updated_at = excluded.updated_at",
        )
        .bind(package)
        .bind(name)
        .bind(version_id)
        .bind(ts(&at))
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.touch_package(package).await
    }

    async fn remove_tag(&self, package: Id, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM tags WHERE package_id = $1 AND name = $2")
            .bind(package)
            .bind(name)
            .execute(&self.writer)
            .await?;
        if done.rows_affected() > 0 {
            self.touch_package(package).await?;
        }
        Ok(done.rows_affected() > 0)
    }

    async fn package_files(&self, package: Id) -> StoreResult<Vec<PackageFile>> {
        let rows = sqlx::query(
            "SELECT f.* FROM files f JOIN versions v ON v.id = f.version_id WHERE v.package_id = $1 ORDER BY f.id",
        )
        .bind(package)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(file).collect()
    }

    async fn tags(&self, package: Id) -> StoreResult<Vec<Tag>> {
        let rows = sqlx::query("SELECT * FROM tags WHERE package_id = $1 ORDER BY name")
            .bind(package)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Tag {
                    package_id: int(r, "package_id")?,
                    name: text(r, "name")?,
                    version_id: int(r, "version_id")?,
                    updated_at: time(r, "updated_at")?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl ActivityStore for SqlStore {
    async fn record_downloads(
        &self,
        version_id: Id,
        day: NaiveDate,
        count: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO downloads (version_id, day, count) VALUES ($1, $2, $3)
             ON CONFLICT (version_id, day) DO UPDATE SET count = downloads.count + excluded.count",
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
             WHERE v.package_id = $1 ORDER BY d.day, d.version_id",
        )
        .bind(package)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DownloadDay {
                    version_id: int(r, "version_id")?,
                    day: parse(r, "day")?,
                    count: int(r, "count")?,
                })
            })
            .collect()
    }

    async fn audit(&self, e: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (actor_id, action, package_id, version_id, detail, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.actor_id)
        .bind(&e.action)
        .bind(e.package_id)
        .bind(e.version_id)
        .bind(&e.detail)
        .bind(ts(&e.at))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, package: Id) -> StoreResult<Vec<AuditEntry>> {
        let rows = sqlx::query("SELECT * FROM audit_log WHERE package_id = $1 ORDER BY id")
            .bind(package)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: int(r, "id")?,
                    actor_id: opt_int(r, "actor_id")?,
                    action: text(r, "action")?,
                    package_id: opt_int(r, "package_id")?,
                    version_id: opt_int(r, "version_id")?,
                    detail: opt_text(r, "detail")?,
                    at: time(r, "at")?,
                })
            })
            .collect()
    }
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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn session(&self, hash: &str, now: Timestamp) -> StoreResult<Option<WebSession>> {
        let row = sqlx::query("SELECT * FROM web_sessions WHERE hash = $1 AND expires_at > $2")
            .bind(hash)
            .bind(ts(&now))
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| {
            Ok(WebSession {
                user_id: int(&r, "user_id")?,
                csrf: text(&r, "csrf")?,
                created_at: parse_ts(&text(&r, "created_at")?)?,
                expires_at: parse_ts(&text(&r, "expires_at")?)?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE hash = $1")
            .bind(hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn prune_sessions(&self, now: Timestamp, windows_before: Timestamp) -> StoreResult<u64> {
        let sessions = sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(ts(&now))
            .execute(&self.writer)
            .await?;
        let windows = sqlx::query("DELETE FROM auth_throttle WHERE window_start < $1")
            .bind(ts(&windows_before))
            .execute(&self.writer)
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
        .fetch_one(&self.writer)
        .await?;
        Ok(Throttle {
            attempts: int(&row, "attempts")?,
            window_start: parse_ts(&text(&row, "window_start")?)?,
        })
    }

    async fn forgive_attempt(&self, key: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(key)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn clear_attempts(&self, key: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM auth_throttle WHERE key = $1")
            .bind(key)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn throttled_keys(
        &self,
        window_after: Timestamp,
        at_least: i64,
    ) -> StoreResult<Vec<(String, Throttle)>> {
        let rows = sqlx::query(
            "SELECT key, attempts, window_start FROM auth_throttle
             WHERE window_start >= $1 AND attempts >= $2
             ORDER BY attempts DESC, key LIMIT 1000",
        )
        .bind(ts(&window_after))
        .bind(at_least)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    text(row, "key")?,
                    Throttle {
                        attempts: int(row, "attempts")?,
                        window_start: parse_ts(&text(row, "window_start")?)?,
                    },
                ))
            })
            .collect()
    }
}

#[async_trait]
impl JobStore for SqlStore {
    async fn claim_job(
        &self,
        name: &str,
        node: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO jobs (name, claimed_until, claimed_by) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET claimed_until = excluded.claimed_until,
             claimed_by = excluded.claimed_by WHERE jobs.claimed_until <= $4",
        )
        .bind(name)
        .bind(ts(&until))
        .bind(node)
        .bind(ts(&now))
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn upload(&self, id: &str) -> StoreResult<Option<UploadSession>> {
        let row = sqlx::query("SELECT * FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.writer)
            .await?;
        row.as_ref().map(upload_session).transpose()
    }

    async fn append_upload_part(
        &self,
        id: &str,
        expected_size: u64,
        sha256: &str,
        size: u64,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT * FROM uploads WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_upload(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM uploads WHERE id = $1")
            .bind(id)
            .execute(&self.writer)
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
        .execute(&self.writer)
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
        let row = sqlx::query(
            "SELECT * FROM blob_links WHERE owner_id = $1 AND package_type = $2 AND repository = $3 AND digest = $4",
        )
        .bind(owner)
        .bind(package_type.as_str())
        .bind(repository)
        .bind(digest)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(blob_link).transpose()
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
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn links_of(&self, digest: &str) -> StoreResult<Vec<BlobLink>> {
        let rows =
            sqlx::query("SELECT * FROM blob_links WHERE digest = $1 ORDER BY owner_id, repository")
                .bind(digest)
                .fetch_all(&self.reader)
                .await?;
        rows.iter().map(blob_link).collect()
    }

    async fn links_before(
        &self,
        package_type: PackageType,
        cutoff: Timestamp,
    ) -> StoreResult<Vec<BlobLink>> {
        let rows = sqlx::query(
            "SELECT * FROM blob_links WHERE package_type = $1 AND created_at < $2
             ORDER BY owner_id, repository, digest",
        )
        .bind(package_type.as_str())
        .bind(ts(&cutoff))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(blob_link).collect()
    }

    async fn setting_or_init(&self, name: &str, initial: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(initial)
        .execute(&self.writer)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                .bind(name)
                .fetch_one(&self.writer)
                .await?,
        )
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn json_of<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    serde_json::from_str(&text(row, col)?)
        .map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

fn advisory(row: &AnyRow) -> StoreResult<Advisory> {
    Ok(Advisory {
        id: int(row, "id")?,
        ghsa_id: text(row, "ghsa_id")?,
        package_id: int(row, "package_id")?,
        ecosystem: parse(row, "ecosystem")?,
        package_name: text(row, "package_name")?,
        summary: text(row, "summary")?,
        description: text(row, "description")?,
        severity: opt_text(row, "severity")?
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: entrepot_core::UnknownValue| StoreError::Database(e.to_string()))?,
        cvss_vector: opt_text(row, "cvss_vector")?,
        cve_id: opt_text(row, "cve_id")?,
        cwe_ids: json_of(row, "cwe_ids")?,
        vulnerabilities: json_of(row, "vulnerabilities")?,
        credits: json_of(row, "credits")?,
        state: parse(row, "state")?,
        author_id: opt_int(row, "author_id")?,
        publisher_id: opt_int(row, "publisher_id")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
        published_at: opt_time(row, "published_at")?,
        withdrawn_at: opt_time(row, "withdrawn_at")?,
    })
}

#[async_trait]
impl AdvisoryStore for SqlStore {
    async fn create_advisory(&self, a: &Advisory) -> StoreResult<Advisory> {
        sqlx::query(
            "INSERT INTO advisories (ghsa_id, package_id, ecosystem, package_name, summary,
                 description, severity, cvss_vector, cve_id, cwe_ids, vulnerabilities, credits,
                 state, author_id, publisher_id, created_at, updated_at, published_at, withdrawn_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19)",
        )
        .bind(&a.ghsa_id)
        .bind(a.package_id)
        .bind(a.ecosystem.as_str())
        .bind(&a.package_name)
        .bind(&a.summary)
        .bind(&a.description)
        .bind(a.severity.map(Severity::as_str))
        .bind(&a.cvss_vector)
        .bind(&a.cve_id)
        .bind(json_text(&a.cwe_ids)?)
        .bind(json_text(&a.vulnerabilities)?)
        .bind(json_text(&a.credits)?)
        .bind(a.state.as_str())
        .bind(a.author_id)
        .bind(a.publisher_id)
        .bind(ts(&a.created_at))
        .bind(ts(&a.updated_at))
        .bind(a.published_at.as_ref().map(ts))
        .bind(a.withdrawn_at.as_ref().map(ts))
        .execute(&self.writer)
        .await?;
        self.advisory_on(&self.writer, &a.ghsa_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_advisory(&self, a: &Advisory) -> StoreResult<Advisory> {
        let changed = sqlx::query(
            "UPDATE advisories SET ecosystem = $2, package_name = $3, summary = $4,
                 description = $5, severity = $6, cvss_vector = $7, cve_id = $8, cwe_ids = $9,
                 vulnerabilities = $10, credits = $11, state = $12, author_id = $13,
                 publisher_id = $14, updated_at = $15, published_at = $16, withdrawn_at = $17
             WHERE ghsa_id = $1",
        )
        .bind(&a.ghsa_id)
        .bind(a.ecosystem.as_str())
        .bind(&a.package_name)
        .bind(&a.summary)
        .bind(&a.description)
        .bind(a.severity.map(Severity::as_str))
        .bind(&a.cvss_vector)
        .bind(&a.cve_id)
        .bind(json_text(&a.cwe_ids)?)
        .bind(json_text(&a.vulnerabilities)?)
        .bind(json_text(&a.credits)?)
        .bind(a.state.as_str())
        .bind(a.author_id)
        .bind(a.publisher_id)
        .bind(ts(&a.updated_at))
        .bind(a.published_at.as_ref().map(ts))
        .bind(a.withdrawn_at.as_ref().map(ts))
        .execute(&self.writer)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.advisory_on(&self.writer, &a.ghsa_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn advisory(&self, ghsa_id: &str) -> StoreResult<Option<Advisory>> {
        self.advisory_on(&self.reader, ghsa_id).await
    }

    async fn list_advisories(&self, f: &AdvisoryFilter) -> StoreResult<Vec<Advisory>> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut binds = Vec::new();
        let add = |binds: &mut Vec<Bind>, bind: Bind, column: &str| {
            binds.push(bind);
            format!("{column} = ${}", binds.len())
        };
        if let Some(p) = f.package_id {
            conditions.push(add(&mut binds, Bind::Int(p), "package_id"));
        }
        if !f.states.is_empty() {
            let any: Vec<String> = f
                .states
                .iter()
                .map(|s| add(&mut binds, Bind::Text(s.as_str().to_owned()), "state"))
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        if let Some(e) = f.ecosystem {
            conditions.push(add(
                &mut binds,
                Bind::Text(e.as_str().to_owned()),
                "ecosystem",
            ));
        }
        if !f.package_names.is_empty() {
            let any: Vec<String> = f
                .package_names
                .iter()
                .map(|n| add(&mut binds, Bind::Text(n.clone()), "package_name"))
                .collect();
            conditions.push(format!("({})", any.join(" OR ")));
        }
        if let Some(g) = &f.ghsa_id {
            conditions.push(add(
                &mut binds,
                Bind::Text(g.to_lowercase()),
                "LOWER(ghsa_id)",
            ));
        }
        if let Some(c) = &f.cve_id {
            conditions.push(add(
                &mut binds,
                Bind::Text(c.to_uppercase()),
                "UPPER(cve_id)",
            ));
        }
        if let Some(s) = f.severity {
            conditions.push(add(
                &mut binds,
                Bind::Text(s.as_str().to_owned()),
                "severity",
            ));
        }
        let sql = format!(
            "SELECT * FROM advisories WHERE {} ORDER BY id DESC",
            conditions.join(" AND ")
        );
        let rows = bind_all(sqlx::query(&sql), binds)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(advisory).collect()
    }
}

impl SqlStore {
    async fn advisory_on(&self, pool: &AnyPool, ghsa_id: &str) -> StoreResult<Option<Advisory>> {
        let row = sqlx::query("SELECT * FROM advisories WHERE LOWER(ghsa_id) = LOWER($1)")
            .bind(ghsa_id)
            .fetch_optional(pool)
            .await?;
        row.as_ref().map(advisory).transpose()
    }
}

//! `PackageStore` in SQL. The package rows (create, find, list, count,
//! update, delete, grants, purge) are here; the trait's version, file and
//! tag methods hand over to `versions.rs`, `files.rs` and `tags.rs`.

use std::fmt::Write as _;

use async_trait::async_trait;
use entrepot_core::{Id, Package, PackageFile, PackageType, Role, Tag, Timestamp, Version};
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::rows::{
    Bind, all_rows, bind_all, boolean, found, int, opt_int, opt_text, opt_time, optional_row,
    parse, text, time, user_role,
};
use super::{Dialect, SqlStore, files, now, tags, ts, upstream_cache, versions};
use crate::meta::{
    NewFile, NewPackage, NewVersion, PackageFilter, PackageSearch, PackageStore, PackageUpdate,
    SearchPage,
};
use crate::{StoreError, StoreResult};

const PACKAGE_COLUMNS: &str = "p.*, a.login AS owner_login, a.is_upstream AS owner_is_upstream
     FROM packages p JOIN accounts a ON a.id = p.owner_id";

pub(super) fn package(row: &AnyRow) -> StoreResult<Package> {
    Ok(Package {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        owner_login: text(row, "owner_login")?,
        owner_is_upstream: boolean(row, "owner_is_upstream")?,
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

/// Marks a package changed, so that anything cached from it (rendered
/// indexes) is known to be stale. Times only move forward.
pub(super) async fn touch_package_of_version(
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

/// Marks a package changed, as above, outside a transaction.
pub(super) async fn touch_package(store: &SqlStore, package: Id) -> StoreResult<()> {
    sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(package)
        .execute(&*store.write())
        .await?;
    Ok(())
}

impl SqlStore {
    /// How many packages `f` finds, read from the database.
    async fn count_packages_now(&self, f: PackageFilter) -> StoreResult<u64> {
        // An owner's live packages of one type: the triggers' running count.
        if let (Some(owner), Some(package_type), None, None, false, false) = (
            f.owner_id,
            f.package_type,
            f.repository_id,
            f.visibility,
            f.include_deleted,
            f.only_deleted,
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

    async fn package_on(&self, pool: &AnyPool, id: Id) -> StoreResult<Option<Package>> {
        let sql = format!("SELECT {PACKAGE_COLUMNS} WHERE p.id = $1");
        optional_row(sqlx::query(&sql).bind(id), pool, package).await
    }
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
    if f.only_deleted {
        conditions.push("p.deleted_at IS NOT NULL".to_owned());
    } else if !f.include_deleted {
        conditions.push("p.deleted_at IS NULL".to_owned());
    }
    (conditions.join(" AND "), binds)
}

/// Sets one column of package `id` inside an update's transaction;
/// `column` is always a name written in this file, never input. The value
/// is owned, as the statement text is made here.
async fn set_column<T>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    column: &str,
    value: T,
    id: Id,
) -> StoreResult<()>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    sqlx::query(&format!("UPDATE packages SET {column} = $1 WHERE id = $2"))
        .bind(value)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait]
impl PackageStore for SqlStore {
    async fn create_package(&self, p: NewPackage) -> StoreResult<Package> {
        let at = now();
        let mut tx = self.begin_write().await?;
        if upstream_cache::owner_name_reserved(&mut tx, (p.owner_id, p.package_type, &p.name))
            .await?
        {
            return Err(StoreError::Reserved(format!(
                "the name `{}` was served in this index from its upstream; a site \
                 administrator can release it for a local package",
                p.name
            )));
        }
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
        .fetch_one(&mut **tx)
        .await?;
        self.commit(tx).await?;
        self.package_on(&self.write(), id)
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
        let sql = format!(
            "SELECT {PACKAGE_COLUMNS} WHERE p.owner_id = $1 AND p.package_type = $2 AND p.name = $3 {filter}
             ORDER BY CASE WHEN p.deleted_at IS NULL THEN 0 ELSE 1 END, p.deleted_at DESC LIMIT 1"
        );
        let query = sqlx::query(&sql)
            .bind(owner)
            .bind(package_type.as_str())
            .bind(name);
        let load = optional_row(query, &self.reader, package);
        let key = (owner, package_type, name.to_owned(), include_deleted);
        self.cache
            .get(&self.reader, |m| &mut m.packages, key, load)
            .await
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
        let load = all_rows(bind_all(sqlx::query(&sql), binds), &self.reader, package);
        self.cache
            .get(&self.reader, |m| &mut m.package_lists, f, load)
            .await
    }

    async fn count_packages(&self, f: PackageFilter) -> StoreResult<u64> {
        let load = self.count_packages_now(f.clone());
        self.cache
            .get(&self.reader, |m| &mut m.package_counts, f, load)
            .await
    }

    async fn search_packages(&self, search: PackageSearch) -> StoreResult<SearchPage> {
        super::search::search(self, search).await
    }

    async fn update_package(
        &self,
        id: Id,
        u: PackageUpdate,
        at: Timestamp,
    ) -> StoreResult<Package> {
        let mut tx = self.begin_write().await?;
        if let Some(v) = u.visibility {
            set_column(&mut tx, "visibility", v.as_str().to_owned(), id).await?;
        }
        if let Some(r) = u.repository_id {
            set_column(&mut tx, "repository_id", r, id).await?;
        }
        if let Some(i) = u.inherit_access {
            set_column(&mut tx, "inherit_access", i, id).await?;
        }
        if let Some(d) = u.description {
            set_column(&mut tx, "description", d, id).await?;
        }
        if let Some(r) = u.readme {
            set_column(&mut tx, "readme", r, id).await?;
        }
        if let Some(k) = u.keywords {
            set_column(&mut tx, "keywords", k, id).await?;
        }
        let done = sqlx::query("UPDATE packages SET updated_at = $1 WHERE id = $2")
            .bind(ts(&at))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        found(&done)?;
        self.commit(tx).await?;
        self.package_on(&self.write(), id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn set_package_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()> {
        let done = sqlx::query("UPDATE packages SET deleted_at = $1 WHERE id = $2")
            .bind(deleted_at.as_ref().map(ts))
            .bind(id)
            .execute(&*self.write())
            .await?;
        found(&done)
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
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn package_role(&self, package: Id, user: Id) -> StoreResult<Option<Role>> {
        let query =
            sqlx::query("SELECT role FROM package_roles WHERE package_id = $1 AND user_id = $2")
                .bind(package)
                .bind(user);
        let load = optional_row(query, &self.reader, |r| parse(r, "role"));
        self.cache
            .get(
                &self.reader,
                |m| &mut m.package_roles,
                (package, user),
                load,
            )
            .await
    }

    async fn package_roles(&self, package: Id) -> StoreResult<Vec<(Id, Role)>> {
        let query = sqlx::query(
            "SELECT user_id, role FROM package_roles WHERE package_id = $1 ORDER BY user_id",
        )
        .bind(package);
        all_rows(query, &self.reader, user_role).await
    }

    async fn publish_version(&self, v: NewVersion) -> StoreResult<Version> {
        versions::publish(self, v).await
    }

    async fn version(&self, package: Id, name: &str) -> StoreResult<Option<Version>> {
        let load = versions::by_name(self, package, name);
        self.cache
            .get(
                &self.reader,
                |m| &mut m.versions,
                (package, name.to_owned()),
                load,
            )
            .await
    }

    async fn version_by_id(&self, id: Id) -> StoreResult<Option<Version>> {
        versions::by_id(self, id).await
    }

    async fn versions(&self, package: Id, include_deleted: bool) -> StoreResult<Vec<Version>> {
        versions::of_package(self, package, include_deleted).await
    }

    async fn versions_page(
        &self,
        package: Id,
        limit: u32,
        offset: u64,
    ) -> StoreResult<(Vec<Version>, u64)> {
        versions::page(self, package, limit, offset).await
    }

    async fn set_version_deleted(&self, id: Id, deleted_at: Option<Timestamp>) -> StoreResult<()> {
        versions::set_deleted(self, id, deleted_at).await
    }

    async fn delete_version_keeping_one(&self, id: Id, at: Timestamp) -> StoreResult<()> {
        versions::soft_delete(self, id, at, true).await
    }

    async fn update_version_metadata(
        &self,
        id: Id,
        metadata: serde_json::Value,
        at: Timestamp,
    ) -> StoreResult<()> {
        versions::update_metadata(self, id, metadata, at).await
    }

    async fn purge_version(&self, id: Id) -> StoreResult<()> {
        versions::purge(self, id).await
    }

    async fn files(&self, version_id: Id) -> StoreResult<Vec<PackageFile>> {
        let load = files::of_version(self, version_id);
        self.cache
            .get(&self.reader, |m| &mut m.files, version_id, load)
            .await
    }

    async fn add_file(&self, version: Id, f: NewFile, at: Timestamp) -> StoreResult<PackageFile> {
        files::add(self, version, f, at).await
    }

    async fn remove_files(&self, version: Id, names: &[String]) -> StoreResult<u64> {
        files::remove(self, version, names).await
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
        versions::expired(self, cutoff).await
    }

    async fn purge_package(&self, id: Id) -> StoreResult<()> {
        // Download rows first, as `versions::purge` does and for its reason.
        let mut tx = self.begin_write().await?;
        if self.dialect() == Dialect::Postgres {
            sqlx::query(
                "SELECT d.version_id FROM downloads d JOIN versions v ON v.id = d.version_id
                 WHERE v.package_id = $1 FOR UPDATE OF d",
            )
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        }
        // The name stays the owner's (not an upstream's cache's) for good.
        sqlx::query(
            "INSERT INTO purged_names (owner_id, package_type, name, purged_at)
             SELECT owner_id, package_type, name, $2 FROM packages
             WHERE id = $1 AND owner_id NOT IN (SELECT account_id FROM upstreams)
             ON CONFLICT (owner_id, package_type, name) DO NOTHING",
        )
        .bind(id)
        .bind(super::now())
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM packages WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        self.commit(tx).await
    }

    async fn blob_referenced(&self, sha256: &str) -> StoreResult<bool> {
        files::blob_referenced(self, sha256).await
    }

    async fn set_tag(
        &self,
        package: Id,
        name: &str,
        version_id: Id,
        at: Timestamp,
    ) -> StoreResult<()> {
        tags::set(self, package, name, version_id, at).await
    }

    async fn remove_tag(&self, package: Id, name: &str) -> StoreResult<bool> {
        tags::remove(self, package, name).await
    }

    async fn package_files(&self, package: Id) -> StoreResult<Vec<PackageFile>> {
        files::of_package(self, package).await
    }

    async fn package_file(&self, package: Id, name: &str) -> StoreResult<Option<PackageFile>> {
        let load = files::named(self, package, name);
        self.cache
            .get(
                &self.reader,
                |m| &mut m.files_by_name,
                (package, name.to_owned()),
                load,
            )
            .await
    }

    async fn tags(&self, package: Id) -> StoreResult<Vec<Tag>> {
        tags::of_package(self, package).await
    }

    async fn tagged_versions(&self, package: Id) -> StoreResult<Vec<(String, String)>> {
        tags::with_versions(self, package).await
    }
}

//! `DependencyStore` in SQL: each package's dependencies, replaced in one
//! transaction with the mark of when they were read, and the reverse
//! lookup by the name a dependency is matched by.

use async_trait::async_trait;
use entrepot_core::dependency::{Dependency, key};
use entrepot_core::{Ecosystem, Id, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_text, parse, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::DependencyStore;

fn dependency(row: &AnyRow) -> StoreResult<Dependency> {
    Ok(Dependency {
        ecosystem: parse(row, "ecosystem")?,
        name: text(row, "name")?,
        range: text(row, "requirement")?,
        kind: parse(row, "kind")?,
        condition: opt_text(row, "applies_to")?,
    })
}

#[async_trait]
impl DependencyStore for SqlStore {
    async fn packages_to_index(&self, limit: u32) -> StoreResult<Vec<(Id, Timestamp)>> {
        let query = sqlx::query(
            "SELECT p.id, p.updated_at FROM packages p
             LEFT JOIN dependency_index d ON d.package_id = p.id
             WHERE p.deleted_at IS NULL AND (d.package_id IS NULL OR d.indexed_for < p.updated_at)
             ORDER BY p.updated_at LIMIT $1",
        )
        .bind(i64::from(limit));
        all_rows(query, &self.reader, |row| {
            Ok((int(row, "id")?, time(row, "updated_at")?))
        })
        .await
    }

    async fn set_dependencies(
        &self,
        package: Id,
        version: Option<Id>,
        dependencies: &[Dependency],
        indexed_for: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM package_dependencies WHERE package_id = $1")
            .bind(package)
            .execute(&mut **tx)
            .await?;
        if let Some(version) = version {
            for (position, d) in (0_i64..).zip(dependencies) {
                sqlx::query(
                    "INSERT INTO package_dependencies (package_id, version_id, ecosystem, name,
                         name_key, requirement, kind, applies_to, position)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(package)
                .bind(version)
                .bind(d.ecosystem.as_str())
                .bind(&d.name)
                .bind(key(d.ecosystem, &d.name))
                .bind(&d.range)
                .bind(d.kind.as_str())
                .bind(&d.condition)
                .bind(position)
                .execute(&mut **tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO dependency_index (package_id, version_id, indexed_for) VALUES ($1, $2, $3)
             ON CONFLICT (package_id) DO UPDATE SET version_id = $2, indexed_for = $3",
        )
        .bind(package)
        .bind(version)
        .bind(ts(&indexed_for))
        .execute(&mut **tx)
        .await?;
        self.commit(tx).await
    }

    async fn dependencies_of(&self, package: Id) -> StoreResult<(Option<Id>, Vec<Dependency>)> {
        let version: Option<Option<i64>> =
            sqlx::query_scalar("SELECT version_id FROM dependency_index WHERE package_id = $1")
                .bind(package)
                .fetch_optional(&self.reader)
                .await?;
        let query = sqlx::query(
            "SELECT * FROM package_dependencies WHERE package_id = $1 ORDER BY position",
        )
        .bind(package);
        let dependencies = all_rows(query, &self.reader, dependency).await?;
        Ok((version.flatten(), dependencies))
    }

    async fn dependents(
        &self,
        ecosystem: Ecosystem,
        name_key: &str,
        limit: u32,
    ) -> StoreResult<Vec<(Id, Dependency)>> {
        let query = sqlx::query(
            "SELECT * FROM package_dependencies WHERE ecosystem = $1 AND name_key = $2
             ORDER BY package_id LIMIT $3",
        )
        .bind(ecosystem.as_str())
        .bind(name_key)
        .bind(i64::from(limit));
        all_rows(query, &self.reader, |row| {
            Ok((int(row, "package_id")?, dependency(row)?))
        })
        .await
    }
}

//! `GovernanceStore` in SQL: owners' cleanup rules, each kept as the JSON
//! of its `RuleSpec`, and their immutable-tag patterns.

use async_trait::async_trait;
use entrepot_core::cleanup::{CleanupRule, RuleSpec};
use entrepot_core::immutable::ImmutableTag;
use entrepot_core::{Id, PackageType, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, boolean, int, json_of, json_text, opt_text, parse, text, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::{GovernanceStore, PackageUsage, Usage};

fn rule(row: &AnyRow) -> StoreResult<CleanupRule> {
    Ok(CleanupRule {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        spec: json_of(row, "spec")?,
        created_at: time(row, "created_at")?,
    })
}

fn immutable(row: &AnyRow) -> StoreResult<ImmutableTag> {
    Ok(ImmutableTag {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        format: opt_text(row, "format")?
            .map(|f| {
                f.parse()
                    .map_err(|e| crate::StoreError::Database(format!("column format: {e}")))
            })
            .transpose()?,
        pattern: text(row, "pattern")?,
        created_at: time(row, "created_at")?,
    })
}

#[async_trait]
impl GovernanceStore for SqlStore {
    async fn add_cleanup_rule(
        &self,
        owner: Id,
        spec: &RuleSpec,
        at: Timestamp,
    ) -> StoreResult<CleanupRule> {
        let row = sqlx::query(
            "INSERT INTO cleanup_rules (owner_id, spec, created_at) VALUES ($1, $2, $3)
             RETURNING *",
        )
        .bind(owner)
        .bind(json_text(spec)?)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        rule(&row)
    }

    async fn cleanup_rules(&self, owner: Option<Id>) -> StoreResult<Vec<CleanupRule>> {
        let query = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM cleanup_rules WHERE owner_id = $1 ORDER BY id")
                    .bind(owner)
            }
            None => sqlx::query("SELECT * FROM cleanup_rules ORDER BY id"),
        };
        all_rows(query, &self.reader, rule).await
    }

    async fn remove_cleanup_rule(&self, owner: Id, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM cleanup_rules WHERE owner_id = $1 AND id = $2")
            .bind(owner)
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn add_immutable_tag(
        &self,
        owner: Id,
        format: Option<PackageType>,
        pattern: &str,
        at: Timestamp,
    ) -> StoreResult<ImmutableTag> {
        let row = sqlx::query(
            "INSERT INTO immutable_tags (owner_id, format, pattern, created_at)
             VALUES ($1, $2, $3, $4) RETURNING *",
        )
        .bind(owner)
        .bind(format.map(PackageType::as_str))
        .bind(pattern)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        immutable(&row)
    }

    async fn immutable_tags(&self, owner: Option<Id>) -> StoreResult<Vec<ImmutableTag>> {
        let query = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM immutable_tags WHERE owner_id = $1 ORDER BY id")
                    .bind(owner)
            }
            None => sqlx::query("SELECT * FROM immutable_tags ORDER BY id"),
        };
        all_rows(query, &self.reader, immutable).await
    }

    async fn remove_immutable_tag(&self, owner: Id, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM immutable_tags WHERE owner_id = $1 AND id = $2")
            .bind(owner)
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn usage(&self, owner: Id) -> StoreResult<Usage> {
        // Each owner's blobs once: a file's content, or a container blob
        // linked in one of its repositories.
        // `by` is `package_id` or `package_type`: each blob once within it.
        let distinct = |by: &str| {
            // Blobs linked in a repository with no manifest yet (no
            // package) still count for their format.
            let (column, links) = if by == "package_id" {
                (
                    "p.id",
                    "SELECT p.id, b.sha256, MAX(b.size)
                     FROM blob_links b JOIN packages p ON p.owner_id = b.owner_id
                       AND p.package_type = b.package_type AND p.name = b.repository
                     WHERE b.owner_id = $1 GROUP BY p.id, b.sha256",
                )
            } else {
                (
                    "p.package_type",
                    "SELECT b.package_type, b.sha256, MAX(b.size) FROM blob_links b
                     WHERE b.owner_id = $1 GROUP BY b.package_type, b.sha256",
                )
            };
            format!(
                "SELECT {by}, CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM (
                   SELECT {column} AS {by}, f.sha256, MAX(f.size) AS size
                   FROM files f JOIN versions v ON v.id = f.version_id
                   JOIN packages p ON p.id = v.package_id
                   WHERE p.owner_id = $1 GROUP BY {column}, f.sha256
                   UNION
                   {links}
                 ) u GROUP BY {by}"
            )
        };
        let bytes_of = |row: &AnyRow| -> StoreResult<u64> {
            Ok(u64::try_from(int(row, "bytes")?).unwrap_or(0))
        };
        let total_query = "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM (
               SELECT f.sha256, MAX(f.size) AS size FROM files f
               JOIN versions v ON v.id = f.version_id JOIN packages p ON p.id = v.package_id
               WHERE p.owner_id = $1 GROUP BY f.sha256
               UNION
               SELECT b.sha256, MAX(b.size) FROM blob_links b
               WHERE b.owner_id = $1 GROUP BY b.sha256
             ) u";
        let total = sqlx::query(total_query)
            .bind(owner)
            .fetch_one(&self.reader)
            .await?;
        let by_package_query = distinct("package_id");
        let by_package = all_rows(
            sqlx::query(&by_package_query).bind(owner),
            &self.reader,
            |row| Ok((int(row, "package_id")?, bytes_of(row)?)),
        )
        .await?;
        let by_format_query = distinct("package_type");
        let by_format = all_rows(
            sqlx::query(&by_format_query).bind(owner),
            &self.reader,
            |row| Ok((parse(row, "package_type")?, bytes_of(row)?)),
        )
        .await?;
        let counts = "SELECT p.id, p.package_type, p.name,
                  CAST(CASE WHEN p.deleted_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS deleted,
                  CAST(COUNT(v.id) AS BIGINT) AS versions,
                  CAST(COALESCE(SUM(CASE WHEN v.deleted_at IS NULL THEN 0 ELSE 1 END), 0)
                       AS BIGINT) AS deleted_versions
             FROM packages p LEFT JOIN versions v ON v.package_id = p.id
             WHERE p.owner_id = $1 GROUP BY p.id, p.package_type, p.name, p.deleted_at
             ORDER BY p.package_type, p.name";
        let bytes: std::collections::HashMap<Id, u64> = by_package.into_iter().collect();
        let packages = all_rows(sqlx::query(counts).bind(owner), &self.reader, |row| {
            let id = int(row, "id")?;
            Ok(PackageUsage {
                package_id: id,
                package_type: parse(row, "package_type")?,
                name: text(row, "name")?,
                bytes: bytes.get(&id).copied().unwrap_or(0),
                versions: u64::try_from(int(row, "versions")?).unwrap_or(0),
                deleted_versions: u64::try_from(int(row, "deleted_versions")?).unwrap_or(0),
                deleted: boolean(row, "deleted")?,
            })
        })
        .await?;
        Ok(Usage {
            bytes: bytes_of(&total)?,
            by_format,
            packages,
        })
    }

    async fn stored_bytes(
        &self,
        owner: Id,
        format: Option<PackageType>,
        package: Option<&str>,
    ) -> StoreResult<u64> {
        // $2 is a format's name, or '' for every format; $3 a package's
        // name (its container repository), or '' for every package.
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS bytes FROM (
               SELECT f.sha256, MAX(f.size) AS size FROM files f
               JOIN versions v ON v.id = f.version_id JOIN packages p ON p.id = v.package_id
               WHERE p.owner_id = $1 AND ($2 = '' OR p.package_type = $2)
                 AND ($3 = '' OR p.name = $3) GROUP BY f.sha256
               UNION
               SELECT b.sha256, MAX(b.size) FROM blob_links b
               WHERE b.owner_id = $1 AND ($2 = '' OR b.package_type = $2)
                 AND ($3 = '' OR b.repository = $3) GROUP BY b.sha256
             ) u",
        )
        .bind(owner)
        .bind(format.map_or("", PackageType::as_str))
        .bind(package.unwrap_or(""))
        .fetch_one(&self.reader)
        .await?;
        Ok(u64::try_from(int(&row, "bytes")?).unwrap_or(0))
    }

    async fn package_owners(&self) -> StoreResult<Vec<Id>> {
        let query = sqlx::query("SELECT DISTINCT owner_id FROM packages ORDER BY owner_id");
        all_rows(query, &self.reader, |row| int(row, "owner_id")).await
    }

    async fn set_quota(&self, quota: &entrepot_core::quota::Quota) -> StoreResult<()> {
        let as_int = |n: Option<u64>| n.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        sqlx::query(
            "INSERT INTO quotas (owner_id, format, bytes, versions, package_bytes)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (owner_id, format) DO UPDATE
             SET bytes = excluded.bytes, versions = excluded.versions,
                 package_bytes = excluded.package_bytes",
        )
        .bind(quota.owner_id)
        .bind(quota.format.map_or("", PackageType::as_str))
        .bind(as_int(quota.limits.bytes))
        .bind(as_int(quota.limits.versions))
        .bind(as_int(quota.limits.package_bytes))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn quotas(&self, owner: Option<Id>) -> StoreResult<Vec<entrepot_core::quota::Quota>> {
        let query = match owner {
            Some(owner) => {
                sqlx::query("SELECT * FROM quotas WHERE owner_id = $1 ORDER BY format").bind(owner)
            }
            None => sqlx::query("SELECT * FROM quotas ORDER BY owner_id, format"),
        };
        let count = |row: &AnyRow, col: &str| -> StoreResult<Option<u64>> {
            Ok(super::rows::opt_int(row, col)?.map(|n| u64::try_from(n).unwrap_or(0)))
        };
        all_rows(query, &self.reader, |row| {
            let format = text(row, "format")?;
            Ok(entrepot_core::quota::Quota {
                owner_id: int(row, "owner_id")?,
                format: if format.is_empty() {
                    None
                } else {
                    Some(
                        format.parse().map_err(|e| {
                            crate::StoreError::Database(format!("column format: {e}"))
                        })?,
                    )
                },
                limits: entrepot_core::quota::Limits {
                    bytes: count(row, "bytes")?,
                    package_bytes: count(row, "package_bytes")?,
                    versions: count(row, "versions")?,
                },
            })
        })
        .await
    }

    async fn remove_quota(&self, owner: Id, format: Option<PackageType>) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM quotas WHERE owner_id = $1 AND format = $2")
            .bind(owner)
            .bind(format.map_or("", PackageType::as_str))
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

//! Moving an install between backends (`entrepot admin copy`): every row
//! with its id, then every blob, verified by its digest on arrival.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::blob::{BlobStore, Expected};
use crate::sql::{Dialect, SqlStore};
use crate::{StoreError, StoreResult};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bool,
}

use Kind::{Bool, Int, OptInt, OptText, Text};

/// Every table, parents before children, with its columns.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "accounts",
        &[
            ("id", Int),
            ("login", Text),
            ("kind", Text),
            ("name", OptText),
            ("email", OptText),
            ("password_hash", OptText),
            ("site_admin", Bool),
            ("created_at", Text),
            ("updated_at", Text),
            ("is_upstream", Bool),
            ("suspended_at", OptText),
            ("email_verified_at", OptText),
            ("email_notifications", Bool),
        ],
    ),
    (
        "upstreams",
        &[
            ("account_id", Int),
            ("format", Text),
            ("url", Text),
            ("username", OptText),
            ("password", OptText),
            ("metadata_ttl_seconds", Int),
            ("is_default", Bool),
            ("created_at", Text),
        ],
    ),
    (
        "upstream_documents",
        &[
            ("account_id", Int),
            ("path", Text),
            ("body", Text),
            ("content_type", OptText),
            ("etag", OptText),
            ("last_modified", OptText),
            ("fetched_at", Text),
        ],
    ),
    (
        "reserved_names",
        &[("name", Text), ("account_id", Int), ("created_at", Text)],
    ),
    (
        "owner_fallthrough",
        &[
            ("owner_id", Int),
            ("format", Text),
            ("reserved", Text),
            ("upstream_id", Int),
        ],
    ),
    (
        "fallthrough_names",
        &[
            ("owner_id", Int),
            ("format", Text),
            ("name", Text),
            ("upstream_id", Int),
            ("created_at", Text),
        ],
    ),
    (
        "org_members",
        &[("org_id", Int), ("user_id", Int), ("role", Text)],
    ),
    (
        "repositories",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("name", Text),
            ("visibility", Text),
            ("description", OptText),
            ("created_at", Text),
            ("updated_at", Text),
            ("code_url", OptText),
            ("archived_at", OptText),
        ],
    ),
    (
        "repo_collaborators",
        &[("repo_id", Int), ("user_id", Int), ("role", Text)],
    ),
    (
        "tokens",
        &[
            ("id", Int),
            ("user_id", Int),
            ("hash", Text),
            ("prefix", Text),
            ("scopes", Text),
            ("note", OptText),
            ("created_at", Text),
            ("expires_at", OptText),
            ("last_used_at", OptText),
            ("revoked_at", OptText),
            ("bound_to", OptText),
        ],
    ),
    (
        "packages",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("package_type", Text),
            ("name", Text),
            ("visibility", Text),
            ("repository_id", OptInt),
            ("inherit_access", Bool),
            ("description", OptText),
            ("readme", OptText),
            ("created_at", Text),
            ("updated_at", Text),
            ("deleted_at", OptText),
            ("keywords", OptText),
        ],
    ),
    (
        "package_roles",
        &[("package_id", Int), ("user_id", Int), ("role", Text)],
    ),
    (
        "versions",
        &[
            ("id", Int),
            ("package_id", Int),
            ("name", Text),
            ("metadata", Text),
            ("publisher_id", OptInt),
            ("created_at", Text),
            ("updated_at", Text),
            ("deleted_at", OptText),
        ],
    ),
    (
        "files",
        &[
            ("id", Int),
            ("version_id", Int),
            ("name", Text),
            ("size", Int),
            ("sha256", Text),
            ("digests", Text),
            ("content_type", OptText),
            ("created_at", Text),
        ],
    ),
    (
        "tags",
        &[
            ("package_id", Int),
            ("name", Text),
            ("version_id", Int),
            ("updated_at", Text),
        ],
    ),
    ("deleted_tags", &[("version_id", Int), ("name", Text)]),
    (
        "downloads",
        &[("version_id", Int), ("day", Text), ("count", Int)],
    ),
    (
        "audit_log",
        &[
            ("id", Int),
            ("actor_id", OptInt),
            ("action", Text),
            ("package_id", OptInt),
            ("version_id", OptInt),
            ("detail", OptText),
            ("at", Text),
        ],
    ),
    (
        "advisories",
        &[
            ("id", Int),
            ("ghsa_id", Text),
            ("package_id", Int),
            ("ecosystem", Text),
            ("package_name", Text),
            ("summary", Text),
            ("description", Text),
            ("severity", OptText),
            ("cvss_vector", OptText),
            ("cve_id", OptText),
            ("cwe_ids", Text),
            ("vulnerabilities", Text),
            ("credits", Text),
            ("state", Text),
            ("author_id", OptInt),
            ("publisher_id", OptInt),
            ("created_at", Text),
            ("updated_at", Text),
            ("published_at", OptText),
            ("withdrawn_at", OptText),
        ],
    ),
    (
        "purged_names",
        &[
            ("owner_id", Int),
            ("package_type", Text),
            ("name", Text),
            ("purged_at", Text),
        ],
    ),
    (
        "trusted_publishers",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("package_type", Text),
            ("name", Text),
            ("issuer", Text),
            ("repository", Text),
            ("workflow", OptText),
            ("git_ref", OptText),
            ("environment", OptText),
            ("created_by", OptInt),
            ("created_at", Text),
        ],
    ),
    (
        "package_dependencies",
        &[
            ("package_id", Int),
            ("version_id", Int),
            ("ecosystem", Text),
            ("name", Text),
            ("name_key", Text),
            ("requirement", Text),
            ("kind", Text),
            ("applies_to", OptText),
            ("position", Int),
        ],
    ),
    (
        "dependency_index",
        &[
            ("package_id", Int),
            ("version_id", OptInt),
            ("indexed_for", Text),
        ],
    ),
    (
        "dependency_alerts",
        &[
            ("id", Int),
            ("advisory_id", Int),
            ("package_id", Int),
            ("ecosystem", Text),
            ("name", Text),
            ("name_key", Text),
            ("requirement", Text),
            ("kind", Text),
            ("applies_to", OptText),
            ("state", Text),
            ("admits_patched", Bool),
            ("dismissed_reason", OptText),
            ("dismissed_comment", OptText),
            ("dismissed_by", OptInt),
            ("created_at", Text),
            ("updated_at", Text),
            ("dismissed_at", OptText),
            ("fixed_at", OptText),
            ("auto_dismissed_at", OptText),
        ],
    ),
    (
        "image_signatures",
        &[
            ("id", Int),
            ("package_id", Int),
            ("manifest_digest", Text),
            ("name", Text),
            ("content", Text),
            ("created_by", OptInt),
            ("created_at", Text),
        ],
    ),
    (
        "image_signing_keys",
        &[
            ("id", Int),
            ("package_id", Int),
            ("kind", Text),
            ("fingerprint", Text),
            ("public_key", Text),
            ("note", OptText),
            ("created_by", OptInt),
            ("created_at", Text),
        ],
    ),
    (
        "immutable_tags",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("format", OptText),
            ("pattern", Text),
            ("created_at", Text),
        ],
    ),
    (
        "quotas",
        &[
            ("owner_id", Int),
            ("format", Text),
            ("bytes", OptInt),
            ("versions", OptInt),
            ("package_bytes", OptInt),
        ],
    ),
    (
        "cleanup_rules",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("spec", Text),
            ("created_at", Text),
        ],
    ),
    (
        "hooks",
        &[
            ("id", Int),
            ("owner_id", Int),
            ("package_id", OptInt),
            ("url", Text),
            ("secret", OptText),
            ("content_type", Text),
            ("events", Text),
            ("active", Bool),
            ("insecure_ssl", Bool),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    ),
    (
        "hook_deliveries",
        &[
            ("id", Int),
            ("guid", Text),
            ("hook_id", Int),
            ("event", Text),
            ("action", OptText),
            ("payload", Text),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", OptText),
            ("status_code", OptInt),
            ("status", Text),
            ("duration_ms", OptInt),
            ("delivered_at", OptText),
            ("redelivery", Bool),
            ("request_headers", OptText),
            ("response_headers", OptText),
            ("response_body", OptText),
            ("created_at", Text),
        ],
    ),
    (
        "subscriptions",
        &[
            ("id", Int),
            ("account_id", Int),
            ("package_id", OptInt),
            ("created_at", Text),
        ],
    ),
    (
        "notifications",
        &[
            ("id", Int),
            ("user_id", Int),
            ("reason", Text),
            ("title", Text),
            ("url", Text),
            ("package_id", OptInt),
            ("ghsa_id", OptText),
            ("unread", Bool),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    ),
    (
        "blob_links",
        &[
            ("owner_id", Int),
            ("package_type", Text),
            ("repository", Text),
            ("digest", Text),
            ("sha256", Text),
            ("size", Int),
            ("created_at", Text),
        ],
    ),
    ("retired_logins", &[("login", Text), ("retired_at", Text)]),
    ("settings", &[("name", Text), ("value", Text)]),
    (
        "external_identities",
        &[
            ("provider", Text),
            ("subject", Text),
            ("user_id", Int),
            ("linked_at", Text),
            ("last_sign_in_at", OptText),
        ],
    ),
    (
        "org_invitations",
        &[
            ("id", Int),
            ("org_id", Int),
            ("user_id", Int),
            ("role", Text),
            ("inviter_id", OptInt),
            ("created_at", Text),
        ],
    ),
    (
        "org_sso",
        &[
            ("org_id", Int),
            ("provider", Text),
            ("created_at", Text),
            ("saml_sso_url", OptText),
            ("saml_issuer", OptText),
            ("saml_certificates", OptText),
        ],
    ),
    (
        "org_sso_identities",
        &[
            ("org_id", Int),
            ("user_id", Int),
            ("subject", Text),
            ("linked_at", Text),
        ],
    ),
    (
        "org_sso_tokens",
        &[("token_id", Int), ("org_id", Int), ("authorized_at", Text)],
    ),
    // Links mailed and SAML assertions seen stay good, or refused, for
    // the rest of their lifetime.
    (
        "email_verifications",
        &[
            ("hash", Text),
            ("user_id", Int),
            ("email", Text),
            ("expires_at", Text),
        ],
    ),
    (
        "password_resets",
        &[("hash", Text), ("user_id", Int), ("expires_at", Text)],
    ),
    (
        "saml_assertions",
        &[
            ("org_id", Int),
            ("assertion_id", Text),
            ("expires_at", Text),
        ],
    ),
];

/// What a copy moved.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub rows: u64,
    pub blobs: u64,
    pub blobs_already_there: u64,
}

fn bool_of(row: &AnyRow, col: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}

/// Copies every row of `from` into the empty store `to`, keeping ids, in one
/// transaction.
/// Told how a long job advances: items done (and bytes, where they
/// count) out of the total, when known.
pub trait Progress: Sync {
    fn start(&self, what: &str, total: Option<u64>);
    fn advance(&self, items: u64, bytes: u64);
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _what: &str, _total: Option<u64>) {}
    fn advance(&self, _items: u64, _bytes: u64) {}
}

pub async fn copy_metadata(
    from: &SqlStore,
    to: &SqlStore,
    progress: &dyn Progress,
) -> StoreResult<u64> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&*to.write())
        .await?;
    if existing > 0 {
        return Err(StoreError::Invalid(
            "the target database is not empty; copy into a new database".into(),
        ));
    }
    let mut rows_copied = 0;
    let mut tx = to.begin_write().await?;
    progress.start("tables", Some(TABLES.len() as u64));
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        let rows = sqlx::query(&format!("SELECT {} FROM {table}", names.join(", ")))
            .fetch_all(from.reader())
            .await?;
        for row in &rows {
            let mut query = sqlx::query(&insert);
            for (name, kind) in *columns {
                query = match kind {
                    Int => query.bind(row.try_get::<i64, _>(*name)?),
                    OptInt => query.bind(row.try_get::<Option<i64>, _>(*name)?),
                    Text => query.bind(row.try_get::<String, _>(*name)?),
                    OptText => query.bind(row.try_get::<Option<String>, _>(*name)?),
                    Bool => query.bind(bool_of(row, name)?),
                };
            }
            query.execute(&mut **tx).await?;
            rows_copied += 1;
        }
        if to.dialect() == Dialect::Postgres && names.first() == Some(&"id") {
            // Identities continue after the copied ids.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut **tx)
            .await?;
        }
        progress.advance(1, 0);
    }
    to.commit(tx).await?;
    Ok(rows_copied)
}

/// Copies every blob of `from` that `to` lacks, verifying each digest.
pub async fn copy_blobs(
    from: &dyn BlobStore,
    to: &dyn BlobStore,
    progress: &dyn Progress,
) -> StoreResult<(u64, u64)> {
    let (mut copied, mut present) = (0, 0);
    let digests = from.list().await?;
    progress.start("blobs", Some(digests.len() as u64));
    for digest in digests {
        if to.size(&digest).await?.is_some() {
            present += 1;
            progress.advance(1, 0);
            continue;
        }
        let read = from.get(&digest, None).await?;
        let size = read.total_size;
        let expected = Expected {
            sha256: Some(digest.clone()),
            size: Some(size),
            ..Expected::default()
        };
        to.put(read.stream, expected).await?;
        copied += 1;
        progress.advance(1, size);
    }
    Ok((copied, present))
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    /// Tables `admin copy` leaves behind: kept by triggers from the
    /// copied rows (counts, download totals, search indexes), or passing
    /// state a new install starts without (job claims, sign-in throttles,
    /// unfinished uploads, web sessions: people sign in again).
    const NOT_COPIED: &[&str] = &[
        "package_counts",
        "package_downloads",
        "packages_fts",
        "package_names",
        "package_labels",
        "jobs",
        "auth_throttle",
        "uploads",
        "web_sessions",
        "org_sso_sessions",
        "oidc_tokens_seen",
    ];

    /// An FTS5 table's own tables (`packages_fts_data`, …).
    fn is_shadow(table: &str) -> bool {
        ["packages_fts_", "package_names_", "package_labels_"]
            .iter()
            .any(|p| table.starts_with(p))
    }

    /// A table or column added by a migration but not to `TABLES` would be
    /// lost by a copy without a word.
    #[tokio::test]
    async fn every_table_and_column_of_the_schema_is_copied() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::sql::SqlStore::open_path(&dir.path().join("schema.db"))
            .await
            .unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE '_sqlx%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(store.reader())
        .await
        .unwrap();
        let mut missing = Vec::new();
        let copied = |t: &&String| !NOT_COPIED.contains(&t.as_str()) && !is_shadow(t);
        for table in tables.iter().filter(copied) {
            let Some((_, copied)) = TABLES.iter().find(|(name, _)| name == table) else {
                missing.push(table.clone());
                continue;
            };
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(store.reader())
                    .await
                    .unwrap();
            for column in columns {
                if !copied.iter().any(|(name, _)| *name == column) {
                    missing.push(format!("{table}.{column}"));
                }
            }
        }
        assert!(missing.is_empty(), "not copied: {missing:?}");
    }
}

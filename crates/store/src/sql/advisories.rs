//! `AdvisoryStore` in SQL: security advisories, their JSON lists (CWEs,
//! vulnerabilities, credits) stored as text, and the search filter.

use async_trait::async_trait;
use entrepot_core::{Advisory, Severity};
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use super::rows::{
    AnyQuery, Bind, all_rows, bind_all, found, int, json_of, json_text, opt_int, opt_text,
    opt_time, optional_row, parse, text, time,
};
use super::{SqlStore, ts};
use crate::meta::{AdvisoryFilter, AdvisoryStore};
use crate::{StoreError, StoreResult};

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

/// Binds the columns that both a create and an update write, in the order
/// both statements name them: `ecosystem` through `publisher_id`.
fn bind_content<'q>(query: AnyQuery<'q>, a: &'q Advisory) -> StoreResult<AnyQuery<'q>> {
    Ok(query
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
        .bind(a.publisher_id))
}

impl SqlStore {
    async fn advisory_on(&self, pool: &AnyPool, ghsa_id: &str) -> StoreResult<Option<Advisory>> {
        let query =
            sqlx::query("SELECT * FROM advisories WHERE LOWER(ghsa_id) = LOWER($1)").bind(ghsa_id);
        optional_row(query, pool, advisory).await
    }
}

#[async_trait]
impl AdvisoryStore for SqlStore {
    async fn create_advisory(&self, a: &Advisory) -> StoreResult<Advisory> {
        let query = sqlx::query(
            "INSERT INTO advisories (ghsa_id, package_id, ecosystem, package_name, summary,
                 description, severity, cvss_vector, cve_id, cwe_ids, vulnerabilities, credits,
                 state, author_id, publisher_id, created_at, updated_at, published_at, withdrawn_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19)",
        )
        .bind(&a.ghsa_id)
        .bind(a.package_id);
        bind_content(query, a)?
            .bind(ts(&a.created_at))
            .bind(ts(&a.updated_at))
            .bind(a.published_at.as_ref().map(ts))
            .bind(a.withdrawn_at.as_ref().map(ts))
            .execute(&*self.write())
            .await?;
        self.advisory_on(&self.write(), &a.ghsa_id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn update_advisory(&self, a: &Advisory) -> StoreResult<Advisory> {
        let query = sqlx::query(
            "UPDATE advisories SET ecosystem = $2, package_name = $3, summary = $4,
                 description = $5, severity = $6, cvss_vector = $7, cve_id = $8, cwe_ids = $9,
                 vulnerabilities = $10, credits = $11, state = $12, author_id = $13,
                 publisher_id = $14, updated_at = $15, published_at = $16, withdrawn_at = $17
             WHERE ghsa_id = $1",
        )
        .bind(&a.ghsa_id);
        let done = bind_content(query, a)?
            .bind(ts(&a.updated_at))
            .bind(a.published_at.as_ref().map(ts))
            .bind(a.withdrawn_at.as_ref().map(ts))
            .execute(&*self.write())
            .await?;
        found(&done)?;
        self.advisory_on(&self.write(), &a.ghsa_id)
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
        all_rows(bind_all(sqlx::query(&sql), binds), &self.reader, advisory).await
    }
}

//! Reading typed values out of rows (text, integers, booleans, times, JSON)
//! the same way on SQLite and PostgreSQL, running a query for its rows, and
//! binding the parameters of a filter built at run time.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use entrepot_core::{Id, Timestamp};
use sqlx::any::{AnyQueryResult, AnyRow};
use sqlx::{AnyPool, Row};

use crate::{StoreError, StoreResult};

/// A query on the `Any` driver, before or after its parameters are bound.
pub(super) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Runs `query` for at most one row and reads it with `map`.
pub(super) async fn optional_row<T>(
    query: AnyQuery<'_>,
    pool: &AnyPool,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let row = query.fetch_optional(pool).await?;
    row.as_ref().map(map).transpose()
}

/// Runs `query` and reads every row with `map`, in the order they come.
pub(super) async fn all_rows<T>(
    query: AnyQuery<'_>,
    pool: &AnyPool,
    map: impl Fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let rows = query.fetch_all(pool).await?;
    rows.iter().map(map).collect()
}

/// `NotFound` when a statement changed no row: what it names is missing,
/// or not in the state the statement expects.
pub(super) fn found(done: &AnyQueryResult) -> StoreResult<()> {
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(super) fn parse_ts(text: &str) -> StoreResult<Timestamp> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Database(format!("bad time {text}: {e}")))
}

pub(super) fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    Ok(row.try_get(col)?)
}

pub(super) fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    Ok(row.try_get(col)?)
}

pub(super) fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    Ok(row.try_get(col)?)
}

pub(super) fn opt_int(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    Ok(row.try_get(col)?)
}

/// PostgreSQL has booleans, SQLite integers.
pub(super) fn boolean(row: &AnyRow, col: &str) -> StoreResult<bool> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => Ok(row.try_get::<i64, _>(col)? != 0),
    }
}

pub(super) fn time(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    parse_ts(&text(row, col)?)
}

pub(super) fn opt_time(row: &AnyRow, col: &str) -> StoreResult<Option<Timestamp>> {
    opt_text(row, col)?.as_deref().map(parse_ts).transpose()
}

pub(super) fn parse<T: FromStr>(row: &AnyRow, col: &str) -> StoreResult<T>
where
    T::Err: std::fmt::Display,
{
    text(row, col)?
        .parse()
        .map_err(|e: T::Err| StoreError::Database(format!("column {col}: {e}")))
}

pub(super) fn json(row: &AnyRow, col: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(&text(row, col)?)
        .map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

pub(super) fn json_of<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    serde_json::from_str(&text(row, col)?)
        .map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

pub(super) fn json_text<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A member and their role, from the `user_id` and `role` columns of an
/// organization, a repository or a package.
pub(super) fn user_role<R: FromStr>(row: &AnyRow) -> StoreResult<(Id, R)>
where
    R::Err: std::fmt::Display,
{
    Ok((int(row, "user_id")?, parse(row, "role")?))
}

#[derive(Debug, Clone)]
pub(super) enum Bind {
    Int(i64),
    Text(String),
}

/// `$first, …` for `count` parameters (a list for `IN`).
pub(super) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn bind_all(query: AnyQuery<'_>, binds: Vec<Bind>) -> AnyQuery<'_> {
    binds.into_iter().fold(query, |q, b| match b {
        Bind::Int(i) => q.bind(i),
        Bind::Text(t) => q.bind(t),
    })
}

//! The response bodies of the REST and OSV APIs as serde types, one file
//! per resource, in GitHub's (or osv.dev's) shapes: field names and
//! nullability follow the schema (a field GitHub always sends, even as
//! `null`, is an `Option` without `skip_serializing_if`).
//!
//! Handlers build these and answer `axum::Json(value)`; nothing here reads
//! the stores.

pub mod advisory;
pub mod error;
pub mod hook;
pub mod notification;
pub mod osv;
pub mod package;
pub mod repository;
pub mod subscription;
mod time;
pub mod upstream;
pub mod user;

use serde::Serialize;

/// An empty JSON object, `{}`.
#[derive(Debug, Default, Serialize)]
pub struct Empty {}

pub use time::iso;

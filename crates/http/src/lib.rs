//! HTTP plumbing shared by every wire protocol: the application state, the
//! authenticated caller, GitHub-shaped errors, pagination, body limits,
//! metrics, and the `PackageFormat` trait each format crate implements.

pub mod access;
pub mod auth;
pub mod cache;
pub mod ci_token;
pub mod download;
pub mod encoding;
pub mod error;
pub mod format;
pub mod metrics;
pub mod owner;
pub mod pagination;
pub mod quota;
pub mod rate_limit;
pub mod repo_link;
pub mod spool;
pub mod state;
pub mod upstream;

mod app;
mod idle;

pub use app::build_app;
pub use auth::Caller;
pub use error::ApiError;
pub use format::PackageFormat;
pub use state::AppState;

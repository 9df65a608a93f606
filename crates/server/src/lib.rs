//! The `entrepot` binary's parts, as a library so that the fuzz targets
//! drive the very application the binary serves: configuration, the
//! registration of every format, `serve` and the admin commands.
#![allow(
    clippy::missing_errors_doc,
    reason = "the binary's own functions; their errors are printed as they are"
)]

pub mod acme;
pub mod admin;
pub mod cli;
pub mod config;
pub mod fuzzing;
pub mod listener;
pub mod mail;
pub mod progress;
pub mod serve;
pub mod tls;

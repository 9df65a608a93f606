//! End-to-end tests that run the `entrepot` binary: the real package
//! clients (npm, mvn and gradle, gem and bundler, nuget, pip and twine,
//! cargo, skopeo, Chromium) against a served registry, and what only a
//! process shows (`admin fsck`, secrets kept out of its log, concurrent
//! publishes over real connections on SQLite and PostgreSQL, the limits a
//! socket enforces). One test binary for all of them, so that the server
//! is linked once and libtest runs the areas' tests side by side.
//! `crash.rs`, `connections.rs` and `scale_out.rs` stay binaries of their
//! own: they kill servers, count connections and run several nodes.

#[path = "../common/mod.rs"]
mod common;

mod browser;
mod cargo;
mod concurrency;
mod fsck;
mod limits;
mod maven;
mod npm;
mod nuget;
mod oci;
mod pypi;
mod rubygems;
mod secrets;

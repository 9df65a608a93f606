//! End-to-end tests that run the `entrepot` binary: the real package
//! clients (npm and `npm audit`, mvn and gradle, gem and bundler, nuget,
//! pip, twine and pip-audit, cargo, skopeo, Octokit, Chromium) against a
//! served registry, and what only a process shows (`serve` itself, `admin
//! fsck`, secrets kept out of its log, webhooks delivered to a receiver
//! over a socket, a full disk, concurrent publishes over real connections
//! on SQLite and PostgreSQL, the limits a socket enforces). One test binary
//! for all of them, so that the server is linked once and libtest runs the
//! areas' tests side by side. `crash.rs`, `connections.rs` and
//! `scale_out.rs` stay binaries of their own: they kill servers, count
//! connections and run several nodes.

#[path = "../common/mod.rs"]
mod common;

mod acme;
mod alerts;
mod browser;
mod cargo;
mod cargo_upstream;
mod cleanup;
mod cleanup_formats;
mod concurrency;
mod fsck;
mod generic;
mod hardening;
mod ldap;
mod limits;
mod maven;
mod maven_upstream;
mod npm;
mod npm_audit;
mod npm_signatures;
mod npm_upstream;
mod nuget;
mod nuget_upstream;
mod oci;
mod oci_upstream;
mod oidc;
mod org_saml;
mod org_sso;
mod osv;
mod pages_audit;
mod pypi;
mod pypi_upstream;
mod quotas;
mod rest_api;
mod rubygems;
mod rubygems_upstream;
mod secrets;
mod serve;
mod sign_in_providers;
mod signed_images;
mod tls;
mod trusted_publishing;
mod webhooks;

//! The HTTP-level tests that need no real client, socket, crash or second
//! node: each sends its requests through the application the binary
//! serves, in process (`test_app::TestApp`). One module per area; one test
//! binary for all of them, so that the server is linked once.

#[path = "../common/mod.rs"]
mod common;
mod test_app;

mod advisories;
mod alerts;
mod alerts_formats;
mod cargo_http;
mod cargo_upstream;
mod cleanup;
mod generic_http;
mod graph;
mod limits;
mod mail;
mod maven_upstream;
mod memberships;
mod narrow;
mod npm_http;
mod npm_upstream;
mod nuget_http;
mod nuget_upstream;
mod oci_http;
mod oci_signatures;
mod oci_upstream;
mod osv;
mod permissions;
mod profile;
mod pypi_http;
mod quotas;
mod readmes;
mod repositories;
mod rest_api;
mod rubygems_http;
mod rubygems_upstream;
mod site_admin;
mod trusted;
mod upstream_cache;
mod upstreams;
mod web;
mod web_cleanup;
mod web_manage;
mod web_upstreams;

//! The conformance suite every backend passes: one test body, run once per
//! metadata store and once per blob store (SQLite and files here; PostgreSQL
//! and S3 run the same functions). This file is the entry point: it runs
//! the concerns, each in its own file below `conformance/`, in one order on
//! one store, later steps building on the rows the earlier ones left.

use chrono::Utc;

use crate::meta::MetadataStore;

mod accounts;
mod administration;
mod advisories;
mod blobs;
mod dependencies;
mod downloads;
mod files;
mod governance;
mod identities;
mod image_signing;
mod jobs;
mod notifications;
mod packages;
mod publishers;
mod search;
mod sessions;
mod sso;
mod tags;
mod throttle;
mod uploads;
mod upstream_cache;
mod upstreams;
mod versions;
mod webhooks;

pub use blobs::blob_store;

/// Exercises every `MetadataStore` promise.
pub async fn metadata_store(store: &dyn MetadataStore) {
    let (alice, bob) = accounts::users_and_orgs(store).await;
    let repo = accounts::repositories(store, &alice, &bob).await;
    accounts::tokens(store, &bob).await;

    let (pkg, new_package) = packages::create_with_roles(store, &alice, &bob, &repo).await;
    let at = Utc::now();
    let (v1, v2) = versions::publish(store, &pkg, &alice, at).await;
    tags::set_and_remove(store, &pkg, &v1, &v2, at).await;
    versions::soft_delete_and_restore(store, &pkg, &v1, &v2, at).await;
    packages::delete_and_restore(store, &pkg, &alice, &repo, at).await;
    packages::pages_and_counts(store, &alice, &new_package).await;
    search::by_words(store).await;
    packages::update(store, &pkg, at).await;
    downloads::downloads_and_audit(store, &pkg, &v1, &alice, at).await;
    versions::purge(store, &pkg, &v2).await;
    downloads::flushed_while_purged(store, &alice, at).await;

    uploads::sessions(store, &alice, at).await;
    uploads::blob_links(store, &alice, at).await;
    jobs::settings_and_claims(store, at).await;
    packages::purge_expired(store, &pkg, &v1, at).await;

    sessions::web_sessions(store, alice.id).await;
    identities::identities(store, alice.id).await;
    identities::invitations(store, alice.id).await;
    sso::single_sign_on(store, alice.id).await;
    sso::saml(store, alice.id).await;
    files::files_one_by_one(store, alice.id).await;
    advisories::advisories(store, alice.id, bob.id).await;
    webhooks::webhooks(store, alice.id, bob.id).await;
    upstreams::upstreams(store, &alice).await;
    administration::administration(store).await;
    administration::storage(store, alice.id).await;
    governance::governance(store).await;
    publishers::publishers(store, alice.id).await;
    image_signing::image_signing(store, alice.id).await;
    dependencies::dependencies(store, alice.id).await;
    dependencies::alerts(store, alice.id).await;
}

//! Conformance, what the nodes of a cluster agree on: settings, whose first
//! value wins, and job claims, held by one node at a time.

use entrepot_core::Timestamp;

use crate::meta::MetadataStore;

/// Settings: the first value wins on every node.
pub(super) async fn settings_and_claims(store: &dyn MetadataStore, at: Timestamp) {
    assert_eq!(store.setting_or_init("key", "one").await.unwrap(), "one");
    assert_eq!(store.setting_or_init("key", "two").await.unwrap(), "one");
    assert_eq!(store.setting("absent").await.unwrap(), None);
    store.set_setting("flag", Some("on")).await.unwrap();
    store.set_setting("flag", Some("off")).await.unwrap();
    assert_eq!(store.setting("flag").await.unwrap().as_deref(), Some("off"));
    store.set_setting("flag", None).await.unwrap();
    assert_eq!(store.setting("flag").await.unwrap(), None);

    // Job claims: one holder at a time, taken over once the claim lapses.
    let hour = chrono::TimeDelta::hours(1);
    assert!(
        store
            .claim_job("purge", "node-a", at + hour, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_job(
                "purge",
                "node-b",
                at + hour,
                at + chrono::TimeDelta::minutes(1)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job("other", "node-b", at + hour, at)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job("purge", "node-b", at + hour * 2, at + hour)
            .await
            .unwrap()
    );
}

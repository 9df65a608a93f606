//! Conformance, subscriptions (to one package or to everything, once each)
//! and notifications (unread first, then newest; read one by one or all).

use entrepot_core::{Package, Timestamp};

use crate::StoreError;
use crate::meta::{MetadataStore, NewNotification};

/// Subscriptions: to one package or to everything, once each.
pub(super) async fn subscriptions(
    store: &dyn MetadataStore,
    owner: i64,
    other: i64,
    pkg: &Package,
    at: Timestamp,
) {
    let to_package = store.subscribe(other, Some(pkg.id), at).await.unwrap();
    let to_all = store.subscribe(owner, None, at).await.unwrap();
    assert!(matches!(
        store.subscribe(other, Some(pkg.id), at).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.subscribe(owner, None, at).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.subscriptions(other).await.unwrap(),
        std::slice::from_ref(&to_package)
    );
    let covering: Vec<i64> = store
        .subscriptions_covering(pkg.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(covering, [to_package.id, to_all.id]);
    assert_eq!(
        store
            .subscription(to_all.id)
            .await
            .unwrap()
            .unwrap()
            .package_id,
        None
    );
    assert!(store.unsubscribe(to_all.id).await.unwrap());
    assert!(!store.unsubscribe(to_all.id).await.unwrap());
}

/// Notifications: unread first, then newest.
pub(super) async fn notifications(
    store: &dyn MetadataStore,
    owner: i64,
    other: i64,
    pkg: &Package,
    at: Timestamp,
) {
    let note = |title: &str| NewNotification {
        user_id: other,
        reason: "security_alert".into(),
        title: title.into(),
        url: "http://localhost/advisories/GHSA-x".into(),
        package_id: Some(pkg.id),
        ghsa_id: Some("GHSA-2c3v-4f5g-6h7j".into()),
        at,
    };
    store
        .create_notifications(&[note("first"), note("second"), note("third")])
        .await
        .unwrap();
    let list = store.notifications(other, false, 10).await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|n| n.unread));
    assert!(
        !store
            .mark_notification_read(owner, list[0].id, at)
            .await
            .unwrap(),
        "only one's own notifications"
    );
    assert!(
        store
            .mark_notification_read(other, list[0].id, at)
            .await
            .unwrap()
    );
    let titles = |list: Vec<entrepot_core::Notification>| {
        list.into_iter().map(|n| n.title).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.notifications(other, false, 10).await.unwrap()),
        ["second", "first", "third"]
    );
    assert_eq!(
        titles(store.notifications(other, true, 10).await.unwrap()),
        ["second", "first"]
    );
    assert_eq!(
        store.mark_all_notifications_read(other, at).await.unwrap(),
        2
    );
    assert!(
        store
            .notifications(other, true, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

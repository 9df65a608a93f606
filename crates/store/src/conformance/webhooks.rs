//! Conformance, webhooks: hooks on an owner or one package, deliveries
//! enqueued, claimed by one caller and leased, attempts logged, and what a
//! deleted hook or a purged package takes with it.

use chrono::{TimeDelta, Utc};
use entrepot_core::{
    DeliveryState, Hook, HookContentType, Package, PackageType, Timestamp, Visibility,
};

use super::notifications::{notifications, subscriptions};
use crate::StoreError;
use crate::meta::{DeliveryAttempt, MetadataStore, NewDelivery, NewHook, NewPackage};

pub(super) async fn webhooks(store: &dyn MetadataStore, owner: i64, other: i64) {
    // At the store's precision, so that times compare equal on the way back.
    let at = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let pkg = store
        .create_package(NewPackage {
            owner_id: owner,
            package_type: PackageType::Npm,
            name: "hooked".into(),
            visibility: Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let (owner_hook, package_hook) = hooks(store, owner, other, &pkg, at).await;
    let claimed = claims(store, &owner_hook, &package_hook, at).await;
    let logged = attempts(store, &owner_hook, &claimed, at).await;
    subscriptions(store, owner, other, &pkg, at).await;
    notifications(store, owner, other, &pkg, at).await;

    // Deleting a hook takes its log; purging a package takes its hooks,
    // subscriptions and notifications.
    assert!(store.delete_hook(owner_hook.id).await.unwrap());
    assert!(!store.delete_hook(owner_hook.id).await.unwrap());
    assert!(store.delivery(logged.id).await.unwrap().is_none());
    store.purge_package(pkg.id).await.unwrap();
    assert!(store.hook(package_hook.id).await.unwrap().is_none());
    assert!(store.subscriptions(other).await.unwrap().is_empty());
    assert!(
        store
            .notifications(other, false, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Hooks on the owner and on one package, listed apart, and edited whole.
async fn hooks(
    store: &dyn MetadataStore,
    owner: i64,
    other: i64,
    pkg: &Package,
    at: Timestamp,
) -> (Hook, Hook) {
    let new_hook = |package_id| NewHook {
        owner_id: owner,
        package_id,
        url: "http://127.0.0.1:1/hook".into(),
        secret: Some("s3cret".into()),
        content_type: HookContentType::Json,
        events: vec!["package".into(), "security_advisory".into()],
        active: true,
        insecure_ssl: false,
        at,
    };
    let owner_hook = store.create_hook(new_hook(None)).await.unwrap();
    let package_hook = store.create_hook(new_hook(Some(pkg.id))).await.unwrap();
    assert_eq!(owner_hook.events, ["package", "security_advisory"]);
    assert_eq!(owner_hook.secret.as_deref(), Some("s3cret"));
    assert!(owner_hook.active && !owner_hook.insecure_ssl);
    let ids = |hooks: Vec<entrepot_core::Hook>| hooks.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.hooks(owner, None).await.unwrap()),
        [owner_hook.id]
    );
    assert_eq!(
        ids(store.hooks(owner, Some(pkg.id)).await.unwrap()),
        [package_hook.id]
    );
    assert!(store.hooks(other, None).await.unwrap().is_empty());
    let edited = store
        .update_hook(&entrepot_core::Hook {
            url: "http://127.0.0.1:2/other".into(),
            secret: None,
            content_type: HookContentType::Form,
            events: vec!["*".into()],
            active: false,
            insecure_ssl: true,
            ..owner_hook.clone()
        })
        .await
        .unwrap();
    assert_eq!(edited.url, "http://127.0.0.1:2/other");
    assert_eq!(edited.content_type, HookContentType::Form);
    assert!(!edited.active && edited.insecure_ssl && edited.secret.is_none());
    assert_eq!(store.hook(owner_hook.id).await.unwrap().unwrap(), edited);
    (owner_hook, package_hook)
}

fn new_delivery(guid: &str, hook_id: i64, at: Timestamp) -> NewDelivery {
    NewDelivery {
        guid: guid.into(),
        hook_id,
        event: "package".into(),
        action: Some("published".into()),
        payload: "{\"action\":\"published\"}".into(),
        redelivery: false,
        at,
    }
}

/// Deliveries: enqueued due at once, claimed by one caller only.
async fn claims(
    store: &dyn MetadataStore,
    owner_hook: &Hook,
    package_hook: &Hook,
    at: Timestamp,
) -> Vec<entrepot_core::Delivery> {
    let queued = store
        .enqueue_deliveries(&[
            new_delivery("guid-1", owner_hook.id, at),
            new_delivery("guid-2", package_hook.id, at),
        ])
        .await
        .unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].state, DeliveryState::Pending);
    assert_eq!(queued[0].attempts, 0);
    assert_eq!(queued[0].payload, "{\"action\":\"published\"}");
    assert_eq!(store.next_delivery_due().await.unwrap(), Some(at));
    let lease = at + TimeDelta::seconds(60);
    assert!(
        store
            .claim_deliveries(at - TimeDelta::seconds(1), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing is due before its time"
    );
    let claimed = store.claim_deliveries(at, lease, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].guid, "guid-1");
    assert_eq!(claimed[0].next_attempt_at, Some(lease));
    let rest = store.claim_deliveries(at, lease, 10).await.unwrap();
    assert_eq!(
        rest.len(),
        1,
        "a claimed delivery is leased, not claimed again"
    );
    assert_eq!(rest[0].guid, "guid-2");
    assert!(
        store
            .claim_deliveries(at, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After the lease, a delivery whose node died is due again.
    assert_eq!(
        store
            .claim_deliveries(lease, lease + TimeDelta::seconds(60), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    claimed
}

/// Attempts are logged on the delivery; a redelivery is a new delivery,
/// and a GUID is used once.
async fn attempts(
    store: &dyn MetadataStore,
    owner_hook: &Hook,
    claimed: &[entrepot_core::Delivery],
    at: Timestamp,
) -> entrepot_core::Delivery {
    let retry_at = at + TimeDelta::seconds(10);
    let attempt = DeliveryAttempt {
        state: DeliveryState::Pending,
        next_attempt_at: Some(retry_at),
        status_code: Some(500),
        status: "Internal Server Error".into(),
        duration_ms: 12,
        at,
        request_headers: serde_json::json!({"X-GitHub-Event": "package"}),
        response_headers: Some(serde_json::json!({"content-length": "0"})),
        response_body: Some("oops".into()),
    };
    store.record_attempt(claimed[0].id, &attempt).await.unwrap();
    store
        .record_attempt(
            claimed[0].id,
            &DeliveryAttempt {
                state: DeliveryState::Delivered,
                next_attempt_at: None,
                status_code: Some(200),
                status: "OK".into(),
                ..attempt.clone()
            },
        )
        .await
        .unwrap();
    let logged = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!(logged.state, DeliveryState::Delivered);
    assert_eq!(logged.attempts, 2);
    assert_eq!(logged.status_code, Some(200));
    assert_eq!(logged.status, "OK");
    assert_eq!(logged.duration_ms, Some(12));
    assert_eq!(logged.delivered_at, Some(at));
    assert_eq!(logged.response_body.as_deref(), Some("oops"));
    assert_eq!(
        logged.request_headers,
        Some(serde_json::json!({"X-GitHub-Event": "package"}))
    );
    assert!(matches!(
        store.record_attempt(i64::MAX, &attempt).await,
        Err(StoreError::NotFound)
    ));
    let redelivered = store
        .enqueue_deliveries(&[NewDelivery {
            redelivery: true,
            ..new_delivery("guid-3", owner_hook.id, at)
        }])
        .await
        .unwrap();
    assert!(redelivered[0].redelivery);
    let log: Vec<String> = store
        .deliveries(owner_hook.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.guid)
        .collect();
    assert_eq!(log, ["guid-3", "guid-1"], "newest first");
    assert!(matches!(
        store
            .enqueue_deliveries(&[new_delivery("guid-3", owner_hook.id, at)])
            .await,
        Err(StoreError::Conflict(_))
    ));
    logged
}

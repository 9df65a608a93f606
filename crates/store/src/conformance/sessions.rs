//! Conformance, web sessions: found by hash until they expire, deleted, and
//! pruned with the password throttle's windows (`throttle.rs`).

use chrono::{TimeDelta, Utc};

use super::throttle::throttle;
use crate::meta::{MetadataStore, WebSession};

pub(super) async fn web_sessions(store: &dyn MetadataStore, user: i64) {
    let now = Utc::now();
    let session = WebSession {
        user_id: user,
        csrf: "c".repeat(43),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
    };
    store.create_session("h1", &session).await.unwrap();
    let found = store.session("h1", now).await.unwrap().unwrap();
    assert_eq!(found.user_id, user);
    assert_eq!(found.csrf, session.csrf);
    assert!(store.session("h2", now).await.unwrap().is_none());
    assert!(
        store
            .session("h1", now + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_none(),
        "an expired session is no session"
    );
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());

    let old = WebSession {
        expires_at: now - TimeDelta::seconds(1),
        ..session
    };
    store.create_session("h3", &old).await.unwrap();
    throttle(store, now).await;
}

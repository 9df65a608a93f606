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

    // A user's own sessions, newest first; all ended but one.
    let later = WebSession {
        created_at: now + TimeDelta::seconds(1),
        ..session.clone()
    };
    store.create_session("h4", &session).await.unwrap();
    store.create_session("h5", &later).await.unwrap();
    let mine: Vec<String> = store
        .user_sessions(user, now)
        .await
        .unwrap()
        .into_iter()
        .map(|(hash, _)| hash)
        .collect();
    assert_eq!(mine, ["h5", "h4"]);
    assert_eq!(
        store.delete_user_sessions(user, Some("h5")).await.unwrap(),
        1
    );
    assert!(store.session("h4", now).await.unwrap().is_none());
    assert_eq!(store.delete_user_sessions(user, None).await.unwrap(), 1);
    assert!(store.user_sessions(user, now).await.unwrap().is_empty());

    // Password-reset links: taken once, never after they expire.
    let hour = TimeDelta::hours(1);
    store
        .create_password_reset("r1", user, now + hour)
        .await
        .unwrap();
    store
        .create_password_reset("r2", user, now - hour)
        .await
        .unwrap();
    assert_eq!(
        store.take_password_reset("r1", now).await.unwrap(),
        Some(user)
    );
    assert_eq!(store.take_password_reset("r1", now).await.unwrap(), None);
    assert_eq!(store.take_password_reset("r2", now).await.unwrap(), None);
    assert_eq!(store.take_password_reset("r9", now).await.unwrap(), None);

    let old = WebSession {
        expires_at: now - TimeDelta::seconds(1),
        ..session
    };
    store.create_session("h3", &old).await.unwrap();
    throttle(store, now).await;
}

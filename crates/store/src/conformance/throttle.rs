//! Conformance, the password throttle: attempts counted per key in
//! windows, forgiven, cleared, listed and pruned, and counted one by one
//! when they come together.

use chrono::{TimeDelta, Utc};

use crate::meta::MetadataStore;

/// Password attempts: counted per key in windows, forgiven, cleared,
/// listed, pruned; and counted one by one when they come together.
pub(super) async fn throttle(store: &dyn MetadataStore, now: chrono::DateTime<Utc>) {
    // Stored to the microsecond.
    let now = chrono::SubsecRound::trunc_subsecs(now, 6);
    let window = TimeDelta::minutes(15);
    let at = |minutes: i64| now + TimeDelta::minutes(minutes);
    for expected in 1..=3 {
        let t = store
            .count_attempt("user:alice", now, now - window)
            .await
            .unwrap();
        assert_eq!(t.attempts, expected);
        assert_eq!(t.window_start, now, "the window began at the first attempt");
    }
    store.forgive_attempt("user:alice").await.unwrap();
    let t = store
        .count_attempt("user:alice", at(1), at(1) - window)
        .await
        .unwrap();
    assert_eq!((t.attempts, t.window_start), (3, now), "one was forgiven");
    // Past the window, counting starts again.
    let t = store
        .count_attempt("user:alice", at(16), at(16) - window)
        .await
        .unwrap();
    assert_eq!((t.attempts, t.window_start), (1, at(16)));
    for _ in 0..4 {
        store
            .count_attempt("addr:192.0.2.7", at(16), at(16) - window)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .throttled_keys(at(16) - window, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, t)| (k, t.attempts))
            .collect::<Vec<_>>(),
        vec![("addr:192.0.2.7".to_owned(), 4)]
    );
    assert!(store.clear_attempts("addr:192.0.2.7").await.unwrap());
    assert!(!store.clear_attempts("addr:192.0.2.7").await.unwrap());
    assert!(
        store
            .throttled_keys(at(16) - window, 1)
            .await
            .unwrap()
            .len()
            == 1
    );
    assert_eq!(
        store.prune_sessions(at(40), at(40) - window).await.unwrap(),
        2,
        "the expired session, and alice's window, which is over"
    );
    assert!(
        store
            .throttled_keys(now - window, 1)
            .await
            .unwrap()
            .is_empty()
    );

    // Twenty attempts at once each read their own count.
    let counts = futures::future::join_all(
        (0..20).map(|_| store.count_attempt("user:bob", now, now - window)),
    )
    .await;
    let mut counts: Vec<i64> = counts.into_iter().map(|t| t.unwrap().attempts).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>());
    store.clear_attempts("user:bob").await.unwrap();
}

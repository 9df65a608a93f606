//! Conformance, external identities: one account per subject and one
//! subject per provider and account, a user created with its link or not
//! at all, and links gone with their account.

use chrono::Utc;

use crate::StoreError;
use crate::meta::{MetadataStore, NewUser};

fn user(login: &str) -> NewUser {
    NewUser {
        login: login.into(),
        name: None,
        email: None,
        password_hash: None,
        site_admin: false,
    }
}

pub(super) async fn identities(store: &dyn MetadataStore, alice: i64) {
    let now = Utc::now();
    assert_eq!(
        store.sign_in_identity("corp", "s-1", now).await.unwrap(),
        None
    );
    store
        .link_identity("corp", "s-1", alice, now)
        .await
        .unwrap();
    assert_eq!(
        store.sign_in_identity("corp", "s-1", now).await.unwrap(),
        Some(alice)
    );
    assert!(
        store
            .sign_in_identity("other", "s-1", now)
            .await
            .unwrap()
            .is_none(),
        "a subject is a provider's own"
    );
    let again = store.link_identity("corp", "s-2", alice, now).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    // A user made with its link; a taken subject makes neither.
    let carol = store
        .create_linked_user(
            NewUser {
                email: Some("carol@example.com".into()),
                ..user("carol-idp")
            },
            "corp",
            "s-3",
        )
        .await
        .unwrap();
    assert!(
        carol.email_verified_at.is_some(),
        "the provider vouched for it"
    );
    assert_eq!(
        store.sign_in_identity("corp", "s-3", now).await.unwrap(),
        Some(carol.id)
    );
    let taken = store
        .create_linked_user(user("dave-idp"), "corp", "s-3")
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(store.account_by_login("dave-idp").await.unwrap().is_none());

    let mine = store.identities(alice).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0].provider.as_str(), mine[0].subject.as_str()),
        ("corp", "s-1")
    );
    assert!(mine[0].last_sign_in_at.is_some());

    assert!(store.unlink_identity("corp", alice).await.unwrap());
    assert!(!store.unlink_identity("corp", alice).await.unwrap());
    assert!(store.identities(alice).await.unwrap().is_empty());

    store.delete_account(carol.id, now).await.unwrap();
    assert_eq!(
        store.sign_in_identity("corp", "s-3", now).await.unwrap(),
        None
    );
}

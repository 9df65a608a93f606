//! Conformance, accounts: users and organizations (one namespace of logins),
//! repositories with their collaborators, and access tokens.

use chrono::Utc;
use entrepot_core::{Account, OrgRole, Repository, Role, Scopes, Visibility};

use crate::StoreError;
use crate::meta::{MetadataStore, NewRepository, NewTokenRecord, NewUser};

/// Users and organizations: logins are unique whatever their case, and an
/// organization has members but is not a user.
pub(super) async fn users_and_orgs(store: &dyn MetadataStore) -> (Account, Account) {
    let alice = store
        .create_user(NewUser {
            login: "alice".into(),
            site_admin: false,
            ..NewUser::default()
        })
        .await
        .unwrap();
    let bob = store
        .create_user(NewUser {
            login: "bob".into(),
            email: Some("bob@example.test".into()),
            ..NewUser::default()
        })
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .create_user(NewUser {
                    login: "ALICE".into(),
                    ..NewUser::default()
                })
                .await,
            Err(StoreError::Conflict(_))
        ),
        "logins are unique regardless of case"
    );
    assert_eq!(
        store.account_by_login("Alice").await.unwrap().unwrap().id,
        alice.id
    );
    assert_eq!(store.count_users().await.unwrap(), 2);

    let acme = store.create_org("acme", alice.id).await.unwrap();
    assert_eq!(
        store.org_role(acme.id, alice.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(store.org_role(acme.id, bob.id).await.unwrap(), None);
    store
        .set_org_member(acme.id, bob.id, OrgRole::Member)
        .await
        .unwrap();
    assert_eq!(
        store.org_role(acme.id, bob.id).await.unwrap(),
        Some(OrgRole::Member)
    );
    assert_eq!(
        store.org_members(acme.id).await.unwrap(),
        [(alice.id, OrgRole::Owner), (bob.id, OrgRole::Member)]
    );
    assert_eq!(
        store.count_users().await.unwrap(),
        2,
        "organizations are not users"
    );
    (alice, bob)
}

/// A repository's name is taken once per owner; collaborators hold a role.
pub(super) async fn repositories(
    store: &dyn MetadataStore,
    alice: &Account,
    bob: &Account,
) -> Repository {
    let repo = store
        .create_repository(NewRepository {
            owner_id: alice.id,
            name: "hello".into(),
            visibility: Visibility::Private,
            description: None,
            code_url: None,
        })
        .await
        .unwrap();
    assert_eq!(repo.full_name(), "alice/hello");
    assert!(matches!(
        store
            .create_repository(NewRepository {
                owner_id: alice.id,
                name: "hello".into(),
                visibility: Visibility::Public,
                description: None,
                code_url: None,
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_collaborator(repo.id, bob.id, Role::Write)
        .await
        .unwrap();
    assert_eq!(
        store.collaborator_role(repo.id, bob.id).await.unwrap(),
        Some(Role::Write)
    );
    repo
}

/// Tokens: stored by hash, revocable once.
pub(super) async fn tokens(store: &dyn MetadataStore, bob: &Account) {
    let t = store
        .create_token(NewTokenRecord {
            user_id: bob.id,
            hash: "h1".into(),
            prefix: "entp_abcd".into(),
            scopes: Scopes::ALL,
            note: Some("ci".into()),
            expires_at: None,
            bound_to: None,
        })
        .await
        .unwrap();
    let (found, hash) = store.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(
        (found.id, hash.as_str(), found.scopes),
        (t.id, "h1", Scopes::ALL)
    );
    assert!(store.token_by_hash("nope").await.unwrap().is_none());
    assert!(store.revoke_token(t.id, Utc::now()).await.unwrap());
    assert!(!store.revoke_token(t.id, Utc::now()).await.unwrap());
    assert!(
        !store
            .token_by_id(t.id)
            .await
            .unwrap()
            .unwrap()
            .is_usable_at(Utc::now())
    );
}

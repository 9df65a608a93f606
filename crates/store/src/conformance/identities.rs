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

/// Invitations into an organization: one per person, accepted into a
/// membership with its role (once), or withdrawn.
pub(super) async fn invitations(store: &dyn MetadataStore, owner_id: i64) {
    use entrepot_core::OrgRole;
    let now = Utc::now();
    let org = store.create_org("invitingorg", owner_id).await.unwrap();
    let orgs = store.user_orgs(owner_id).await.unwrap();
    assert!(
        orgs.iter()
            .any(|(o, role)| o.id == org.id && *role == OrgRole::Owner),
        "{orgs:?}"
    );
    let guest = store.create_user(user("guest")).await.unwrap();
    let first = store
        .invite_org_member(org.id, guest.id, OrgRole::Member, owner_id, now)
        .await
        .unwrap();
    let again = store
        .invite_org_member(org.id, guest.id, OrgRole::Owner, owner_id, now)
        .await
        .unwrap();
    assert_eq!(first.id, again.id, "one invitation, its role replaced");
    assert_eq!(again.role, OrgRole::Owner);
    let of_org = store.org_invitations(Some(org.id), None).await.unwrap();
    assert_eq!(of_org, std::slice::from_ref(&again));
    let to_user = store.org_invitations(None, Some(guest.id)).await.unwrap();
    assert_eq!(to_user, [again]);
    assert_eq!(
        store.org_role(org.id, guest.id).await.unwrap(),
        None,
        "pending"
    );

    assert_eq!(
        store.accept_org_invitation(org.id, guest.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(
        store.org_role(org.id, guest.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(
        store.accept_org_invitation(org.id, guest.id).await.unwrap(),
        None
    );

    store
        .invite_org_member(org.id, guest.id, OrgRole::Member, owner_id, now)
        .await
        .unwrap();
    assert!(store.delete_org_invitation(org.id, guest.id).await.unwrap());
    assert!(!store.delete_org_invitation(org.id, guest.id).await.unwrap());
    assert!(
        store
            .org_invitations(Some(org.id), None)
            .await
            .unwrap()
            .is_empty()
    );
}

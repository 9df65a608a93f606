//! Conformance, site administration: suspending, promoting, listing by
//! page, counting what an account owns, deleting it (its login retired)
//! and removing members; listing and deleting repositories.

use chrono::Utc;
use entrepot_core::{AccountKind, OrgRole, Role, Visibility};

use crate::StoreError;
use crate::meta::{MetadataStore, NewRepository, NewUser, RepositoryChanges};

#[expect(clippy::too_many_lines, reason = "one scenario")]
pub(super) async fn administration(store: &dyn MetadataStore) {
    let user = |login: &str| NewUser {
        login: login.into(),
        ..NewUser::default()
    };
    let dora = store.create_user(user("dora")).await.unwrap();
    let eve = store.create_user(user("eve")).await.unwrap();
    assert_eq!(dora.suspended_at, None);

    let at = Utc::now();
    store.set_suspended(dora.id, Some(at)).await.unwrap();
    let seen = store.account_by_id(dora.id).await.unwrap().unwrap();
    assert!(
        seen.suspended_at
            .is_some_and(|s| (s - at).num_milliseconds().abs() < 2)
    );
    store.set_suspended(dora.id, None).await.unwrap();
    assert_eq!(
        store
            .account_by_id(dora.id)
            .await
            .unwrap()
            .unwrap()
            .suspended_at,
        None
    );
    store.set_site_admin(dora.id, true).await.unwrap();
    assert!(
        store
            .account_by_id(dora.id)
            .await
            .unwrap()
            .unwrap()
            .site_admin
    );
    assert!(matches!(
        store.set_suspended(i64::MAX, Some(at)).await,
        Err(StoreError::NotFound)
    ));

    // Pages of users by id, organizations apart.
    let org = store.create_org("dora-co", dora.id).await.unwrap();
    let users = store
        .list_accounts(AccountKind::User, 0, 1000)
        .await
        .unwrap();
    assert!(users.windows(2).all(|w| w[0].id < w[1].id));
    assert!(users.iter().all(|u| u.kind == AccountKind::User));
    let after_dora = store
        .list_accounts(AccountKind::User, dora.id, 1)
        .await
        .unwrap();
    assert_eq!(after_dora.len(), 1);
    assert!(after_dora[0].id > dora.id);
    let orgs = store
        .list_accounts(AccountKind::Organization, 0, 1000)
        .await
        .unwrap();
    assert!(orgs.iter().any(|o| o.id == org.id));

    // What dora owns, and that she is the only owner of dora-co.
    store
        .create_repository(NewRepository {
            owner_id: dora.id,
            name: "tools".into(),
            visibility: Visibility::Public,
            description: None,
            code_url: None,
        })
        .await
        .unwrap();
    let footprint = store.account_footprint(dora.id).await.unwrap();
    assert_eq!(footprint.repositories, 1);
    assert_eq!(footprint.sole_owner_of, ["dora-co"]);
    store
        .set_org_member(org.id, eve.id, OrgRole::Owner)
        .await
        .unwrap();
    assert!(
        store
            .account_footprint(dora.id)
            .await
            .unwrap()
            .sole_owner_of
            .is_empty()
    );
    assert!(store.remove_org_member(org.id, eve.id).await.unwrap());
    assert!(!store.remove_org_member(org.id, eve.id).await.unwrap());

    let repos = store.list_repositories(Some(dora.id)).await.unwrap();
    assert_eq!(repos.len(), 1);
    store
        .update_repository(
            repos[0].id,
            RepositoryChanges {
                visibility: Some(Visibility::Private),
                description: Some(Some("kept".into())),
                code_url: Some(Some("https://example.test/dora/tools".into())),
                archived: Some(true),
            },
        )
        .await
        .unwrap();
    store
        .update_repository(
            repos[0].id,
            RepositoryChanges {
                description: Some(None),
                ..RepositoryChanges::default()
            },
        )
        .await
        .unwrap();
    let changed = store.repository_by_id(repos[0].id).await.unwrap().unwrap();
    assert_eq!(changed.visibility, Visibility::Private);
    assert!(changed.archived_at.is_some(), "archived");
    let unarchive = RepositoryChanges {
        archived: Some(false),
        ..RepositoryChanges::default()
    };
    store
        .update_repository(repos[0].id, unarchive)
        .await
        .unwrap();
    let back = store.repository_by_id(repos[0].id).await.unwrap().unwrap();
    assert_eq!(back.archived_at, None, "unarchived");
    assert_eq!(changed.description, None);
    assert_eq!(
        changed.code_url.as_deref(),
        Some("https://example.test/dora/tools")
    );
    store
        .set_collaborator(changed.id, eve.id, Role::Write)
        .await
        .unwrap();
    assert_eq!(
        store.collaborators(changed.id).await.unwrap(),
        [(eve.id, Role::Write)]
    );
    assert!(store.remove_collaborator(changed.id, eve.id).await.unwrap());
    assert!(!store.remove_collaborator(changed.id, eve.id).await.unwrap());
    store
        .update_profile(eve.id, Some(Some("Eve".into())), Some(None))
        .await
        .unwrap();
    let eve_now = store.account_by_id(eve.id).await.unwrap().unwrap();
    assert_eq!(
        (eve_now.name.as_deref(), eve_now.email),
        (Some("Eve"), None)
    );
    store
        .update_profile(eve.id, None, Some(Some("Eve@Example.test".into())))
        .await
        .unwrap();
    let found = store.users_by_email("eve@example.TEST").await.unwrap();
    assert_eq!(found.iter().map(|a| a.id).collect::<Vec<_>>(), [eve.id]);

    // Verified by a link for the address it was sent to, while it still is.
    let day = chrono::TimeDelta::days(1);
    let now = Utc::now();
    store
        .create_email_verification("v1", eve.id, "eve@example.test", now + day)
        .await
        .unwrap();
    store
        .create_email_verification("v2", eve.id, "eve@example.test", now + day)
        .await
        .unwrap();
    assert_eq!(store.verify_email("v1", now).await.unwrap(), Some(eve.id));
    assert!(
        store
            .account_by_id(eve.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified_at
            .is_some()
    );
    assert_eq!(store.verify_email("v1", now).await.unwrap(), None, "once");
    store
        .update_profile(eve.id, None, Some(Some("eve@elsewhere.test".into())))
        .await
        .unwrap();
    assert!(
        store
            .account_by_id(eve.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified_at
            .is_none()
    );
    assert_eq!(
        store.verify_email("v2", now).await.unwrap(),
        None,
        "the address changed"
    );
    assert!(
        store
            .account_by_id(eve.id)
            .await
            .unwrap()
            .unwrap()
            .email_notifications
    );
    store.set_email_notifications(eve.id, false).await.unwrap();
    let quiet = store.account_by_id(eve.id).await.unwrap().unwrap();
    assert!(!quiet.email_notifications);
    assert!(!store.list_repositories(None).await.unwrap().is_empty());
    assert_eq!(store.delete_repository(repos[0].id).await.unwrap(), 0);
    assert!(matches!(
        store.delete_repository(repos[0].id).await,
        Err(StoreError::NotFound)
    ));

    // Deleted: gone, and the login retired whatever its case.
    store.delete_account(eve.id, Utc::now()).await.unwrap();
    assert!(store.account_by_id(eve.id).await.unwrap().is_none());
    assert!(matches!(
        store.create_user(user("EVE")).await,
        Err(StoreError::Conflict(m)) if m.contains("retired")
    ));
    assert!(matches!(
        store.create_org("eve", dora.id).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.delete_account(eve.id, Utc::now()).await,
        Err(StoreError::NotFound)
    ));
}

/// Storage by owner: alice, who published files above, is counted with
/// her live packages; an account without any is left out.
pub(super) async fn storage(store: &dyn MetadataStore, alice: i64) {
    let usage = store.storage_by_owner(1000).await.unwrap();
    let hers = usage
        .iter()
        .find(|u| u.account.id == alice)
        .expect("alice uses storage");
    assert!(hers.bytes > 0 && hers.packages > 0, "{hers:?}");
    assert!(
        usage.windows(2).all(|w| w[0].bytes >= w[1].bytes),
        "largest first"
    );
    assert!(usage.iter().all(|u| u.packages > 0 || u.bytes > 0));
    assert_eq!(store.storage_by_owner(1).await.unwrap().len(), 1);
}

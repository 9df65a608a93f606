//! Conformance, organizations' single sign-on: one identity per member
//! and per subject, sessions signed on until they expire, tokens
//! authorized one by one, and a revoked identity taking its sessions' and
//! tokens' access with it.

use chrono::{TimeDelta, Utc};
use entrepot_core::Scopes;

use crate::StoreError;
use crate::meta::{MetadataStore, NewTokenRecord, NewUser, WebSession};

async fn member(store: &dyn MetadataStore, login: &str) -> (i64, i64, String) {
    let now = Utc::now();
    let user = store
        .create_user(NewUser {
            login: login.into(),
            name: None,
            email: None,
            password_hash: None,
            site_admin: false,
        })
        .await
        .unwrap();
    let token = store
        .create_token(NewTokenRecord {
            user_id: user.id,
            hash: format!("sso-token-{login}"),
            prefix: "entp_sso".into(),
            scopes: Scopes::ALL,
            note: None,
            expires_at: None,
            bound_to: None,
        })
        .await
        .unwrap();
    let session = format!("sso-session-{login}");
    store
        .create_session(
            &session,
            &WebSession {
                user_id: user.id,
                csrf: "c".into(),
                created_at: now,
                expires_at: now + TimeDelta::days(1),
            },
        )
        .await
        .unwrap();
    (user.id, token.id, session)
}

#[expect(clippy::too_many_lines, reason = "one scenario")]
pub(super) async fn single_sign_on(store: &dyn MetadataStore, owner: i64) {
    let now = Utc::now();
    let org = store.create_org("ssoorg", owner).await.unwrap().id;
    assert_eq!(store.org_sso(org).await.unwrap(), None);
    store.set_org_sso(org, Some("corp"), now).await.unwrap();
    assert_eq!(store.org_sso(org).await.unwrap().unwrap().provider, "corp");

    let (ann, ann_token, ann_session) = member(store, "ssoann").await;
    let (ben, ben_token, _) = member(store, "ssoben").await;
    assert!(store.member_sso_orgs(ann).await.unwrap().is_empty());
    store
        .set_org_member(org, ann, entrepot_core::OrgRole::Member)
        .await
        .unwrap();
    assert_eq!(store.member_sso_orgs(ann).await.unwrap()[0].org_id, org);
    store
        .link_org_sso_identity(org, ann, "corp#ann", now)
        .await
        .unwrap();
    store
        .link_org_sso_identity(org, ann, "corp#ann", now)
        .await
        .expect("the same link again");
    for (user, subject) in [(ben, "corp#ann"), (ann, "corp#other")] {
        assert!(matches!(
            store.link_org_sso_identity(org, user, subject, now).await,
            Err(StoreError::Conflict(_))
        ));
    }
    assert_eq!(store.org_sso_identities(org).await.unwrap().len(), 1);

    assert!(
        !store
            .org_sso_session_active(&ann_session, org, now)
            .await
            .unwrap()
    );
    store
        .open_org_sso_session(&ann_session, org, now + TimeDelta::hours(24))
        .await
        .unwrap();
    assert!(
        store
            .org_sso_session_active(&ann_session, org, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .org_sso_session_active(&ann_session, org, now + TimeDelta::hours(25))
            .await
            .unwrap(),
        "expired"
    );

    assert!(
        !store
            .token_authorized_for_org(ann_token, org)
            .await
            .unwrap()
    );
    for token in [ann_token, ben_token] {
        store
            .authorize_token_for_org(token, org, now)
            .await
            .unwrap();
        store
            .authorize_token_for_org(token, org, now)
            .await
            .unwrap();
    }
    assert!(
        store
            .token_authorized_for_org(ann_token, org)
            .await
            .unwrap()
    );
    assert_eq!(store.token_sso_orgs(ann_token).await.unwrap().len(), 1);
    assert_eq!(store.org_sso_tokens(org).await.unwrap().len(), 2);

    // Revoking ann's identity takes her session's and token's access only.
    assert!(store.revoke_org_sso_identity(org, ann).await.unwrap());
    assert!(!store.revoke_org_sso_identity(org, ann).await.unwrap());
    assert!(
        !store
            .token_authorized_for_org(ann_token, org)
            .await
            .unwrap()
    );
    assert!(
        !store
            .org_sso_session_active(&ann_session, org, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .token_authorized_for_org(ben_token, org)
            .await
            .unwrap()
    );
    assert!(
        store
            .deauthorize_token_for_org(ben_token, org)
            .await
            .unwrap()
    );
    assert!(
        !store
            .token_authorized_for_org(ben_token, org)
            .await
            .unwrap()
    );

    // Turning it off forgets everything that came through it.
    store
        .authorize_token_for_org(ben_token, org, now)
        .await
        .unwrap();
    store.set_org_sso(org, None, now).await.unwrap();
    assert_eq!(store.org_sso(org).await.unwrap(), None);
    assert!(store.org_sso_tokens(org).await.unwrap().is_empty());
}

/// An organization's own SAML identity provider: kept with its
/// identities when only its URL or certificates change, and each of its
/// assertions used once.
pub(super) async fn saml(store: &dyn MetadataStore, owner: i64) {
    let now = Utc::now();
    let org = store.create_org("samlorg", owner).await.unwrap().id;
    let idp = crate::SamlIdp {
        sso_url: "https://idp.example/sso".into(),
        issuer: "https://idp.example".into(),
        certificates: "PEM".into(),
    };
    store
        .set_org_saml(org, &idp, crate::SamlKept::Nothing, now)
        .await
        .unwrap();
    let sso = store.org_sso(org).await.unwrap().unwrap();
    assert_eq!(
        (sso.provider.as_str(), sso.saml.as_ref()),
        ("saml", Some(&idp))
    );
    let (ann, _, ann_session) = member(store, "samlann").await;
    store
        .set_org_member(org, ann, entrepot_core::OrgRole::Member)
        .await
        .unwrap();
    store
        .link_org_sso_identity(org, ann, "ann@idp", now)
        .await
        .unwrap();
    let rolled = crate::SamlIdp {
        certificates: "PEM2".into(),
        ..idp.clone()
    };
    store
        .open_org_sso_session(&ann_session, org, now + TimeDelta::hours(1))
        .await
        .unwrap();
    // Its URL changed: everything stays.
    store
        .set_org_saml(org, &idp, crate::SamlKept::Everything, now)
        .await
        .unwrap();
    assert!(
        store
            .org_sso_session_active(&ann_session, org, now)
            .await
            .unwrap()
    );
    // Its keys changed: who is who stays, what they signed goes.
    store
        .set_org_saml(org, &rolled, crate::SamlKept::Identities, now)
        .await
        .unwrap();
    assert_eq!(
        store.org_sso(org).await.unwrap().unwrap().saml,
        Some(rolled.clone())
    );
    assert_eq!(store.org_sso_identities(org).await.unwrap().len(), 1);
    assert!(
        !store
            .org_sso_session_active(&ann_session, org, now)
            .await
            .unwrap()
    );
    store
        .set_org_saml(org, &rolled, crate::SamlKept::Nothing, now)
        .await
        .unwrap();
    assert!(store.org_sso_identities(org).await.unwrap().is_empty());

    let later = now + TimeDelta::minutes(5);
    assert!(
        store
            .first_use_of_saml_assertion(org, "_a1", later, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .first_use_of_saml_assertion(org, "_a1", later, now)
            .await
            .unwrap()
    );
    // Forgotten once expired, when it could no longer be accepted anyway.
    let after = later + TimeDelta::seconds(1);
    assert!(
        store
            .first_use_of_saml_assertion(org, "_a1", after + TimeDelta::minutes(5), after)
            .await
            .unwrap()
    );
    store.set_org_sso(org, None, now).await.unwrap();
    assert_eq!(store.org_sso(org).await.unwrap(), None);
}

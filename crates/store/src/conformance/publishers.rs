//! Trusted publishing: publishers by package name and by issuer, tokens
//! bound to packages, and each CI token exchanged once.

use chrono::{TimeDelta, Utc};
use entrepot_core::trusted::{Grant, GrantedPackage, PublisherSpec};
use entrepot_core::{Id, PackageType, Scopes};

use crate::meta::{MetadataStore, NewTokenRecord};

pub(super) async fn publishers(store: &dyn MetadataStore, alice: Id) {
    let spec = PublisherSpec {
        issuer: "https://ci.example".into(),
        repository: "acme/widget".into(),
        workflow: Some("release.yml".into()),
        git_ref: None,
        environment: Some("release".into()),
    };
    let now = Utc::now();
    let added = store
        .add_publisher(alice, PackageType::Npm, "widget", &spec, Some(alice), now)
        .await
        .unwrap();
    assert_eq!(added.spec, spec);
    assert_eq!(added.created_by, Some(alice));
    let other = PublisherSpec {
        issuer: "https://other.example".into(),
        ..spec.clone()
    };
    store
        .add_publisher(alice, PackageType::Npm, "gadget", &other, None, now)
        .await
        .unwrap();
    let of = store
        .publishers_of(alice, PackageType::Npm, "widget")
        .await
        .unwrap();
    assert_eq!(of, vec![added.clone()]);
    assert!(
        store
            .publishers_of(alice, PackageType::Pypi, "widget")
            .await
            .unwrap()
            .is_empty()
    );
    let by_issuer = store
        .publishers_by_issuer("https://ci.example", PackageType::Npm)
        .await
        .unwrap();
    assert_eq!(by_issuer, vec![added.clone()]);
    assert_eq!(
        store.publisher(added.id).await.unwrap(),
        Some(added.clone())
    );
    assert!(store.remove_publisher(added.id).await.unwrap());
    assert!(!store.remove_publisher(added.id).await.unwrap());
    assert_eq!(store.publisher(added.id).await.unwrap(), None);
    bound_tokens(store, alice).await;
    exchanged_once(store).await;
}

/// A token bound to packages comes back with its grant.
async fn bound_tokens(store: &dyn MetadataStore, alice: Id) {
    let now = Utc::now();
    let grant = Grant {
        packages: vec![GrantedPackage {
            owner_id: alice,
            package_type: PackageType::Npm,
            name: "widget".into(),
        }],
        owners: Vec::new(),
        repositories: Vec::new(),
        via: "acme/widget, release.yml".into(),
    };
    store
        .create_token(NewTokenRecord {
            user_id: alice,
            hash: "bound".into(),
            prefix: "entp_bound".into(),
            scopes: Scopes::NONE,
            note: None,
            expires_at: Some(now + TimeDelta::minutes(15)),
            bound_to: Some(grant.clone()),
        })
        .await
        .unwrap();
    let (record, _) = store.token_by_hash("bound").await.unwrap().unwrap();
    assert_eq!(record.bound_to, Some(grant));
}

/// Each CI token is exchanged once; expired ones are forgotten.
async fn exchanged_once(store: &dyn MetadataStore) {
    let now = Utc::now();
    let later = now + TimeDelta::minutes(5);
    assert!(
        store
            .first_use_of_token("https://ci.example", "j1", later, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .first_use_of_token("https://ci.example", "j1", later, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .first_use_of_token("https://other.example", "j1", later, now)
            .await
            .unwrap()
    );
    let much_later = now + TimeDelta::minutes(10);
    assert!(
        store
            .first_use_of_token(
                "https://ci.example",
                "j2",
                much_later + TimeDelta::minutes(5),
                much_later
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .first_use_of_token(
                "https://ci.example",
                "j1",
                much_later + TimeDelta::minutes(5),
                much_later
            )
            .await
            .unwrap(),
        "an expired token's record is forgotten (and the token itself is refused as expired)"
    );
    let (issuer, jti) = ("https://ci.example", "j2");
    assert_eq!(store.exchanged_for(issuer, jti, "h").await.unwrap(), None);
    store.remember_exchange(issuer, jti, "h", 42).await.unwrap();
    assert_eq!(
        store.exchanged_for(issuer, jti, "h").await.unwrap(),
        Some(42)
    );
    assert_eq!(
        store.exchanged_for(issuer, jti, "other").await.unwrap(),
        None,
        "another token with the same jti is not the same token"
    );
}

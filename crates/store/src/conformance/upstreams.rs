//! Conformance, upstreams: each is an account of its name, in the one
//! namespace of logins, with at most one default per format; removing one
//! takes what was cached under it.

use entrepot_core::{Account, AccountKind, PackageType, Secret, Upstream, Visibility};

use crate::StoreError;
use crate::meta::{
    Fallthrough, MetadataStore, NewPackage, NewUpstream, NewUser, PackageFilter, UpstreamDocument,
};

fn npm(name: &str, is_default: bool) -> NewUpstream {
    NewUpstream {
        name: name.into(),
        format: PackageType::Npm,
        url: "https://registry.npmjs.org/".into(),
        username: Some("reader".into()),
        password: Some(Secret::new("s3cret")),
        metadata_ttl_seconds: 600,
        is_default,
    }
}

pub(super) async fn upstreams(store: &dyn MetadataStore, alice: &Account) {
    let users = store.count_users().await.unwrap();
    let first = store.create_upstream(npm("npmjs", true)).await.unwrap();
    assert_eq!(first.name, "npmjs");
    assert!(first.is_default);
    assert_eq!(first.password, Some(Secret::new("s3cret")));
    let owner = store.account_by_login("NPMJS").await.unwrap().unwrap();
    assert_eq!(
        (owner.id, owner.kind),
        (first.account_id, AccountKind::Upstream)
    );

    // One namespace: neither a user nor another upstream takes the name,
    // and an upstream cannot take a user's.
    let taken = store
        .create_user(NewUser {
            login: "NpmJS".into(),
            ..NewUser::default()
        })
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let taken = store.create_upstream(npm("npmjs", false)).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let taken = store
        .create_upstream(npm(&alice.login.to_uppercase(), false))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        store.count_users().await.unwrap(),
        users,
        "an upstream is no user"
    );

    // A new default takes the place of the old one, for its format only.
    let second = store.create_upstream(npm("mirror", true)).await.unwrap();
    let pypi = store
        .create_upstream(NewUpstream {
            format: PackageType::Pypi,
            username: None,
            password: None,
            ..npm("pypi-org", true)
        })
        .await
        .unwrap();
    let all = store.upstreams().await.unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|u| (u.name.as_str(), u.is_default))
        .collect();
    assert_eq!(
        names,
        [("mirror", true), ("npmjs", false), ("pypi-org", true)]
    );
    assert_eq!(
        store.upstream("PyPI-org").await.unwrap(),
        Some(pypi.clone())
    );
    assert_eq!(pypi.password, None);

    documents(store, &first, &second).await;
    reservations(store, &first, alice).await;
    fallthrough(store, alice, &first, &pypi).await;
    super::upstream_cache::owner_names(store, alice, &pypi).await;
    super::upstream_cache::housekeeping(store, alice, &pypi).await;

    // Removing an upstream removes its account and what was cached.
    let cached = store
        .create_package(NewPackage {
            owner_id: second.account_id,
            package_type: PackageType::Npm,
            name: "left-pad".into(),
            visibility: Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    assert!(store.remove_upstream(second.account_id).await.unwrap());
    assert!(!store.remove_upstream(second.account_id).await.unwrap());
    assert!(
        !store.remove_upstream(alice.id).await.unwrap(),
        "not an upstream"
    );
    assert_eq!(store.package_by_id(cached.id).await.unwrap(), None);
    assert_eq!(store.account_by_login("mirror").await.unwrap(), None);
    let left = store
        .list_packages(PackageFilter {
            owner_id: Some(second.account_id),
            ..PackageFilter::default()
        })
        .await
        .unwrap();
    assert!(left.is_empty());
    assert!(store.upstream("mirror").await.unwrap().is_none());
    assert_eq!(
        store
            .upstream_document(second.account_id, "left-pad")
            .await
            .unwrap(),
        None
    );
    for upstream in [first, pypi] {
        assert!(store.remove_upstream(upstream.account_id).await.unwrap());
    }
}

/// Documents: kept, replaced, revalidated, per upstream.
async fn documents(store: &dyn MetadataStore, first: &Upstream, second: &Upstream) {
    assert_eq!(
        store
            .upstream_document(first.account_id, "left-pad")
            .await
            .unwrap(),
        None
    );
    let at = chrono::Utc::now();
    let mut doc = UpstreamDocument {
        body: r#"{"name":"left-pad"}"#.into(),
        content_type: Some("application/json".into()),
        etag: Some("\"v1\"".into()),
        last_modified: None,
        fetched_at: at,
    };
    store
        .put_upstream_document(first.account_id, "left-pad", &doc)
        .await
        .unwrap();
    doc.body = r#"{"name":"left-pad","v":2}"#.into();
    doc.etag = Some("\"v2\"".into());
    store
        .put_upstream_document(first.account_id, "left-pad", &doc)
        .await
        .unwrap();
    let later = at + chrono::TimeDelta::minutes(5);
    store
        .touch_upstream_document(first.account_id, "left-pad", later)
        .await
        .unwrap();
    let kept = store
        .upstream_document(first.account_id, "left-pad")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (kept.body.as_str(), kept.etag.as_deref()),
        (doc.body.as_str(), Some("\"v2\""))
    );
    assert_eq!(kept.fetched_at.timestamp(), later.timestamp());
    assert_eq!(
        store
            .upstream_document_fetched_at(first.account_id, "left-pad")
            .await
            .unwrap(),
        Some(kept.fetched_at)
    );
    assert_eq!(
        store
            .upstream_document_fetched_at(first.account_id, "right-pad")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .upstream_document(second.account_id, "left-pad")
            .await
            .unwrap(),
        None
    );
    store
        .put_upstream_document(second.account_id, "left-pad", &doc)
        .await
        .unwrap();
}

/// Reservations: a name served from an upstream is taken by no account
/// until it is released.
async fn reservations(store: &dyn MetadataStore, upstream: &Upstream, alice: &Account) {
    let at = chrono::Utc::now();
    store
        .reserve_name("Types", upstream.account_id, at)
        .await
        .unwrap();
    store
        .reserve_name("types", upstream.account_id, at)
        .await
        .unwrap();
    assert_eq!(
        store.reservation("TYPES").await.unwrap(),
        Some(upstream.account_id)
    );
    let user = store
        .create_user(NewUser {
            login: "types".into(),
            ..NewUser::default()
        })
        .await;
    assert!(matches!(user, Err(StoreError::Conflict(_))), "{user:?}");
    let org = store.create_org("TYPES", alice.id).await;
    assert!(matches!(org, Err(StoreError::Conflict(_))), "{org:?}");
    let taken = store.create_upstream(npm("types", false)).await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert!(store.release_name("TyPes").await.unwrap());
    assert!(!store.release_name("types").await.unwrap());
    assert_eq!(store.reservation("types").await.unwrap(), None);
    let org = store.create_org("types", alice.id).await.unwrap();
    assert_eq!(org.login, "types");
}

/// An owner's index falls through to one upstream per format, with the
/// patterns it keeps for itself.
async fn fallthrough(
    store: &dyn MetadataStore,
    alice: &Account,
    first: &Upstream,
    pypi: &Upstream,
) {
    assert_eq!(
        store
            .fallthrough(alice.id, PackageType::Pypi)
            .await
            .unwrap(),
        None
    );
    let to = |upstream: &Upstream, reserved: &[&str]| Fallthrough {
        upstream: upstream.account_id,
        reserved: reserved.iter().map(|r| (*r).to_owned()).collect(),
    };
    store
        .set_fallthrough(alice.id, PackageType::Pypi, Some(&to(first, &[])))
        .await
        .unwrap();
    let second = to(pypi, &["acme-*", "internal"]);
    store
        .set_fallthrough(alice.id, PackageType::Pypi, Some(&second))
        .await
        .unwrap();
    assert_eq!(
        store
            .fallthrough(alice.id, PackageType::Pypi)
            .await
            .unwrap(),
        Some(second)
    );
    assert_eq!(
        store.fallthrough(alice.id, PackageType::Npm).await.unwrap(),
        None
    );
    store
        .set_fallthrough(alice.id, PackageType::Pypi, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .fallthrough(alice.id, PackageType::Pypi)
            .await
            .unwrap(),
        None
    );
}

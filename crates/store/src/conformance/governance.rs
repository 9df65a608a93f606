//! Conformance, lifecycle governance: cleanup rules and immutable tags
//! kept per owner, storage usage with each blob once per owner, and the
//! names of purged packages.

use chrono::Utc;
use entrepot_core::cleanup::RuleSpec;
use entrepot_core::{Digests, PackageType, Visibility};

use crate::meta::{BlobLink, MetadataStore, NewFile, NewPackage, NewUser, NewVersion};

pub(super) async fn governance(store: &dyn MetadataStore) {
    let owner = store
        .create_user(NewUser {
            login: "keeper".into(),
            ..NewUser::default()
        })
        .await
        .unwrap();
    let spec = RuleSpec {
        format: Some(PackageType::Npm),
        keep_newest: Some(3),
        ..RuleSpec::default()
    };
    let rule = store
        .add_cleanup_rule(owner.id, &spec, Utc::now())
        .await
        .unwrap();
    assert_eq!(rule.spec, spec);
    assert_eq!(
        store.cleanup_rules(Some(owner.id)).await.unwrap(),
        std::slice::from_ref(&rule)
    );
    assert!(store.cleanup_rules(None).await.unwrap().contains(&rule));
    assert!(store.remove_cleanup_rule(owner.id, rule.id).await.unwrap());
    assert!(!store.remove_cleanup_rule(owner.id, rule.id).await.unwrap());

    let tag = store
        .add_immutable_tag(owner.id, Some(PackageType::Container), "v*", Utc::now())
        .await
        .unwrap();
    let all = store
        .add_immutable_tag(owner.id, None, "stable", Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.immutable_tags(Some(owner.id)).await.unwrap(),
        [tag.clone(), all]
    );
    assert!(store.remove_immutable_tag(owner.id, tag.id).await.unwrap());

    quotas(store, owner.id).await;
    usage(store, owner.id).await;
}

/// Quotas are kept per owner and format, replaced when set again.
async fn quotas(store: &dyn MetadataStore, owner: i64) {
    use entrepot_core::quota::{Limits, Quota};
    let all = Quota {
        owner_id: owner,
        format: None,
        limits: Limits {
            bytes: Some(1 << 40),
            package_bytes: Some(1 << 30),
            versions: None,
        },
    };
    let npm = Quota {
        owner_id: owner,
        format: Some(PackageType::Npm),
        limits: Limits {
            versions: Some(3),
            ..Limits::default()
        },
    };
    store.set_quota(&npm).await.unwrap();
    store.set_quota(&all).await.unwrap();
    let mut again = npm.clone();
    again.limits.package_bytes = Some(10);
    store.set_quota(&again).await.unwrap();
    assert_eq!(
        store.quotas(Some(owner)).await.unwrap(),
        [all.clone(), again.clone()]
    );
    assert!(store.quotas(None).await.unwrap().contains(&again));
    assert!(
        store
            .remove_quota(owner, Some(PackageType::Npm))
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_quota(owner, Some(PackageType::Npm))
            .await
            .unwrap()
    );
    assert_eq!(store.quotas(Some(owner)).await.unwrap(), [all]);
    assert!(store.remove_quota(owner, None).await.unwrap());
}

async fn package(
    store: &dyn MetadataStore,
    owner: i64,
    package_type: PackageType,
    name: &str,
) -> entrepot_core::Package {
    store
        .create_package(NewPackage {
            owner_id: owner,
            package_type,
            name: name.into(),
            visibility: Visibility::Private,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap()
}

/// Two packages sharing a file's content and an image sharing a layer:
/// the owner counts each blob once; its packages each their own.
async fn usage(store: &dyn MetadataStore, owner: i64) {
    let at = Utc::now();
    let file = |name: &str, sha: char, size: u64| NewFile {
        name: name.into(),
        size,
        sha256: sha.to_string().repeat(64),
        digests: Digests::default(),
        content_type: None,
    };
    for (name, files) in [
        ("one", vec![file("a.tgz", 'a', 100), file("b.tgz", 'b', 10)]),
        ("two", vec![file("a.tgz", 'a', 100)]),
    ] {
        let pkg = package(store, owner, PackageType::Npm, name).await;
        store
            .publish_version(NewVersion {
                package_id: pkg.id,
                name: "1.0.0".into(),
                metadata: serde_json::json!({}),
                publisher_id: Some(owner),
                files,
                tags: vec![],
                at,
            })
            .await
            .unwrap();
    }
    let image = package(store, owner, PackageType::Container, "app").await;
    store
        .publish_version(NewVersion {
            package_id: image.id,
            name: "sha256:1".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(owner),
            files: vec![file("manifest.json", 'm', 5)],
            tags: vec![],
            at,
        })
        .await
        .unwrap();
    for digest in ["sha256:layer", "sha256:again"] {
        let link = BlobLink {
            owner_id: owner,
            package_type: PackageType::Container,
            repository: "app".into(),
            digest: digest.into(),
            sha256: "l".repeat(64),
            size: 1000,
        };
        store.link_blob(&link, at).await.unwrap();
    }
    let usage = store.usage(owner).await.unwrap();
    assert_eq!(usage.bytes, 100 + 10 + 5 + 1000);
    let mut by_format = usage.by_format.clone();
    by_format.sort();
    let mut expected = vec![(PackageType::Npm, 110), (PackageType::Container, 1005)];
    expected.sort();
    assert_eq!(by_format, expected);
    let of = |name: &str| {
        usage
            .packages
            .iter()
            .find(|p| p.name == name)
            .map(|p| (p.bytes, p.versions, p.deleted_versions))
    };
    assert_eq!(of("one"), Some((110, 1, 0)));
    assert_eq!(of("two"), Some((100, 1, 0)));
    assert_eq!(of("app"), Some((1005, 1, 0)));
    assert!(store.package_owners().await.unwrap().contains(&owner));
    assert_eq!(
        store.stored_bytes(owner, None, None).await.unwrap(),
        usage.bytes
    );
    let npm = Some(PackageType::Npm);
    assert_eq!(store.stored_bytes(owner, npm, None).await.unwrap(), 110);
    assert_eq!(
        store.stored_bytes(owner, npm, Some("two")).await.unwrap(),
        100
    );
    assert_eq!(
        store
            .stored_bytes(owner, Some(PackageType::Container), Some("app"))
            .await
            .unwrap(),
        1005
    );
    pending_layer(store, owner).await;

    // A purged package's name stays the owner's.
    store.purge_package(image.id).await.unwrap();
    assert_eq!(
        store
            .purged_names(owner, PackageType::Container)
            .await
            .unwrap(),
        ["app"]
    );
}

/// A layer pushed to a repository with no manifest yet counts for its
/// format (the image above holds 1,005 bytes).
async fn pending_layer(store: &dyn MetadataStore, owner: i64) {
    let at = Utc::now();
    let pending = BlobLink {
        owner_id: owner,
        package_type: PackageType::Container,
        repository: "pending".into(),
        digest: "sha256:pending".into(),
        sha256: "p".repeat(64),
        size: 7,
    };
    store.link_blob(&pending, at).await.unwrap();
    assert_eq!(
        store
            .stored_bytes(owner, Some(PackageType::Container), None)
            .await
            .unwrap(),
        1012
    );
    let usage = store.usage(owner).await.unwrap();
    assert!(usage.by_format.contains(&(PackageType::Container, 1012)));
}

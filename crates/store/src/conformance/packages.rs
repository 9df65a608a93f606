//! Conformance, packages: one live package per owner, type and name, its
//! grants, deleting and restoring it, pages and counts, updates, and the
//! purge job.

use chrono::Utc;
use entrepot_core::{
    Account, Package, PackageType, Repository, Role, Timestamp, Version, Visibility,
};

use crate::StoreError;
use entrepot_core::{ReadScope, UserReads};

use crate::meta::{
    MetadataStore, NewPackage, PackageFilter, PackageSearch, PackageUpdate, SearchOrder,
};

/// Packages: one live package per owner, type and name; grants per user.
/// Returns the package and what created it, for the pages to copy.
pub(super) async fn create_with_roles(
    store: &dyn MetadataStore,
    alice: &Account,
    bob: &Account,
    repo: &Repository,
) -> (Package, NewPackage) {
    let new_package = NewPackage {
        owner_id: alice.id,
        package_type: PackageType::Npm,
        name: "hello".into(),
        visibility: Visibility::Private,
        repository_id: Some(repo.id),
        inherit_access: true,
        description: Some("greets".into()),
        readme: None,
    };
    let pkg = store.create_package(new_package.clone()).await.unwrap();
    assert_eq!(pkg.owner_login, "alice");
    assert!(matches!(
        store.create_package(new_package.clone()).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_package_role(pkg.id, bob.id, Some(Role::Read))
        .await
        .unwrap();
    assert_eq!(
        store.package_role(pkg.id, bob.id).await.unwrap(),
        Some(Role::Read)
    );
    assert_eq!(
        store.package_roles(pkg.id).await.unwrap(),
        vec![(bob.id, Role::Read)]
    );
    store.set_package_role(pkg.id, bob.id, None).await.unwrap();
    assert!(store.package_roles(pkg.id).await.unwrap().is_empty());
    assert_eq!(store.package_role(pkg.id, bob.id).await.unwrap(), None);
    (pkg, new_package)
}

/// A deleted package frees its name; the deleted one is still found for restore.
pub(super) async fn delete_and_restore(
    store: &dyn MetadataStore,
    pkg: &Package,
    alice: &Account,
    repo: &Repository,
    at: Timestamp,
) {
    store.set_package_deleted(pkg.id, Some(at)).await.unwrap();
    assert!(
        store
            .package(alice.id, PackageType::Npm, "hello", false)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .package(alice.id, PackageType::Npm, "hello", true)
            .await
            .unwrap()
            .unwrap()
            .id,
        pkg.id
    );
    let listed = store
        .list_packages(PackageFilter {
            owner_id: Some(alice.id),
            ..PackageFilter::default()
        })
        .await
        .unwrap();
    assert!(listed.is_empty());
    let deleted_only = |owner_id| PackageFilter {
        owner_id: Some(owner_id),
        only_deleted: true,
        ..PackageFilter::default()
    };
    let deleted = store.list_packages(deleted_only(alice.id)).await.unwrap();
    assert_eq!(
        deleted.iter().map(|p| p.id).collect::<Vec<_>>(),
        [pkg.id],
        "the deleted ones alone"
    );
    store.set_package_deleted(pkg.id, None).await.unwrap();
    assert!(
        store
            .list_packages(deleted_only(alice.id))
            .await
            .unwrap()
            .is_empty()
    );
    let listed = store
        .list_packages(PackageFilter {
            repository_id: Some(repo.id),
            ..PackageFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

/// Pages and counts; the running count follows deletes, restores and purges.
pub(super) async fn pages_and_counts(
    store: &dyn MetadataStore,
    alice: &Account,
    new_package: &NewPackage,
) {
    for name in ["p1", "p2", "p3"] {
        store
            .create_package(NewPackage {
                name: name.into(),
                repository_id: None,
                ..new_package.clone()
            })
            .await
            .unwrap();
    }
    let all = PackageFilter {
        owner_id: Some(alice.id),
        package_type: Some(PackageType::Npm),
        ..PackageFilter::default()
    };
    assert_eq!(store.count_packages(all.clone()).await.unwrap(), 4);
    let page = store
        .list_packages(PackageFilter {
            offset: Some(1),
            limit: Some(2),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["p1", "p2"]
    );
    let rest = store
        .list_packages(PackageFilter {
            offset: Some(3),
            ..all.clone()
        })
        .await
        .unwrap();
    assert_eq!(rest.len(), 1);
    let public = PackageFilter {
        visibility: Some(Visibility::Public),
        ..all.clone()
    };
    assert_eq!(store.count_packages(public).await.unwrap(), 0);
    search_pages_keep_their_order(store, alice).await;
    an_owners_total_follows_the_readers_scope(store, alice, new_package).await;
    // The running count follows deletes, restores and purges.
    let p1 = page[0].clone();
    store
        .set_package_deleted(p1.id, Some(Utc::now()))
        .await
        .unwrap();
    store
        .set_package_deleted(p1.id, Some(Utc::now()))
        .await
        .unwrap();
    assert_eq!(store.count_packages(all.clone()).await.unwrap(), 3);
    store.set_package_deleted(p1.id, None).await.unwrap();
    assert_eq!(store.count_packages(all.clone()).await.unwrap(), 4);
    store
        .set_package_deleted(p1.id, Some(Utc::now()))
        .await
        .unwrap();
    store.purge_package(p1.id).await.unwrap();
    assert_eq!(store.count_packages(all.clone()).await.unwrap(), 3);
    store
        .create_package(NewPackage {
            name: "p1".into(),
            repository_id: None,
            ..new_package.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.count_packages(all.clone()).await.unwrap(), 4);
    assert_eq!(
        store.list_packages(all.clone()).await.unwrap().len(),
        4,
        "the count agrees with the rows"
    );
}

/// An update changes the fields it names and keeps the others.
pub(super) async fn update(store: &dyn MetadataStore, pkg: &Package, at: Timestamp) {
    let updated = store
        .update_package(
            pkg.id,
            PackageUpdate {
                visibility: Some(Visibility::Public),
                readme: Some(Some("# Hi".into())),
                ..PackageUpdate::default()
            },
            at,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            updated.visibility,
            updated.readme.as_deref(),
            updated.description.as_deref()
        ),
        (Visibility::Public, Some("# Hi"), Some("greets"))
    );
}

/// The purge job finds what was deleted before a cutoff, and purges it whole.
pub(super) async fn purge_expired(
    store: &dyn MetadataStore,
    pkg: &Package,
    v1: &Version,
    at: Timestamp,
) {
    let later = at + chrono::TimeDelta::seconds(10);
    store.set_version_deleted(v1.id, Some(at)).await.unwrap();
    assert_eq!(store.expired_versions(later).await.unwrap(), vec![v1.id]);
    assert!(store.expired_versions(at).await.unwrap().is_empty());
    store.set_package_deleted(pkg.id, Some(at)).await.unwrap();
    assert!(
        store.expired_versions(later).await.unwrap().is_empty(),
        "a deleted package's versions go with it"
    );
    assert_eq!(store.expired_packages(later).await.unwrap(), vec![pkg.id]);
    store.purge_package(pkg.id).await.unwrap();
    assert!(store.package_by_id(pkg.id).await.unwrap().is_none());
    assert!(store.version_by_id(v1.id).await.unwrap().is_none());
    assert!(!store.blob_referenced(&"a".repeat(64)).await.unwrap());
}

/// A search's pages come in its order, each page where the last left off.
async fn search_pages_keep_their_order(store: &dyn MetadataStore, alice: &Account) {
    let search = |order, offset, limit| PackageSearch {
        order,
        offset,
        limit,
        ..owner_search(alice, true)
    };
    for order in [SearchOrder::Name, SearchOrder::Updated] {
        let all = store.search_packages(search(order, 0, 100)).await.unwrap();
        assert_eq!(all.total, 4);
        let names: Vec<_> = all.found.iter().map(|f| f.package.name.clone()).collect();
        if order == SearchOrder::Name {
            let mut sorted = names.clone();
            sorted.sort_by_key(|n| n.to_lowercase());
            assert_eq!(names, sorted);
        }
        let mut paged = Vec::new();
        for offset in (0..4).step_by(3) {
            let page = store
                .search_packages(search(order, offset, 3))
                .await
                .unwrap();
            assert_eq!(page.total, 4);
            paged.extend(page.found.into_iter().map(|f| f.package.name));
        }
        assert_eq!(paged, names, "{order:?}");
    }
}

/// Everything of `alice`'s npm packages, read by her with a token that has
/// `repo` (`repository_scoped`) or not.
fn owner_search(alice: &Account, repository_scoped: bool) -> PackageSearch {
    PackageSearch {
        owner_id: Some(alice.id),
        package_type: Some(PackageType::Npm),
        readable: ReadScope::User(UserReads {
            user: alice.id,
            non_public: true,
            repository_scoped,
            owns: vec![alice.id],
            ..UserReads::default()
        }),
        limit: 100,
        ..PackageSearch::default()
    }
}

/// An owner's total, counted from the running counts, is what the rows
/// give: without `repo`, a private repository-scoped package is not read.
async fn an_owners_total_follows_the_readers_scope(
    store: &dyn MetadataStore,
    alice: &Account,
    new_package: &NewPackage,
) {
    let mut made = Vec::new();
    for (name, visibility) in [
        ("m-open", Visibility::Public),
        ("m-closed", Visibility::Private),
    ] {
        let maven = store
            .create_package(NewPackage {
                name: name.into(),
                package_type: PackageType::Maven,
                visibility,
                repository_id: None,
                ..new_package.clone()
            })
            .await
            .unwrap();
        made.push(maven.id);
    }
    for (repo, package_type, expected) in [
        (true, None, 6),
        (false, None, 5),
        (false, Some(PackageType::Maven), 1),
        (true, Some(PackageType::Maven), 2),
    ] {
        let search = PackageSearch {
            package_type,
            ..owner_search(alice, repo)
        };
        let page = store.search_packages(search).await.unwrap();
        assert_eq!(page.total, expected, "repo {repo}, {package_type:?}");
        assert_eq!(
            page.found.len() as u64,
            expected,
            "repo {repo}, {package_type:?}"
        );
    }
    for id in made {
        store.purge_package(id).await.unwrap();
    }
}

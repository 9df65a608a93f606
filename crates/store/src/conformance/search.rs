//! Conformance, searching by words across owners: matches come best kind
//! first (exact name, a name that contains the text, the owner's packages,
//! words, the start of a word), newest first within a kind, only readable
//! ones, and a page that stops early says there may be more.

use entrepot_core::{PackageType, ReadScope, Visibility};

use crate::meta::{MetadataStore, NewPackage, NewUser, PackageSearch, SearchOrder, SearchPage};

pub(super) async fn by_words(store: &dyn MetadataStore) {
    let owner = store
        .create_user(NewUser {
            login: "tiersmith".into(),
            name: None,
            email: None,
            password_hash: None,
            site_admin: false,
        })
        .await
        .unwrap();
    let mut made = Vec::new();
    for (name, description, visibility) in [
        ("lpad-left", "strings", Visibility::Public),
        ("pad", "none", Visibility::Public),
        ("notes", "a pad of paper", Visibility::Public),
        ("paddle", "boats", Visibility::Public),
        ("scribble", "paddington bear", Visibility::Public),
        ("hidden-pad", "a pad", Visibility::Private),
    ] {
        let package = store
            .create_package(NewPackage {
                owner_id: owner.id,
                package_type: PackageType::Npm,
                name: name.into(),
                visibility,
                repository_id: None,
                inherit_access: false,
                description: Some(description.into()),
                readme: None,
            })
            .await
            .unwrap();
        made.push(package.id);
    }
    let search = |text: &str, offset, limit| PackageSearch {
        text: text.into(),
        readable: ReadScope::Public,
        offset,
        limit,
        ..PackageSearch::default()
    };
    let names = |page: &SearchPage| -> Vec<String> {
        page.found.iter().map(|f| f.package.name.clone()).collect()
    };
    let all = store.search_packages(search("pad", 0, 100)).await.unwrap();
    assert_eq!(
        names(&all),
        ["pad", "paddle", "lpad-left", "notes", "scribble"],
        "exact, inside names (newest first), words, the start of a word; never the private one"
    );
    assert_eq!((all.total, all.at_least), (5, false));
    let first = store.search_packages(search("pad", 0, 2)).await.unwrap();
    assert_eq!(names(&first), ["pad", "paddle"]);
    assert!(first.at_least && first.total >= 3, "{first:?}");
    let last = store.search_packages(search("pad", 4, 2)).await.unwrap();
    assert_eq!(names(&last), ["scribble"]);
    assert_eq!((last.total, last.at_least), (5, false));
    let by_name = store
        .search_packages(PackageSearch {
            order: SearchOrder::Name,
            ..search("PAD", 0, 100)
        })
        .await
        .unwrap();
    assert_eq!(
        names(&by_name),
        ["lpad-left", "notes", "pad", "paddle", "scribble"]
    );
    // An owner's name finds their packages; with a name, inside theirs.
    let theirs = store
        .search_packages(search("tiersmith", 0, 100))
        .await
        .unwrap();
    assert_eq!(theirs.found.len(), 5, "{:?}", names(&theirs));
    let within = store
        .search_packages(search("@tiersmith/pad", 0, 100))
        .await
        .unwrap();
    assert_eq!(names(&within), ["pad", "paddle", "lpad-left"]);
    // Inside a name, punctuation and all; other types find nothing.
    let inside = store.search_packages(search("d-le", 0, 100)).await.unwrap();
    assert_eq!(names(&inside), ["lpad-left"]);
    let maven = PackageSearch {
        package_type: Some(PackageType::Maven),
        ..search("pad", 0, 100)
    };
    assert!(store.search_packages(maven).await.unwrap().found.is_empty());
    every_owners_packages(store).await;
    for id in made {
        store.purge_package(id).await.unwrap();
    }
}

/// Every owner's packages without words (the home page): read one past
/// the page instead of counted, and counted past the end.
async fn every_owners_packages(store: &dyn MetadataStore) {
    let names = |page: &SearchPage| -> Vec<String> {
        page.found.iter().map(|f| f.package.name.clone()).collect()
    };
    let listing = |offset, limit| PackageSearch {
        readable: ReadScope::Public,
        order: SearchOrder::Updated,
        offset,
        limit,
        ..PackageSearch::default()
    };
    let first = store.search_packages(listing(0, 2)).await.unwrap();
    assert_eq!(
        (first.found.len(), first.total, first.at_least),
        (2, 3, true)
    );
    let whole = store.search_packages(listing(0, 1000)).await.unwrap();
    assert!(!whole.at_least && whole.total >= 5, "{whole:?}");
    assert_eq!(whole.total, whole.found.len() as u64);
    assert_eq!(
        names(&whole)[0],
        "scribble",
        "the most recently updated first"
    );
    let past = store.search_packages(listing(1_000_000, 2)).await.unwrap();
    assert_eq!((past.total, past.at_least), (whole.total, false));
}

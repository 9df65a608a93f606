//! Package search finds exactly what the rule lets each caller read: the
//! store's read condition (the rule written in SQL) against `can_read`
//! (the rule itself), over every kind of caller and package, on SQLite
//! and on PostgreSQL.

use std::collections::BTreeSet;
use std::sync::Arc;

use entrepot_core::{Actor, Id, OrgRole, PackageType, Policy, Role, Scopes, Visibility};
use entrepot_service::{Limits, Registry};
use entrepot_store::{
    FsBlobStore, MetadataStore, NewPackage, NewRepository, NewUser, PackageSearch, SearchOrder,
    SqlStore, SqliteStore,
};

/// The callers: who they are, as the rule sees them.
struct Callers {
    all: Vec<(String, Actor)>,
}

fn user(id: Id, login: &str, site_admin: bool, scopes: &str) -> Actor {
    Actor::User {
        id,
        login: login.to_owned(),
        site_admin,
        scopes: Scopes::parse_list(scopes).unwrap(),
        token_id: None,
        session: None,
        grant: None,
    }
}

#[expect(clippy::too_many_lines, reason = "one world, built in one place")]
async fn world(store: &Arc<dyn MetadataStore>) -> (Registry, Callers, Vec<Id>) {
    let blobs_dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobStore::open(blobs_dir.path().join("blobs"))
        .await
        .unwrap();
    // The blobs are never read here; the folder may outlive the test.
    std::mem::forget(blobs_dir);
    let registry = Registry::new(
        store.clone(),
        Arc::new(blobs),
        Policy::default(),
        Limits::default(),
    );
    let mut ids = std::collections::HashMap::new();
    for login in ["alice", "bob", "carol", "dave", "erin", "root"] {
        let account = store
            .create_user(NewUser {
                login: login.into(),
                name: None,
                email: None,
                password_hash: None,
                site_admin: login == "root",
            })
            .await
            .unwrap();
        ids.insert(login, account.id);
    }
    let acme = store.create_org("acme", ids["alice"]).await.unwrap();
    store
        .set_org_member(acme.id, ids["bob"], OrgRole::Member)
        .await
        .unwrap();
    store
        .set_org_member(acme.id, ids["dave"], OrgRole::Member)
        .await
        .unwrap();
    // An organization whose single sign-on none of these credentials passed.
    let guarded = store.create_org("guarded", ids["bob"]).await.unwrap();
    store
        .set_org_member(guarded.id, ids["carol"], OrgRole::Member)
        .await
        .unwrap();
    store
        .set_org_sso(guarded.id, Some("corp"), chrono::Utc::now())
        .await
        .unwrap();
    let mut repositories: Vec<(Id, Vec<Id>)> = Vec::new();
    for (owner, names) in [
        (acme.id, vec!["open", "closed", "inside"]),
        (ids["carol"], vec!["mine"]),
        (guarded.id, vec!["g"]),
        (ids["alice"], vec![]),
    ] {
        let mut made = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let visibility = [
                Visibility::Public,
                Visibility::Private,
                Visibility::Internal,
            ][i % 3];
            let repo = store
                .create_repository(NewRepository {
                    owner_id: owner,
                    name: name.into(),
                    visibility: if name == "mine" {
                        Visibility::Private
                    } else {
                        visibility
                    },
                    description: None,
                    code_url: None,
                })
                .await
                .unwrap();
            made.push(repo.id);
        }
        repositories.push((owner, made));
    }
    let closed = repositories[0].1[1];
    let inside = repositories[0].1[2];
    store
        .set_collaborator(closed, ids["carol"], Role::Read)
        .await
        .unwrap();
    store
        .set_collaborator(inside, ids["erin"], Role::Write)
        .await
        .unwrap();
    let mut packages = Vec::new();
    let mut n = 0;
    for (owner, repos) in &repositories {
        let choices: Vec<Option<Id>> = std::iter::once(None)
            .chain(repos.iter().copied().map(Some))
            .chain(std::iter::once(Some(closed)))
            .collect();
        for package_type in [PackageType::Npm, PackageType::Maven] {
            for visibility in [
                Visibility::Public,
                Visibility::Private,
                Visibility::Internal,
            ] {
                for repository_id in &choices {
                    for inherit_access in [true, false] {
                        n += 1;
                        let package = store
                            .create_package(NewPackage {
                                owner_id: *owner,
                                package_type,
                                name: format!("p{n}"),
                                visibility,
                                repository_id: *repository_id,
                                inherit_access,
                                description: (n % 3 == 0).then(|| "a handy widget".into()),
                                readme: (n % 3 == 1).then(|| "# Usage\n\nthe gadget".into()),
                            })
                            .await
                            .unwrap();
                        packages.push(package.id);
                        // Grants to dave and bob on some of them.
                        if n % 5 == 0 {
                            store
                                .set_package_role(package.id, ids["dave"], Some(Role::Read))
                                .await
                                .unwrap();
                        }
                        if n % 7 == 0 {
                            store
                                .set_package_role(package.id, ids["erin"], Some(Role::Admin))
                                .await
                                .unwrap();
                        }
                    }
                }
            }
        }
    }
    let full = "read:packages,write:packages,repo";
    let callers = Callers {
        all: vec![
            ("anonymous".into(), Actor::Anonymous),
            ("alice".into(), user(ids["alice"], "alice", false, full)),
            ("bob".into(), user(ids["bob"], "bob", false, full)),
            (
                "bob without repo".into(),
                user(ids["bob"], "bob", false, "read:packages"),
            ),
            ("carol".into(), user(ids["carol"], "carol", false, full)),
            ("dave".into(), user(ids["dave"], "dave", false, full)),
            ("erin".into(), user(ids["erin"], "erin", false, full)),
            (
                "erin without scopes".into(),
                user(ids["erin"], "erin", false, ""),
            ),
            ("root".into(), user(ids["root"], "root", true, full)),
        ],
    };
    (registry, callers, packages)
}

/// Every page of a search, as the ids found, checking the totals agree.
async fn every_page(registry: &Registry, actor: &Actor, text: &str, order: SearchOrder) -> Vec<Id> {
    let mut found = Vec::new();
    loop {
        let page = registry
            .packages()
            .search(
                actor,
                PackageSearch {
                    text: text.into(),
                    order,
                    offset: found.len() as u64,
                    limit: 7,
                    ..PackageSearch::default()
                },
            )
            .await
            .unwrap();
        let done = page.found.len() < 7;
        found.extend(page.found.iter().map(|f| f.package.id));
        assert!(page.total >= found.len() as u64);
        if done {
            assert_eq!(
                page.total,
                found.len() as u64,
                "the total counts every page"
            );
            return found;
        }
    }
}

async fn search_agrees_with_the_rule(store: Arc<dyn MetadataStore>) {
    let (registry, callers, packages) = world(&store).await;
    for (who, actor) in &callers.all {
        let mut readable = Vec::new();
        for id in &packages {
            let package = store.package_by_id(*id).await.unwrap().unwrap();
            if registry.can_read(actor, &package).await.unwrap() {
                readable.push(package);
            }
        }
        let ids = |wanted: &dyn Fn(&entrepot_core::Package) -> bool| -> BTreeSet<Id> {
            readable
                .iter()
                .filter(|p| wanted(p))
                .map(|p| p.id)
                .collect()
        };
        for order in [
            SearchOrder::Updated,
            SearchOrder::Name,
            SearchOrder::Downloads,
        ] {
            let all = every_page(&registry, actor, "", order).await;
            assert_eq!(
                all.len(),
                BTreeSet::from_iter(all.clone()).len(),
                "{who}: no repeats"
            );
            assert_eq!(BTreeSet::from_iter(all), ids(&|_| true), "{who}, {order:?}");
        }
        let widgets = every_page(&registry, actor, "Widget", SearchOrder::Relevance).await;
        assert_eq!(
            BTreeSet::from_iter(widgets),
            ids(&|p| p
                .description
                .as_deref()
                .is_some_and(|d| d.contains("widget"))),
            "{who}: words in descriptions"
        );
        let gadgets = every_page(&registry, actor, "gadg", SearchOrder::Relevance).await;
        assert_eq!(
            BTreeSet::from_iter(gadgets),
            ids(&|p| p.readme.as_deref().is_some_and(|d| d.contains("gadget"))),
            "{who}: the start of a word in READMEs"
        );
    }
    // Not a vacuous agreement: the callers see different things.
    let counts: BTreeSet<usize> = {
        let mut counts = BTreeSet::new();
        for (_, actor) in &callers.all {
            counts.insert(
                every_page(&registry, actor, "", SearchOrder::Updated)
                    .await
                    .len(),
            );
        }
        counts
    };
    assert!(counts.len() >= 5, "{counts:?}");
}

#[tokio::test]
async fn sqlite_search_finds_exactly_what_each_caller_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_path(&dir.path().join("m.db"))
        .await
        .unwrap();
    search_agrees_with_the_rule(Arc::new(store)).await;
}

#[tokio::test]
async fn postgres_search_finds_exactly_what_each_caller_may_read() {
    let db = entrepot_store::testing::TestDatabase::create().await;
    let store = SqlStore::open(&db.url).await.unwrap();
    search_agrees_with_the_rule(Arc::new(store)).await;
    db.drop_now().await;
}

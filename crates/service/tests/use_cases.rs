//! The shared use cases against real SQLite and file-system stores.

use std::sync::Arc;

use entrepot_store::MetadataStore;

use entrepot_core::{Action, Actor, OrgRole, PackageType, Policy, Role, Scopes, Visibility};
use entrepot_service::auth::Credential;
use entrepot_service::packages::{Publication, StagedFile};
use entrepot_service::{Limits, Registry, ServiceError};
use entrepot_store::blob::stream_of;
use entrepot_store::{Expected, FsBlobStore, PackageUpdate, SqliteStore};

struct World {
    registry: Registry,
    /// The registry's own store, for what a test checks beneath the
    /// service (a buffered count not yet written, a blob's references).
    store: Arc<dyn MetadataStore>,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let meta = SqliteStore::open_path(&dir.path().join("m.db"))
        .await
        .unwrap();
    let blobs = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    let store: Arc<dyn MetadataStore> = Arc::new(meta);
    let registry = Registry::new(
        store.clone(),
        Arc::new(blobs),
        Policy::default(),
        Limits::default(),
    );
    for user in ["alice", "bob", "carol"] {
        registry
            .accounts()
            .create_user(user, None, false, None)
            .await
            .unwrap();
    }
    registry
        .accounts()
        .create_org("acme", "alice")
        .await
        .unwrap();
    registry
        .accounts()
        .add_org_member("acme", "bob", OrgRole::Member)
        .await
        .unwrap();
    World {
        registry,
        store,
        _dir: dir,
    }
}

async fn actor(r: &Registry, login: &str, scopes: &str) -> Actor {
    let t = r
        .accounts()
        .create_token(login, Scopes::parse_list(scopes).unwrap(), None, None)
        .await
        .unwrap();
    r.sessions()
        .authenticate(&Credential::Token(t.secret))
        .await
        .unwrap()
}

async fn publication(r: &Registry, owner: &str, name: &str, version: &str) -> Publication {
    let blob = r
        .blobs()
        .store_blob(stream_of(format!("{name}@{version}")), Expected::default())
        .await
        .unwrap();
    Publication {
        owner: owner.into(),
        package_type: PackageType::Npm,
        name: name.into(),
        version: version.into(),
        metadata: serde_json::json!({}),
        files: vec![StagedFile {
            name: format!("{name}-{version}.tgz"),
            blob,
            content_type: None,
        }],
        tags: vec!["latest".into()],
        repository: None,
        description: None,
        readme: Some("# readme".into()),
    }
}

#[tokio::test]
async fn first_publish_creates_a_private_package_and_republishing_a_version_conflicts() {
    let w = world().await;
    let r = &w.registry;
    let alice = actor(r, "alice", "write:packages").await;
    let (pkg, v) = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    assert_eq!(pkg.visibility, Visibility::Private);
    assert_eq!(pkg.readme.as_deref(), Some("# readme"));
    assert_eq!(w.store.tags(pkg.id).await.unwrap()[0].version_id, v.id);
    let again = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await;
    assert!(
        matches!(again, Err(ServiceError::Conflict(ref m)) if m.contains("Cannot publish over existing version"))
    );
}

#[tokio::test]
async fn strangers_cannot_see_or_publish_into_a_private_package() {
    let w = world().await;
    let r = &w.registry;
    let alice = actor(r, "alice", "write:packages").await;
    let carol = actor(r, "carol", "write:packages").await;
    r.packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    let into_existing = r
        .packages()
        .publish(&carol, publication(r, "alice", "hello", "2.0.0").await)
        .await;
    // Answered as a new name would be, so that it reveals nothing.
    assert!(matches!(into_existing, Err(ServiceError::Forbidden(_))));
    let new_in_alices_namespace = r
        .packages()
        .publish(&carol, publication(r, "alice", "other", "1.0.0").await)
        .await;
    assert!(matches!(
        new_in_alices_namespace,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        r.packages()
            .readable_package(&carol, "alice", PackageType::Npm, "hello")
            .await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        r.packages()
            .readable_package(&Actor::Anonymous, "alice", PackageType::Npm, "hello")
            .await,
        Err(ServiceError::Unauthenticated)
    ));
}

#[tokio::test]
async fn an_org_member_creates_an_org_package_and_becomes_its_admin() {
    let w = world().await;
    let r = &w.registry;
    let bob = actor(r, "bob", "write:packages,delete:packages").await;
    let carol = actor(r, "carol", "write:packages").await;
    let (pkg, _) = r
        .packages()
        .publish(&bob, publication(r, "acme", "tool", "1.0.0").await)
        .await
        .unwrap();
    assert_eq!(
        w.store
            .package_role(pkg.id, r.accounts().account("bob").await.unwrap().id)
            .await
            .unwrap(),
        Some(Role::Admin)
    );
    assert!(
        r.packages()
            .publish(&carol, publication(r, "acme", "tool2", "1.0.0").await)
            .await
            .is_err()
    );
    // Alice owns the organization, so she administers its packages.
    let alice = actor(r, "alice", "read:packages,delete:packages").await;
    r.authorize_package(&alice, Action::Delete, &pkg)
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_and_restore_follow_githubs_rules() {
    let w = world().await;
    let r = &w.registry;
    let alice = actor(r, "alice", "write:packages,delete:packages").await;
    let writer_only = actor(r, "alice", "write:packages").await;
    let (pkg, v1) = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    let (_, v2) = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.1.0").await)
        .await
        .unwrap();
    assert!(matches!(
        r.packages().delete_version(&writer_only, &pkg, &v2).await,
        Err(ServiceError::Forbidden(_))
    ));
    r.packages()
        .delete_version(&alice, &pkg, &v2)
        .await
        .unwrap();
    // The number stays taken inside the package.
    assert!(matches!(
        r.packages()
            .publish(&alice, publication(r, "alice", "hello", "1.1.0").await)
            .await,
        Err(ServiceError::Conflict(_))
    ));
    let v2 = w.store.version_by_id(v2.id).await.unwrap().unwrap();
    r.packages()
        .restore_version(&alice, &pkg, &v2)
        .await
        .unwrap();

    // Deleting the whole private package frees its name; restore is refused
    // while the new one exists.
    r.packages().delete_package(&alice, &pkg).await.unwrap();
    let (newer, _) = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    assert_ne!(newer.id, pkg.id);
    let old = w.store.package_by_id(pkg.id).await.unwrap().unwrap();
    assert!(matches!(
        r.packages().restore_package(&alice, &old).await,
        Err(ServiceError::Conflict(_))
    ));
    r.packages().delete_package(&alice, &newer).await.unwrap();
    r.packages().restore_package(&alice, &old).await.unwrap();
    assert_eq!(w.store.versions(pkg.id, false).await.unwrap().len(), 2);
    let _ = v1;
}

#[tokio::test]
async fn a_deleted_public_packages_name_is_never_reused() {
    let w = world().await;
    let r = &w.registry;
    let alice = actor(r, "alice", "write:packages,delete:packages").await;
    let (pkg, _) = r
        .packages()
        .publish(&alice, publication(r, "alice", "pub", "1.0.0").await)
        .await
        .unwrap();
    w.store
        .update_package(
            pkg.id,
            PackageUpdate {
                visibility: Some(Visibility::Public),
                ..Default::default()
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let pkg = w.store.package_by_id(pkg.id).await.unwrap().unwrap();
    r.packages().delete_package(&alice, &pkg).await.unwrap();
    assert!(matches!(
        r.packages()
            .publish(&alice, publication(r, "alice", "pub", "2.0.0").await)
            .await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn downloads_are_counted_per_version_and_day() {
    let w = world().await;
    let r = &w.registry;
    let alice = actor(r, "alice", "write:packages").await;
    let (pkg, v) = r
        .packages()
        .publish(&alice, publication(r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    r.packages()
        .count_download(entrepot_core::PackageType::Npm, &v);
    r.packages()
        .count_download(entrepot_core::PackageType::Npm, &v);
    assert!(
        w.store.downloads(pkg.id).await.unwrap().is_empty(),
        "counts are buffered"
    );
    let days = r.packages().downloads(&pkg).await.unwrap();
    assert_eq!(days.iter().map(|d| d.count).sum::<i64>(), 2);
}

#[tokio::test]
async fn wrong_expired_and_revoked_tokens_are_bad_credentials() {
    let w = world().await;
    let r = &w.registry;
    let t = r
        .accounts()
        .create_token("alice", Scopes::ALL, None, None)
        .await
        .unwrap();
    assert!(
        r.sessions()
            .authenticate(&Credential::Basic {
                username: "x".into(),
                password: t.secret.clone()
            })
            .await
            .is_ok()
    );
    r.accounts().revoke_token(t.record.id).await.unwrap();
    assert!(matches!(
        r.sessions()
            .authenticate(&Credential::Token(t.secret))
            .await,
        Err(ServiceError::BadCredentials)
    ));
    let forged = entrepot_core::token::generate().secret;
    assert!(matches!(
        r.sessions().authenticate(&Credential::Token(forged)).await,
        Err(ServiceError::BadCredentials)
    ));
    assert!(matches!(
        r.sessions()
            .authenticate(&Credential::Token("garbage".into()))
            .await,
        Err(ServiceError::BadCredentials)
    ));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let w = world().await;
    let r = &w.registry;
    let alice = r.accounts().account("alice").await.unwrap();
    let new = entrepot_core::token::generate();
    w.store
        .create_token(entrepot_store::NewTokenRecord {
            user_id: alice.id,
            hash: new.hash,
            prefix: new.prefix,
            scopes: Scopes::ALL,
            note: None,
            expires_at: Some(chrono::Utc::now() - chrono::TimeDelta::seconds(1)),
            bound_to: None,
        })
        .await
        .unwrap();
    assert!(matches!(
        r.sessions()
            .authenticate(&Credential::Token(new.secret))
            .await,
        Err(ServiceError::BadCredentials)
    ));
    let fresh = r
        .accounts()
        .create_token("alice", Scopes::ALL, Some(chrono::TimeDelta::days(1)), None)
        .await
        .unwrap();
    assert!(
        r.sessions()
            .authenticate(&Credential::Token(fresh.secret))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_first_start_creates_one_admin_and_later_starts_none() {
    let dir = tempfile::tempdir().unwrap();
    let meta = SqliteStore::open_path(&dir.path().join("m.db"))
        .await
        .unwrap();
    let blobs = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    let r = Registry::new(
        Arc::new(meta),
        Arc::new(blobs),
        Policy::default(),
        Limits::default(),
    );
    let issued = r
        .accounts()
        .bootstrap_admin()
        .await
        .unwrap()
        .expect("first start issues a token");
    let admin = r
        .sessions()
        .authenticate(&Credential::Token(issued.secret))
        .await
        .unwrap();
    assert!(matches!(
        admin,
        Actor::User {
            site_admin: true,
            ..
        }
    ));
    assert!(r.accounts().bootstrap_admin().await.unwrap().is_none());
}

#[tokio::test]
async fn concurrent_password_guesses_are_counted_one_by_one() {
    let w = world().await;
    let r = &w.registry;
    r.accounts()
        .create_user("dave", None, false, Some("correct horse".into()))
        .await
        .unwrap();
    let from: std::net::IpAddr = "192.0.2.7".parse().unwrap();
    // Thirty wrong guesses at once: five are checked, the rest throttled.
    let guesses = futures::future::join_all((0..30).map(|_| {
        r.sessions()
            .check_password("dave", "wrong horse", Some(from), Scopes::ALL)
    }))
    .await;
    let refused = guesses
        .iter()
        .filter(|g| matches!(g, Err(ServiceError::BadCredentials)))
        .count();
    let throttled = guesses
        .iter()
        .filter(|g| matches!(g, Err(ServiceError::Throttled(_))))
        .count();
    assert_eq!(
        (refused, throttled),
        (entrepot_service::throttle::PER_USER as usize, 25)
    );
    // Now even the right password waits, from anywhere.
    assert!(matches!(
        r.sessions()
            .check_password("dave", "correct horse", None, Scopes::ALL)
            .await,
        Err(ServiceError::Throttled(_))
    ));
    // Until the lock is lifted; the guessing address stays locked.
    assert!(r.sessions().unlock_user("dave").await.unwrap());
    assert!(matches!(
        r.sessions()
            .check_password("dave", "correct horse", Some(from), Scopes::ALL)
            .await,
        Err(ServiceError::Throttled(_))
    ));
    let home: std::net::IpAddr = "198.51.100.1".parse().unwrap();
    assert!(
        r.sessions()
            .check_password("dave", "correct horse", Some(home), Scopes::ALL)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn one_address_cannot_spray_passwords_across_users() {
    let w = world().await;
    let r = &w.registry;
    let from: std::net::IpAddr = "2001:db8::1".parse().unwrap();
    let neighbour: std::net::IpAddr = "2001:db8::2".parse().unwrap();
    let elsewhere: std::net::IpAddr = "2001:db8:0:1::1".parse().unwrap();
    for n in 0..entrepot_service::throttle::PER_ADDRESS {
        let got = r
            .sessions()
            .check_password(&format!("user{n}"), "guess", Some(from), Scopes::ALL)
            .await;
        assert!(
            matches!(got, Err(ServiceError::BadCredentials)),
            "{n}: {got:?}"
        );
    }
    r.accounts()
        .create_user("erin", None, false, Some("correct horse".into()))
        .await
        .unwrap();
    assert!(
        matches!(
            r.sessions()
                .check_password("erin", "correct horse", Some(neighbour), Scopes::ALL)
                .await,
            Err(ServiceError::Throttled(_))
        ),
        "the same /64 is the same client"
    );
    assert!(
        r.sessions()
            .check_password("erin", "correct horse", Some(elsewhere), Scopes::ALL)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn passwords_are_verified_with_argon2() {
    let w = world().await;
    let r = &w.registry;
    r.accounts()
        .create_user("dave", None, false, Some("correct horse".into()))
        .await
        .unwrap();
    assert!(
        r.sessions()
            .check_password("dave", "correct horse", None, Scopes::ALL)
            .await
            .is_ok()
    );
    assert!(matches!(
        r.sessions()
            .check_password("dave", "wrong horse", None, Scopes::ALL)
            .await,
        Err(ServiceError::BadCredentials)
    ));
    assert!(
        r.accounts()
            .create_user("erin", None, false, Some("short".into()))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_purge_job_removes_expired_deletions_and_unreferenced_blobs_only() {
    let dir = tempfile::tempdir().unwrap();
    let meta = SqliteStore::open_path(&dir.path().join("m.db"))
        .await
        .unwrap();
    let blobs = FsBlobStore::open(dir.path().join("blobs")).await.unwrap();
    let limits = Limits {
        retention: chrono::TimeDelta::zero(),
        ..Limits::default()
    };
    let store: Arc<dyn MetadataStore> = Arc::new(meta);
    let blobs: Arc<dyn entrepot_store::BlobStore> = Arc::new(blobs);
    let r = Registry::new(store.clone(), blobs.clone(), Policy::default(), limits);
    r.accounts()
        .create_user("alice", None, false, None)
        .await
        .unwrap();
    let alice = actor(&r, "alice", "write:packages,delete:packages").await;
    let (pkg, v1) = r
        .packages()
        .publish(&alice, publication(&r, "alice", "hello", "1.0.0").await)
        .await
        .unwrap();
    r.packages()
        .publish(&alice, publication(&r, "alice", "hello", "1.1.0").await)
        .await
        .unwrap();
    let (other, _) = r
        .packages()
        .publish(&alice, publication(&r, "alice", "other", "1.0.0").await)
        .await
        .unwrap();
    // An orphan blob, as a crash between blob and metadata would leave.
    r.blobs()
        .store_blob(stream_of("orphan"), Expected::default())
        .await
        .unwrap();
    assert_eq!(blobs.list().await.unwrap().len(), 4);

    r.packages()
        .delete_version(&alice, &pkg, &v1)
        .await
        .unwrap();
    r.packages().delete_package(&alice, &other).await.unwrap();
    let young = r
        .maintenance()
        .purge_expired(std::time::Duration::from_hours(1))
        .await
        .unwrap();
    assert_eq!(
        (young.packages, young.versions, young.blobs),
        (1, 1, 0),
        "young blobs are spared"
    );
    let report = r
        .maintenance()
        .purge_expired(std::time::Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((report.packages, report.versions, report.blobs), (0, 0, 3));
    let left = blobs.list().await.unwrap();
    assert_eq!(left.len(), 1, "only 1.1.0's tarball is still referenced");
    assert!(store.blob_referenced(&left[0]).await.unwrap());
    assert!(store.package_by_id(other.id).await.unwrap().is_none());
}

fn advisory_draft(name: &str) -> entrepot_service::advisories::AdvisoryChanges {
    use entrepot_core::{AdvisoryPackage, Ecosystem, Severity, Vulnerability};
    entrepot_service::advisories::AdvisoryChanges {
        summary: Some("Prototype pollution".into()),
        description: Some("Details.".into()),
        vulnerabilities: Some(vec![Vulnerability {
            package: AdvisoryPackage {
                ecosystem: Ecosystem::Npm,
                name: name.into(),
            },
            vulnerable_version_range: Some("< 1.0.1".into()),
            patched_versions: Some("1.0.1".into()),
            vulnerable_functions: vec![],
        }]),
        severity: Some(Some(Severity::High)),
        ..Default::default()
    }
}

#[tokio::test]
#[expect(
    clippy::too_many_lines,
    reason = "one scenario reads best as one story"
)]
async fn advisories_are_drafted_by_admins_and_reviewed_by_site_admins() {
    use entrepot_core::AdvisoryState;
    use entrepot_service::advisories::{AdvisoryChanges, AdvisoryQuery};
    let w = world().await;
    let r = &w.registry;
    r.accounts()
        .create_user("root", None, true, None)
        .await
        .unwrap();
    let alice = actor(r, "alice", "read:packages,write:packages").await;
    let bob = actor(r, "bob", "read:packages,write:packages").await;
    let root = actor(r, "root", "read:packages,write:packages").await;
    let (pkg, _) = r
        .packages()
        .publish(&alice, publication(r, "alice", "lib", "1.0.0").await)
        .await
        .unwrap();
    r.packages()
        .publish(&alice, publication(r, "alice", "lib", "1.0.1").await)
        .await
        .unwrap();
    w.store
        .update_package(
            pkg.id,
            PackageUpdate {
                visibility: Some(Visibility::Public),
                ..PackageUpdate::default()
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let pkg = w.store.package_by_id(pkg.id).await.unwrap().unwrap();

    // Only the package's admins draft; a reader may not (403).
    assert!(matches!(
        r.advisories()
            .create_advisory(&bob, &pkg, advisory_draft("lib"))
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    assert!(matches!(
        r.advisories()
            .create_advisory(&alice, &pkg, advisory_draft("other"))
            .await,
        Err(ServiceError::Invalid(_))
    ));
    let draft = r
        .advisories()
        .create_advisory(&alice, &pkg, advisory_draft("lib"))
        .await
        .unwrap();
    assert_eq!(draft.state, AdvisoryState::Draft);
    assert!(draft.ghsa_id.starts_with("GHSA-"));

    // A draft is hidden: 404 signed in, 401 anonymous; nowhere in lists.
    assert!(matches!(
        r.advisories().advisory(&bob, &draft.ghsa_id).await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        r.advisories()
            .advisory(&Actor::Anonymous, &draft.ghsa_id)
            .await,
        Err(ServiceError::Unauthenticated)
    ));
    assert!(
        r.advisories()
            .advisories_for_package(&bob, &pkg)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        r.advisories()
            .advisories_for_package(&alice, &pkg)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        r.advisories()
            .list_advisories(&alice, &AdvisoryQuery::default())
            .await
            .unwrap()
            .is_empty()
    );

    // Site administrators list the drafts they review; no one else may.
    let to_review = r.advisories().drafts_to_review(&root).await.unwrap();
    assert_eq!(
        to_review
            .iter()
            .map(|(a, p)| (a.ghsa_id.as_str(), p.id))
            .collect::<Vec<_>>(),
        [(draft.ghsa_id.as_str(), pkg.id)]
    );
    assert!(matches!(
        r.advisories().drafts_to_review(&alice).await,
        Err(ServiceError::Forbidden(_))
    ));

    // Bob cannot edit what he cannot see; alice may not publish her own.
    let publish = || AdvisoryChanges {
        state: Some(AdvisoryState::Published),
        ..AdvisoryChanges::default()
    };
    assert!(matches!(
        r.advisories()
            .update_advisory(&bob, &draft.ghsa_id, publish())
            .await,
        Err(ServiceError::NotFound(_))
    ));
    assert!(matches!(
        r.advisories()
            .update_advisory(&alice, &draft.ghsa_id, publish())
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let edited = r
        .advisories()
        .update_advisory(
            &alice,
            &draft.ghsa_id,
            AdvisoryChanges {
                summary: Some("Prototype pollution in merge".into()),
                ..AdvisoryChanges::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.summary, "Prototype pollution in merge");

    let published = r
        .advisories()
        .update_advisory(&root, &draft.ghsa_id, publish())
        .await
        .unwrap();
    assert_eq!(published.state, AdvisoryState::Published);
    assert!(published.published_at.is_some());
    assert!(
        r.advisories()
            .drafts_to_review(&root)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        r.advisories()
            .advisory(&Actor::Anonymous, &draft.ghsa_id)
            .await
            .is_ok()
    );
    // Bob reads it now, but may not edit it (403).
    assert!(matches!(
        r.advisories()
            .update_advisory(
                &bob,
                &draft.ghsa_id,
                AdvisoryChanges {
                    summary: Some("x".into()),
                    ..AdvisoryChanges::default()
                }
            )
            .await,
        Err(ServiceError::Forbidden(_))
    ));
    let affects = |v: Option<&str>| AdvisoryQuery {
        affects: Some(("lib".into(), v.map(str::to_owned))),
        ..AdvisoryQuery::default()
    };
    assert_eq!(
        r.advisories()
            .list_advisories(&bob, &affects(Some("1.0.0")))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        r.advisories()
            .list_advisories(&bob, &affects(Some("1.0.1")))
            .await
            .unwrap()
            .is_empty()
    );
    let affected = r.advisories().affected_versions(&bob, &pkg).await.unwrap();
    assert_eq!(affected.len(), 1);
    assert_eq!(
        affected[0]
            .1
            .iter()
            .map(|v| v.name.as_str())
            .collect::<Vec<_>>(),
        vec!["1.0.0"]
    );

    // Back to draft is no transition; withdrawing is.
    assert!(matches!(
        r.advisories()
            .update_advisory(
                &root,
                &draft.ghsa_id,
                AdvisoryChanges {
                    state: Some(AdvisoryState::Draft),
                    ..AdvisoryChanges::default()
                }
            )
            .await,
        Err(ServiceError::Invalid(_))
    ));
    let withdrawn = r
        .advisories()
        .update_advisory(
            &root,
            &draft.ghsa_id,
            AdvisoryChanges {
                state: Some(AdvisoryState::Withdrawn),
                ..AdvisoryChanges::default()
            },
        )
        .await
        .unwrap();
    assert!(withdrawn.withdrawn_at.is_some());
    assert!(
        r.advisories()
            .affected_versions(&bob, &pkg)
            .await
            .unwrap()
            .is_empty()
    );
}

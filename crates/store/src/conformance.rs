//! The conformance suite every backend passes: one test body, run once per
//! metadata store and once per blob store (SQLite and files here; PostgreSQL
//! and S3 run the same functions).

use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use entrepot_core::{
    Advisory, AdvisoryPackage, AdvisoryState, Credit, DeliveryState, Digests, Ecosystem,
    HookContentType, OrgRole, PackageType, Role, Scopes, Severity, Visibility, Vulnerability,
};
use futures::{StreamExt, TryStreamExt};

use crate::StoreError;
use crate::blob::{BlobStore, ByteRange, Expected, stream_of};
use crate::meta::{
    AdvisoryFilter, DeliveryAttempt, MetadataStore, NewDelivery, NewFile, NewHook, NewNotification,
    NewPackage, NewRepository, NewTokenRecord, NewUser, NewVersion, PackageFilter, PackageUpdate,
    WebSession,
};

async fn read_all(store: &dyn BlobStore, sha: &str, range: Option<ByteRange>) -> Vec<u8> {
    let read = store.get(sha, range).await.expect("blob readable");
    let chunks: Vec<Bytes> = read.stream.try_collect().await.expect("stream reads");
    chunks.concat()
}

/// Exercises every `BlobStore` promise.
#[expect(clippy::too_many_lines, reason = "one suite reads best as one story")]
pub async fn blob_store(store: &dyn BlobStore) {
    let body = b"hello, entrepot".to_vec();
    let info = store
        .put(
            stream_of(body.clone()),
            Expected {
                want_sha512: true,
                want_sha1: true,
                want_md5: true,
                ..Expected::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(
        info.sha256,
        "1e7414dfe0baef509fd4aa045f11ed602e849d9dc88f3f8daee26be557a22718"
    );
    assert_eq!(
        info.md5.as_deref(),
        Some("a79c6a1a3f94fff51805bdb3c51dda39")
    );
    assert_eq!(
        info.sha1.as_deref(),
        Some("5b2c4e068f14be1c7ab878adbf7a024b9e91a067")
    );
    assert_eq!(info.sha512.as_ref().map(String::len), Some(128));
    assert_eq!(read_all(store, &info.sha256, None).await, body);
    assert_eq!(
        store.size(&info.sha256).await.unwrap(),
        Some(body.len() as u64)
    );

    // Ranges: inclusive, clamped, and refused past the end.
    let part = read_all(
        store,
        &info.sha256,
        Some(ByteRange {
            start: 7,
            end: Some(14),
        }),
    )
    .await;
    assert_eq!(part, b"entrepot");
    let tail = read_all(
        store,
        &info.sha256,
        Some(ByteRange {
            start: 7,
            end: None,
        }),
    )
    .await;
    assert_eq!(tail, b"entrepot");
    assert!(matches!(
        store
            .get(
                &info.sha256,
                Some(ByteRange {
                    start: 99,
                    end: None
                })
            )
            .await,
        Err(StoreError::RangeNotSatisfiable { size: 15 })
    ));

    // A wrong digest keeps nothing.
    let other = b"something else entirely".to_vec();
    let err = store
        .put(
            stream_of(other.clone()),
            Expected {
                sha256: Some("0".repeat(64)),
                ..Expected::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DigestMismatch {
                algorithm: "sha256",
                ..
            }
        ),
        "{err}"
    );
    let listed = store.list().await.unwrap();
    assert_eq!(
        listed,
        vec![info.sha256.clone()],
        "a refused blob must not be kept"
    );

    // Over the size limit keeps nothing either.
    let err = store
        .put(
            Box::pin(futures::stream::iter(vec![
                Ok(Bytes::from(vec![1u8; 10])),
                Ok(Bytes::from(vec![2u8; 10])),
            ])),
            Expected {
                max_size: Some(15),
                ..Expected::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { limit: 15 }));
    assert_eq!(store.list().await.unwrap().len(), 1);

    // A stream that fails midway keeps nothing.
    let failing = futures::stream::iter(vec![
        Ok(Bytes::from_static(b"abc")),
        Err(std::io::Error::other("client went away")),
    ]);
    assert!(
        store
            .put(Box::pin(failing), Expected::default())
            .await
            .is_err()
    );
    assert_eq!(store.list().await.unwrap().len(), 1);

    // Writing the same content twice is idempotent; deleting is too.
    let again = store
        .put(stream_of(body.clone()), Expected::default())
        .await
        .unwrap();
    assert_eq!(again.sha256, info.sha256);
    let written = store
        .modified(&info.sha256)
        .await
        .unwrap()
        .expect("a stored blob has a time");
    assert!(written.elapsed().unwrap_or_default() < std::time::Duration::from_mins(10));
    store.delete(&info.sha256).await.unwrap();
    store.delete(&info.sha256).await.unwrap();
    assert_eq!(store.modified(&info.sha256).await.unwrap(), None);
    assert_eq!(store.size(&info.sha256).await.unwrap(), None);
    assert!(matches!(
        store.get(&info.sha256, None).await,
        Err(StoreError::NotFound)
    ));

    // Keys that are not digests never reach a path.
    assert!(store.get("../../etc/passwd", None).await.is_err());

    // Big streamed bodies arrive whole.
    let chunks = (0..64u8).map(|i| Ok(Bytes::from(vec![i; 64 * 1024])));
    let big = store
        .put(Box::pin(futures::stream::iter(chunks)), Expected::default())
        .await
        .unwrap();
    assert_eq!(big.size, 64 * 64 * 1024);
    let mut read = store.get(&big.sha256, None).await.unwrap();
    let mut n = 0u64;
    while let Some(chunk) = read.stream.next().await {
        n += chunk.unwrap().len() as u64;
    }
    assert_eq!(n, big.size);
}

/// Exercises every `MetadataStore` promise.
#[expect(clippy::too_many_lines, reason = "one suite reads best as one story")]
pub async fn metadata_store(store: &dyn MetadataStore) {
    let alice = store
        .create_user(NewUser {
            login: "alice".into(),
            site_admin: false,
            ..NewUser::default()
        })
        .await
        .unwrap();
    let bob = store
        .create_user(NewUser {
            login: "bob".into(),
            email: Some("bob@example.test".into()),
            ..NewUser::default()
        })
        .await
        .unwrap();
    assert!(
        matches!(
            store
                .create_user(NewUser {
                    login: "ALICE".into(),
                    ..NewUser::default()
                })
                .await,
            Err(StoreError::Conflict(_))
        ),
        "logins are unique regardless of case"
    );
    assert_eq!(
        store.account_by_login("Alice").await.unwrap().unwrap().id,
        alice.id
    );
    assert_eq!(store.count_users().await.unwrap(), 2);

    let acme = store.create_org("acme", alice.id).await.unwrap();
    assert_eq!(
        store.org_role(acme.id, alice.id).await.unwrap(),
        Some(OrgRole::Owner)
    );
    assert_eq!(store.org_role(acme.id, bob.id).await.unwrap(), None);
    store
        .set_org_member(acme.id, bob.id, OrgRole::Member)
        .await
        .unwrap();
    assert_eq!(
        store.org_role(acme.id, bob.id).await.unwrap(),
        Some(OrgRole::Member)
    );
    assert_eq!(
        store.org_members(acme.id).await.unwrap(),
        [(alice.id, OrgRole::Owner), (bob.id, OrgRole::Member)]
    );
    assert_eq!(
        store.count_users().await.unwrap(),
        2,
        "organizations are not users"
    );

    let repo = store
        .create_repository(NewRepository {
            owner_id: alice.id,
            name: "hello".into(),
            visibility: Visibility::Private,
            description: None,
        })
        .await
        .unwrap();
    assert_eq!(repo.full_name(), "alice/hello");
    assert!(matches!(
        store
            .create_repository(NewRepository {
                owner_id: alice.id,
                name: "hello".into(),
                visibility: Visibility::Public,
                description: None
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .set_collaborator(repo.id, bob.id, Role::Write)
        .await
        .unwrap();
    assert_eq!(
        store.collaborator_role(repo.id, bob.id).await.unwrap(),
        Some(Role::Write)
    );

    // Tokens: stored by hash, revocable once.
    let t = store
        .create_token(NewTokenRecord {
            user_id: bob.id,
            hash: "h1".into(),
            prefix: "entp_abcd".into(),
            scopes: Scopes::ALL,
            note: Some("ci".into()),
            expires_at: None,
        })
        .await
        .unwrap();
    let (found, hash) = store.token_by_hash("h1").await.unwrap().unwrap();
    assert_eq!(
        (found.id, hash.as_str(), found.scopes),
        (t.id, "h1", Scopes::ALL)
    );
    assert!(store.token_by_hash("nope").await.unwrap().is_none());
    assert!(store.revoke_token(t.id, Utc::now()).await.unwrap());
    assert!(!store.revoke_token(t.id, Utc::now()).await.unwrap());
    assert!(
        !store
            .token_by_id(t.id)
            .await
            .unwrap()
            .unwrap()
            .is_usable_at(Utc::now())
    );

    // Packages: one live package per owner, type and name.
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

    // Versions: files and tags land with the version, or not at all.
    let at = Utc::now();
    let file = NewFile {
        name: "hello-1.0.0.tgz".into(),
        size: 3,
        sha256: "a".repeat(64),
        digests: Digests {
            sha512: Some("b".repeat(128)),
            ..Digests::default()
        },
        content_type: None,
    };
    let v1 = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({"k": 1}),
            publisher_id: Some(alice.id),
            files: vec![file.clone()],
            tags: vec!["latest".into()],
            at,
        })
        .await
        .unwrap();
    let dup = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(alice.id),
            files: vec![],
            tags: vec!["latest".into()],
            at,
        })
        .await;
    assert!(
        matches!(dup, Err(StoreError::Conflict(_))),
        "versions are immutable"
    );
    let torn = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "2.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: None,
            files: vec![file.clone(), file.clone()],
            tags: vec!["latest".into()],
            at,
        })
        .await;
    assert!(torn.is_err(), "two files of one name are refused");
    assert!(
        store.version(pkg.id, "2.0.0").await.unwrap().is_none(),
        "a failed publish leaves no version"
    );
    assert_eq!(
        store.tags(pkg.id).await.unwrap()[0].version_id,
        v1.id,
        "nor moves a tag"
    );

    assert_eq!(store.package_files(pkg.id).await.unwrap().len(), 1);
    let files = store.files(v1.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        files[0].digests.sha512.as_deref(),
        Some("b".repeat(128).as_str())
    );
    assert!(store.blob_referenced(&"a".repeat(64)).await.unwrap());
    assert!(!store.blob_referenced(&"c".repeat(64)).await.unwrap());
    assert_eq!(
        store
            .version(pkg.id, "1.0.0")
            .await
            .unwrap()
            .unwrap()
            .metadata["k"],
        1
    );

    let v2 = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.1.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(alice.id),
            files: vec![],
            tags: vec![],
            at,
        })
        .await
        .unwrap();
    let before = store
        .package_by_id(pkg.id)
        .await
        .unwrap()
        .unwrap()
        .updated_at;
    store.set_tag(pkg.id, "stable", v2.id, at).await.unwrap();
    let after = store
        .package_by_id(pkg.id)
        .await
        .unwrap()
        .unwrap()
        .updated_at;
    assert!(after > before, "a tag change marks the package updated");
    store.set_tag(pkg.id, "stable", v1.id, at).await.unwrap();
    let tags = store.tags(pkg.id).await.unwrap();
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.version_id))
            .collect::<Vec<_>>(),
        vec![("latest", v1.id), ("stable", v1.id)]
    );
    assert!(store.remove_tag(pkg.id, "stable").await.unwrap());
    assert!(!store.remove_tag(pkg.id, "stable").await.unwrap());

    // Soft delete hides a version and drops its tags; restore brings it back.
    store.set_version_deleted(v1.id, Some(at)).await.unwrap();
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 1);
    assert_eq!(store.versions(pkg.id, true).await.unwrap().len(), 2);
    assert!(store.tags(pkg.id).await.unwrap().is_empty());
    assert!(
        matches!(
            store.set_tag(pkg.id, "x", v1.id, at).await,
            Err(StoreError::NotFound)
        ),
        "no tag on a deleted version"
    );
    assert!(
        matches!(
            store.set_version_deleted(v1.id, Some(at)).await,
            Err(StoreError::NotFound)
        ),
        "a deleted version is not deleted twice"
    );
    assert!(
        matches!(
            store.delete_version_keeping_one(v2.id, at).await,
            Err(StoreError::Invalid(_))
        ),
        "the last live version is kept"
    );
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 1);
    store.set_version_deleted(v1.id, None).await.unwrap();
    assert!(
        matches!(
            store.set_version_deleted(v1.id, None).await,
            Err(StoreError::NotFound)
        ),
        "a live version is not restored"
    );
    assert_eq!(store.versions(pkg.id, false).await.unwrap().len(), 2);

    store
        .update_version_metadata(v1.id, serde_json::json!({"deprecated": "old"}), at)
        .await
        .unwrap();
    assert_eq!(
        store.version_by_id(v1.id).await.unwrap().unwrap().metadata["deprecated"],
        "old"
    );

    // A deleted package frees its name; the deleted one is still found for restore.
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
    store.set_package_deleted(pkg.id, None).await.unwrap();
    let listed = store
        .list_packages(PackageFilter {
            repository_id: Some(repo.id),
            ..PackageFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    // Pages and counts.
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

    // Downloads add up per version and day.
    let day = at.date_naive();
    store.record_downloads(v1.id, day, 2).await.unwrap();
    store.record_downloads(v1.id, day, 3).await.unwrap();
    let downloads = store.downloads(pkg.id).await.unwrap();
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0].count, 5);

    store
        .audit(crate::meta::NewAuditEntry {
            actor_id: Some(alice.id),
            action: "publish".into(),
            package_id: Some(pkg.id),
            version_id: Some(v1.id),
            detail: None,
            at,
        })
        .await
        .unwrap();
    assert_eq!(store.audit_log(pkg.id).await.unwrap()[0].action, "publish");

    store.purge_version(v2.id).await.unwrap();
    assert!(store.version(pkg.id, "1.1.0").await.unwrap().is_none());

    // Uploads: parts append only at the expected offset.
    store
        .create_upload("u1", alice.id, "hello/web", at)
        .await
        .unwrap();
    assert!(
        store
            .append_upload_part("u1", 0, &"d".repeat(64), 10, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .append_upload_part("u1", 0, &"e".repeat(64), 5, at)
            .await
            .unwrap(),
        "a stale offset loses"
    );
    assert!(
        store
            .append_upload_part("u1", 10, &"e".repeat(64), 5, at)
            .await
            .unwrap()
    );
    let session = store.upload("u1").await.unwrap().unwrap();
    assert_eq!((session.size, session.parts.len()), (15, 2));
    assert!(
        store.blob_referenced(&"d".repeat(64)).await.unwrap(),
        "open uploads keep their parts"
    );
    assert_eq!(
        store
            .stale_uploads(at + chrono::TimeDelta::seconds(1))
            .await
            .unwrap(),
        vec!["u1".to_owned()]
    );
    assert!(store.delete_upload("u1").await.unwrap());
    assert!(store.upload("u1").await.unwrap().is_none());

    // Blob links: a repository holds a blob before any version names it.
    let link = crate::meta::BlobLink {
        owner_id: alice.id,
        package_type: PackageType::Container,
        repository: "hello/web".into(),
        digest: format!("sha256:{}", "f".repeat(64)),
        sha256: "f".repeat(64),
        size: 3,
    };
    store.link_blob(&link, at).await.unwrap();
    store.link_blob(&link, at).await.unwrap();
    assert_eq!(
        store
            .blob_link(alice.id, PackageType::Container, "hello/web", &link.digest)
            .await
            .unwrap(),
        Some(link.clone())
    );
    assert_eq!(store.links_of(&link.digest).await.unwrap().len(), 1);
    let later = at + chrono::TimeDelta::seconds(1);
    assert_eq!(
        store
            .links_before(PackageType::Container, later)
            .await
            .unwrap(),
        vec![link.clone()]
    );
    assert!(
        store
            .links_before(PackageType::Container, at)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .links_before(PackageType::Npm, later)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.blob_referenced(&"f".repeat(64)).await.unwrap());
    assert!(
        store
            .unlink_blob(alice.id, PackageType::Container, "hello/web", &link.digest)
            .await
            .unwrap()
    );
    assert!(!store.blob_referenced(&"f".repeat(64)).await.unwrap());

    // Settings: the first value wins on every node.
    assert_eq!(store.setting_or_init("key", "one").await.unwrap(), "one");
    assert_eq!(store.setting_or_init("key", "two").await.unwrap(), "one");

    // Job claims: one holder at a time, taken over once the claim lapses.
    let hour = chrono::TimeDelta::hours(1);
    assert!(
        store
            .claim_job("purge", "node-a", at + hour, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .claim_job(
                "purge",
                "node-b",
                at + hour,
                at + chrono::TimeDelta::minutes(1)
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job("other", "node-b", at + hour, at)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_job("purge", "node-b", at + hour * 2, at + hour)
            .await
            .unwrap()
    );

    // The purge job finds what was deleted before a cutoff, and purges it whole.
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

    web_sessions(store, alice.id).await;
    files_one_by_one(store, alice.id).await;
    advisories(store, alice.id, bob.id).await;
    webhooks(store, alice.id, bob.id).await;
}

async fn files_one_by_one(store: &dyn MetadataStore, owner: i64) {
    let pkg = store
        .create_package(NewPackage {
            owner_id: owner,
            package_type: PackageType::Maven,
            name: "com.example.tiny".into(),
            visibility: Visibility::Private,
            repository_id: None,
            inherit_access: true,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let at = Utc::now();
    let file = |name: &str| NewFile {
        name: name.into(),
        size: 1,
        sha256: "c".repeat(64),
        digests: Digests::default(),
        content_type: None,
    };
    let v = store
        .publish_version(NewVersion {
            package_id: pkg.id,
            name: "1.0.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(owner),
            files: vec![file("tiny-1.0.0.pom")],
            tags: vec![],
            at,
        })
        .await
        .unwrap();
    let added = store
        .add_file(v.id, file("tiny-1.0.0.jar"), at)
        .await
        .unwrap();
    assert_eq!(added.name, "tiny-1.0.0.jar");
    assert!(matches!(
        store.add_file(v.id, file("tiny-1.0.0.jar"), at).await,
        Err(StoreError::Conflict(_))
    ));
    let names: Vec<String> = store
        .files(v.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["tiny-1.0.0.pom", "tiny-1.0.0.jar"]);
    assert_eq!(
        store
            .remove_files(v.id, &["tiny-1.0.0.jar".to_owned(), "nope".to_owned()])
            .await
            .unwrap(),
        1
    );
    assert_eq!(store.files(v.id).await.unwrap().len(), 1);
    store.set_version_deleted(v.id, Some(at)).await.unwrap();
    assert!(matches!(
        store.add_file(v.id, file("late.jar"), at).await,
        Err(StoreError::NotFound)
    ));
}

async fn web_sessions(store: &dyn MetadataStore, user: i64) {
    let now = Utc::now();
    let session = WebSession {
        user_id: user,
        csrf: "c".repeat(43),
        created_at: now,
        expires_at: now + TimeDelta::hours(1),
    };
    store.create_session("h1", &session).await.unwrap();
    let found = store.session("h1", now).await.unwrap().unwrap();
    assert_eq!(found.user_id, user);
    assert_eq!(found.csrf, session.csrf);
    assert!(store.session("h2", now).await.unwrap().is_none());
    assert!(
        store
            .session("h1", now + TimeDelta::hours(2))
            .await
            .unwrap()
            .is_none(),
        "an expired session is no session"
    );
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1", now).await.unwrap().is_none());

    let old = WebSession {
        expires_at: now - TimeDelta::seconds(1),
        ..session
    };
    store.create_session("h3", &old).await.unwrap();
    throttle(store, now).await;
}

/// Password attempts: counted per key in windows, forgiven, cleared,
/// listed, pruned; and counted one by one when they come together.
async fn throttle(store: &dyn MetadataStore, now: chrono::DateTime<Utc>) {
    // Stored to the microsecond.
    let now = chrono::SubsecRound::trunc_subsecs(now, 6);
    let window = TimeDelta::minutes(15);
    let at = |minutes: i64| now + TimeDelta::minutes(minutes);
    for expected in 1..=3 {
        let t = store
            .count_attempt("user:alice", now, now - window)
            .await
            .unwrap();
        assert_eq!(t.attempts, expected);
        assert_eq!(t.window_start, now, "the window began at the first attempt");
    }
    store.forgive_attempt("user:alice").await.unwrap();
    let t = store
        .count_attempt("user:alice", at(1), at(1) - window)
        .await
        .unwrap();
    assert_eq!((t.attempts, t.window_start), (3, now), "one was forgiven");
    // Past the window, counting starts again.
    let t = store
        .count_attempt("user:alice", at(16), at(16) - window)
        .await
        .unwrap();
    assert_eq!((t.attempts, t.window_start), (1, at(16)));
    for _ in 0..4 {
        store
            .count_attempt("addr:192.0.2.7", at(16), at(16) - window)
            .await
            .unwrap();
    }
    assert_eq!(
        store
            .throttled_keys(at(16) - window, 2)
            .await
            .unwrap()
            .into_iter()
            .map(|(k, t)| (k, t.attempts))
            .collect::<Vec<_>>(),
        vec![("addr:192.0.2.7".to_owned(), 4)]
    );
    assert!(store.clear_attempts("addr:192.0.2.7").await.unwrap());
    assert!(!store.clear_attempts("addr:192.0.2.7").await.unwrap());
    assert!(
        store
            .throttled_keys(at(16) - window, 1)
            .await
            .unwrap()
            .len()
            == 1
    );
    assert_eq!(
        store.prune_sessions(at(40), at(40) - window).await.unwrap(),
        2,
        "the expired session, and alice's window, which is over"
    );
    assert!(
        store
            .throttled_keys(now - window, 1)
            .await
            .unwrap()
            .is_empty()
    );

    // Twenty attempts at once each read their own count.
    let counts = futures::future::join_all(
        (0..20).map(|_| store.count_attempt("user:bob", now, now - window)),
    )
    .await;
    let mut counts: Vec<i64> = counts.into_iter().map(|t| t.unwrap().attempts).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<_>>());
    store.clear_attempts("user:bob").await.unwrap();
}

#[expect(clippy::too_many_lines, reason = "one suite reads best as one story")]
async fn advisories(store: &dyn MetadataStore, owner: i64, admin: i64) {
    let package = |name: &str| NewPackage {
        owner_id: owner,
        package_type: PackageType::Npm,
        name: name.into(),
        visibility: Visibility::Public,
        repository_id: None,
        inherit_access: false,
        description: None,
        readme: None,
    };
    let lib = store.create_package(package("@alice/lib")).await.unwrap();
    let other = store.create_package(package("@alice/other")).await.unwrap();
    let at = Utc::now();
    let draft = Advisory {
        id: 0,
        ghsa_id: "GHSA-2c3v-4f5g-6h7j".into(),
        package_id: lib.id,
        ecosystem: Ecosystem::Npm,
        package_name: lib.name.clone(),
        summary: "Prototype pollution".into(),
        description: "**Bad** things.".into(),
        severity: Some(Severity::High),
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
        cve_id: Some("CVE-2024-12345".into()),
        cwe_ids: vec!["CWE-1321".into()],
        vulnerabilities: vec![Vulnerability {
            package: AdvisoryPackage {
                ecosystem: Ecosystem::Npm,
                name: lib.name.clone(),
            },
            vulnerable_version_range: Some("< 1.0.1".into()),
            patched_versions: Some("1.0.1".into()),
            vulnerable_functions: vec!["merge".into()],
        }],
        credits: vec![Credit {
            login: "bob".into(),
            credit_type: "finder".into(),
        }],
        state: AdvisoryState::Draft,
        author_id: Some(owner),
        publisher_id: None,
        created_at: at,
        updated_at: at,
        published_at: None,
        withdrawn_at: None,
    };
    let created = store.create_advisory(&draft).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(
        Advisory {
            id: created.id,
            ..draft.clone()
        },
        Advisory {
            // Times come back at the store's precision.
            created_at: at,
            updated_at: at,
            ..created.clone()
        }
    );
    assert!(
        matches!(
            store.create_advisory(&draft).await,
            Err(StoreError::Conflict(_))
        ),
        "GHSA ids are unique"
    );
    assert_eq!(
        store
            .advisory("ghsa-2c3v-4f5g-6h7j")
            .await
            .unwrap()
            .unwrap()
            .id,
        created.id,
        "GHSA ids are found whatever their case"
    );
    assert!(
        store
            .advisory("GHSA-xxxx-xxxx-xxxx")
            .await
            .unwrap()
            .is_none()
    );

    let second = store
        .create_advisory(&Advisory {
            ghsa_id: "GHSA-3f4g-5h6j-7m8p".into(),
            package_id: other.id,
            package_name: other.name.clone(),
            severity: Some(Severity::Low),
            cve_id: None,
            ..draft.clone()
        })
        .await
        .unwrap();

    let published = store
        .update_advisory(&Advisory {
            state: AdvisoryState::Published,
            publisher_id: Some(admin),
            published_at: Some(at),
            summary: "Prototype pollution in merge".into(),
            ..created.clone()
        })
        .await
        .unwrap();
    assert_eq!(published.state, AdvisoryState::Published);
    assert_eq!(published.publisher_id, Some(admin));
    assert_eq!(published.summary, "Prototype pollution in merge");
    assert!(published.published_at.is_some());
    assert!(matches!(
        store
            .update_advisory(&Advisory {
                ghsa_id: "GHSA-9999-9999-9999".into(),
                ..created.clone()
            })
            .await,
        Err(StoreError::NotFound)
    ));

    let ids = |list: Vec<Advisory>| list.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let all = store
        .list_advisories(&AdvisoryFilter::default())
        .await
        .unwrap();
    assert_eq!(ids(all), vec![second.id, created.id], "newest first");
    let filtered = |f: AdvisoryFilter| async move { ids(store.list_advisories(&f).await.unwrap()) };
    assert_eq!(
        filtered(AdvisoryFilter {
            package_id: Some(lib.id),
            ..AdvisoryFilter::default()
        })
        .await,
        vec![created.id]
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            states: vec![AdvisoryState::Published, AdvisoryState::Withdrawn],
            ..AdvisoryFilter::default()
        })
        .await,
        vec![created.id]
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            states: vec![AdvisoryState::Draft],
            ..AdvisoryFilter::default()
        })
        .await,
        vec![second.id]
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            ecosystem: Some(Ecosystem::Npm),
            package_names: vec!["@alice/other".into(), "@alice/nothing".into()],
            ..AdvisoryFilter::default()
        })
        .await,
        vec![second.id]
    );
    assert!(
        filtered(AdvisoryFilter {
            ecosystem: Some(Ecosystem::Rust),
            ..AdvisoryFilter::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            cve_id: Some("cve-2024-12345".into()),
            ..AdvisoryFilter::default()
        })
        .await,
        vec![created.id]
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            ghsa_id: Some("GHSA-3F4G-5H6J-7M8P".into()),
            ..AdvisoryFilter::default()
        })
        .await,
        vec![second.id]
    );
    assert_eq!(
        filtered(AdvisoryFilter {
            severity: Some(Severity::High),
            ..AdvisoryFilter::default()
        })
        .await,
        vec![created.id]
    );

    // An advisory goes with its package when that is purged.
    store.purge_package(other.id).await.unwrap();
    assert!(store.advisory(&second.ghsa_id).await.unwrap().is_none());
}

#[expect(clippy::too_many_lines, reason = "one suite reads best as one story")]
async fn webhooks(store: &dyn MetadataStore, owner: i64, other: i64) {
    // At the store's precision, so that times compare equal on the way back.
    let at = chrono::SubsecRound::trunc_subsecs(Utc::now(), 6);
    let pkg = store
        .create_package(NewPackage {
            owner_id: owner,
            package_type: PackageType::Npm,
            name: "hooked".into(),
            visibility: Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let new_hook = |package_id| NewHook {
        owner_id: owner,
        package_id,
        url: "http://127.0.0.1:1/hook".into(),
        secret: Some("s3cret".into()),
        content_type: HookContentType::Json,
        events: vec!["package".into(), "security_advisory".into()],
        active: true,
        insecure_ssl: false,
        at,
    };
    let owner_hook = store.create_hook(new_hook(None)).await.unwrap();
    let package_hook = store.create_hook(new_hook(Some(pkg.id))).await.unwrap();
    assert_eq!(owner_hook.events, ["package", "security_advisory"]);
    assert_eq!(owner_hook.secret.as_deref(), Some("s3cret"));
    assert!(owner_hook.active && !owner_hook.insecure_ssl);
    let ids = |hooks: Vec<entrepot_core::Hook>| hooks.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.hooks(owner, None).await.unwrap()),
        [owner_hook.id]
    );
    assert_eq!(
        ids(store.hooks(owner, Some(pkg.id)).await.unwrap()),
        [package_hook.id]
    );
    assert!(store.hooks(other, None).await.unwrap().is_empty());
    let edited = store
        .update_hook(&entrepot_core::Hook {
            url: "http://127.0.0.1:2/other".into(),
            secret: None,
            content_type: HookContentType::Form,
            events: vec!["*".into()],
            active: false,
            insecure_ssl: true,
            ..owner_hook.clone()
        })
        .await
        .unwrap();
    assert_eq!(edited.url, "http://127.0.0.1:2/other");
    assert_eq!(edited.content_type, HookContentType::Form);
    assert!(!edited.active && edited.insecure_ssl && edited.secret.is_none());
    assert_eq!(store.hook(owner_hook.id).await.unwrap().unwrap(), edited);

    // Deliveries: enqueued due at once, claimed by one caller only.
    let new_delivery = |guid: &str, hook_id| NewDelivery {
        guid: guid.into(),
        hook_id,
        event: "package".into(),
        action: Some("published".into()),
        payload: "{\"action\":\"published\"}".into(),
        redelivery: false,
        at,
    };
    let queued = store
        .enqueue_deliveries(&[
            new_delivery("guid-1", owner_hook.id),
            new_delivery("guid-2", package_hook.id),
        ])
        .await
        .unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].state, DeliveryState::Pending);
    assert_eq!(queued[0].attempts, 0);
    assert_eq!(queued[0].payload, "{\"action\":\"published\"}");
    assert_eq!(store.next_delivery_due().await.unwrap(), Some(at));
    let lease = at + TimeDelta::seconds(60);
    assert!(
        store
            .claim_deliveries(at - TimeDelta::seconds(1), lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing is due before its time"
    );
    let claimed = store.claim_deliveries(at, lease, 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].guid, "guid-1");
    assert_eq!(claimed[0].next_attempt_at, Some(lease));
    let rest = store.claim_deliveries(at, lease, 10).await.unwrap();
    assert_eq!(
        rest.len(),
        1,
        "a claimed delivery is leased, not claimed again"
    );
    assert_eq!(rest[0].guid, "guid-2");
    assert!(
        store
            .claim_deliveries(at, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    // After the lease, a delivery whose node died is due again.
    assert_eq!(
        store
            .claim_deliveries(lease, lease + TimeDelta::seconds(60), 10)
            .await
            .unwrap()
            .len(),
        2
    );

    let retry_at = at + TimeDelta::seconds(10);
    let attempt = DeliveryAttempt {
        state: DeliveryState::Pending,
        next_attempt_at: Some(retry_at),
        status_code: Some(500),
        status: "Internal Server Error".into(),
        duration_ms: 12,
        at,
        request_headers: serde_json::json!({"X-GitHub-Event": "package"}),
        response_headers: Some(serde_json::json!({"content-length": "0"})),
        response_body: Some("oops".into()),
    };
    store.record_attempt(claimed[0].id, &attempt).await.unwrap();
    store
        .record_attempt(
            claimed[0].id,
            &DeliveryAttempt {
                state: DeliveryState::Delivered,
                next_attempt_at: None,
                status_code: Some(200),
                status: "OK".into(),
                ..attempt.clone()
            },
        )
        .await
        .unwrap();
    let logged = store.delivery(claimed[0].id).await.unwrap().unwrap();
    assert_eq!(logged.state, DeliveryState::Delivered);
    assert_eq!(logged.attempts, 2);
    assert_eq!(logged.status_code, Some(200));
    assert_eq!(logged.status, "OK");
    assert_eq!(logged.duration_ms, Some(12));
    assert_eq!(logged.delivered_at, Some(at));
    assert_eq!(logged.response_body.as_deref(), Some("oops"));
    assert_eq!(
        logged.request_headers,
        Some(serde_json::json!({"X-GitHub-Event": "package"}))
    );
    assert!(matches!(
        store.record_attempt(i64::MAX, &attempt).await,
        Err(StoreError::NotFound)
    ));
    let redelivered = store
        .enqueue_deliveries(&[NewDelivery {
            redelivery: true,
            ..new_delivery("guid-3", owner_hook.id)
        }])
        .await
        .unwrap();
    assert!(redelivered[0].redelivery);
    let log: Vec<String> = store
        .deliveries(owner_hook.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.guid)
        .collect();
    assert_eq!(log, ["guid-3", "guid-1"], "newest first");
    assert!(matches!(
        store
            .enqueue_deliveries(&[new_delivery("guid-3", owner_hook.id)])
            .await,
        Err(StoreError::Conflict(_))
    ));

    // Subscriptions: to one package or to everything, once each.
    let to_package = store.subscribe(other, Some(pkg.id), at).await.unwrap();
    let to_all = store.subscribe(owner, None, at).await.unwrap();
    assert!(matches!(
        store.subscribe(other, Some(pkg.id), at).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.subscribe(owner, None, at).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.subscriptions(other).await.unwrap(),
        std::slice::from_ref(&to_package)
    );
    let covering: Vec<i64> = store
        .subscriptions_covering(pkg.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(covering, [to_package.id, to_all.id]);
    assert_eq!(
        store
            .subscription(to_all.id)
            .await
            .unwrap()
            .unwrap()
            .package_id,
        None
    );
    assert!(store.unsubscribe(to_all.id).await.unwrap());
    assert!(!store.unsubscribe(to_all.id).await.unwrap());

    // Notifications: unread first, then newest.
    let note = |title: &str| NewNotification {
        user_id: other,
        reason: "security_alert".into(),
        title: title.into(),
        url: "http://localhost/advisories/GHSA-x".into(),
        package_id: Some(pkg.id),
        ghsa_id: Some("GHSA-2c3v-4f5g-6h7j".into()),
        at,
    };
    store
        .create_notifications(&[note("first"), note("second"), note("third")])
        .await
        .unwrap();
    let list = store.notifications(other, false, 10).await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|n| n.unread));
    assert!(
        !store
            .mark_notification_read(owner, list[0].id, at)
            .await
            .unwrap(),
        "only one's own notifications"
    );
    assert!(
        store
            .mark_notification_read(other, list[0].id, at)
            .await
            .unwrap()
    );
    let titles = |list: Vec<entrepot_core::Notification>| {
        list.into_iter().map(|n| n.title).collect::<Vec<_>>()
    };
    assert_eq!(
        titles(store.notifications(other, false, 10).await.unwrap()),
        ["second", "first", "third"]
    );
    assert_eq!(
        titles(store.notifications(other, true, 10).await.unwrap()),
        ["second", "first"]
    );
    assert_eq!(
        store.mark_all_notifications_read(other, at).await.unwrap(),
        2
    );
    assert!(
        store
            .notifications(other, true, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Deleting a hook takes its log; purging a package takes its hooks,
    // subscriptions and notifications.
    assert!(store.delete_hook(owner_hook.id).await.unwrap());
    assert!(!store.delete_hook(owner_hook.id).await.unwrap());
    assert!(store.delivery(logged.id).await.unwrap().is_none());
    store.purge_package(pkg.id).await.unwrap();
    assert!(store.hook(package_hook.id).await.unwrap().is_none());
    assert!(store.subscriptions(other).await.unwrap().is_empty());
    assert!(
        store
            .notifications(other, false, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

//! Conformance, security advisories: GHSA ids unique whatever their case,
//! drafts published, every search filter, and advisories purged with their
//! package.

use chrono::Utc;
use entrepot_core::{
    Advisory, AdvisoryPackage, AdvisoryState, Credit, Ecosystem, Package, PackageType, Severity,
    Timestamp, Visibility, Vulnerability,
};

use crate::StoreError;
use crate::meta::{AdvisoryFilter, MetadataStore, NewPackage};

pub(super) async fn advisories(store: &dyn MetadataStore, owner: i64, admin: i64) {
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
    let draft = draft(&lib, owner, at);
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

    filters(store, &lib, &created, &second).await;

    // An advisory goes with its package when that is purged.
    store.purge_package(other.id).await.unwrap();
    assert!(store.advisory(&second.ghsa_id).await.unwrap().is_none());
}

/// A draft advisory on `lib` with every field set.
pub(super) fn draft(lib: &Package, owner: i64, at: Timestamp) -> Advisory {
    Advisory {
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
    }
}

/// Each filter alone, newest first: package, states, ecosystem and names,
/// CVE and GHSA ids whatever their case, severity.
async fn filters(store: &dyn MetadataStore, lib: &Package, created: &Advisory, second: &Advisory) {
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
}

//! The dependency graph: a package's dependencies replaced whole, marked
//! read until the package changes again, and found by the name they match.

use chrono::{TimeDelta, Utc};
use entrepot_core::dependency::{Dependency, DependencyKind};
use entrepot_core::{Ecosystem, Id, PackageType, Visibility};

use crate::meta::{MetadataStore, NewPackage, NewVersion};

async fn package_with_version(store: &dyn MetadataStore, owner: Id, name: &str) -> (Id, Id) {
    let package = store
        .create_package(NewPackage {
            owner_id: owner,
            package_type: PackageType::Pypi,
            name: name.into(),
            visibility: Visibility::Public,
            repository_id: None,
            inherit_access: false,
            description: None,
            readme: None,
        })
        .await
        .unwrap();
    let version = store
        .publish_version(NewVersion {
            package_id: package.id,
            name: "1.0".into(),
            metadata: serde_json::json!({}),
            publisher_id: Some(owner),
            files: vec![],
            tags: vec![],
            at: Utc::now(),
        })
        .await
        .unwrap();
    (package.id, version.id)
}

fn dep(name: &str, range: &str, kind: DependencyKind) -> Dependency {
    Dependency::new(Ecosystem::Pip, name, range, kind, None).unwrap()
}

pub(super) async fn dependencies(store: &dyn MetadataStore, alice: Id) {
    let (app, app_v1) = package_with_version(store, alice, "dep-app").await;
    let (tool, tool_v1) = package_with_version(store, alice, "dep-tool").await;
    let waiting = store.packages_to_index(10_000).await.unwrap();
    let changed = |id: Id| waiting.iter().find(|(p, _)| *p == id).map(|(_, at)| *at);
    let app_at = changed(app).expect("a new package waits to be read");
    assert!(changed(tool).is_some());

    let declared = vec![
        dep("Requests", ">=2,<3", DependencyKind::Runtime),
        Dependency {
            condition: Some("python_version < \"3.11\"".into()),
            ..dep("tomli", "", DependencyKind::Optional)
        },
    ];
    store
        .set_dependencies(app, Some(app_v1), &declared, app_at)
        .await
        .unwrap();
    let waiting = store.packages_to_index(10_000).await.unwrap();
    assert!(
        !waiting.iter().any(|(p, _)| *p == app),
        "read until it changes"
    );
    assert_eq!(
        store.dependencies_of(app).await.unwrap(),
        (Some(app_v1), declared.clone())
    );
    // Matched by the normalized name, whatever the spelling.
    store
        .set_dependencies(
            tool,
            Some(tool_v1),
            &[dep("requests", "~=2.31", DependencyKind::Development)],
            Utc::now() - TimeDelta::hours(1),
        )
        .await
        .unwrap();
    let dependents = store
        .dependents(Ecosystem::Pip, "requests", 100)
        .await
        .unwrap();
    let ids: Vec<Id> = dependents.iter().map(|(p, _)| *p).collect();
    assert_eq!(ids, vec![app, tool]);
    assert_eq!(dependents[0].1.range, ">=2,<3");
    assert!(
        store
            .dependents(Ecosystem::Npm, "requests", 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .dependents(Ecosystem::Pip, "requests", 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // Read before its last change: read again.
    let waiting = store.packages_to_index(10_000).await.unwrap();
    assert!(waiting.iter().any(|(p, _)| *p == tool));

    // Replaced whole; no live version leaves none.
    store
        .set_dependencies(app, None, &declared, Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store.dependencies_of(app).await.unwrap(),
        (None, Vec::new())
    );
    let dependents = store
        .dependents(Ecosystem::Pip, "requests", 100)
        .await
        .unwrap();
    assert_eq!(dependents.len(), 1);
}

/// Alerts: saved once per advisory, package and dependency, updated in
/// place, found by advisory and by package.
pub(super) async fn alerts(store: &dyn MetadataStore, alice: Id) {
    use entrepot_core::AlertState;
    use entrepot_core::alert::{Finding, next};

    let (lib, _) = package_with_version(store, alice, "alert-lib").await;
    let (app, _) = package_with_version(store, alice, "alert-app").await;
    let lib = store.package_by_id(lib).await.unwrap().unwrap();
    let advisory = store
        .create_advisory(&entrepot_core::Advisory {
            ghsa_id: "GHSA-9a8b-7c6d-5e4f".into(),
            ..super::advisories::draft(&lib, alice, Utc::now())
        })
        .await
        .unwrap();
    let finding = Finding::Exposed {
        dependency: dep("alert-lib", "<2", DependencyKind::Runtime),
        admits_patched: true,
    };
    let opened = next(None, finding, (advisory.id, app), Utc::now()).unwrap();
    let kept = store.save_alert(&opened.alert).await.unwrap();
    assert!(kept.id > 0);
    assert_eq!(kept.state, AlertState::Open);
    assert!(kept.admits_patched);
    assert!(
        store.save_alert(&opened.alert).await.is_err(),
        "one alert per advisory, package and dependency"
    );
    let fixed = next(Some(&kept), Finding::Clear, (advisory.id, app), Utc::now()).unwrap();
    let updated = store.save_alert(&fixed.alert).await.unwrap();
    assert_eq!(updated.id, kept.id);
    assert_eq!(updated.state, AlertState::Fixed);
    assert!(updated.fixed_at.is_some());
    assert_eq!(store.alert(kept.id).await.unwrap(), Some(updated.clone()));
    assert_eq!(
        store.alerts_of_advisory(advisory.id).await.unwrap(),
        vec![updated.clone()]
    );
    assert_eq!(
        store.alerts_of_packages(&[app, lib.id]).await.unwrap(),
        vec![updated]
    );
    assert!(
        store
            .alerts_of_packages(&[lib.id])
            .await
            .unwrap()
            .is_empty()
    );
}

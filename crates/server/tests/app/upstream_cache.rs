//! The upstream cache's housekeeping through the application: a dry run
//! removes nothing; a size limit evicts the least recently used cached
//! versions (and packages left empty) and never a local package, nor the
//! bytes a local package shares; an evicted file is fetched again on
//! demand; old documents go by age.

use base64::Engine;
use entrepot_service::upstream_cache::CachePolicy;
use serde_json::{Value, json};
use sha2::Digest;

use crate::common::artifacts::tar_gz;
use crate::npm_upstream::{app_with_upstream, publish, publish_with, tarball};

/// A real tarball for `name@version`: alice publishes the same bytes.
fn shared_tarball(name: &str, version: &str) -> Vec<u8> {
    let manifest = json!({"name": name, "version": version}).to_string();
    tar_gz(&[("package/package.json", manifest.as_bytes())])
}

fn cached_names(listed: &Value) -> Vec<String> {
    let mut names: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn eviction_takes_the_least_recently_used_cached_versions_and_never_local_ones() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "left-pad", &["1.0.0", "2.0.0"], true);
    publish_with(&fake, &base, "shared", &["1.0.0"], true, shared_tarball);

    // alice publishes, locally, a tarball with the very bytes of `shared`.
    let t = app.token("alice", "read:packages,write:packages").await;
    let tgz = shared_tarball("shared", "1.0.0");
    let b64 = base64::engine::general_purpose::STANDARD;
    let integrity = format!("sha512-{}", b64.encode(sha2::Sha512::digest(&tgz)));
    let doc = json!({
        "_id": "@alice/app", "name": "@alice/app", "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": "@alice/app", "version": "1.0.0",
            "dist": {"integrity": integrity}}},
        "_attachments": {"@alice/app-1.0.0.tgz": {"content_type": "application/octet-stream",
            "data": b64.encode(&tgz), "length": tgz.len()}},
    });
    let published = app
        .put("/npm/@alice%2fapp")
        .bearer(&t)
        .json(&doc)
        .send()
        .await;
    assert_eq!(published.status(), 201, "{}", published.text());

    for path in [
        "/npm/left-pad/-/left-pad-1.0.0.tgz",
        "/npm/left-pad/-/left-pad-2.0.0.tgz",
        "/npm/shared/-/shared-1.0.0.tgz",
    ] {
        assert_eq!(app.get(path).send().await.status(), 200, "{path}");
    }
    app.flush_downloads().await;
    let upstreams = app.registry.upstreams();

    // A dry run says what would go and removes nothing.
    let everything = CachePolicy {
        max_age: None,
        max_bytes: Some(0),
    };
    let dry = upstreams.prune_cache(Some(everything), true).await.unwrap();
    let said: Vec<_> = dry
        .evicted
        .iter()
        .map(|v| format!("{}@{}", v.package, v.version))
        .collect();
    assert_eq!(said, ["left-pad@1.0.0", "left-pad@2.0.0", "shared@1.0.0"]);
    let listed = app
        .get("/api/v3/orgs/npmjs/packages?package_type=npm")
        .send()
        .await;
    assert_eq!(cached_names(&listed.json()), ["left-pad", "shared"]);

    // Room for `shared` alone: left-pad goes, first cached first.
    let room = u64::try_from(tgz.len()).unwrap();
    let report = upstreams
        .prune_cache(
            Some(CachePolicy {
                max_age: None,
                max_bytes: Some(room),
            }),
            false,
        )
        .await
        .unwrap();
    assert_eq!(report.evicted.len(), 2);
    assert_eq!((report.kept_versions, report.kept_bytes), (1, room));
    let listed = app
        .get("/api/v3/orgs/npmjs/packages?package_type=npm")
        .send()
        .await;
    assert_eq!(
        cached_names(&listed.json()),
        ["shared"],
        "an emptied package goes"
    );

    // Everything cached goes; alice's package and its bytes stay.
    upstreams
        .prune_cache(Some(everything), false)
        .await
        .unwrap();
    app.registry
        .maintenance()
        .purge_expired(std::time::Duration::ZERO)
        .await
        .unwrap();
    let mine = app
        .get("/npm/@alice/app/-/app-1.0.0.tgz")
        .bearer(&t)
        .send()
        .await;
    assert_eq!(mine.status(), 200, "{}", mine.text());
    assert_eq!(mine.bytes().as_ref(), tgz.as_slice());

    // An evicted file is fetched again when asked for.
    let again = app.get("/npm/left-pad/-/left-pad-1.0.0.tgz").send().await;
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.bytes().as_ref(),
        tarball("left-pad", "1.0.0").as_slice()
    );
    assert_eq!(fake.hits("/left-pad/-/left-pad-1.0.0.tgz"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_not_fetched_for_the_maximum_age_go() {
    let (app, fake, base) = app_with_upstream("10m", &[]).await;
    publish(&fake, &base, "left-pad", &["1.0.0"], true);
    assert_eq!(app.get("/npm/left-pad").send().await.status(), 200);
    let upstreams = app.registry.upstreams();
    let a_day = CachePolicy {
        max_age: Some(chrono::TimeDelta::days(1)),
        max_bytes: None,
    };
    let kept = upstreams.prune_cache(Some(a_day), false).await.unwrap();
    assert_eq!(kept.documents, 0, "fetched just now");
    let now = CachePolicy {
        max_age: Some(chrono::TimeDelta::zero()),
        max_bytes: None,
    };
    let dry = upstreams.prune_cache(Some(now), true).await.unwrap();
    assert_eq!(dry.documents, 1);
    assert_eq!(app.get("/npm/left-pad").send().await.status(), 200);
    assert_eq!(fake.hits("/left-pad"), 1, "a dry run kept it");
    let gone = upstreams.prune_cache(Some(now), false).await.unwrap();
    assert_eq!(gone.documents, 1);
    assert_eq!(app.get("/npm/left-pad").send().await.status(), 200);
    assert_eq!(fake.hits("/left-pad"), 2, "fetched again");
}

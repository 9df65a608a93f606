//! The NuGet resources by hand, request by request as NuGet.exe 5.8 sends
//! them (recordings/nuget.jsonl): the service index, push (multipart with a
//! quoted boundary, `X-NuGet-ApiKey`, the empty `Basic Og==`), the flat
//! container, every registration hive, search, autocomplete, READMEs and
//! icons, unlist and relist, symbol packages, refused packages, and the v2
//! feed.

use std::io::Read;

use axum::http::Method;
use serde_json::Value;

use crate::common::artifacts::{nupkg_of, nuspec, zip_of as nupkg};
use crate::common::files_named;
use crate::test_app::{TestApp, TestRequest, TestResponse, with_alice};

const UA: &str = "NuGet Command Line/5.8.0 (Unix 6.18.44.6)";

fn package(id: &str, version: &str, extra: &str) -> Vec<u8> {
    nupkg_of(id, version, extra)
}

/// A push exactly as NuGet.exe sends it after its first 401.
pub(crate) async fn push_to(
    app: &TestApp,
    resource: &str,
    key: &str,
    body: &[u8],
) -> (u16, String) {
    let boundary = "7579b67b-69b0-4cdd-8052-374f03113e5f";
    let mut form = format!(
        "--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=\"package\"; filename=\"package.nupkg\"\r\n\r\n"
    )
    .into_bytes();
    form.extend_from_slice(body);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r = app
        .put(&format!("/nuget/alice/api/v2/{resource}/"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary=\"{boundary}\""),
        )
        .header("authorization", "Basic Og==")
        .header("x-nuget-apikey", key)
        .header("user-agent", UA)
        .body(form)
        .send()
        .await;
    (r.status().as_u16(), r.text())
}

async fn push(app: &TestApp, key: &str, body: &[u8]) -> (u16, String) {
    push_to(app, "package", key, body).await
}

fn get_as(app: &TestApp, token: Option<&str>, path: &str) -> TestRequest {
    let mut r = app
        .get(path)
        .header("user-agent", UA)
        .header("x-nuget-client-version", "5.8.0");
    if let Some(t) = token {
        r = r.basic("alice", t);
    }
    r
}

fn json(r: &TestResponse) -> Value {
    assert_eq!(r.status(), 200, "{r:?}");
    let gzipped = r
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v == "gzip");
    let bytes = r.bytes();
    let text = if gzipped {
        let mut s = String::new();
        flate2::read::GzDecoder::new(bytes.as_ref())
            .read_to_string(&mut s)
            .unwrap();
        s
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    serde_json::from_str(&text).unwrap()
}
#[tokio::test(flavor = "multi_thread")]
async fn the_service_index_names_every_resource() {
    let (app, _) = with_alice().await;
    let index = json(&get_as(&app, None, "/nuget/alice/index.json").send().await);
    assert_eq!(index["version"], "3.0.0");
    let types: Vec<&str> = index["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["@type"].as_str().unwrap())
        .collect();
    for t in [
        "PackagePublish/2.0.0",
        "SymbolPackagePublish/4.9.0",
        "PackageBaseAddress/3.0.0",
        "RegistrationsBaseUrl",
        "RegistrationsBaseUrl/3.0.0-beta",
        "RegistrationsBaseUrl/3.0.0-rc",
        "RegistrationsBaseUrl/3.4.0",
        "RegistrationsBaseUrl/3.6.0",
        "SearchQueryService",
        "SearchQueryService/3.0.0-beta",
        "SearchQueryService/3.0.0-rc",
        "SearchQueryService/3.5.0",
        "SearchAutocompleteService",
        "ReadmeUriTemplate/6.13.0",
        "LegacyGallery/2.0.0",
    ] {
        assert!(types.contains(&t), "{t} missing from {types:?}");
    }
}

const DEPS: &str = r#"<dependencies><group targetFramework=".NETStandard2.0"><dependency id="Other.Lib" version="1.2" /></group></dependencies>
    <readme>README.md</readme><icon>icon.png</icon>"#;

/// Four versions of `Tiny.Demo`: two releases, a prerelease, and a SemVer 2
/// prerelease with build metadata.
async fn demo() -> (TestApp, String) {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0", "2.0.0-beta", "2.0.0-rc.1+build.5"] {
        let (status, text) = push(&app, &t, &package("Tiny.Demo", v, DEPS)).await;
        assert_eq!(status, 201, "{v}: {text}");
    }
    let (status, _) = push(&app, &t, &package("tiny.demo", "1.1.0", "")).await;
    assert_eq!(
        status, 409,
        "ids are case-insensitive and versions immutable"
    );
    (app, t)
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_versions_appear_in_the_flat_container_with_readme_and_icon() {
    let (app, t) = demo().await;
    let deps = DEPS;

    // Flat container: lowercase, normalised, every version.
    let flat = json(
        &get_as(&app, Some(&t), "/nuget/alice/v3/flat/Tiny.Demo/index.json")
            .send()
            .await,
    );
    assert_eq!(
        flat["versions"],
        serde_json::json!(["1.0.0", "1.1.0", "2.0.0-beta", "2.0.0-rc.1"])
    );
    let nupkg = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/flat/tiny.demo/1.1.0/tiny.demo.1.1.0.nupkg",
    )
    .send()
    .await;
    assert_eq!(nupkg.status(), 200);
    assert_eq!(nupkg.bytes().to_vec(), package("Tiny.Demo", "1.1.0", deps));
    let spec = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/flat/tiny.demo/1.1.0/tiny.demo.nuspec",
    )
    .send()
    .await
    .text();
    assert!(spec.contains("<version>1.1.0</version>"), "{spec}");
    let readme = get_as(&app, Some(&t), "/nuget/alice/v3/readme/tiny.demo/1.1.0")
        .send()
        .await
        .text();
    assert_eq!(readme, "# The readme\n");
    let icon = get_as(&app, Some(&t), "/nuget/alice/v3/flat/tiny.demo/1.1.0/icon")
        .send()
        .await;
    assert_eq!(icon.headers()["content-type"], "image/png");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_registration_hive_describes_the_versions_it_may_show() {
    let (app, t) = demo().await;
    // The SemVer 1 hives hide 2.0.0-rc.1; the 3.6.0 hive shows it, gzipped.
    let plain = json(
        &get_as(
            &app,
            Some(&t),
            "/nuget/alice/v3/registration/tiny.demo/index.json",
        )
        .send()
        .await,
    );
    let page = &plain["items"][0];
    assert_eq!(page["count"], 3);
    assert_eq!(
        (page["lower"].as_str(), page["upper"].as_str()),
        (Some("1.0.0"), Some("2.0.0-beta"))
    );
    let entry = &page["items"][1]["catalogEntry"];
    assert_eq!(entry["id"], "Tiny.Demo");
    assert_eq!(entry["version"], "1.1.0");
    assert_eq!(entry["listed"], true);
    assert_eq!(
        entry["dependencyGroups"][0]["dependencies"][0]["range"],
        "[1.2.0, )"
    );
    assert_eq!(
        entry["dependencyGroups"][0]["targetFramework"],
        ".NETStandard2.0"
    );
    assert!(
        page["items"][1]["packageContent"]
            .as_str()
            .unwrap()
            .ends_with("/nuget/alice/v3/flat/tiny.demo/1.1.0/tiny.demo.1.1.0.nupkg")
    );
    let semver2 = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/registration-semver2/tiny.demo/index.json",
    )
    .header("accept-encoding", "gzip")
    .send()
    .await;
    assert_eq!(semver2.headers()["content-encoding"], "gzip");
    let semver2 = json(&semver2);
    assert_eq!(semver2["items"][0]["count"], 4);
    assert_eq!(
        semver2["items"][0]["items"][3]["catalogEntry"]["version"],
        "2.0.0-rc.1+build.5"
    );
    let leaf = json(
        &get_as(
            &app,
            Some(&t),
            "/nuget/alice/v3/registration/tiny.demo/1.1.0.json",
        )
        .send()
        .await,
    );
    assert_eq!(leaf["listed"], true);
    let catalog = json(
        &app.get(leaf["catalogEntry"].as_str().unwrap())
            .basic("alice", &t)
            .send()
            .await,
    );
    assert_eq!(catalog["version"], "1.1.0");
    // What the package is checked by, as on nuget.org's catalog.
    let nupkg = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/flat/tiny.demo/1.1.0/tiny.demo.1.1.0.nupkg",
    )
    .send()
    .await
    .bytes();
    assert_eq!(catalog["packageHashAlgorithm"], "SHA512");
    assert_eq!(
        catalog["packageHash"],
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            <sha2::Sha512 as sha2::Digest>::digest(&nupkg)
        )
    );
    assert_eq!(catalog["packageSize"], nupkg.len());
    assert!(
        entry.get("packageHash").is_none(),
        "registrations stay as small as nuget.org's"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn search_and_autocomplete_filter_prereleases_and_semver_levels() {
    let (app, t) = demo().await;
    // Search: releases by default, prereleases when asked, SemVer 2 by level.
    let search = async |query: &str| {
        json(
            &get_as(&app, Some(&t), &format!("/nuget/alice/v3/query?{query}"))
                .send()
                .await,
        )
    };
    let hits = search("q=tiny&skip=0&take=20").await;
    assert_eq!(hits["totalHits"], 1);
    assert_eq!(hits["data"][0]["version"], "1.1.0");
    assert_eq!(hits["data"][0]["id"], "Tiny.Demo");
    let pre = search("q=tiny&prerelease=true").await;
    assert_eq!(pre["data"][0]["version"], "2.0.0-beta");
    let pre2 = search("q=tiny&prerelease=true&semVerLevel=2.0.0").await;
    assert_eq!(pre2["data"][0]["version"], "2.0.0-rc.1+build.5");
    assert_eq!(search("q=nothing-like-it").await["totalHits"], 0);
    assert_eq!(search("q=tiny&skip=1").await["data"], serde_json::json!([]));

    let ids = json(
        &get_as(&app, Some(&t), "/nuget/alice/v3/autocomplete?q=tin")
            .send()
            .await,
    );
    assert_eq!(ids["data"], serde_json::json!(["Tiny.Demo"]));
    let versions = json(
        &get_as(
            &app,
            Some(&t),
            "/nuget/alice/v3/autocomplete?id=tiny.demo&prerelease=true",
        )
        .send()
        .await,
    );
    assert_eq!(
        versions["data"],
        serde_json::json!(["1.0.0", "1.1.0", "2.0.0-beta"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn many_versions_are_paged_and_each_page_is_served() {
    let (app, t) = with_alice().await;
    for minor in 0..130 {
        let (status, text) = push(&app, &t, &package("Paged", &format!("1.{minor}.0"), "")).await;
        assert_eq!(status, 201, "{text}");
    }
    let index = json(
        &get_as(
            &app,
            Some(&t),
            "/nuget/alice/v3/registration/paged/index.json",
        )
        .send()
        .await,
    );
    assert_eq!(index["count"], 3);
    let pages = index["items"].as_array().unwrap();
    assert!(
        pages.iter().all(|p| p.get("items").is_none()),
        "not inlined"
    );
    let mut seen = 0;
    for p in pages {
        let page = json(
            &app.get(p["@id"].as_str().unwrap())
                .basic("alice", &t)
                .send()
                .await,
        );
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len() as u64, p["count"].as_u64().unwrap());
        assert_eq!(items[0]["catalogEntry"]["version"], p["lower"]);
        seen += items.len();
    }
    assert_eq!(seen, 130);
}

#[tokio::test(flavor = "multi_thread")]
async fn unlisted_versions_leave_search_but_stay_installable_and_relist() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0"] {
        assert_eq!(push(&app, &t, &package("Tiny.Demo", v, "")).await.0, 201);
    }
    let unlist = async |method: Method, key: &str| {
        app.request(method, "/nuget/alice/api/v2/package/Tiny.Demo/1.1.0")
            .header("x-nuget-apikey", key)
            .send()
            .await
            .status()
            .as_u16()
    };
    let leaf_url = "/nuget/alice/v3/registration/tiny.demo/1.1.0.json";
    // Read once, so that the unlist must replace what was kept.
    let kept = get_as(&app, Some(&t), leaf_url).send().await;
    assert_eq!(json(&kept)["listed"], true);
    let etag = kept.headers()["etag"].to_str().unwrap().to_owned();
    let again = get_as(&app, Some(&t), leaf_url)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(again.status(), 304, "the kept leaf is current");
    let writer = app.token("alice", "read:packages,write:packages").await;
    assert_eq!(unlist(Method::DELETE, &writer).await, 403);
    assert_eq!(unlist(Method::DELETE, &t).await, 204);
    let changed = get_as(&app, Some(&t), leaf_url)
        .header("if-none-match", &etag)
        .send()
        .await;
    assert_eq!(changed.status(), 200, "an unlist changes the leaf");
    let hits = json(
        &get_as(&app, Some(&t), "/nuget/alice/v3/query?q=tiny")
            .send()
            .await,
    );
    assert_eq!(hits["data"][0]["version"], "1.0.0");
    let leaf = json(
        &get_as(
            &app,
            Some(&t),
            "/nuget/alice/v3/registration/tiny.demo/1.1.0.json",
        )
        .send()
        .await,
    );
    assert_eq!(leaf["listed"], false);
    let page = app
        .get("/users/alice/packages/nuget/package/tiny.demo")
        .bearer(&t)
        .send()
        .await
        .text();
    assert!(
        page.contains("<span class=\"badge warn\">unlisted</span>"),
        "{page}"
    );
    let nupkg = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/flat/tiny.demo/1.1.0/tiny.demo.1.1.0.nupkg",
    )
    .send()
    .await;
    assert_eq!(nupkg.status(), 200, "unlisted is still installable");
    assert_eq!(unlist(Method::POST, &t).await, 200);
    let hits = json(
        &get_as(&app, Some(&t), "/nuget/alice/v3/query?q=tiny")
            .send()
            .await,
    );
    assert_eq!(hits["data"][0]["version"], "1.1.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn symbol_packages_are_stored_beside_their_package() {
    let (app, t) = with_alice().await;
    let symbols = |v: &str| {
        let spec = nuspec(
            "Tiny.Demo",
            v,
            r#"<packageTypes><packageType name="SymbolsPackage" /></packageTypes>"#,
        );
        nupkg(&[
            ("Tiny.Demo.nuspec", spec.as_bytes()),
            ("lib/netstandard2.0/x.pdb", b"pdb"),
        ])
    };
    assert_eq!(
        push_to(&app, "symbolpackage", &t, &symbols("1.0.0"))
            .await
            .0,
        404
    );
    assert_eq!(
        push(&app, &t, &package("Tiny.Demo", "1.0.0", "")).await.0,
        201
    );
    assert_eq!(
        push(&app, &t, &symbols("1.0.0")).await.0,
        400,
        "not to the package resource"
    );
    assert_eq!(
        push_to(&app, "symbolpackage", &t, &symbols("1.0.0"))
            .await
            .0,
        201
    );
    assert_eq!(
        push_to(&app, "symbolpackage", &t, &symbols("1.0.0"))
            .await
            .0,
        409
    );
    let fetched = get_as(
        &app,
        Some(&t),
        "/nuget/alice/v3/flat/tiny.demo/1.0.0/tiny.demo.1.0.0.snupkg",
    )
    .send()
    .await;
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().to_vec(), symbols("1.0.0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_packages_get_a_reason_and_leave_nothing() {
    let (app, t) = with_alice().await;
    let spec = nuspec("Tiny.Demo", "1.0.0", "");
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE p [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><package><metadata><id>&e;</id></metadata></package>";
    for (body, reason) in [
        (b"not a zip".to_vec(), "not a valid zip"),
        (
            nupkg(&[
                ("Tiny.Demo.nuspec", spec.as_bytes()),
                ("../../evil.dll", b"MZ"),
            ]),
            "unsafe entry name",
        ),
        (nupkg(&[("lib/x.dll", b"MZ")]), "no .nuspec"),
        (nupkg(&[("x.nuspec", xxe.as_bytes())]), "DOCTYPE"),
        (
            nupkg(&[("x.nuspec", nuspec("../evil", "1.0.0", "").as_bytes())]),
            "invalid package id",
        ),
        (
            nupkg(&[("x.nuspec", nuspec("Tiny.Demo", "1.0.0.0.1", "").as_bytes())]),
            "invalid version",
        ),
    ] {
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
        let (status, text) = push(&app, &t, &body).await;
        assert_eq!(status, 400, "{reason}: {text}");
        assert!(text.contains(reason), "{reason}: {text}");
        assert_eq!(files_named(app.dir(), &sha), 0, "{reason}: blob left");
    }
    // Anonymous callers are challenged; others' feeds are not theirs.
    let r = get_as(&app, None, "/nuget/alice/v3/query?q=").send().await;
    assert_eq!(r.status(), 200, "no private package yet: an empty search");
    assert_eq!(
        push(&app, &t, &package("Tiny.Demo", "1.0.0", "")).await.0,
        201
    );
    for path in [
        "/nuget/alice/v3/registration/tiny.demo/index.json",
        "/nuget/alice/v3/flat/tiny.demo/index.json",
        "/nuget/alice/v3/query?q=tiny",
    ] {
        let r = get_as(&app, None, path).send().await;
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Entrepot NuGet\""
        );
    }
    let bob = app.token("bob", "read:packages,write:packages").await;
    let r = app
        .get("/nuget/alice/v3/flat/tiny.demo/index.json")
        .basic("bob", &bob)
        .send()
        .await;
    assert_eq!(r.status(), 404);
    let (status, _) = push(&app, &bob, &package("Bobs.Own", "1.0.0", "")).await;
    assert!(status == 403 || status == 404, "{status}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_v2_feed_answers_the_queries_nuget_2_and_nuget_list_send() {
    let (app, t) = with_alice().await;
    for v in ["1.0.0", "1.1.0", "2.0.0-beta"] {
        assert_eq!(push(&app, &t, &package("Tiny.Demo", v, "")).await.0, 201);
    }
    let text = async |path: &str| {
        let r = get_as(&app, Some(&t), path).send().await;
        assert_eq!(r.status(), 200, "{path}");
        r.text()
    };
    let metadata = text("/nuget/alice/api/v2/$metadata").await;
    assert!(metadata.contains("<FunctionImport Name=\"FindPackagesById\""));
    assert!(metadata.contains("<Property Name=\"IsLatestVersion\" Type=\"Edm.Boolean\""));
    let one = text("/nuget/alice/api/v2/Packages(Id='Tiny.Demo',Version='1.0.0')").await;
    assert!(one.contains("<d:Version>1.0.0</d:Version>"), "{one}");
    assert!(
        one.contains("/nuget/alice/api/v2/package/Tiny.Demo/1.0.0"),
        "{one}"
    );
    let by_id =
        text("/nuget/alice/api/v2/FindPackagesById()?id='tiny.demo'&semVerLevel=2.0.0").await;
    assert_eq!(by_id.matches("<entry>").count(), 3, "{by_id}");
    let listed = text(
        "/nuget/alice/api/v2/Search()?$filter=IsLatestVersion&searchTerm=''&targetFramework=''&includePrerelease=false&$skip=0&$top=30&semVerLevel=2.0.0",
    ).await;
    assert_eq!(listed.matches("<entry>").count(), 1, "{listed}");
    assert!(listed.contains("<d:Version>1.1.0</d:Version>"), "{listed}");
    let filtered = text(
        "/nuget/alice/api/v2/Packages()?$filter=(tolower(Id)%20eq%20'tiny.demo')%20and%20IsAbsoluteLatestVersion",
    ).await;
    assert!(
        filtered.contains("<d:Version>2.0.0-beta</d:Version>"),
        "{filtered}"
    );
    assert_eq!(
        text("/nuget/alice/api/v2/Search()/$count?searchTerm=''&includePrerelease=true").await,
        "3",
        "every version matches"
    );
    assert_eq!(
        text(
            "/nuget/alice/api/v2/Search()/$count?$filter=IsAbsoluteLatestVersion&searchTerm=''&includePrerelease=true"
        ).await,
        "1"
    );
    let paged = text("/nuget/alice/api/v2/FindPackagesById()?id='Tiny.Demo'&$top=2").await;
    assert!(paged.contains("rel=\"next\""), "{paged}");
    let download = get_as(
        &app,
        Some(&t),
        "/nuget/alice/api/v2/package/Tiny.Demo/1.0.0",
    )
    .send()
    .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().to_vec(), package("Tiny.Demo", "1.0.0", ""));
}

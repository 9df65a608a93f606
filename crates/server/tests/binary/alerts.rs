//! Dependency alerts with the real clients: what npm, mvn, gem, nuget,
//! twine and cargo declare when they publish (a `package.json`, a POM and
//! its parent's `<dependencyManagement>`, a gemspec, a nuspec, a wheel's
//! `Requires-Dist`, Cargo's index entry) is what an advisory's alerts are
//! raised on, through the background job that reads new versions. Every
//! rule, request by request: `tests/app/alerts.rs` and `alerts_formats.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::blocking::Client;
use serde_json::{Value, json};

use crate::common::npm::{NpmUser, package};
use crate::common::{Server, token};
use crate::osv::{Published, advise, api, review};
use crate::webhooks::Receiver;

const SCOPES: &str = "read:packages,write:packages";

/// A server whose hooks may reach loopback, with `users` and the site
/// administrator root.
fn start(dir: &Path, users: &[&str]) -> Server {
    let listen = format!("127.0.0.1:{}", crate::common::free_port());
    let server = Server::start_in(
        dir,
        &["--listen", &listen, "--outbound-allow", "127.0.0.0/8"],
        &format!("http://{listen}"),
    );
    for user in users {
        server.admin(&["user", "create", user]);
    }
    server.admin(&["user", "create", "root", "--site-admin"]);
    server
}

/// A REST GET as `t`: the status and the JSON body.
fn get(server: &Server, t: &str, path: &str) -> (u16, Value) {
    let r = Client::new()
        .get(server.url(&format!("/api/v3{path}")))
        .bearer_auth(t)
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap_or(Value::Null))
}

/// The alerts of `user`'s package `(type, name)` once `done` holds of
/// them: the job that reads new versions' dependencies runs every 3 s.
fn alerts_when(
    server: &Server,
    t: &str,
    (user, package_type, name): (&str, &str, &str),
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let path = format!("/users/{user}/packages/{package_type}/{name}/dependabot/alerts");
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        let (status, body) = get(server, t, &path);
        assert_eq!(status, 200, "{path}: {body}");
        let alerts = body.as_array().unwrap().clone();
        if done(&alerts) {
            return alerts;
        }
        assert!(Instant::now() < deadline, "{path}: still {body}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Publishes `name@version` with npm, depending on `@alice/lib` by `range`.
fn npm_publish(user: &NpmUser, name: &str, version: &str, range: &str) {
    let dir = package(user.dir.path(), name, version);
    let path = dir.join("package.json");
    let mut manifest: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    manifest["dependencies"] = json!({"@alice/lib": range});
    std::fs::write(&path, manifest.to_string()).unwrap();
    user.npm_ok(&dir, &["publish"]);
}

/// alice drafts an advisory on `@alice/lib < 1.0.2`, fixed in 1.0.2; root
/// publishes it. The draft as created.
fn npm_advisory(server: &Server, alice: &str, root: &str) -> Value {
    let created = api(
        server,
        alice,
        Method::POST,
        "/user/packages/npm/lib/security-advisories",
        &json!({
            "summary": "Prototype pollution in lib",
            "description": "Merging untrusted objects pollutes `Object.prototype`.",
            "severity": "high",
            "vulnerabilities": [{
                "package": {"ecosystem": "npm", "name": "@alice/lib"},
                "vulnerable_version_range": "< 1.0.2",
                "patched_versions": "1.0.2",
            }],
        }),
    );
    api(
        server,
        root,
        Method::PATCH,
        &format!(
            "/users/alice/packages/npm/lib/security-advisories/{}",
            created["ghsa_id"].as_str().unwrap()
        ),
        &json!({"state": "published"}),
    );
    created
}

#[test]
fn npm_dependents_are_alerted_told_how_to_fix_it_and_closed_by_a_new_version() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["alice", "bob", "carol"]);
    let [alice, bob, carol, root] =
        ["alice", "bob", "carol", "root"].map(|user| token(&server, user, SCOPES));
    let npm = |scope: &str, t: &str| NpmUser::new(&server, &[scope, "alice"], Some(t));
    let (as_alice, as_bob, as_carol) =
        (npm("alice", &alice), npm("bob", &bob), npm("carol", &carol));
    for version in ["1.0.0", "1.0.1", "1.0.2"] {
        as_alice.npm_ok(
            &package(as_alice.dir.path(), "@alice/lib", version),
            &["publish"],
        );
    }
    npm_publish(&as_bob, "@bob/app", "1.0.0", "^1.0.0");
    npm_publish(&as_carol, "@carol/pinned", "1.0.0", "1.0.0");
    let receiver = Receiver::start(0);
    api(
        &server,
        &bob,
        Method::POST,
        "/user/hooks",
        &json!({"config": {"url": receiver.url, "content_type": "json"}, "events": ["dependabot_alert"]}),
    );

    let created = npm_advisory(&server, &alice, &root);

    // bob's range takes 1.0.2 on a fresh install; carol's must change.
    let bobs = alerts_when(&server, &bob, ("bob", "npm", "app"), |a| !a.is_empty());
    assert_eq!(bobs.len(), 1, "{bobs:?}");
    assert_eq!(bobs[0]["state"], "open");
    assert_eq!(bobs[0]["requirement"], "^1.0.0");
    assert_eq!(bobs[0]["fixed_by_fresh_install"], true);
    assert_eq!(bobs[0]["security_advisory"]["ghsa_id"], created["ghsa_id"]);
    let carols = alerts_when(&server, &carol, ("carol", "npm", "pinned"), |a| {
        !a.is_empty()
    });
    assert_eq!(carols[0]["requirement"], "1.0.0");
    assert_eq!(carols[0]["fixed_by_fresh_install"], false);

    // bob is told: a delivery to his hook, and a notification.
    let delivered = receiver.wait_for("dependabot_alert", 1);
    let payload = delivered[0].json();
    assert_eq!(payload["action"], "created", "{payload}");
    assert_eq!(
        payload["alert"]["dependency"]["package"],
        json!({"ecosystem": "npm", "name": "@alice/lib"})
    );
    let (_, notes) = get(&server, &bob, "/notifications");
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["subject"]["title"]
                .as_str()
                .is_some_and(|t| t.contains("@bob/app depends on @alice/lib ^1.0.0"))),
        "{notes}"
    );

    // alice never learns of bob's private package through her own.
    let (status, _) = get(
        &server,
        &alice,
        "/users/bob/packages/npm/app/dependabot/alerts",
    );
    assert_eq!(status, 404);
    let (status, dependents) = get(&server, &alice, "/users/alice/packages/npm/lib/dependents");
    assert_eq!(status, 200, "{dependents}");
    assert_eq!(
        dependents,
        json!([]),
        "bob's and carol's packages are private"
    );

    // carol publishes a version on `^1.0.2`: her alert is fixed.
    npm_publish(&as_carol, "@carol/pinned", "1.1.0", "^1.0.2");
    let carols = alerts_when(&server, &carol, ("carol", "npm", "pinned"), |a| {
        a[0]["state"] == "fixed"
    });
    assert!(carols[0]["fixed_at"].is_string(), "{carols:?}");
    // bob's stays open.
    let (_, bobs) = get(
        &server,
        &bob,
        "/users/bob/packages/npm/app/dependabot/alerts",
    );
    assert_eq!(bobs[0]["state"], "open");
}

/// One format's library and its dependent, both alice's, each published by
/// the real client: the library at 1.0.0 and 1.0.1, the dependent through
/// the format's own range syntax.
struct Case {
    /// The REST type of both.
    package_type: &'static str,
    /// The library's stored name, and its name as the advisory writes it.
    library: (&'static str, &'static str),
    /// The dependent's stored name, and the range it declares.
    dependent: (&'static str, &'static str),
}

/// An advisory on the library's `< 1.0.1`, fixed in 1.0.1, alerts the
/// dependent, saying a fresh install fixes it.
fn assert_alerted(server: &Server, alice: &str, root: &str, case: &Case) {
    let package_type = case.package_type;
    let (stored, name) = case.library;
    let library = Published {
        package_type,
        stored: stored.to_owned(),
        name,
    };
    let id = advise(server, alice, &library);
    review(server, root, &library, &id, "published");
    let (dependent, range) = case.dependent;
    let alerts = alerts_when(server, alice, ("alice", package_type, dependent), |a| {
        !a.is_empty()
    });
    assert_eq!(alerts.len(), 1, "{package_type}: {alerts:?}");
    assert_eq!(alerts[0]["state"], "open", "{package_type}");
    assert_eq!(alerts[0]["requirement"], range, "{package_type}");
    assert_eq!(
        alerts[0]["fixed_by_fresh_install"], true,
        "{package_type}: {alerts:?}"
    );
    assert_eq!(
        alerts[0]["dependency"]["package"]["name"], name,
        "{package_type}"
    );
}

/// alice's server, her token and root's.
fn alices(dir: &Path) -> (Server, String, String) {
    // bob is who the advisories credit.
    let server = start(dir, &["alice", "bob"]);
    let alice = token(&server, "alice", "read:packages,write:packages,repo");
    let root = token(&server, "root", SCOPES);
    (server, alice, root)
}

#[test]
fn mvn_deploys_a_dependent_whose_range_comes_from_its_parent_pom() {
    use crate::maven::{PLUGINS, deploy, library, local_repository, ok, settings};
    let dir = tempfile::tempdir().unwrap();
    let (server, alice, root) = alices(dir.path());
    server.admin(&["repo", "create", "alice/java"]);
    let url = server.url("/maven/alice/java");
    let local = local_repository(dir.path());
    let config = settings(dir.path(), &url, "alice", Some(&alice));
    ok(&deploy(
        &library(dir.path(), "1.0.0"),
        &config,
        &local,
        &url,
    ));
    // The parent manages tiny's range; the consumer names tiny alone.
    let parent = dir.path().join("parent");
    std::fs::create_dir_all(&parent).unwrap();
    std::fs::write(
        parent.join("pom.xml"),
        format!(
            r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.example</groupId><artifactId>tiny</artifactId><version>${{tiny.range}}</version></dependency>
  </dependencies></dependencyManagement>
  {}
</project>"#,
            PLUGINS.replace("<properties>", "<properties><tiny.range>[1.0,2.0)</tiny.range>")
        ),
    )
    .unwrap();
    ok(&deploy(&parent, &config, &local, &url));
    let app = dir.path().join("app");
    std::fs::create_dir_all(app.join("src/main/java/app")).unwrap();
    std::fs::write(
        app.join("src/main/java/app/App.java"),
        "package app; public class App { public static void main(String[] a) { System.out.println(demo.Tiny.hi()); } }\n",
    )
    .unwrap();
    std::fs::write(
        app.join("pom.xml"),
        r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>com.example</groupId><artifactId>parent</artifactId><version>1</version><relativePath/></parent>
  <artifactId>app</artifactId><version>1.0.0</version>
  <dependencies><dependency><groupId>com.example</groupId><artifactId>tiny</artifactId></dependency></dependencies>
</project>"#,
    )
    .unwrap();
    ok(&deploy(&app, &config, &local, &url));
    ok(&deploy(
        &library(dir.path(), "1.0.1"),
        &config,
        &local,
        &url,
    ));
    let case = Case {
        package_type: "maven",
        library: ("com.example.tiny", "com.example:tiny"),
        dependent: ("com.example.app", "[1.0,2.0)"),
    };
    assert_alerted(&server, &alice, &root, &case);
}

#[test]
fn gem_pushes_a_dependent_with_a_pessimistic_requirement() {
    use crate::rubygems::{GemSpec, Ruby, push_host, versioned_lib};
    let dir = tempfile::tempdir().unwrap();
    let (server, alice, root) = alices(dir.path());
    let ruby = Ruby::new(dir.path(), "alice");
    let host = push_host(&server, "alice");
    for (name, version, extra) in [
        ("tinygem", "1.0.0", ""),
        (
            "appgem",
            "1.0.0",
            "  spec.add_dependency \"tinygem\", \"~> 1.0\"",
        ),
        ("tinygem", "1.0.1", ""),
    ] {
        let gem = GemSpec {
            name,
            version,
            extra,
            lib: &versioned_lib("Tiny", version),
        }
        .build(&ruby, dir.path());
        let out = ruby.push(&gem, &host, Some(&alice));
        assert!(
            out.status.success(),
            "{}",
            crate::common::process::text(&out)
        );
    }
    let case = Case {
        package_type: "rubygems",
        library: ("tinygem", "tinygem"),
        dependent: ("appgem", "~> 1.0"),
    };
    assert_alerted(&server, &alice, &root, &case);
}

#[test]
fn nuget_pushes_a_dependent_with_an_open_interval() {
    use crate::nuget::{NuGet, assert_said, feed_config};
    let dir = tempfile::tempdir().unwrap();
    let (server, alice, root) = alices(dir.path());
    let config = feed_config(dir.path(), &server, "alice", Some(("alice", &alice)));
    let nuget = NuGet::new(dir.path(), "alice", &config);
    for (id, version, extra) in [
        ("Alice.Lib", "1.0.0", ""),
        (
            "Alice.App",
            "1.0.0",
            r#"<dependencies><dependency id="Alice.Lib" version="[1.0.0, )" /></dependencies>"#,
        ),
        ("Alice.Lib", "1.0.1", ""),
    ] {
        let nupkg = nuget.pack(id, version, extra);
        assert_said(&nuget.push(&nupkg, &alice), "Your package was pushed.");
    }
    let case = Case {
        package_type: "nuget",
        library: ("alice.lib", "Alice.Lib"),
        dependent: ("alice.app", "[1.0.0, )"),
    };
    assert_alerted(&server, &alice, &root, &case);
}

#[test]
fn twine_uploads_a_dependent_wheel_with_a_pep_440_specifier() {
    use crate::pypi::{Python, upload_url};
    let dir = tempfile::tempdir().unwrap();
    let (server, alice, root) = alices(dir.path());
    let python = Python::new(dir.path());
    let mut wheels = python.build_project(("tiny_lib", "tinylib"), "1.0.0", &[], false);
    wheels.extend(python.build_project(
        ("tiny_app", "tinyapp"),
        "1.0.0",
        &["tiny-lib>=1,<2"],
        false,
    ));
    wheels.extend(python.build_project(("tiny_lib", "tinylib"), "1.0.1", &[], false));
    let out = python.twine_upload(&upload_url(&server, "alice"), "__token__", &alice, &wheels);
    assert!(
        out.status.success(),
        "{}",
        crate::common::process::text(&out)
    );
    let case = Case {
        package_type: "pypi",
        library: ("tiny-lib", "tiny-lib"),
        dependent: ("tiny-app", "<2,>=1"),
    };
    assert_alerted(&server, &alice, &root, &case);
}

#[test]
fn cargo_publishes_a_dependent_with_a_caret_requirement() {
    use crate::cargo::{Cargo, library};
    let dir = tempfile::tempdir().unwrap();
    let (server, alice, root) = alices(dir.path());
    let index = format!("sparse+{}", server.url("/cargo/alice/index/"));
    let cargo = Cargo::new(dir.path(), "alice", &index);
    for version in ["1.0.0", "1.0.1"] {
        cargo.publish(&library(dir.path(), "tiny_lib", version, "", None), &alice);
    }
    cargo.publish(
        &library(
            dir.path(),
            "tiny_app",
            "1.0.0",
            "tiny_lib = { version = \"1.0\", registry = \"entrepot\" }\n",
            Some("tiny_lib"),
        ),
        &alice,
    );
    let case = Case {
        package_type: "cargo",
        library: ("tiny_lib", "tiny_lib"),
        dependent: ("tiny_app", "^1.0"),
    };
    assert_alerted(&server, &alice, &root, &case);
}
